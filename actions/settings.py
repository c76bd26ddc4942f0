"""The action server's one settings object, from the environment, validated when rasa-sdk imports
the actions at start-up (``settings()`` is called by the modules that need it, at import).

A problem stops the action server with one message naming each variable (wegwijs/settings.py).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, validator

from wegwijs.settings import SharedSettings, empty_is_none, load, secret


class ActionSettings(SharedSettings):
    # Keys the lookup throttle's hashes of references and conversations (actions/cases/throttle.py).
    lookup_key: SecretStr = Field(..., env="WEGWIJS_LOOKUP_SECRET")
    # The case store: PostgreSQL (or any SQLAlchemy URL); unset, a SQLite file in the run folder.
    database_url: str | None = Field(None, env="DATABASE_URL")
    # Case lookups per client address per hour (many people may share one address).
    lookup_limit_client: int = Field(20, env="WEGWIJS_LOOKUP_LIMIT_CLIENT", ge=1, le=1_000_000)

    _empty = validator("database_url", pre=True, allow_reuse=True)(empty_is_none)
    _secret = validator("lookup_key", allow_reuse=True)(secret)

    @property
    def lookup_secret(self) -> bytes:
        return self.lookup_key.get_secret_value().encode("utf-8")


@lru_cache(maxsize=1)
def settings() -> ActionSettings:
    return load(ActionSettings)
