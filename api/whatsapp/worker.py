"""The WhatsApp workers: one task per inbox partition, in the gateway process.

Each task takes a lease on its partition (a Redis key with a TTL it keeps renewing), so with
several gateway processes still only one reads a partition and each user's messages are handled
in order. The stream consumer is named after the partition, not the process, so whoever holds
the lease next (this process after a restart, or another one) first handles what was read but
not finished (the pending entries), then new ones, one at a time: take the turn, send the
replies, acknowledge. An entry
that fails unexpectedly is acknowledged after its failure is logged (by type only) and
recorded, so one bad message cannot block the user's next ones.

The lease is checked and renewed before every entry, and kept renewed while one is handled: a
worker never starts an entry without holding its partition. The acknowledgement checks it too,
in the same Lua script as the ``XACK``: a worker whose lease ran out meanwhile leaves the entry
pending for the new holder, which handles it again; the reply keys (api/whatsapp/channel.py)
keep that from sending any reply twice. (Renewing only between batches let
a batch of slow turns outlast the lease; another gateway then took the partition over and read
the same pending entries, so both answered them: docs/architecture.md.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from api.whatsapp.channel import WhatsAppChannel
from api.whatsapp.inbox import PARTITIONS, PREFIX, partition_key
from api.whatsapp.keys import FAILED
from wegwijs.retention import min_stream_id, retention

GROUP = "workers"
LEASE_SECONDS = 30
BLOCK_MS = 2000
STOP_SECONDS = 5
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# Acknowledge and delete an entry only while holding the partition's lease.
ACK_IF_HELD = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
redis.call('XDEL', KEYS[2], ARGV[3])
return 1
"""

logger = logging.getLogger(__name__)
KEEP = retention()


def lease_key(partition: int) -> str:
    return f"{PREFIX}lease:{partition}"


def consumer_of(partition: int) -> str:
    return f"partition-{partition}"


class WhatsAppWorkers:
    def __init__(
        self,
        channel: WhatsAppChannel,
        redis: Redis[bytes],
        partitions: int = PARTITIONS,
        lease_seconds: float = LEASE_SECONDS,
        holder: str | None = None,
    ) -> None:
        self.channel = channel
        self.redis = redis
        self.partitions = partitions
        self.lease_seconds = lease_seconds
        self.holder = holder or f"{socket.gethostname()}-{os.getpid()}"  # the lease's value
        self._renew = redis.register_script(RENEW)
        self._ack = redis.register_script(ACK_IF_HELD)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for partition in range(self.partitions):
            try:
                await self.redis.xgroup_create(partition_key(partition), GROUP, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise
        self._tasks = [asyncio.create_task(self._run(p), name=f"whatsapp-{p}") for p in range(self.partitions)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # an entry cut off here stays pending: the next worker handles it again
            await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
        # Let another process take over at once; if this fails, the leases run out by themselves.
        with contextlib.suppress(RedisError, OSError, asyncio.TimeoutError):
            await asyncio.wait_for(self._release_leases(), STOP_SECONDS)

    async def _release_leases(self) -> None:
        for partition in range(self.partitions):
            if await self.redis.get(lease_key(partition)) == self.holder.encode():
                await self.redis.delete(lease_key(partition))

    async def _holds(self, partition: int) -> bool:
        """Renew the lease if this process holds it; False if it does not (any more)."""
        return bool(await self._renew(keys=[lease_key(partition)], args=[self.holder, int(self.lease_seconds * 1000)]))

    async def _run(self, partition: int) -> None:
        while True:
            try:
                if await self.redis.set(
                    lease_key(partition), self.holder, nx=True, px=int(self.lease_seconds * 1000)
                ) or await self._holds(partition):
                    await self._consume(partition)
                else:
                    await asyncio.sleep(self.lease_seconds / 3)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                logger.warning("WhatsApp worker %s: %s; retrying", partition, type(error).__name__)
                await asyncio.sleep(1)

    async def _consume(self, partition: int) -> None:
        """Work on the partition while the lease holds: pending entries first, then new ones."""
        start_id: str | None = "0"
        while True:
            if not await self._holds(partition):
                return  # lost the lease: what was read and not handled stays pending for the holder
            answer = await self.redis.xreadgroup(
                GROUP,
                consumer_of(partition),
                {partition_key(partition): start_id or ">"},
                count=10,
                block=None if start_id else BLOCK_MS,
            )
            entries = [entry for _, stream_entries in answer for entry in stream_entries]
            if start_id and not entries:
                start_id = None  # the pending entries are done: now new ones
                continue
            for number, (entry_id, raw) in enumerate(entries):
                if number and not await self._holds(partition):
                    return
                if start_id:
                    start_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                keeping = asyncio.create_task(self._keep_lease(partition))
                try:
                    acked = await self._handle(partition, entry_id, {k.decode(): v.decode() for k, v in raw.items()})
                finally:
                    keeping.cancel()
                if not acked:
                    return  # the new holder re-reads it and the rest

    async def _keep_lease(self, partition: int) -> None:
        """Renew the lease while one entry is handled (a turn can take longer than the lease)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                if not await self._holds(partition):
                    return
            except (RedisError, OSError):
                pass  # the next check before an entry decides

    async def _handle(self, partition: int, entry_id: bytes | str, fields: dict[str, str]) -> bool:
        """Handle one entry and acknowledge it; False if the lease was lost and it stays pending."""
        entry = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        try:
            await self.channel.handle(fields, entry)
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError):
            raise  # not this entry's fault: it stays pending and is handled again
        except Exception as error:  # noqa: BLE001 - one bad entry must not stop the partition
            logger.error("WhatsApp entry not handled: %s", type(error).__name__)
            await self.redis.xadd(
                FAILED,
                {
                    "entry": json.dumps(fields, ensure_ascii=False),
                    "error": type(error).__name__,
                    "at": repr(time.time()),
                },
                minid=min_stream_id(time.time(), KEEP.whatsapp_failed_seconds),
                approximate=True,
            )
        # Handled: acknowledged and deleted at once, if the lease still holds. The entry holds the
        # message and the sender's number, which must not outlive their use (docs/privacy.md).
        acked = bool(
            await self._ack(keys=[lease_key(partition), partition_key(partition)], args=[self.holder, GROUP, entry])
        )
        if not acked:
            logger.warning("WhatsApp worker %s: lease lost before the acknowledgement; entry left pending", partition)
        return acked
