"""Starting and stopping the WhatsApp channel with the gateway (api/main.py's lifespan)."""

from __future__ import annotations

import logging

import httpx

from api.services import Services
from api.whatsapp.channel import WhatsAppChannel
from api.whatsapp.graph import GraphClient
from api.whatsapp.worker import WhatsAppWorkers

logger = logging.getLogger(__name__)
GRAPH_TIMEOUT_SECONDS = 10


class RunningWhatsApp:
    def __init__(self, channel: WhatsAppChannel, workers: WhatsAppWorkers, http: httpx.AsyncClient) -> None:
        self.channel, self.workers, self._http = channel, workers, http

    async def stop(self) -> None:
        await self.workers.stop()
        await self._http.aclose()


async def start_whatsapp(services: Services) -> RunningWhatsApp | None:
    """The channel and its workers on the gateway's Redis client, when WhatsApp is configured
    (the settings refuse a partial configuration, or one without Redis)."""
    config = services.settings.whatsapp
    redis = services.redis
    if config is None or redis is None:
        return None
    http = httpx.AsyncClient(timeout=GRAPH_TIMEOUT_SECONDS)
    graph = GraphClient(config.api_base, config.api_version, config.token, config.phone_number_id, http, shared=redis)
    channel = WhatsAppChannel(services, config, redis, graph)
    workers = WhatsAppWorkers(channel, redis)
    await workers.start()
    services.whatsapp = channel
    return RunningWhatsApp(channel, workers, http)
