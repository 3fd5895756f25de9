"""`hub silence add|list|remove`: mute matching events for a while, on every router."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import click
from redis.exceptions import RedisError

from hub.cli.common import embedded_data_dir, fail
from hub.cli.common import settings as cli_settings
from hub.core.errors import ConfigError
from hub.core.event import Event
from hub.core.settings import Settings, load_settings, parse_duration
from hub.router.silences import (
    Silence,
    SilenceStore,
    format_matchers,
    parse_matchers,
    unconfirmed,
)

T = TypeVar("T")

EXPLAIN_TIMEOUT = 5.0
"""How long `hub routes explain` waits for the state store before going on without it."""

_MATCH_HELP = (
    "key=glob pairs, all of which must match (repeatable): source, type, severity, repo, "
    "branch, actor, state, subject, threadkey, labels.<name>; e.g. 'source=kapacitor "
    "labels.host=web-1', 'severity=>=error'; key==value matches a value exactly"
)


def _run(work: Callable[[SilenceStore], Awaitable[T]]) -> T:
    from hub.factory import make_state

    settings = cli_settings()
    if not settings.state_url:
        embedded_data_dir(settings)

    async def go() -> T:
        state = make_state(settings)
        await state.start()
        try:
            return await work(SilenceStore(state))
        finally:
            await state.close()

    try:
        return asyncio.run(go())
    except (ConfigError, ConnectionError, OSError, RedisError) as exc:
        fail(f"state store unavailable: {exc}")
        raise  # unreachable: _fail exits


@click.group("silence")
def silence() -> None:
    """Mute events that match, for a while; kept in the state store, honoured by every router."""


@silence.command("add")
@click.option("--match", "match", multiple=True, required=True, help=_MATCH_HELP)
@click.option("--for", "duration", required=True, help="how long: 30m, 2h, 1d")
@click.option("--reason", required=True, help="why, for whoever finds the silence later")
@click.option("--by", "created_by", help="who is silencing (default: your login name)")
def add(match: tuple[str, ...], duration: str, reason: str, created_by: str | None) -> None:
    """Silence events matching every --match pair for --for; print the new silence."""
    matchers: dict[str, str] = {}
    try:
        for text in match:
            for key, value in parse_matchers(text).items():
                if key in matchers:
                    raise ValueError(f"{key}: given twice")
                matchers[key] = value
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--match") from None
    try:
        length = parse_duration(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    if length.total_seconds() <= 0:
        raise click.BadParameter("must be longer than 0", param_hint="--for")
    who = created_by or _login()

    async def work(store: SilenceStore) -> tuple[str, str | None]:
        made, announced = await store.add(matchers, length, reason, who)
        until = made.ends_at.strftime("%Y-%m-%d %H:%M:%S %Z")
        added = f"silence {made.id} added until {until}: {format_matchers(made.matchers)}"
        return added, unconfirmed(announced)

    added, late = _run(work)
    click.echo(added)
    if late is not None:
        click.echo(f"hub: warning: {late}", err=True)


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor in the user database
        return "unknown"


@silence.command("list")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_(as_json: bool) -> None:
    """List the silences that have not ended, soonest end first."""
    silences = _run(lambda store: store.list())
    for s in silences:
        if as_json:
            click.echo(json.dumps(s.to_dict()))
            continue
        until = s.ends_at.strftime("%Y-%m-%d %H:%M:%S %Z")
        click.echo(
            f"{s.id}  until {until}  by {s.created_by or '?'}  {format_matchers(s.matchers)}"
        )
        click.echo(f"          reason: {s.reason}")
    if not silences and not as_json:
        click.echo("no silences")


@silence.command("remove")
@click.argument("silence_id", metavar="ID")
def remove(silence_id: str) -> None:
    """End silence ID now."""

    announced = _run(lambda store: store.remove(silence_id))
    if announced is None:
        fail(f"no silence {silence_id!r} (see `hub silence list`)")
    click.echo(f"silence {silence_id} removed")
    late = unconfirmed(announced)
    if late is not None:
        click.echo(f"hub: warning: {late}", err=True)


def explain_silences(event: Event) -> tuple[Silence | None, list[str]]:
    """For `hub routes explain`: the first silence in force matching `event`, and lines to print.

    Reads the configured state store when it can be reached; otherwise one line says so.
    """
    try:
        settings = load_settings()
        found = asyncio.run(asyncio.wait_for(_in_force(settings, event), EXPLAIN_TIMEOUT))
    except (ConfigError, ConnectionError, OSError, RedisError, TimeoutError) as exc:
        why = str(exc) or type(exc).__name__
        return None, [f"  (state store not reachable, silences not checked: {why})"]
    if found is None:
        return None, ["  (no state store here yet: none)"]
    if not found:
        return None, ["  (none in force match)"]
    lines = []
    for s in found:
        until = s.ends_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(f"  MATCH {s.id}: {format_matchers(s.matchers)}")
        lines.append(f"        until {until}, by {s.created_by or '?'}: {s.reason}")
    return found[0], lines


async def _in_force(settings: Settings, event: Event) -> list[Silence] | None:
    """The silences in force matching `event`; None when this embedded hub has no data dir."""
    from hub.factory import make_state

    if not settings.state_url and not settings.data_dir.is_dir():
        return None
    state = make_state(settings)
    await state.start()
    try:
        silences = await SilenceStore(state).list()
    finally:
        await state.close()
    now = datetime.now(UTC)
    return [s for s in silences if s.active(now) and s.matches(event)]
