"""What every `hub` command shares: reading the settings, and failing with a readable line."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from hub.core.errors import ConfigError
from hub.core.log import configure_logging
from hub.core.settings import Settings, load_settings


def fail(message: str) -> NoReturn:
    """Print each line of `message` as `hub: …` on stderr and exit 2."""
    for line in message.splitlines():
        click.echo(f"hub: {line}", err=True)
    sys.exit(2)


def settings() -> Settings:
    """The settings from the environment, the senders' own secrets checked, logging configured
    to keep every secret out of its lines; a bad setting exits 2."""
    from adapters.registry import SOURCES

    envs = {name: adapter.secret_env for name, adapter in SOURCES.items()}
    try:
        loaded = load_settings()
        loaded.check_sources(envs)
        secrets = loaded.secret_values(envs.values())
    except ConfigError as exc:
        fail(str(exc))
    configure_logging(loaded.log_level, loaded.log_format, secrets=secrets)
    return loaded
