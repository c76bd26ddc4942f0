"""``GET /privacy/{language}``: the full privacy notice, a plain page in the user's language.

Server-rendered from the catalogs (the ``gateway_privacy_page_*`` texts) with the retention
settings filled in, escaped, in the language's writing direction, under the pages' strict
Content-Security-Policy (api/security_headers.py). No script, no outside resource:
it must open on a cheap phone with a weak connection, and tell nothing to anyone else.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.openapi import errors
from api.privacy_notice import retention_values
from api.services import ServicesDep
from wegwijs.digits import to_locale_digits
from wegwijs.languages import Language, babel_name, writing_direction
from wegwijs.responses import load_specs, render

router = APIRouter(tags=["chat"])
# (heading key or None, paragraph keys) in the order the page shows them.
SECTIONS = (
    (None, ("intro",)),
    ("kept_heading", ("conversation", "callback", "handover", "case", "review", "analytics")),
    ("whatsapp_heading", ("whatsapp",)),
    ("erase_heading", ("erase", "safety")),
)


def page_text(key: str, language: str, values: dict[str, str]) -> str:
    rendered = render(load_specs()[f"gateway_privacy_page_{key}"], language).text.format(**values)
    return escape(to_locale_digits(rendered, babel_name(language)))  # every number in the locale's digits


@router.get("/privacy/{language}", response_class=HTMLResponse, responses=errors(422))
async def privacy_page(services: ServicesDep, language: Language) -> HTMLResponse:
    """The full privacy notice in ``language``: what is kept, for how long, and how to erase it."""
    values = retention_values(services.retention)
    parts = [f"<h1>{page_text('title', language, values)}</h1>"]
    for heading, paragraphs in SECTIONS:
        if heading:
            parts.append(f"<h2>{page_text(heading, language, values)}</h2>")
        parts += [f"<p>{page_text(key, language, values)}</p>" for key in paragraphs]
    html = (
        f'<!doctype html><html lang="{language}" dir="{writing_direction(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" '
        'content="no-referrer">'
        f'<title>{page_text("title", language, values)}</title><link rel="stylesheet" href="/chat/privacy.css"></head>'
        f"<body><main>{''.join(parts)}</main></body></html>"
    )
    return HTMLResponse(html, headers={"Cache-Control": "max-age=300"})
