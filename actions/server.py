"""The action server's entry point (``python -m actions.server``; wegwijs/serve.py starts it): rasa-sdk's
own app (``create_app``), run as ``rasa run actions`` runs it, plus ``GET /metrics`` and the time
each action takes (actions/metrics.py). rasa-sdk adds routes only through a plugin installed as a
package entry point; an entry point of our own is simpler than packaging the project for it."""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import zlib
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.metrics import ACTION_SECONDS, action_label
from wegwijs.metrics import exposition
from wegwijs.request_id import CURRENT, METADATA_KEY, new_request_id, well_formed

logger = logging.getLogger("wegwijs.actions")

STARTED = "wegwijs_started"


def action_call(request: Request) -> dict[str, Any]:
    """The webhook's body; {} when unreadable. ``request.json`` is parsed once and kept by Sanic, so
    rasa-sdk's handler reads the same parse; a deflated body (which rasa-sdk inflates itself) is
    inflated here too."""
    try:
        call: Any = (
            json.loads(zlib.decompress(request.body))
            if request.headers.get("Content-Encoding") == "deflate"
            else request.json
        )
    except (ValueError, zlib.error, InvalidUsage):
        return {}
    return call if isinstance(call, dict) else {}


def request_id_of(call: dict[str, Any]) -> str | None:
    """The gateway's request id, which Rasa keeps in the latest user message's metadata."""
    tracker = call.get("tracker")
    latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    return well_formed(metadata.get(METADATA_KEY)) if isinstance(metadata, dict) else None


def build_app() -> Sanic:
    app: Sanic = create_app("actions", cors_origins=None)

    @app.get("/metrics")
    async def metrics(_: Request) -> HTTPResponse:
        body, content_type = exposition()
        return response.raw(body, content_type=content_type)

    @app.on_request
    async def start_clock(request: Request) -> None:
        request.ctx.started = time.perf_counter()
        if request.path == "/webhook":
            call = action_call(request)
            request.ctx.action = action_label(call.get("next_action"))
            # The handler runs in this request's task: its log lines carry the turn's id.
            CURRENT.set(request_id_of(call) or new_request_id())

    @app.on_response
    async def stop_clock(request: Request, answer: HTTPResponse) -> None:
        if request.path == "/webhook" and hasattr(request.ctx, "started"):
            seconds = time.perf_counter() - request.ctx.started
            outcome = "ok" if answer.status == 200 else "failed"
            ACTION_SECONDS.labels(action=request.ctx.action, outcome=outcome).observe(seconds)
            logger.info("%s %s in %.3f s", request.ctx.action, outcome, seconds)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m actions.server", description="The Wegwijs action server.")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--logging-config-file")
    args = parser.parse_args()
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), None, logging.INFO, args.logging_config_file
    )
    utils.update_sanic_log_level()
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    build_app().run(host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
