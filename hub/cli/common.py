"""What every `hub` command shares: reading the settings, and failing with a readable line."""

from __future__ import annotations

import signal
import sys
from typing import NoReturn

import click

from hub.backends.sqlite.runlock import read_run_info
from hub.core.errors import ConfigError
from hub.core.log import configure_logging
from hub.core.settings import Settings, load_settings


def confirm(question: str) -> None:
    """Ask `question`; abort unless the answer is yes. Callable inside `asyncio.run`.

    There asyncio's own Ctrl-C handler only cancels the running task, and a prompt blocked on
    its input would wait on, so for the prompt a Ctrl-C interrupts as it does anywhere else.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        click.confirm(question, abort=True)
    finally:
        signal.signal(signal.SIGINT, previous)


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


def embedded_data_dir(settings: Settings) -> None:
    """For a command that reads or changes an embedded hub's data: find it, or exit 2.

    The data dir is never created here: a command run from the wrong directory would act on a
    new, empty hub nobody runs. When no hub holds the data dir now, one line on stderr says so.
    """
    data_dir = settings.data_dir.absolute()
    if not any((data_dir / name).exists() for name in ("queue.db", "state.db", "history.db")):
        fail(
            f"no hub data in {data_dir}: run this in the directory where hub runs "
            "(where `make run` was started), or set HUB_DATA_DIR to that hub's data dir"
        )
    running = read_run_info(data_dir)
    if running is None:
        click.echo(
            f"hub: note: no hub is running on {data_dir} now; acting on the data it left",
            err=True,
        )
