"""The gateway's one settings object, from the environment, validated at start-up.

Every variable the gateway reads is a field here (the WhatsApp ones in ``whatsapp``; the rate
limits' ``WEGWIJS_LIMIT_*`` in api/rate_limits.py and the retention table's ``WEGWIJS_KEEP_*`` in
wegwijs/retention.py, both also read and checked at start-up). A problem stops the gateway with one
message naming each variable (wegwijs/settings.py). Secrets are ``SecretStr``: never printed.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr, SecretStr, root_validator, validator
from starlette.requests import HTTPConnection

from api.client_address import ClientAddresses, ProxyConfigurationError, client_key, parse_networks
from api.staff.sessions import ABSOLUTE_SECONDS, IDLE_SECONDS
from api.whatsapp.config import REQUIRED as WHATSAPP_REQUIRED, WhatsAppConfig
from wegwijs.handover.presence import AWAY_AFTER_SECONDS
from wegwijs.paths import run_dir
from wegwijs.settings import ConfigurationError, SharedSettings, empty_is_none, load, secret

__all__ = ["ConfigurationError", "Settings", "load_settings"]


class Settings(SharedSettings):
    rasa_url: str = Field("http://127.0.0.1:5005", env="WEGWIJS_RASA_URL")
    rasa_token_secret: SecretStr = Field(..., env="WEGWIJS_RASA_TOKEN")
    actions_url: str = Field("http://127.0.0.1:5055/webhook", env="WEGWIJS_ACTIONS_URL")
    rasa_timeout_seconds: float = Field(30.0, env="WEGWIJS_RASA_TIMEOUT", gt=0, le=300)
    conversation_key: SecretStr = Field(..., env="WEGWIJS_CONVERSATION_SECRET")
    # Hashes staff login names (api/staff/accounts.py); needed only with Redis (the staff side).
    staff_key: SecretStr | None = Field(None, env="WEGWIJS_STAFF_SECRET")
    client_address_header: str | None = Field(None, env="WEGWIJS_CLIENT_ADDRESS_HEADER")
    trusted_proxies: str = Field("", env="WEGWIJS_TRUSTED_PROXIES")
    handover_sweep_seconds: float = Field(30.0, env="WEGWIJS_HANDOVER_SWEEP_SECONDS", gt=0, le=3600)
    staff_idle_seconds: int = Field(IDLE_SECONDS, env="WEGWIJS_STAFF_IDLE_SECONDS", ge=1, le=ABSOLUTE_SECONDS)
    staff_presence_seconds: int = Field(
        AWAY_AFTER_SECONDS, env="WEGWIJS_STAFF_PRESENCE_SECONDS", ge=1, le=ABSOLUTE_SECONDS
    )
    # The case store's database, where the analytics events go too (api/insight/); unset, the
    # SQLite file in the run folder that the action server's case store uses.
    database_url: str | None = Field(None, env="DATABASE_URL")
    # A queued ticket waiting longer than this counts in wegwijs_tickets_waiting_long (alerts).
    alert_wait_minutes: float = Field(5.0, env="WEGWIJS_ALERT_WAIT_MINUTES", gt=0, le=1440)
    whatsapp_verify_token: SecretStr | None = Field(None, env="WEGWIJS_WHATSAPP_VERIFY_TOKEN")
    whatsapp_app_secret: SecretStr | None = Field(None, env="WEGWIJS_WHATSAPP_APP_SECRET")
    whatsapp_token: SecretStr | None = Field(None, env="WEGWIJS_WHATSAPP_TOKEN")
    whatsapp_phone_number_id: str | None = Field(None, env="WEGWIJS_WHATSAPP_PHONE_NUMBER_ID", regex=r"^\d{1,32}$")
    whatsapp_api_base: str = Field(WhatsAppConfig.api_base, env="WEGWIJS_WHATSAPP_API_BASE")
    whatsapp_api_version: str = Field(WhatsAppConfig.api_version, env="WEGWIJS_WHATSAPP_API_VERSION")
    whatsapp_template: str | None = Field(None, env="WEGWIJS_WHATSAPP_TEMPLATE")
    whatsapp_template_language: str = Field(WhatsAppConfig.template_language, env="WEGWIJS_WHATSAPP_TEMPLATE_LANGUAGE")
    _client_addresses: ClientAddresses = PrivateAttr()

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._client_addresses = ClientAddresses(self.client_address_header, parse_networks(self.trusted_proxies))

    _empty = validator(
        "staff_key",
        "database_url",
        "client_address_header",
        "whatsapp_verify_token",
        "whatsapp_app_secret",
        "whatsapp_token",
        "whatsapp_phone_number_id",
        "whatsapp_template",
        pre=True,
        allow_reuse=True,
    )(empty_is_none)
    _secrets = validator("rasa_token_secret", "conversation_key", "staff_key", allow_reuse=True)(secret)

    @validator("rasa_url", "actions_url", "whatsapp_api_base")
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @validator("client_address_header")
    def _header(cls, value: str | None) -> str | None:
        return value.strip().lower() if value else None

    @validator("trusted_proxies")
    def _proxies(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ProxyConfigurationError as error:
            raise ValueError(str(error).split(": ", 1)[-1]) from None
        return value

    @root_validator(skip_on_failure=True)
    def _consistent(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("client_address_header") and not values.get("trusted_proxies"):
            raise ValueError(
                "WEGWIJS_CLIENT_ADDRESS_HEADER needs WEGWIJS_TRUSTED_PROXIES: "
                "the header is believed only from those peers"
            )
        if values.get("redis_url") and values.get("staff_key") is None:
            raise ValueError("WEGWIJS_STAFF_SECRET must be set with REDIS_URL (it hashes staff login names)")
        given = [name for name in WHATSAPP_REQUIRED if values.get(f"whatsapp_{name.lower()}") is not None]
        if given and len(given) < len(WHATSAPP_REQUIRED):
            missing = ", ".join(f"WEGWIJS_WHATSAPP_{name}" for name in WHATSAPP_REQUIRED if name not in given)
            raise ValueError(f"WhatsApp is partly configured: set {missing} too, or none of the four")
        if given and not values.get("redis_url"):
            raise ValueError("WhatsApp is configured but REDIS_URL is not: the WhatsApp channel needs Redis")
        return values

    # -- what the rest of the gateway reads ----------------------------------------------------
    @property
    def rasa_token(self) -> str:
        return self.rasa_token_secret.get_secret_value()

    @property
    def conversation_secret(self) -> bytes:
        return self.conversation_key.get_secret_value().encode("utf-8")

    @property
    def staff_secret(self) -> bytes:
        if self.staff_key is None:
            raise ConfigurationError("WEGWIJS_STAFF_SECRET is not set")
        return self.staff_key.get_secret_value().encode("utf-8")

    @property
    def insight_database_url(self) -> str:
        """DATABASE_URL, else the run folder's SQLite file (actions/cases/store.py's default)."""
        if self.database_url:
            return self.database_url
        folder = run_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'cases.sqlite3'}"

    @property
    def clients(self) -> ClientAddresses:
        return self._client_addresses

    @property
    def whatsapp(self) -> WhatsAppConfig | None:
        """The WhatsApp channel's settings; None when it is not configured (then it is off)."""
        if self.whatsapp_token is None or self.whatsapp_verify_token is None or self.whatsapp_app_secret is None:
            return None
        return WhatsAppConfig(
            verify_token=self.whatsapp_verify_token.get_secret_value(),
            app_secret=self.whatsapp_app_secret.get_secret_value().encode("utf-8"),
            token=self.whatsapp_token.get_secret_value(),
            phone_number_id=self.whatsapp_phone_number_id or "",
            api_base=self.whatsapp_api_base,
            api_version=self.whatsapp_api_version,
            template=self.whatsapp_template,
            template_language=self.whatsapp_template_language,
        )

    def client_of(self, connection: HTTPConnection) -> str:
        """The calling client as a keyed hash of its address (api/client_address.py): for limits."""
        return client_key(self._client_addresses.of(connection), self.conversation_secret)

    def __repr__(self) -> str:  # never print the token
        return f"Settings(rasa_url={self.rasa_url!r}, redis={'set' if self.redis_url else 'none'})"


def load_settings() -> Settings:
    return load(Settings)
