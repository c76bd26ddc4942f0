"""The web chat's pages: ``/`` (the full-page chat) and ``/chat`` (the widget's script and
style, which any page embeds with one ``<script src=".../chat/widget.js" defer>``). The page is
static: all data comes through /api/v1, and all script is in files under /chat (the
Content-Security-Policy allows no inline script)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PAGES = Path(__file__).resolve().parent.parent / "static" / "chat"
router = APIRouter(tags=["chat"], include_in_schema=False)
static = StaticFiles(directory=PAGES)
NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/")
async def chat_page() -> FileResponse:
    return FileResponse(PAGES / "index.html", headers=NO_CACHE)
