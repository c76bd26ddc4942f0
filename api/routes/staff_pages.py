"""The staff console's pages: ``/staff/login`` (public) and ``/staff`` (a staff session, else a
redirect to the login page). The pages are static: all data comes through /staff/api, and all
script is in files under /staff/static (the Content-Security-Policy allows no inline script)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.services import ServicesDep
from api.staff.sessions import COOKIE

PAGES = Path(__file__).resolve().parent.parent / "static" / "staff"
router = APIRouter(tags=["staff"], include_in_schema=False)
static = StaticFiles(directory=PAGES)
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/staff/login")
async def login_page() -> FileResponse:
    return FileResponse(PAGES / "login.html", headers=NO_STORE)


@router.get("/staff")
async def console_page(request: Request, services: ServicesDep) -> Response:
    return await session_page(request, services, "console.html")


async def session_page(request: Request, services: ServicesDep, page: str) -> Response:
    """A page for staff with a session (its API decides which roles may use it; the page says
    so), else a redirect to the login page."""
    staff, cookie = services.staff, request.cookies.get(COOKIE)
    if staff is None or await staff.sessions.get(cookie) is None:
        return RedirectResponse("/staff/login", status_code=303, headers=NO_STORE)
    await staff.sessions.touch(cookie or "")  # opening a page is something the person does
    return FileResponse(PAGES / page, headers=NO_STORE)


@router.get("/staff/whatsapp")
async def whatsapp_sends_page(request: Request, services: ServicesDep) -> Response:
    """The supervisors' review of WhatsApp sends that did not surely arrive."""
    return await session_page(request, services, "whatsapp-sends.html")


@router.get("/staff/review")
async def review_page(request: Request, services: ServicesDep) -> Response:
    """The supervisors' review of misunderstood messages."""
    return await session_page(request, services, "review.html")
