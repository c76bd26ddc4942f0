"""The WhatsApp Cloud API webhook: ``GET /webhooks/whatsapp`` (Meta's verification) and
``POST /webhooks/whatsapp`` (deliveries).

A delivery is accepted only with a valid ``X-Hub-Signature-256`` over the exact body received
(401 otherwise, and nothing of it is read). It is answered 200 as soon as its messages are in the
Redis inbox (api/whatsapp/inbox.py), never waiting for Rasa; when Redis cannot take it the answer
is 503, so Meta delivers it again rather than it being lost. Callers without Meta's signature are
rate limited per client (api/rate_limits.py); Meta's deliveries never are. Unlike Rasa's own channels, a
failure is never answered with 200.
"""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from redis.exceptions import RedisError

from api.openapi import errors
from api.rate_limits import WEBHOOK_REFUSED, too_many
from api.schemas import DeliveryOut
from api.services import ClientDep, ServicesDep
from api.whatsapp.signature import valid_signature

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/whatsapp", tags=["whatsapp"])
NOT_CONFIGURED = "WhatsApp is not configured on this gateway"


@router.get("", response_class=PlainTextResponse, responses=errors(403, s403="The verify token or the mode is wrong."))
async def verify(
    services: ServicesDep,
    mode: str = Query("", alias="hub.mode", max_length=32),
    token: str = Query("", alias="hub.verify_token", max_length=256),
    challenge: str = Query("", alias="hub.challenge", max_length=256),
) -> PlainTextResponse:
    """Meta's subscription check: the challenge back as plain text when the token matches."""
    channel = services.whatsapp
    if channel is None:
        raise HTTPException(503, NOT_CONFIGURED)
    if mode != "subscribe" or not hmac.compare_digest(token.encode(), channel.config.verify_token.encode()):
        raise HTTPException(403, "verification failed")
    return PlainTextResponse(challenge)


@router.post(
    "",
    response_model=DeliveryOut,
    responses=errors(
        400, 401, 413, s400="The body is not JSON.", s401="The X-Hub-Signature-256 header is missing or wrong."
    ),
)
async def deliver(request: Request, services: ServicesDep, client: ClientDep) -> JSONResponse:
    """A delivery: messages and status callbacks, stored durably before the 200."""
    channel = services.whatsapp
    if channel is None:
        raise HTTPException(503, NOT_CONFIGURED)
    body = await request.body()
    if not valid_signature(channel.config.app_secret, body, request.headers.get("x-hub-signature-256")):
        # Only callers that are not Meta count against a limit: Meta's signed deliveries never do.
        wait = await services.limits.refused((WEBHOOK_REFUSED, client))
        if wait is not None:
            return too_many(wait)
        raise HTTPException(401, "invalid or missing X-Hub-Signature-256")
    try:
        delivery = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "the body is not JSON") from None
    try:
        stored, duplicates, statuses = await channel.inbox.accept(delivery)
    except RedisError as error:
        logger.error("WhatsApp delivery not stored: %s", type(error).__name__)
        raise HTTPException(503, "could not store the delivery; send it again") from error
    return JSONResponse({"stored": stored, "duplicates": duplicates, "statuses": statuses})
