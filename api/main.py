"""The gateway: Wegwijs' only public face. ``uvicorn api.main:app``.

``app`` is the FastAPI application (``fastapi_app``) behind the socket.io endpoint ``/socket.io/``
(api/socketio_channel.py), which speaks Rasa's socket.io protocol to existing web chat widgets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from api import errors, openapi
from api.body_limit import BodyLimitMiddleware
from api.conversation_ids import ConversationIds
from api.conversation_store import open_store
from api.insight.pseudonyms import Pseudonyms
from api.insight.recorder import Insight
from api.language.detector import build_detector
from api.rasa_client import RasaClient
from api.rate_limits import RateLimitMiddleware, RateLimits
from api.request_ids import RequestIdMiddleware
from api.review import ReviewQueue
from api.routes import (
    chat_pages,
    conversations,
    erasure,
    events,
    health,
    insight,
    messages,
    metrics,
    privacy_page,
    review,
    staff,
    staff_pages,
    whatsapp,
    whatsapp_sends,
)
from api.satisfaction import Satisfaction
from api.security_headers import SecurityHeadersMiddleware
from api.services import Services
from api.settings import ConfigurationError, load_settings
from api.socketio_channel import SocketIOChannel
from api.staff.service import open_staff
from api.stranded import StrandedSweeper
from api.whatsapp.setup import start_whatsapp
from wegwijs.retention import Retention

logger = logging.getLogger("wegwijs.gateway")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        settings = load_settings()
    except ConfigurationError as error:
        logger.error("the gateway cannot start: %s", error)  # names variables, never their values
        raise
    keep = Retention.from_env()
    # One Redis client (one connection pool) for the whole process. Its socket timeout outlasts
    # the longest blocking read (3 s: the outbox relay; 2 s: the WhatsApp workers).
    redis = None
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=2)
    store = open_store(redis)
    if not store.durable:
        logger.warning("REDIS_URL is not set: conversation state lives in this process and is lost on restart")
    services = Services(
        settings=settings,
        store=store,
        rasa=RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds),
        detector=build_detector(),
        http=httpx.AsyncClient(timeout=2),
        ids=ConversationIds(settings.conversation_secret),
        limits=RateLimits(settings.redis_url, settings.conversation_secret),
        retention=keep,
        staff=open_staff(redis, settings),
        insight=Insight(
            settings.insight_database_url, Pseudonyms(settings.conversation_secret, redis), keep.analytics_seconds
        ),
        redis=redis,
        review=ReviewQueue(redis, keep.conversation_seconds) if redis is not None else None,
        satisfaction=Satisfaction(redis) if redis is not None else None,
    )
    assert services.insight is not None
    services.insight.start()
    app.state.services = services
    socketio_channel.services = services
    running_whatsapp = await start_whatsapp(services)
    sweeper = (
        StrandedSweeper(services, keep.stranded_seconds, settings.handover_sweep_seconds)
        if services.staff is not None
        else None
    )
    if sweeper:
        sweeper.start()
    try:
        yield
    finally:
        if sweeper:
            await sweeper.stop()
        if running_whatsapp:
            await running_whatsapp.stop()
        await services.insight.stop()
        await services.close()


def create_app() -> FastAPI:
    app = FastAPI(
        title="Wegwijs gateway",
        version="1.0",
        description="Chat API of Wegwijs, IOM Netherlands' multilingual assistant (nl, en, ar, fa-AF).",
        lifespan=lifespan,
    )
    errors.install(app)
    openapi.install(app)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)  # outermost: every line of the request carries its id
    app.include_router(messages.router)
    app.include_router(conversations.router)
    app.include_router(events.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(whatsapp.router)
    app.include_router(staff.router)
    app.include_router(erasure.router)
    app.include_router(whatsapp_sends.router)
    app.include_router(review.router)
    app.include_router(privacy_page.router)
    app.include_router(staff_pages.router)
    app.include_router(insight.router)
    app.mount("/staff/static", staff_pages.static, name="staff-static")
    app.include_router(chat_pages.router)
    app.mount("/chat", chat_pages.static, name="chat-static")
    return app


socketio_channel = SocketIOChannel()
fastapi_app = create_app()
app = socketio_channel.asgi_app(fastapi_app)
