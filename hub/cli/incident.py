"""`hub incident`: the after-action report draft of one incident, from the event history."""

from __future__ import annotations

import asyncio
import json

import click

from hub.cli.common import fail
from hub.cli.common import settings as cli_settings
from hub.core.settings import parse_duration
from hub.incident.gather import IncidentNotFound, gather
from hub.incident.markdown import markdown
from hub.incident.report import Report, span


@click.command("incident")
@click.argument("key", metavar="EVENT_ID|THREADKEY")
@click.option(
    "--before",
    default="2h",
    show_default=True,
    help="how far before the incident's first event the timeline starts (e.g. 30m, 6h)",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="md: the after-action report draft; json: the timeline for tools",
)
def incident(key: str, before: str, fmt: str) -> None:
    """The timeline around an incident and an after-action report draft.

    EVENT_ID is any event of the incident (from `hub tail`, the live page or a Slack message);
    a THREADKEY (e.g. kapacitor:cpu:host=web-1) takes its latest episode. Reads the same
    history as `hub tail`: run it where hub runs, or with the same HUB_* settings.
    """
    from hub.factory import make_broker, make_history_log

    settings = cli_settings()
    try:
        lead = parse_duration(before)
    except ValueError as exc:
        fail(f"--before: {exc}")
    if lead.total_seconds() <= 0:
        fail("--before: must be longer than 0")
    log = make_history_log(settings, make_broker(settings))

    async def go() -> Report:
        await log.start()
        try:
            return await gather(log, key.strip(), lead)
        finally:
            await log.close()

    try:
        report = asyncio.run(go())
    except IncidentNotFound as exc:
        kept = span(settings.event_retention)
        fail(
            f"{exc.args[0]}: the history keeps {kept} (HUB_EVENT_RETENTION); give an event id "
            "from `hub tail` or the live page, or a threadkey"
        )
    except (ConnectionError, OSError) as exc:
        fail(f"history unavailable: {exc}")
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(markdown(report), nl=False)
