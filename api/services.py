"""The long-lived objects the routes share, created once per process in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from redis.asyncio import Redis

from api.conversation_ids import ConversationIds
from api.conversation_store import MemoryConversationStore, RedisConversationStore
from api.insight.recorder import Insight
from api.language.detector import LanguageDetector
from api.rasa_client import RasaClient
from api.rate_limits import RateLimits
from api.review import ReviewQueue
from api.satisfaction import Satisfaction
from api.settings import Settings
from api.staff.service import Staff
from wegwijs.retention import Retention


@dataclass
class Services:
    settings: Settings
    store: RedisConversationStore | MemoryConversationStore
    rasa: RasaClient
    detector: LanguageDetector
    http: httpx.AsyncClient  # health probes of the other processes
    ids: ConversationIds  # mints and checks web conversation ids
    limits: RateLimits  # api/rate_limits.py
    retention: Retention  # how long what is kept (wegwijs/retention.py)
    staff: Staff | None = None  # None without Redis: no staff side
    insight: Insight | None = None  # analytics events (api/insight/recorder.py)
    whatsapp: Any | None = None  # api.whatsapp.channel.WhatsAppChannel; None when not configured
    # The process's one Redis client (a connection pool), shared by the conversation store, the
    # staff side and the WhatsApp channel; None without REDIS_URL.
    redis: Redis[bytes] | None = None
    review: ReviewQueue | None = None  # misunderstood messages for review (api/review.py); None without Redis
    satisfaction: Satisfaction | None = None  # "Did this help you?" (api/satisfaction.py); None without Redis

    async def close(self) -> None:
        await self.rasa.close()
        await self.http.aclose()
        if self.redis is not None:
            await self.redis.close()


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_of(request: Request) -> str:
    """The calling client as a keyed hash of its address (api/client_address.py): for limits."""
    return get_services(request).settings.client_of(request)


ClientDep = Annotated[str, Depends(client_of)]
