"""`hub dead-letters list|show|replay|purge`."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from hub.cli.common import confirm, embedded_data_dir, fail
from hub.cli.common import settings as cli_settings
from hub.core.broker import Broker
from hub.core.deadletters import DeadFilter
from hub.core.errors import ConfigError
from hub.core.messages import DeadLetterSession, DeadRecord
from hub.router.replay import replay as route_again
from hub.routes.load import load_routes

T = TypeVar("T")

_FILTERS = (
    click.option("--reason", help="only this reason (e.g. channel_not_found)"),
    click.option("--since", help="only dead-lettered within this long (e.g. 1h, 7d)"),
    click.option("--channel", help="only deliveries to this channel"),
    click.option("--route", help="only deliveries a route of this name sent"),
)


def _with_filters(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_FILTERS):
        fn = option(fn)
    return fn


def _run(work: Callable[[Broker, DeadLetterSession], Awaitable[T]]) -> T:
    from hub.factory import make_cli_broker

    settings = cli_settings()
    if not settings.broker_url:
        embedded_data_dir(settings)

    async def go() -> T:
        broker = make_cli_broker(settings)
        await broker.start()
        try:
            async with broker.dead_letters() as session:
                return await work(broker, session)
        finally:
            await broker.close()

    try:
        return asyncio.run(go())
    except (ConfigError, ConnectionError, OSError) as exc:
        fail(f"dead letters unavailable: {exc}")
        raise  # unreachable: _fail exits


def _select(session: DeadLetterSession, **filters: str | None) -> list[DeadRecord]:
    return DeadFilter(**filters).select(session.records, datetime.now(UTC))


@click.group("dead-letters")
def dead_letters() -> None:
    """Inspect, replay and purge deliveries that failed for good."""


@dead_letters.command("list")
@_with_filters
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_(as_json: bool, **filters: str | None) -> None:
    """List dead letters, oldest first."""

    async def work(_broker: Broker, session: DeadLetterSession) -> list[DeadRecord]:
        return _select(session, **filters)

    records = _run(work)
    for r in records:
        if as_json:
            click.echo(json.dumps(r.summary()))
        else:
            when = r.dead_at.strftime("%Y-%m-%d %H:%M:%S") if r.dead_at else "?"
            click.echo(
                f"{r.key}  {when}  {r.reason:<20} {r.channel or '-':<20} {r.event.type}  "
                f"{r.event.subject or ''}"
            )
    if not as_json:
        click.echo(f"{len(records)} dead letters", err=True)


@dead_letters.command("show")
@click.argument("key")
def show(key: str) -> None:
    """Show one dead letter whole: errors, routes, the event and its payload."""

    async def work(_broker: Broker, session: DeadLetterSession) -> DeadRecord | None:
        return next((r for r in session.records if r.key == key), None)

    record = _run(work)
    if record is None:
        raise click.ClickException(f"no dead letter {key!r} (see `hub dead-letters list`)")
    detail = {
        **record.summary(),
        "first_error": record.first_error,
        "last_error": record.last_error,
        "event": record.event.model_dump(mode="json"),
    }
    click.echo(json.dumps(detail, indent=2))


@dead_letters.command("replay")
@_with_filters
@click.option("--dry-run", is_flag=True, help="say where each would go; change nothing")
def replay(dry_run: bool, **filters: str | None) -> None:
    """Route the selected dead letters through the current routes.yaml again."""

    table = load_routes(cli_settings().routes)

    async def work(broker: Broker, session: DeadLetterSession) -> int:
        records = _select(session, **filters)
        done = 0
        with click.progressbar(
            records, label="replaying", file=None if len(records) > 20 else io.StringIO()
        ) as bar:
            async for outcome in route_again(broker, session, bar, table, dry_run=dry_run):
                key = outcome.record.key
                if outcome.unreadable:
                    click.echo(f"skipped {key}: unreadable, nothing to replay (purge it)")
                    continue
                if dry_run:
                    channels = ", ".join(outcome.channels) or "nowhere (dropped)"
                    click.echo(f"would replay {key} -> {channels}")
                    continue
                done += 1
        return done

    count = _run(work)
    click.echo("dry run: nothing changed" if dry_run else f"replayed {count} dead letters")


@dead_letters.command("purge")
@_with_filters
@click.option("--yes", is_flag=True, help="do not ask")
def purge(yes: bool, **filters: str | None) -> None:
    """Delete the selected dead letters for good."""

    async def work(_broker: Broker, session: DeadLetterSession) -> int:
        records = _select(session, **filters)
        if records and not yes:
            confirm(f"delete {len(records)} dead letters for good?")
        await session.remove([r.key for r in records])
        return len(records)

    click.echo(f"purged {_run(work)} dead letters")
