"""Awaiting a condition with a deadline, instead of sleeping and then asserting (issue 12)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def until(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str = "the condition",
    seconds: float = 30.0,
    poll: float = 0.01,
) -> None:
    """Returns once ``condition()`` (a plain or an async check) is true; fails the test when it is
    not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        await asyncio.sleep(poll)
