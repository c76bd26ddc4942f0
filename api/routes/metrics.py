"""``GET /metrics``: the gateway's Prometheus metrics (api/metrics.py). Counts only, no personal
data, and still not for the public: a request that comes through the reverse proxy (a trusted
proxy, api/client_address.py) gets a 404; a scraper inside reaches the gateway directly."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from api.metrics import (
    FALLBACKS,
    OLDEST_TICKET_SECONDS,
    TICKETS_WAITING,
    TICKETS_WAITING_LONG,
    TICKETS_WAITING_LONG_SECONDS,
)
from api.services import ServicesDep
from wegwijs.metrics import exposition

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(services: ServicesDep, request: Request) -> Response:
    """Prometheus text format: turn, Rasa and WhatsApp figures, the hand-over queue (and tickets
    waiting longer than ``WEGWIJS_ALERT_WAIT_MINUTES``), the fallback rate per language over the
    last 15 minutes, refusals, erasures, lost analytics events."""
    if services.settings.clients.through_proxy(request):
        raise HTTPException(status_code=404, detail="Not Found")
    if services.staff is not None:
        try:
            queued = await services.staff.tickets.queued()
        except Exception:  # noqa: BLE001 - the other figures are still worth serving
            queued = None
        if queued is not None:
            now, long_wait = time.time(), services.settings.alert_wait_minutes * 60
            TICKETS_WAITING.set(len(queued))
            OLDEST_TICKET_SECONDS.set(max((now - t.created for t in queued), default=0.0))
            TICKETS_WAITING_LONG.set(sum(1 for t in queued if not t.is_callback and now - t.created > long_wait))
            TICKETS_WAITING_LONG_SECONDS.set(long_wait)
    FALLBACKS.publish()
    body, content_type = exposition()
    return Response(body, media_type=content_type)
