"""All configuration, from environment variables, validated once at start."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hub.core.errors import ConfigError
from hub.core.urls import broker_urls, is_sentinel_url, parse_sentinel_url

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


PREVIOUS = "_PREVIOUS"
"""The suffix of a secret's previous value, accepted beside it while a rotation is under way."""

BLANK = "is set but empty: give it a value, or unset it"


def _secret(env: str) -> Any:
    """A secret setting: unset is None (what it guards is off); set but blank is an error."""
    return Field(None, validation_alias=_env(env), json_schema_extra={"secret": True})


def is_secret(info: FieldInfo) -> bool:
    """Whether a setting was declared with `_secret`."""
    extra = info.json_schema_extra
    return isinstance(extra, dict) and extra.get("secret") is True


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")

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
    sources: Path | None = Field(None, validation_alias=_env("HUB_SOURCES"))
    """Declared sources; unset reads ./sources.yaml when it exists (a named file must exist)."""
    listen: str = Field("0.0.0.0:8080", validation_alias=_env("HUB_LISTEN"))
    ops_listen: str = Field("127.0.0.1:9090", validation_alias=_env("HUB_OPS_LISTEN"))
    data_dir: Path = Field(Path("hub-data"), validation_alias=_env("HUB_DATA_DIR"))
    broker_url: str | None = Field(None, validation_alias=_env("HUB_BROKER_URL"))
    state_url: str | None = Field(None, validation_alias=_env("HUB_STATE_URL"))
    slack_bot_token: str | None = _secret("SLACK_BOT_TOKEN")
    slack_api_url: str | None = Field(None, validation_alias=_env("HUB_SLACK_API_URL"))
    slack_signing_secret: str | None = _secret("SLACK_SIGNING_SECRET")
    slack_signing_secret_previous: str | None = _secret("SLACK_SIGNING_SECRET" + PREVIOUS)
    slack_admins: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias=_env("HUB_SLACK_ADMINS")
    )
    slack_edits_per_minute: float = Field(
        50.0, gt=0, validation_alias=_env("HUB_SLACK_EDITS_PER_MINUTE")
    )
    """Thread-parent edits (chat.update) a minute per deliverer process; Slack's Tier 3."""
    ops_token: str | None = _secret("HUB_OPS_TOKEN")
    ops_token_previous: str | None = _secret("HUB_OPS_TOKEN" + PREVIOUS)
    ops_url: str | None = Field(None, validation_alias=_env("HUB_OPS_URL"))
    """The ops port's address as people reach it (behind a proxy, say); Slack links to it."""
    github_secret: str | None = _secret("HUB_GITHUB_SECRET")
    github_secret_previous: str | None = _secret("HUB_GITHUB_SECRET" + PREVIOUS)
    sentry_client_secret: str | None = _secret("HUB_SENTRY_CLIENT_SECRET")
    sentry_client_secret_previous: str | None = _secret("HUB_SENTRY_CLIENT_SECRET" + PREVIOUS)
    travis_public_key: str | None = _secret("HUB_TRAVIS_PUBLIC_KEY")
    travis_public_key_previous: str | None = _secret("HUB_TRAVIS_PUBLIC_KEY" + PREVIOUS)
    kapacitor_token: str | None = _secret("HUB_KAPACITOR_TOKEN")
    kapacitor_token_previous: str | None = _secret("HUB_KAPACITOR_TOKEN" + PREVIOUS)
    ansible_secret: str | None = _secret("HUB_ANSIBLE_SECRET")
    ansible_secret_previous: str | None = _secret("HUB_ANSIBLE_SECRET" + PREVIOUS)
    alertmanager_token: str | None = _secret("HUB_ALERTMANAGER_TOKEN")
    alertmanager_token_previous: str | None = _secret("HUB_ALERTMANAGER_TOKEN" + PREVIOUS)
    grafana_token: str | None = _secret("HUB_GRAFANA_TOKEN")
    grafana_token_previous: str | None = _secret("HUB_GRAFANA_TOKEN" + PREVIOUS)
    grafana_signing_secret: str | None = _secret("HUB_GRAFANA_SIGNING_SECRET")
    """Grafana's HMAC secret (contact point: HMAC signature); when set, unsigned posts are 401."""
    grafana_signing_secret_previous: str | None = _secret("HUB_GRAFANA_SIGNING_SECRET" + PREVIOUS)
    grafana_signing_timestamp_header: str | None = Field(
        None, validation_alias=_env("HUB_GRAFANA_SIGNING_TIMESTAMP_HEADER")
    )
    """The timestamp header Grafana is set to send with its HMAC; unset: it signs the body alone."""
    allow_unsigned: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias=_env("HUB_ALLOW_UNSIGNED")
    )
    max_body_bytes: int = Field(25 * 1024 * 1024, gt=0, validation_alias=_env("HUB_MAX_BODY_BYTES"))
    max_inflight_bytes: int = Field(
        64 * 1024 * 1024, gt=0, validation_alias=_env("HUB_MAX_INFLIGHT_BYTES")
    )
    """Request-body bytes one receiver process holds at once; later requests wait their turn."""
    spool_max_bytes: int = Field(
        1024 * 1024 * 1024, gt=0, validation_alias=_env("HUB_SPOOL_MAX_BYTES")
    )
    actions: Path | None = Field(None, validation_alias=_env("HUB_ACTIONS"))
    """What Slack may run; unset reads ./actions.yaml when it exists (a named file must exist)."""
    github_token: str | None = _secret("HUB_GITHUB_TOKEN")
    github_api_url: str = Field(
        "https://api.github.com", validation_alias=_env("HUB_GITHUB_API_URL")
    )
    travis_token: str | None = _secret("HUB_TRAVIS_TOKEN")
    travis_api_url: str = Field(
        "https://api.travis-ci.com", validation_alias=_env("HUB_TRAVIS_API_URL")
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

    @field_validator("*", mode="before")
    @classmethod
    def _not_blank(cls, value: object, info: ValidationInfo) -> object:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and is_secret(field) and isinstance(value, str) and not value.strip():
            raise ValueError(BLANK)
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
        return value.lower()

    @field_validator("slack_api_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value or None

    @field_validator("slack_admins")
    @classmethod
    def _user_ids(cls, value: frozenset[str]) -> frozenset[str]:
        wrong = sorted(user for user in value if not _USER_ID.fullmatch(user))
        if wrong:
            raise ValueError(
                f"{', '.join(map(repr, wrong))}: not Slack user IDs (U… or W…, from a profile's "
                "'Copy member ID'); names and @handles never match"
            )
        return value

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

    @field_validator("max_inflight_bytes")
    @classmethod
    def _fits_a_body(cls, value: int, info: ValidationInfo) -> int:
        body = info.data.get("max_body_bytes")
        if isinstance(body, int) and value < body:
            raise ValueError(
                f"{value} is less than HUB_MAX_BODY_BYTES ({body}): a body of the allowed size "
                "could never be read"
            )
        return value

    @field_validator("listen", "ops_listen")
    @classmethod
    def _hostport(cls, value: str) -> str:
        parse_hostport(value)
        return value

    @field_validator("github_api_url", "travis_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("broker_url")
    @classmethod
    def _amqp(cls, value: str | None) -> str | None:
        if value:
            broker_urls(value)  # one node, or several separated by commas
        return value or None

    @field_validator("ops_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"https?://[^\s<>|]+", value):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value or None

    @field_validator("state_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value and is_sentinel_url(value):
            parse_sentinel_url(value)
        elif value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"{value.split('@')[-1]!r} is not a redis://, rediss://, unix:// or "
                "redis+sentinel:// URL"
            )
        return value or None

    @field_validator("travis_public_key", "travis_public_key_previous")
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
        """The secret named by its environment variable: a setting, else read from the environment.

        A variable that is set but blank raises `ConfigError` naming it, so a secret an adapter
        declares (its `secret_env`) follows the same rule as the settings above.
        """
        name = _FIELD_OF_ENV.get(env_name)
        if name is not None:
            value = getattr(self, name)
            return value if isinstance(value, str) and value else None
        value = os.environ.get(env_name)
        if value is not None and not value.strip():
            raise ConfigError(f"{env_name}: {BLANK}")
        return value or None

    def secrets_for(self, env_name: str) -> tuple[str, ...]:
        """The secrets accepted for `env_name`: its value, then `<env_name>_PREVIOUS` if set."""
        current = self.secret_for(env_name)
        previous = self.secret_for(env_name + PREVIOUS)
        if previous and not current:
            raise ConfigError(
                f"{env_name}{PREVIOUS}: is set but {env_name} is not; during a rotation "
                f"{env_name} holds the new secret and {env_name}{PREVIOUS} the old one"
            )
        return tuple(secret for secret in (current, previous) if secret)

    def check_sources(self, secret_envs: Mapping[str, str]) -> None:
        """Raise `ConfigError` for what needs the sources' names (source -> its secret's variable).

        HUB_ALLOW_UNSIGNED must name known sources, and every secret (the settings' and the
        sources') must be set with a value or not at all, a previous one only beside a current.
        """
        unknown = sorted(self.allow_unsigned - set(secret_envs))
        if unknown:
            raise ConfigError(
                f"HUB_ALLOW_UNSIGNED: {', '.join(map(repr, unknown))} is not a source; "
                f"use one or more of {', '.join(sorted(secret_envs))}"
            )
        for env_name in self.secret_envs(secret_envs.values()):
            self.secrets_for(env_name)

    def secret_envs(self, extra: Iterable[str] = ()) -> list[str]:
        """The variables of every current secret: the settings' own and `extra` (the sources')."""
        envs = [env for env in _FIELD_OF_ENV if _is_current_secret(env)]
        return envs + [env for env in extra if env not in envs]

    def secret_values(self, extra: Iterable[str] = ()) -> set[str]:
        """Every configured secret value, previous ones included: what no log line may show."""
        return {secret for env in self.secret_envs(extra) for secret in self.secrets_for(env)}

    @property
    def slack_base_url(self) -> str | None:
        """HUB_SLACK_API_URL with the trailing slash slack-sdk needs."""
        url = self.slack_api_url
        return url if not url or url.endswith("/") else url + "/"


_FIELD_OF_ENV = {
    str(info.validation_alias.choices[0]): name
    for name, info in Settings.model_fields.items()
    if isinstance(info.validation_alias, AliasChoices)
}


def _is_current_secret(env: str) -> bool:
    info = Settings.model_fields[_FIELD_OF_ENV[env]]
    return is_secret(info) and not env.endswith(PREVIOUS)


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
