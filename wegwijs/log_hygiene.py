"""Logs that stay free of personal data on the unexpected path too.

An exception's message can carry whatever the code was handling: a user's text, a number, a
case reference (``KeyError('IOM-NL-2026-000042')``, a driver's error that quotes its query). A
traceback prints that message, and so do Rasa's, Sanic's and uvicorn's own "exception while
handling" lines. ``ContentFreeFormatter`` writes every exception as its type and its stack (file,
line, function), never its message or its chained causes' messages, and cuts any record's
message that formats exceptions into itself. All three processes log through it:

- the gateway: ``uvicorn --log-config bot/logging.yml`` (wegwijs/serve.py);
- Rasa and the action server: ``--logging-config-file bot/logging.yml``;
- or, with ``WEGWIJS_LOG_FORMAT=json``, bot/logging-json.yml: the same, one JSON object per line
  (``JsonFormatter``). Both add the turn's request id (wegwijs/request_id.py).

It cannot clean a message that a library formats with the content in its own text (Rasa's
debug lines quote the user's message): the level in bot/logging.yml is INFO, and DEBUG is never
for production.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import traceback
from pathlib import Path
from types import TracebackType

import yaml

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def content_free_exception(kind: type, error: BaseException | None, tb: TracebackType | None) -> str:
    """The exception and its chained causes, each as its stack and type, without messages."""
    chain: list[tuple[type, TracebackType | None]] = [(kind, tb)]
    seen = {id(error)}
    cause = error.__cause__ or error.__context__ if error is not None else None
    while cause is not None and id(cause) not in seen and len(chain) < 10:
        seen.add(id(cause))
        chain.append((type(cause), cause.__traceback__))
        cause = cause.__cause__ or cause.__context__
    blocks = []
    for kind_, tb_ in reversed(chain):
        lines = ["Traceback (most recent call last, messages withheld):"]
        lines += [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in traceback.extract_tb(tb_)]
        lines.append(f"{kind_.__module__}.{kind_.__qualname__}")
        blocks.append("\n".join(lines))
    return "\n\nwhich led to:\n".join(blocks)


class ContentFreeFormatter(logging.Formatter):
    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802 (logging's name)
        kind, error, tb = ei
        return content_free_exception(kind or Exception, error, tb)

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return ""  # stack_info= is never needed to read an incident, and may quote locals

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[1] is not None:
            # Libraries log "Exception in X: <message>" with the exception in the text itself.
            message = record.getMessage()
            exception_text = str(record.exc_info[1])
            if exception_text and exception_text in message:
                record.msg, record.args = message.replace(exception_text, "[withheld]"), ()
        record.exc_text = None  # never reuse a text another formatter made with the message
        formatted = super().format(record)
        return formatted


class JsonFormatter(ContentFreeFormatter):
    """One JSON object per line (``WEGWIJS_LOG_FORMAT=json``, bot/logging-json.yml), for a log
    collector: time, level, logger, request id, message, and the exception as content-free text."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)  # cleans the message and the exception as above
        message = record.getMessage()
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": message,
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = text[len(message) :].lstrip("\n") if text.startswith(message) else text
        return json.dumps(entry, ensure_ascii=False)


LOGGING_FILE_VARIABLE = "WEGWIJS_LOGGING_FILE"  # set by wegwijs/serve.py for each process


def reapply_logging_file() -> None:
    """Applies the process's logging file again. ``rasa run`` applies ``--logging-config-file`` and
    then installs coloredlogs' handler on the root logger, whose formatter prints exception
    messages and no request id; Rasa's gateway channel calls this when Rasa creates it, after that."""
    path = os.environ.get(LOGGING_FILE_VARIABLE)
    if path:
        logging.config.dictConfig(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
