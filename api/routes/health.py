"""Health for probes and people.

- ``GET /health/live``: 200 while this process answers at all, checking nothing else. A liveness
  probe restarts a gateway only when it is itself stuck, never because Rasa is slow to load.
- ``GET /health/ready``: 200 when Redis, Rasa and the action server answer, else 503 naming those
  that do not. A readiness probe or a balancer's health check stops sending it new chats.
- ``GET /health``: the same as ready (the name `make run`, the tests and older monitors use).
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.schemas import HealthOut, LiveOut
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


@router.get("/health/live", response_model=LiveOut)
async def live() -> LiveOut:
    """200 while the gateway's event loop answers; it checks no dependency."""
    return LiveOut(status="ok")


READY_RESPONSES: dict[int | str, dict[str, object]] = {
    503: {"model": HealthOut, "description": "A dependency is down: `down` names it."}
}


@router.get("/health/ready", response_model=HealthOut, responses=READY_RESPONSES)
async def ready(services: ServicesDep) -> JSONResponse:
    """Reports each dependency: `redis`, `rasa`, `action_server`; 503 when one is down."""
    return await _report(services)


@router.get("/health", response_model=HealthOut, responses=READY_RESPONSES)
async def health(services: ServicesDep) -> JSONResponse:
    """The same as `/health/ready`: each dependency, and 503 when one is down."""
    return await _report(services)


async def _report(services: Services) -> JSONResponse:
    redis, rasa, actions = await asyncio.gather(_redis(services), _rasa(services), _actions(services))
    checks = {"redis": redis, "rasa": rasa, "action_server": actions}
    down = [name for name, status in checks.items() if status == "down"]
    body = {"status": "ok" if not down else "unavailable", "down": down, "checks": checks}
    return JSONResponse(status_code=503 if down else 200, content=body)
