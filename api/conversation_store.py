"""What the gateway remembers per conversation: its language and whether the user chose it.

Redis when REDIS_URL is set; otherwise an in-process dict, which `make run` announces loudly
because nothing in it survives a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from wegwijs.retention import retention

KEY_PREFIX = "wegwijs:gw:conversation:"
TTL_SECONDS = retention().conversation_seconds


@dataclass(frozen=True)
class ConversationState:
    language: str | None = None
    explicit: bool = False
    notice: str = ""  # the version of the privacy notice this conversation was shown (api/privacy_notice.py)


class ConversationStore(Protocol):
    async def get(self, conversation_id: str) -> ConversationState: ...

    async def save(self, conversation_id: str, state: ConversationState) -> None: ...

    async def ping(self) -> bool: ...

    async def delete(self, conversation_id: str) -> None: ...

    async def close(self) -> None: ...


class RedisConversationStore:
    durable = True

    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def get(self, conversation_id: str) -> ConversationState:
        raw = await self._redis.hgetall(KEY_PREFIX + conversation_id)
        if not raw:
            return ConversationState()
        return ConversationState(
            language=raw.get(b"language", b"").decode() or None,
            explicit=raw.get(b"explicit") == b"1",
            notice=raw.get(b"notice", b"").decode(),
        )

    async def save(self, conversation_id: str, state: ConversationState) -> None:
        key = KEY_PREFIX + conversation_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "language": state.language or "",
                    "explicit": "1" if state.explicit else "0",
                    "notice": state.notice,
                },
            )
            pipe.expire(key, TTL_SECONDS)
            await pipe.execute()

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def delete(self, conversation_id: str) -> None:
        await self._redis.delete(KEY_PREFIX + conversation_id)


class MemoryConversationStore:
    durable = False

    def __init__(self) -> None:
        self._states: dict[str, ConversationState] = {}

    async def get(self, conversation_id: str) -> ConversationState:
        return self._states.get(conversation_id, ConversationState())

    async def save(self, conversation_id: str, state: ConversationState) -> None:
        self._states[conversation_id] = state

    async def ping(self) -> bool:
        return True

    async def delete(self, conversation_id: str) -> None:
        self._states.pop(conversation_id, None)


def open_store(redis: Redis[bytes] | None) -> RedisConversationStore | MemoryConversationStore:
    """On the gateway's one Redis client (api/main.py), else in this process's memory."""
    return RedisConversationStore(redis) if redis is not None else MemoryConversationStore()
