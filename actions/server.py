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
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.metrics import ACTION_SECONDS, action_label
from wegwijs.metrics import exposition

STARTED = "wegwijs_started"


def action_name(request: Request) -> str:
    """The called action's name, from the webhook body (rasa-sdk reads it again itself)."""
    try:
        body = zlib.decompress(request.body) if request.headers.get("Content-Encoding") == "deflate" else request.body
        call: Any = json.loads(body)
    except (ValueError, zlib.error):
        return "unreadable"
    return action_label(call.get("next_action") if isinstance(call, dict) else None)


def build_app() -> Sanic:
    app: Sanic = create_app("actions", cors_origins=None)

    @app.get("/metrics")
    async def metrics(_: Request) -> HTTPResponse:
        body, content_type = exposition()
        return response.raw(body, content_type=content_type)

    @app.on_request
    async def start_clock(request: Request) -> None:
        request.ctx.started = time.perf_counter()

    @app.on_response
    async def stop_clock(request: Request, answer: HTTPResponse) -> None:
        if request.path == "/webhook" and hasattr(request.ctx, "started"):
            outcome = "ok" if answer.status == 200 else "failed"
            ACTION_SECONDS.labels(action=action_name(request), outcome=outcome).observe(
                time.perf_counter() - request.ctx.started
            )

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
