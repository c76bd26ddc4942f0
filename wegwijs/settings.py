"""What the three processes' settings share: pydantic ``BaseSettings`` read from the environment
once at start-up, and a start-up error that names every problem by its variable.

Each process has one settings object (api/settings.py for the gateway, actions/settings.py for
the action server; Rasa reads bot/endpoints.yml). No running service generates a secret: `make run`
(scripts/stack.py) makes the local ones once in the untracked .env.local and passes them in the
environment; a deployment sets them (docs/deploy.md). A missing or short secret stops the process
with a message that says which variable to set.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseSettings, Field, SecretStr, ValidationError, validator

MIN_SECRET = 16
S = TypeVar("S", bound=BaseSettings)


class ConfigurationError(RuntimeError):
    """The process cannot start with this configuration: the message lists what to fix."""


def variable_of(settings: type[BaseSettings], field: str) -> str:
    """The environment variable a field is read from."""
    model_field = settings.__fields__.get(field)
    names = model_field.field_info.extra.get("env_names") if model_field else None
    return sorted(names)[0] if names else field


def load(settings: type[S], **overrides: Any) -> S:
    """The settings from the environment, or a ConfigurationError naming each bad variable."""
    try:
        return settings(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            where = variable_of(settings, field) if field and field != "__root__" else "configuration"
            message = "must be set" if item["type"] == "value_error.missing" else item["msg"]
            problems.append(f"{where}: {message}")
        raise ConfigurationError("; ".join(problems)) from None


def secret(value: SecretStr | None) -> SecretStr | None:
    """A secret of at least MIN_SECRET characters (None where the field is optional)."""
    if value is not None and len(value.get_secret_value()) < MIN_SECRET:
        raise ValueError(f"must be a secret of at least {MIN_SECRET} characters")
    return value


def empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class SharedSettings(BaseSettings):
    """Read by every process of ours."""

    redis_url: str | None = Field(None, env="REDIS_URL", description="unset: in-memory stores, nothing survives")

    _redis_url = validator("redis_url", pre=True, allow_reuse=True)(empty_is_none)

    class Config:
        case_sensitive = True
        # Settings are read once; a test or a caller may pass values by field name instead.
        allow_population_by_field_name = True

    def __repr__(self) -> str:  # SecretStr prints as '**********'; say only which are set
        return f"{type(self).__name__}(redis={'set' if self.redis_url else 'none'})"
