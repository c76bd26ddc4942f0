"""A conversation's pseudonym in the analytics events: an HMAC of its id with a key that rotates
every calendar month (UTC) and is then discarded.

The month's key is HMAC-SHA256(configured secret, "wegwijs-insight" | month | salt), where the salt
is 32 random bytes made once per month (``SET NX`` in the gateway's Redis, so every replica uses the
same one) and expiring an hour after the month ends. Within a month the same conversation has the
same pseudonym, so the dashboard counts conversations, not turns; across months nothing connects
its rows. Once the salt has expired nobody can recompute that month's pseudonyms, not even with
the secret and a conversation id (a WhatsApp conversation's id is the phone number, which a
reader might know): the month's events become anonymous. A key from the secret and the month
alone could be recomputed forever by whoever holds the secret.

Until then an erasure can find the conversation's events of this month (and of the last month
during its hour of grace) and delete them (``live``). Without Redis (a single gateway that keeps
nothing across restarts) the salt lives in the process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

SALT_PREFIX = "wegwijs:insight:salt:"
GRACE_SECONDS = 3600  # a turn that started just before midnight of the month's end still finds it
LABEL = b"wegwijs-insight"

logger = logging.getLogger(__name__)


def period_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m")


def period_end(period: str) -> dt.datetime:
    year, month = (int(part) for part in period.split("-"))
    return dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.timezone.utc)


def previous_period(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


class Pseudonyms:
    def __init__(self, secret: bytes, redis: Redis[bytes] | None) -> None:
        self._secret = secret
        self._redis = redis
        self._keys: dict[str, bytes] = {}  # the current period's key only (older ones are dropped)
        self._local_salts: dict[str, bytes] = {}  # without Redis

    async def _salt(self, period: str, create: bool) -> bytes | None:
        if self._redis is None:
            if create:
                self._local_salts.setdefault(period, secrets.token_bytes(32))
            return self._local_salts.get(period)
        name = SALT_PREFIX + period
        if create:
            expires = int(period_end(period).timestamp()) + GRACE_SECONDS
            await self._redis.set(name, secrets.token_hex(32), nx=True, exat=expires)
        raw = await self._redis.get(name)
        return raw if raw else None

    def _derive(self, period: str, salt: bytes) -> bytes:
        return hmac.new(self._secret, LABEL + b"|" + period.encode() + b"|" + salt, hashlib.sha256).digest()

    async def key(self, period: str) -> bytes:
        found = self._keys.get(period)
        if found is None:
            salt = await self._salt(period, create=True)
            assert salt is not None
            found = self._derive(period, salt)
            self._keys = {period: found}  # the previous period's key leaves the process
            self._local_salts = {p: s for p, s in self._local_salts.items() if p >= previous_period(period)}
        return found

    @staticmethod
    def _pseudonym(key: bytes, conversation: str) -> str:
        return hmac.new(key, conversation.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    async def of(self, conversation: str, at: dt.datetime | None = None) -> str | None:
        """The conversation's pseudonym in the period of ``at`` (now); None when Redis fails
        (the event is still written, without a pseudonym)."""
        period = period_of(at or dt.datetime.now(dt.timezone.utc))
        try:
            return self._pseudonym(await self.key(period), conversation)
        except RedisError as error:
            logger.warning("no insight pseudonym: %s", type(error).__name__)
            return None

    async def live(self, conversation: str) -> list[str]:
        """The conversation's pseudonyms in every period whose salt still exists (this month's,
        and last month's during its grace): what an erasure can still find."""
        current = period_of(dt.datetime.now(dt.timezone.utc))
        found = []
        for period in (current, previous_period(current)):
            salt = await self._salt(period, create=False)
            if salt is not None:
                found.append(self._pseudonym(self._derive(period, salt), conversation))
        return found
