"""The short privacy notice in a conversation's first reply, on every channel, and its version.

The notice says what is kept and for how long, that WhatsApp messages also pass through Meta
(web chat: that a full notice page exists), and how to delete everything, with a "Delete my data"
button. It comes *after* the bot's own replies of that turn, so a safety message still starts
with 112 and the phone line.

The version is a hash of the English source of the notice texts and of the full page: changing
any of them (in bot/responses.yml) makes a new version, and each conversation that was shown an
older one is shown the new one once, at its next turn. The conversation's state records the
version it was shown (api/conversation_store.py).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from wegwijs.digits import to_locale_digits
from wegwijs.languages import babel_name
from wegwijs.responses import load_specs, render
from wegwijs.retention import Retention
from wegwijs.wire import ReplyMessage, link, reply_message

NOTICE = {"whatsapp": "gateway_privacy_notice_whatsapp"}
WEB_NOTICE = "gateway_privacy_notice_web"
LINK = "gateway_privacy_link"
PAGE_PREFIX = "gateway_privacy_page_"


@lru_cache(maxsize=1)
def version() -> str:
    specs = load_specs()
    sources = [specs[key].text for key in sorted(specs) if key.startswith((PAGE_PREFIX, "gateway_privacy_notice_"))]
    return hashlib.sha256("\n".join(sources).encode("utf-8")).hexdigest()[:12]


def page_path(language: str) -> str:
    return f"/privacy/{language}"


def retention_values(keep: Retention) -> dict[str, str]:
    """The retention placeholders; the text they go into is put in the locale's digits as a whole."""
    return {
        "days": str(keep.conversation_days),
        "callback_days": str(keep.callback_days),
        "analytics_days": str(keep.analytics_days),
    }


def notice_message(channel: str, language: str, keep: Retention) -> ReplyMessage:
    """The notice as one reply ({text, buttons, links}) for ``channel`` in ``language``."""
    key = NOTICE.get(channel, WEB_NOTICE)
    rendered = render(load_specs()[key], language)
    text = to_locale_digits(rendered.text.format(**retention_values(keep)), babel_name(language))
    links = [] if channel == "whatsapp" else [link(render(load_specs()[LINK], language).text, page_path(language))]
    return reply_message(text, rendered.buttons, links)
