"""WhatsApp Cloud API settings, read from the environment by the gateway's settings
(api/settings.py). Without the four required ones the WhatsApp channel is off: its webhook answers
503 and no worker runs; with only some of them the gateway does not start.

    WEGWIJS_WHATSAPP_VERIFY_TOKEN     the token Meta echoes when it verifies the webhook
    WEGWIJS_WHATSAPP_APP_SECRET       the app secret: X-Hub-Signature-256 is an HMAC with it
    WEGWIJS_WHATSAPP_TOKEN            the access token for the Graph API
    WEGWIJS_WHATSAPP_PHONE_NUMBER_ID  the business number's id
    WEGWIJS_WHATSAPP_API_BASE         default https://graph.facebook.com
    WEGWIJS_WHATSAPP_API_VERSION      default v21.0
    WEGWIJS_WHATSAPP_TEMPLATE         an approved template sent instead of a staff reply outside
                                      the 24-hour customer-service window (none: such a reply is
                                      refused and the console says why)
    WEGWIJS_WHATSAPP_TEMPLATE_LANGUAGE  its language code, default en
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "WEGWIJS_WHATSAPP_"
# All four or none: a partial configuration stops the gateway (api/settings.py).
REQUIRED = ("VERIFY_TOKEN", "APP_SECRET", "TOKEN", "PHONE_NUMBER_ID")


@dataclass(frozen=True)
class WhatsAppConfig:
    verify_token: str
    app_secret: bytes
    token: str
    phone_number_id: str
    api_base: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    template: str | None = None
    template_language: str = "en"

    def __repr__(self) -> str:  # never print a secret
        return f"WhatsAppConfig(phone_number_id={self.phone_number_id!r}, api_base={self.api_base!r})"
