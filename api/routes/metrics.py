"""``GET /metrics``: the gateway's Prometheus metrics (api/metrics.py). Counts only, no personal
data, and still not for the public: a request that comes through the reverse proxy (a trusted
proxy, api/client_address.py) gets a 404; a scraper inside reaches the gateway directly."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from api.metrics import OLDEST_TICKET_SECONDS, TICKETS_WAITING
from api.services import ServicesDep
from wegwijs.metrics import exposition

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(services: ServicesDep, request: Request) -> Response:
    """Prometheus text format: turn, Rasa and WhatsApp figures, the hand-over queue, refusals, erasures."""
    if services.settings.clients.through_proxy(request):
        raise HTTPException(status_code=404, detail="Not Found")
    if services.staff is not None:
        try:
            queued = await services.staff.tickets.queued()
        except Exception:  # noqa: BLE001 - the other figures are still worth serving
            queued = None
        if queued is not None:
            TICKETS_WAITING.set(len(queued))
            OLDEST_TICKET_SECONDS.set(max((time.time() - t.created for t in queued), default=0.0))
    body, content_type = exposition()
    return Response(body, media_type=content_type)
