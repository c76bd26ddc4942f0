"""The supervisors' dashboard (issue 15): ``GET /staff/dashboard`` (the page), and the same
figures as ``GET /staff/api/insight`` (JSON) and ``GET /staff/api/insight.csv`` (CSV), with the
same filters: ``start`` and ``end`` (days, UTC, both included; the last 30 days by default) and
``language``. Supervisors only: an agent gets 403; without a session the page redirects to the
login page and the API answers 401, like the other staff routes. Reads only: no CSRF token.
The figures come from the analytics events (api/insight/), read in a worker thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.insight.figures import CSV_HEADER, Figures, csv_rows, figures_of, to_csv
from api.insight.page import Page
from api.insight.store import Filters
from api.openapi import errors
from api.routes.staff import SessionDep, StaffDep
from api.schemas import InsightOut, IsoDate
from api.services import Services, ServicesDep
from api.staff.sessions import COOKIE, StaffSession
from wegwijs.languages import SOURCE_LANGUAGE, Language, is_shipped

router = APIRouter(tags=["staff"])
NO_STORE = {"Cache-Control": "no-store"}
DEFAULT_DAYS = 30
MOST_DAYS = 400


def filters_of(start: dt.date | None, end: dt.date | None, language: str | None) -> Filters:
    """The period asked for: a start after the end is read as the period between the two days,
    and a period longer than the analytics retention (``MOST_DAYS``, nothing older is kept) as
    its last ``MOST_DAYS`` days, so every date the document allows gives figures."""
    last = end or dt.datetime.now(dt.timezone.utc).date()
    first = start or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    first, last = min(first, last), max(first, last)
    first = max(first, last - dt.timedelta(days=MOST_DAYS - 1))
    return Filters(first, last, language or None)


async def figures_for(services: Services, filters: Filters) -> Figures:
    if services.insight is None:
        raise HTTPException(503, "analytics are not configured")
    store = await services.insight.store()
    rows = await asyncio.to_thread(store.rows, filters)
    figures = figures_of(rows, filters)
    if services.staff is not None:
        queued = await services.staff.tickets.queued(filters.language)
        figures.callbacks_open_now = sum(1 for ticket in queued if ticket.is_callback)
    return figures


def supervisor(session: StaffSession) -> None:
    if session.role != "supervisor":
        raise HTTPException(403, "the dashboard is for supervisors")


Start = Query(
    None, description=f"First day (UTC), included; default 29 days before end; at most {MOST_DAYS} days before it."
)
End = Query(None, description="Last day (UTC), included; default today.")
LanguageFilter = Query(None, description="Only this language.")


def filters_from_query(
    start: IsoDate | None = Start, end: IsoDate | None = End, language: Language | None = LanguageFilter
) -> Filters:
    """The three filters every view of the figures takes, from the query string."""
    return filters_of(start, end, language)


FiltersDep = Annotated[Filters, Depends(filters_from_query)]


@router.get("/staff/dashboard", include_in_schema=False)
async def dashboard_page(
    request: Request,
    services: ServicesDep,
    filters: FiltersDep,
    lang: str = Query(SOURCE_LANGUAGE, description="The page's language."),
) -> Response:
    staff, cookie = services.staff, request.cookies.get(COOKIE)
    session = await staff.sessions.get(cookie) if staff is not None else None
    if staff is None or session is None:
        return RedirectResponse("/staff/login", status_code=303, headers=NO_STORE)
    await staff.sessions.touch(cookie or "")  # opening the dashboard is something the person does
    supervisor(session)
    figures = await figures_for(services, filters)
    page = Page(figures, lang if is_shipped(lang) else SOURCE_LANGUAGE, figures.callbacks_open_now)
    return HTMLResponse(page.render(), headers=NO_STORE)


@router.get("/staff/api/insight", response_model=InsightOut, responses=errors(401, 403, 422))
async def insight_figures(
    session: SessionDep, staff: StaffDep, services: ServicesDep, filters: FiltersDep
) -> JSONResponse:
    """The dashboard's figures, one per row (section, day, language, channel, topic, reason,
    measure, value): the rows of the CSV export. Supervisors only."""
    supervisor(session)
    figures = await figures_for(services, filters)
    rows: list[dict[str, Any]] = [dict(zip(CSV_HEADER, row, strict=True)) for row in csv_rows(figures)]
    return JSONResponse(
        {"start": figures.filters.start.isoformat(), "end": figures.filters.end.isoformat(), "rows": rows},
        headers=NO_STORE,
    )


@router.get(
    "/staff/api/insight.csv",
    response_class=Response,
    responses={**errors(401, 403, 422), 200: {"content": {"text/csv": {}}}},
)
async def insight_csv(session: SessionDep, staff: StaffDep, services: ServicesDep, filters: FiltersDep) -> Response:
    """The dashboard's figures as CSV, with the same filters. Supervisors only."""
    supervisor(session)
    figures = await figures_for(services, filters)
    suffix = f"-{filters.language}" if filters.language else ""
    name = f"wegwijs-insight-{filters.start.isoformat()}-{filters.end.isoformat()}{suffix}.csv"
    return Response(
        to_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
    )
