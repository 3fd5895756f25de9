"""All configuration, from environment variables, validated once at start."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hub.core.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '24h', '7d', '2w' or plain seconds -> timedelta; ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration (use e.g. 30s, 15m, 24h, 7d)")
    number, unit = match.groups()
    return timedelta(seconds=float(number) * _UNIT_SECONDS[unit or "s"])


def parse_hostport(text: str) -> tuple[str, int]:
    """'host:port' -> (host, port); ValueError naming the problem otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{text!r} is not host:port (e.g. 0.0.0.0:8080)")
    return host.strip("[]") or "0.0.0.0", int(port)


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


_DURATIONS = (
    "event_retention",
    "delivery_max_age",
    "delivery_backoff_max",
    "shutdown_grace",
    "queue_visibility",
)


class Settings(BaseSettings):
    """hub's settings; each field reads the environment variable named in its alias."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    routes: Path = Field(Path("routes.yaml"), validation_alias=_env("HUB_ROUTES"))
    listen: str = Field("0.0.0.0:8080", validation_alias=_env("HUB_LISTEN"))
    ops_listen: str = Field("127.0.0.1:9090", validation_alias=_env("HUB_OPS_LISTEN"))
    data_dir: Path = Field(Path("hub-data"), validation_alias=_env("HUB_DATA_DIR"))
    broker_url: str | None = Field(None, validation_alias=_env("HUB_BROKER_URL"))
    state_url: str | None = Field(None, validation_alias=_env("HUB_STATE_URL"))
    slack_bot_token: str | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_api_url: str | None = Field(None, validation_alias=_env("HUB_SLACK_API_URL"))
    slack_signing_secret: str | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_admins: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias=_env("HUB_SLACK_ADMINS")
    )
    slack_edits_per_minute: float = Field(
        50.0, gt=0, validation_alias=_env("HUB_SLACK_EDITS_PER_MINUTE")
    )
    """Thread-parent edits (chat.update) a minute per deliverer process; Slack's Tier 3."""
    ops_token: str | None = Field(None, validation_alias=_env("HUB_OPS_TOKEN"))
    github_secret: str | None = Field(None, validation_alias=_env("HUB_GITHUB_SECRET"))
    sentry_client_secret: str | None = Field(
        None, validation_alias=_env("HUB_SENTRY_CLIENT_SECRET")
    )
    travis_public_key: str | None = Field(None, validation_alias=_env("HUB_TRAVIS_PUBLIC_KEY"))
    kapacitor_token: str | None = Field(None, validation_alias=_env("HUB_KAPACITOR_TOKEN"))
    ansible_secret: str | None = Field(None, validation_alias=_env("HUB_ANSIBLE_SECRET"))
    allow_unsigned: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias=_env("HUB_ALLOW_UNSIGNED")
    )
    max_body_bytes: int = Field(25 * 1024 * 1024, gt=0, validation_alias=_env("HUB_MAX_BODY_BYTES"))
    spool_max_bytes: int = Field(
        1024 * 1024 * 1024, gt=0, validation_alias=_env("HUB_SPOOL_MAX_BYTES")
    )
    amqp_prefix: str = Field("hub", min_length=1, validation_alias=_env("HUB_AMQP_PREFIX"))
    delivery_shards: int = Field(4, ge=1, le=256, validation_alias=_env("HUB_DELIVERY_SHARDS"))
    event_retention: Annotated[timedelta, NoDecode] = Field(
        timedelta(days=7), validation_alias=_env("HUB_EVENT_RETENTION")
    )
    delivery_max_age: Annotated[timedelta, NoDecode] = Field(
        timedelta(hours=24), validation_alias=_env("HUB_DELIVERY_MAX_AGE")
    )
    delivery_backoff_max: Annotated[timedelta, NoDecode] = Field(
        timedelta(seconds=30), validation_alias=_env("HUB_DELIVERY_BACKOFF_MAX")
    )
    shutdown_grace: Annotated[timedelta, NoDecode] = Field(
        timedelta(seconds=20), validation_alias=_env("HUB_SHUTDOWN_GRACE")
    )
    queue_visibility: Annotated[timedelta, NoDecode] = Field(
        timedelta(seconds=30), validation_alias=_env("HUB_QUEUE_VISIBILITY")
    )
    workers: int = Field(1, ge=1, le=64, validation_alias=_env("HUB_WORKERS"))
    worker_index: int = Field(0, ge=0, validation_alias=_env("HUB_WORKER_INDEX"))
    """Set by `hub run/receiver --workers N` for the ingest workers it starts (1..N-1)."""
    log_level: str = Field("info", validation_alias=_env("HUB_LOG_LEVEL"))
    log_format: str = Field(
        "json", pattern="^(json|console)$", validation_alias=_env("HUB_LOG_FORMAT")
    )
    console_format: str = Field(
        "text", pattern="^(text|json)$", validation_alias=_env("HUB_CONSOLE_FORMAT")
    )
    """Console mode (no SLACK_BOT_TOKEN): each message drawn for a terminal, or as a JSON line."""

    @field_validator("allow_unsigned", "slack_admins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(s.strip() for s in value.split(",") if s.strip())
        return value

    @field_validator(*_DURATIONS, mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("listen", "ops_listen")
    @classmethod
    def _hostport(cls, value: str) -> str:
        parse_hostport(value)
        return value

    @field_validator("broker_url")
    @classmethod
    def _amqp(cls, value: str | None) -> str | None:
        if value and not value.startswith(("amqp://", "amqps://")):
            raise ValueError(f"{value.split('@')[-1]!r} is not an amqp:// or amqps:// URL")
        return value or None

    @field_validator("state_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value.split('@')[-1]!r} is not a redis:// URL")
        return value or None

    @field_validator("travis_public_key")
    @classmethod
    def _pem_or_path(cls, value: str | None) -> str | None:
        if not value or value.lstrip().startswith("-----BEGIN"):
            return value or None
        path = Path(value).expanduser()
        try:
            return path.read_text()
        except OSError as exc:
            raise ValueError(f"is neither PEM text nor a readable file: {exc.strerror}") from None

    def secret_for(self, env_name: str) -> str | None:
        """The secret a source adapter names by its environment variable."""
        for name, field in type(self).model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices) and env_name in alias.choices:
                value = getattr(self, name)
                return value if isinstance(value, str) and value else None
        return os.environ.get(env_name) or None

    @property
    def slack_base_url(self) -> str | None:
        """HUB_SLACK_API_URL with the trailing slash slack-sdk needs."""
        url = self.slack_api_url
        return url if not url or url.endswith("/") else url + "/"


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment variables that reproduce `settings` in another process."""
    env: dict[str, str] = {}
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None or not isinstance(info.validation_alias, AliasChoices):
            continue
        if isinstance(value, timedelta):
            value = f"{value.total_seconds()}s"
        elif isinstance(value, frozenset):
            value = ",".join(sorted(value))
        env[str(info.validation_alias.choices[0])] = str(value)
    return env


def load_settings() -> Settings:
    """Read the environment; raise ConfigError with one line per problem."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            env = _env_name(field)
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{env}: {message}")
        raise ConfigError("\n".join(lines)) from None


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info and isinstance(info.validation_alias, AliasChoices):
        return str(info.validation_alias.choices[0])
    return field
