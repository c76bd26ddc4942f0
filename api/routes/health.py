"""``GET /health``: 200 when every dependency answers, else 503 naming those that do not."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.schemas import HealthOut
from api.services import Services, ServicesDep

router = APIRouter(tags=["operations"])


async def _redis(services: Services) -> str:
    if not services.store.durable:
        return "not configured: conversations are kept in memory only"
    try:
        return "ok" if await asyncio.wait_for(services.store.ping(), timeout=2) else "down"
    except Exception:  # noqa: BLE001 - any failure means down
        return "down"


async def _rasa(services: Services) -> str:
    return "ok" if await services.rasa.healthy() else "down"


async def _actions(services: Services) -> str:
    url = services.settings.actions_url.rsplit("/webhook", 1)[0] + "/health"
    try:
        return "ok" if (await services.http.get(url, timeout=2)).status_code == 200 else "down"
    except httpx.HTTPError:
        return "down"


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A dependency is down: `down` names it."}},
)
async def health(services: ServicesDep) -> JSONResponse:
    """Reports each dependency: `redis`, `rasa`, `action_server`."""
    redis, rasa, actions = await asyncio.gather(_redis(services), _rasa(services), _actions(services))
    checks = {"redis": redis, "rasa": rasa, "action_server": actions}
    down = [name for name, status in checks.items() if status == "down"]
    body = {"status": "ok" if not down else "unavailable", "down": down, "checks": checks}
    return JSONResponse(status_code=503 if down else 200, content=body)
