"""Writing analytics events without costing anyone a reply: a small batched writer.

``Insight.record*`` builds the event (its pseudonym from a key cached in the process, so almost
never any I/O) and puts it on a bounded in-memory queue; one task takes what has gathered, up to
``BATCH`` events, and inserts them in one transaction in a worker thread, so the synchronous
engine never blocks the event loop. A failure to build or to write an event is logged by its
type only and counted (``wegwijs_insight_events_lost_total``); the turn, the claim or the erasure
goes on. A full queue (the database gone for a long time) drops new events rather than grow.
At stop the queue is written out. The same task deletes events older than the retention
(``WEGWIJS_KEEP_ANALYTICS_DAYS``) at start-up and then every hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from typing import Any

from api.insight.events import InsightEvent, Kind, utc_now
from api.insight.pseudonyms import Pseudonyms
from api.insight.store import Forget, InsightStore
from api.metrics import INSIGHT_LOST
from wegwijs.handover.tickets import Ticket

logger = logging.getLogger(__name__)
BATCH = 200
QUEUE_LIMIT = 10_000
PURGE_EVERY_SECONDS = 3600.0


class Insight:
    def __init__(self, url: str, pseudonyms: Pseudonyms, keep_seconds: int) -> None:
        self.url = url
        self.pseudonyms = pseudonyms
        self.keep_seconds = keep_seconds
        self._store: InsightStore | None = None
        self._queue: asyncio.Queue[InsightEvent | Forget] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._task: asyncio.Task[None] | None = None
        self._purged = 0.0

    async def store(self) -> InsightStore:
        """The store (its engine made, and the table created, in a thread on first use)."""
        if self._store is None:
            self._store = await asyncio.to_thread(InsightStore, self.url)
        return self._store

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="insight-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while batch := self._drain():  # what was still queued
            await self._write(batch)
        if self._store is not None:
            await asyncio.to_thread(self._store.dispose)

    async def record(self, kind: Kind, conversation: str | None, **fields: Any) -> None:
        """Queue one event (fields as ``InsightEvent.make`` takes them); never raises."""
        try:
            pseudonym = await self.pseudonyms.of(conversation) if conversation else None
            event = InsightEvent.make(kind, pseudonym=pseudonym, **fields)
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            INSIGHT_LOST.labels(reason="queue_full").inc()
        except Exception as error:  # noqa: BLE001 - an event is never worth a user's reply
            INSIGHT_LOST.labels(reason="not_made").inc()
            logger.warning("insight event not made: %s", type(error).__name__)

    async def ticket_stage(self, ticket: Ticket, stage: str, timed: bool = True) -> None:
        """A hand-over's or call-back's event at one of its stages (api/insight/events.py): the
        ticket's channel, language, topic and reason, and (``timed``) the seconds since it opened."""
        await self.record(
            "callback" if ticket.is_callback else "handover",
            ticket.conversation,
            stage=stage,
            channel=ticket.channel,
            language=ticket.language,
            topic=ticket.topic,
            reason=ticket.reason,
            seconds=time.time() - ticket.created if timed else None,
        )

    async def forget(self, conversation: str) -> None:
        """An erasure: the conversation's events that its pseudonyms can still find go, those
        still queued too (the writer applies it in its order)."""
        try:
            pseudonyms = await self.pseudonyms.live(conversation)
            await self._queue.put(Forget(tuple(pseudonyms)))  # waits rather than drop an erasure
        except Exception as error:  # noqa: BLE001 - the rest of the erasure must go on
            logger.warning("insight events not erased: %s", type(error).__name__)

    def _drain(self) -> list[InsightEvent | Forget]:
        batch: list[InsightEvent | Forget] = []
        while len(batch) < BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        return batch

    async def _write(self, batch: list[InsightEvent | Forget]) -> None:
        if not batch:
            return
        try:
            await asyncio.to_thread((await self.store()).apply, batch)
        except Exception as error:  # noqa: BLE001 - logged by type, counted, and the writer goes on
            INSIGHT_LOST.labels(reason="not_written").inc(sum(isinstance(i, InsightEvent) for i in batch))
            logger.warning("insight events not written: %s", type(error).__name__)

    async def purge(self) -> int:
        """Delete events older than the retention; returns how many went."""
        before = (utc_now() - dt.timedelta(seconds=self.keep_seconds)).replace(tzinfo=None)
        return int(await asyncio.to_thread((await self.store()).purge, before))

    async def _run(self) -> None:
        while True:
            if time.monotonic() - self._purged > PURGE_EVERY_SECONDS or not self._purged:
                self._purged = time.monotonic()
                try:
                    removed = await self.purge()
                    if removed:
                        logger.info("insight: %d events past their retention deleted", removed)
                except Exception as error:  # noqa: BLE001 - tried again in an hour
                    logger.warning("insight retention not applied: %s", type(error).__name__)
            try:
                first = await asyncio.wait_for(self._queue.get(), timeout=60)
            except asyncio.TimeoutError:
                continue
            await self._write([first, *self._drain()])
