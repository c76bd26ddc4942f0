"""Logs that stay free of personal data on the unexpected path too.

An exception's message can carry whatever the code was handling: a user's text, a number, a
case reference (``KeyError('IOM-NL-2026-000042')``, a driver's error that quotes its query). A
traceback prints that message, and so do Rasa's, Sanic's and uvicorn's own "exception while
handling" lines. ``ContentFreeFormatter`` writes every exception as its type and its stack (file,
line, function), never its message or its chained causes' messages, and cuts any record's
message that formats exceptions into itself. All three processes log through it:

- the gateway: ``uvicorn --log-config bot/logging.yml`` (scripts/stack.py);
- Rasa and the action server: ``--logging-config-file bot/logging.yml``.

It cannot clean a message that a library formats with the content in its own text (Rasa's
debug lines quote the user's message): the level in bot/logging.yml is INFO, and DEBUG is never
for production.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

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
