"""Reading the whole of the stack's Redis: every key, its expiry and everything it holds, as text,
so a test can look for a conversation id, a number or a marker text anywhere."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

import redis


def new_marker() -> str:
    """A text to look for afterwards. Letters only: digits could read as a date or a phone number,
    which are redacted anyway."""
    return "mk" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


@dataclass(frozen=True)
class StoredKey:
    name: str
    kind: str
    ttl: int  # seconds; -1 without an expiry
    content: str

    def holds(self, needle: str) -> bool:
        return needle in self.name or needle in self.content


def _content(client: redis.Redis, name: str, kind: str) -> str:
    if kind == "string":
        return str(client.get(name))
    if kind == "hash":
        return repr(client.hgetall(name))
    if kind == "list":
        return repr(client.lrange(name, 0, -1))
    if kind == "set":
        return repr(client.smembers(name))
    if kind == "zset":
        return repr(client.zrange(name, 0, -1, withscores=True))
    if kind == "stream":
        return repr(client.xrange(name))
    return ""


def scan(url: str) -> list[StoredKey]:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        keys = []
        for name in client.scan_iter(count=1000):
            kind = client.type(name)
            keys.append(StoredKey(name, kind, client.ttl(name), _content(client, name, kind)))
        return keys
    finally:
        client.close()


def holding(url: str, *needles: str) -> list[str]:
    """The names of the keys that hold any of ``needles`` in their name or content."""
    return sorted({key.name for key in scan(url) for needle in needles if key.holds(needle)})
