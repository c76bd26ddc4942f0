"""Starting and stopping the WhatsApp channel with the gateway (api/main.py's lifespan)."""

from __future__ import annotations

import logging

import httpx
from redis.asyncio import Redis

from api.services import Services
from api.whatsapp.channel import WhatsAppChannel
from api.whatsapp.config import WhatsAppConfig
from api.whatsapp.graph import GraphClient
from api.whatsapp.worker import WhatsAppWorkers

logger = logging.getLogger(__name__)
GRAPH_TIMEOUT_SECONDS = 10


class RunningWhatsApp:
    def __init__(
        self, channel: WhatsAppChannel, workers: WhatsAppWorkers, http: httpx.AsyncClient, redis: Redis[bytes]
    ) -> None:
        self.channel, self.workers, self._http, self._redis = channel, workers, http, redis

    async def stop(self) -> None:
        await self.workers.stop()
        await self._http.aclose()
        await self._redis.close()


async def start_whatsapp(services: Services) -> RunningWhatsApp | None:
    config = WhatsAppConfig.from_env()
    if config is None:
        return None
    if not services.settings.redis_url:
        logger.warning("WhatsApp is configured but REDIS_URL is not: the WhatsApp channel needs Redis and is off")
        return None
    redis = Redis.from_url(services.settings.redis_url, socket_timeout=10, socket_connect_timeout=2)
    http = httpx.AsyncClient(timeout=GRAPH_TIMEOUT_SECONDS)
    graph = GraphClient(config.api_base, config.api_version, config.token, config.phone_number_id, http)
    channel = WhatsAppChannel(services, config, redis, graph)
    workers = WhatsAppWorkers(channel, redis)
    await workers.start()
    services.whatsapp = channel
    return RunningWhatsApp(channel, workers, http, redis)
