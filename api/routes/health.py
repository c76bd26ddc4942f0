"""Health for probes and people.

- ``GET /health/live``: 200 while this process answers at all, checking nothing else. A liveness
  probe restarts a gateway only when it is itself stuck, never because Rasa is slow to load.
- ``GET /health/ready``: 503 only when the gateway's own store (Redis) is down, for a readiness
  probe or a balancer: without Rasa a gateway still takes WhatsApp deliveries, serves the staff
  console and answers web users with the apology and the phone line, which is better than the
  balancer's bare 503 it would get if every gateway were taken out. The body reports all three.
- ``GET /health``: 503 when any of Redis, Rasa or the action server is down, naming them: for
  monitors, `make run` and the tests.
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
    """Reports each dependency: `redis`, `rasa`, `action_server`; 503 only when `redis` is down."""
    return await _report(services, needed=("redis",))


@router.get("/health", response_model=HealthOut, responses=READY_RESPONSES)
async def health(services: ServicesDep) -> JSONResponse:
    """Reports each dependency: `redis`, `rasa`, `action_server`; 503 when one is down."""
    return await _report(services, needed=("redis", "rasa", "action_server"))


async def _report(services: Services, needed: tuple[str, ...]) -> JSONResponse:
    redis, rasa, actions = await asyncio.gather(_redis(services), _rasa(services), _actions(services))
    checks = {"redis": redis, "rasa": rasa, "action_server": actions}
    down = [name for name, status in checks.items() if status == "down"]
    failing = [name for name in down if name in needed]
    body = {"status": "ok" if not failing else "unavailable", "down": down, "checks": checks}
    return JSONResponse(status_code=503 if failing else 200, content=body)
