"""`hub tail`: the event history as it happens, filtered."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import click

from hub.cli.common import embedded_data_dir, fail
from hub.cli.common import settings as cli_settings
from hub.core.settings import parse_duration
from hub.core.severity import Severity
from hub.history.entries import Entry, Filter, MemoryHistory
from hub.history.log import Folder, Record

SEVERITIES = tuple(str(s) for s in Severity)


@click.command("tail")
@click.option("--source", help="only this source (github, travis, kapacitor, sentry)")
@click.option("--type", "type_", help="only types starting with this (e.g. github.pull_request)")
@click.option(
    "--severity", help="only this severity or worse (info<success<warning<error<critical)"
)
@click.option("--since", default="10m", show_default=True, help="start this far back (e.g. 1h)")
@click.option("-f", "--follow", is_flag=True, help="keep printing new events")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per change")
def tail(
    source: str | None,
    type_: str | None,
    severity: str | None,
    since: str,
    follow: bool,
    as_json: bool,
) -> None:
    """Print events with where they were routed and how each delivery went."""
    from hub.factory import make_cli_broker, make_history_log

    settings = cli_settings()
    try:
        start = datetime.now(UTC) - parse_duration(since)
    except ValueError as exc:
        fail(f"--since: {exc}")
        return
    if severity and severity not in SEVERITIES:
        fail(f"--severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
    where = Filter(source=source, type=type_, severity=severity)
    if not settings.broker_url:
        embedded_data_dir(settings)
    log = make_history_log(settings, make_cli_broker(settings))

    async def go() -> None:
        folder = Folder(MemoryHistory())
        await log.start()
        try:
            async for record in log.read(start, follow):
                entry = await folder.apply(record)
                if entry is not None and where.accepts(entry):
                    click.echo(_line(record, entry, as_json))
        finally:
            await log.close()

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        pass
    except (ConnectionError, OSError) as exc:
        fail(f"history unavailable: {exc}")


def _line(record: Record, entry: Entry, as_json: bool) -> str:
    if as_json:
        return json.dumps({"record": record.get("kind"), **entry.summary()})
    e = entry.event
    if record.get("kind") == "event":
        when = e.receivedat.astimezone(UTC).strftime("%H:%M:%S")
        return f"{when}  {e.severity:<8} {e.type:<36} {e.subject or ''}  {e.title}  [{e.id}]"
    if record.get("kind") == "routing":
        if entry.silenced:
            by = f" by {entry.silenced}" if isinstance(entry.silenced, str) else ""
            return f"          silenced{by}  [{e.id}]"
        if not entry.channels:
            return f"          dropped: no route matched  [{e.id}]"
        return f"          -> {', '.join(entry.channels)}  (routes: {', '.join(entry.routes)})"
    return f"          {record.get('channel')}: {record.get('outcome')}"
