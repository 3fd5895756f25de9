"""The `hub` command line."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import structlog
from multidict import CIMultiDict

from hub.actions.load import DEFAULT_PATH as DEFAULT_ACTIONS
from hub.actions.load import load_actions
from hub.backends.sqlite.db import open_data_dir
from hub.backends.sqlite.runlock import DataDirLock
from hub.cli.common import fail
from hub.cli.common import settings as load_cli_settings
from hub.cli.deadletters import dead_letters
from hub.cli.incident import incident
from hub.cli.samples import DESCRIPTIONS, SAMPLES, sample_request
from hub.cli.silences import explain_silences, silence
from hub.cli.sources import find_source, sources
from hub.cli.tail import tail
from hub.core.errors import ConfigError, HubError
from hub.core.settings import Settings, parse_hostport
from hub.core.sources import WebhookRequest
from hub.receiver.workers import prepare_metrics
from hub.routes.load import load_routes
from hub.routes.quiet import QuietHours

ENV_HELP = """
Environment (see README for all): HUB_ROUTES, HUB_LISTEN, HUB_OPS_LISTEN, HUB_OPS_URL, HUB_DATA_DIR,
HUB_BROKER_URL, HUB_STATE_URL, SLACK_BOT_TOKEN, HUB_SLACK_API_URL, HUB_GITHUB_SECRET,
HUB_SENTRY_CLIENT_SECRET, HUB_TRAVIS_PUBLIC_KEY, HUB_KAPACITOR_TOKEN, HUB_ANSIBLE_SECRET (each
secret also as <VAR>_PREVIOUS while it is rotated; set but empty is an error), HUB_SOURCES,
HUB_ALLOW_UNSIGNED, HUB_MAX_BODY_BYTES, HUB_MAX_INFLIGHT_BYTES, HUB_AMQP_PREFIX,
HUB_DELIVERY_SHARDS, HUB_EVENT_RETENTION, HUB_DELIVERY_MAX_AGE, HUB_SHUTDOWN_GRACE, HUB_WORKERS,
HUB_LOG_LEVEL, HUB_LOG_FORMAT, HUB_CONSOLE_FORMAT, HUB_ACTIONS, HUB_GITHUB_TOKEN,
HUB_GITHUB_API_URL, HUB_TRAVIS_TOKEN, HUB_TRAVIS_API_URL.
"""


def _serve(stages: tuple[str, ...], workers: int | None = None) -> None:
    settings = load_cli_settings()
    if "receiver" not in stages:
        workers = 1  # HUB_WORKERS is about the webhook port; a router or deliverer has none
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
        os.environ["HUB_WORKERS"] = str(workers)  # what the ingest workers read
    try:
        lock = _own_data_dir(settings)
    except ConfigError as exc:
        fail(str(exc))
    if settings.worker_index:
        structlog.contextvars.bind_contextvars(worker=settings.worker_index)
    elif settings.workers > 1:
        try:
            prepare_metrics(settings.data_dir)  # before anything imports prometheus_client
        except OSError as exc:
            fail(f"HUB_DATA_DIR: cannot keep the workers' metrics there: {exc}")

    try:
        from hub.factory import make_parts
        from hub.service import serve_forever

        parts = make_parts(settings)
        if "router" in stages:
            load_routes(settings.routes)
        asyncio.run(serve_forever(parts, stages))
    except ConfigError as exc:
        fail(str(exc))
    except (ConnectionError, OSError) as exc:
        fail(f"cannot start: {exc}")
    if lock is not None:
        lock.release()


def _own_data_dir(settings: Settings) -> DataDirLock | None:
    """Embedded profile: take HUB_DATA_DIR for this hub; ConfigError if another hub has it.

    Ingest workers (`--workers N`) share their hub's data dir on purpose: they take no lock.
    """
    if settings.broker_url or settings.worker_index:
        return None
    lock = DataDirLock(open_data_dir(settings.data_dir))
    lock.acquire(settings.listen, settings.ops_listen, "embedded")
    return lock


_WORKERS = click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes serving the webhook port (default HUB_WORKERS, else 1); "
    "the extra ones only receive. See docs/operations.md.",
)


@click.group(help="hub: webhooks from GitHub, Travis CI, Kapacitor and Sentry, routed to Slack.")
def main() -> None:
    """The hub command group."""


@main.command(epilog=ENV_HELP)
@_WORKERS
def run(workers: int | None) -> None:
    """Run receiver, router and deliverer in one process (plus ingest workers, if asked)."""
    _serve(("receiver", "router", "deliverer"), workers)


@main.command(epilog=ENV_HELP)
@_WORKERS
def receiver(workers: int | None) -> None:
    """Run the webhook receiver (HUB_LISTEN) and its ops port."""
    _serve(("receiver",), workers)


@main.command("ingest-worker", hidden=True)
def ingest_worker() -> None:
    """One extra webhook process of `hub run/receiver --workers N` (started by them)."""
    _serve(("receiver",))


@main.command(epilog=ENV_HELP)
def router() -> None:
    """Run a router worker: events through routes.yaml to delivery shards."""
    _serve(("router",))


@main.command(epilog=ENV_HELP)
def deliverer() -> None:
    """Run a deliverer worker: delivery shards to Slack."""
    _serve(("deliverer",))


@main.group()
def routes() -> None:
    """Check and explain the routing table."""


@routes.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def routes_check(file: Path | None) -> None:
    """Validate routes.yaml (default: HUB_ROUTES); exit 1 with file:line: key errors."""
    path = file or Settings().routes
    try:
        table = load_routes(path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{path}: ok, {len(table.routes)} routes")


@main.group()
def actions() -> None:
    """Check actions.yaml: what Slack may run."""


@actions.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def actions_check(file: Path | None) -> None:
    """Validate actions.yaml (default: HUB_ACTIONS, else ./actions.yaml); exit 1 with
    file:line: key errors."""
    path = file or Settings().actions or DEFAULT_ACTIONS
    try:
        table = load_actions(path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    buttons = sum(1 for action in table.actions if action.button is not None)
    click.echo(f"{path}: ok, {len(table)} actions, {buttons} with a button")
    for action in table.actions:
        who = ", ".join(sorted(action.allow))
        limit = f", at most {action.limit}" if action.limit else ""
        confirm = ", asks to confirm" if action.confirm else ""
        click.echo(f"  {action.name} ({action.kind}): {who}{limit}{confirm}")


@routes.command("explain")
@click.option(
    "--source", "source", required=True, help="github, travis, kapacitor, sentry or a declared one"
)
@click.option(
    "--header", "headers", multiple=True, help="K:V, repeatable (e.g. X-GitHub-Event:push)"
)
@click.option("--routes", "routes_file", type=click.Path(path_type=Path), help="default HUB_ROUTES")
@click.option("--json", "as_json", is_flag=True, help="the Slack message as raw Block Kit JSON")
@click.argument("payload", type=click.File("rb"))
def routes_explain(
    source: str, headers: tuple[str, ...], routes_file: Path | None, as_json: bool, payload: Any
) -> None:
    """Show how PAYLOAD (a file, or - for stdin) is normalized, routed and rendered; offline.

    The Slack message is drawn as Slack shows it; --json prints it as Block Kit JSON.
    """
    from adapters.slack.render import render
    from adapters.slack.terminal import draw

    try:
        adapter = find_source(source)
    except ConfigError as exc:
        fail(str(exc))
        return
    header_map: CIMultiDict[str] = CIMultiDict()
    for item in headers:
        key, sep, value = item.partition(":")
        if not sep:
            fail(f"--header {item!r}: use K:V")
        header_map[key.strip()] = value.strip()
    header_map.setdefault("Content-Type", "application/json")
    try:
        table = load_routes(routes_file or Settings().routes)
        event = adapter.normalize(
            WebhookRequest(headers=header_map, body=payload.read(), received_at=datetime.now(UTC))
        )
    except (ConfigError, HubError) as exc:
        fail(str(exc) + _header_hint(source, str(exc)))
        return
    fields = event.model_dump(mode="json", exclude={"data"})
    click.echo("event:")
    click.echo(json.dumps(fields, indent=2))
    click.echo("\nroutes:")
    by_name = {route.name: route for route in table.routes}
    for line in table.explain(event):
        verdict = "MATCH   " if line.matched else "NO-MATCH"
        route = by_name[line.route]
        noise = _noise(route.dedup_window, route.quiet_hours) if line.matched else ""
        click.echo(f"  {verdict} {line.route}: {line.reason}{noise}")
    click.echo("\nsilences:")
    silenced_by, silence_lines = explain_silences(event)
    click.echo("\n".join(silence_lines))
    decision = table.route(event)
    click.echo("\nchannels:")
    if silenced_by is not None:
        click.echo(f"  (silenced by {silenced_by.id}: none of these gets it)")
    for target in decision.targets:
        noise = _noise(target.dedup_window, target.quiet_hours, event.receivedat)
        click.echo(f"  {target.channel}  (routes: {', '.join(target.routes)}){noise}")
    if not decision.targets:
        click.echo("  (none: the event is dropped)")
    if decision.targets:
        first = decision.targets[0]
        message = render(event, first.routes, first.mention)
        click.echo(f"\nslack message for {first.channel}:")
        if as_json:
            click.echo(json.dumps(message, indent=2))
        else:
            colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            click.echo(draw(message, first.channel, colour=colour))


_EVENT_HEADERS = {
    "github": "X-GitHub-Event:push",
    "sentry": "Sentry-Hook-Resource:issue",
}


def _header_hint(source: str, error: str) -> str:
    """For a missing event header: the `--header` that gives it, e.g. X-GitHub-Event:push."""
    example = _EVENT_HEADERS.get(source)
    name = example.partition(":")[0] if example else None
    if name is None or f"missing {name}" not in error:
        return ""
    return f"\ngive it with --header, e.g. --header {example} (the event the payload is from)"


def _noise(
    dedup_window: timedelta | None, quiet: QuietHours | None, at: datetime | None = None
) -> str:
    """`; dedup_window 10m; quiet_hours 22:00–07:00 Europe/Berlin`, and whether quiet at `at`."""
    parts = []
    if dedup_window is not None:
        parts.append(f"dedup_window {_span(dedup_window)}")
    if quiet is not None:
        parts.append(f"quiet_hours {quiet}")
        if at is not None and quiet.active(at):
            until = quiet.ends_after(at).astimezone(quiet.zone)
            parts.append(f"quiet now: held until {until:%Y-%m-%d %H:%M:%S %Z}")
    return "".join(f"; {part}" for part in parts)


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


_SAMPLE_LIST = "\n".join(
    f"  {source} {kind}{' (default)' if kind == kinds[0] and len(kinds) > 1 else ''}: "
    f"{DESCRIPTIONS[source, kind]}"
    for source, kinds in SAMPLES.items()
    for kind in kinds
)


@main.command(
    "send-sample",
    epilog="\b\nSamples (SOURCE KIND):\n" + _SAMPLE_LIST + "\n\n"
    "A source declared in HUB_SOURCES posts its `sample:`. "
    "Each send is a new event: the sample's times are now and its ids fresh.",
)
@click.argument("source")
@click.argument("kind", required=False)
@click.option("--url", help="hub's webhook base URL (default: from HUB_LISTEN)")
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help="print the body instead of posting it (e.g. for `hub routes explain -`)",
)
def send_sample(source: str, kind: str | None, url: str | None, print_only: bool) -> None:
    """POST a sample webhook (bundled, or a declared source's `sample:`), signed, to a running hub.

    SOURCE is a bundled sample's sender (below) or a source declared in HUB_SOURCES.
    """
    import urllib.error
    import urllib.request

    settings = load_cli_settings()
    try:
        if source in SAMPLES:
            kind = kind or SAMPLES[source][0]
            headers, body = sample_request(source, kind, settings)
        else:
            headers, body = declared_sample(source, settings)
    except KeyError as exc:
        fail(str(exc.args[0]))
    except ConfigError as exc:
        fail(str(exc))
    if print_only:
        click.echo(body.decode())
        return
    if url is None:
        host, port = parse_hostport(settings.listen)
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    request = urllib.request.Request(  # noqa: S310 - the URL is hub's own, given by the user
        f"{url.rstrip('/')}/hooks/{source}", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - same URL
            click.echo(f"{resp.status} {resp.read().decode()}")
    except urllib.error.HTTPError as exc:
        fail(f"{exc.code} {exc.read().decode()}")
    except urllib.error.URLError as exc:
        fail(f"cannot reach hub at {url}: {exc.reason} (is `make run` running?)")


def declared_sample(source: str, settings: Settings) -> tuple[dict[str, str], bytes]:
    """The `sample:` of a declared source, signed as its sender signs when its secret is set."""
    from adapters.declared.adapter import DeclaredAdapter

    adapter = find_source(source)
    if not isinstance(adapter, DeclaredAdapter):
        raise ConfigError(f"no sample for {source}; choose one of: {', '.join(sorted(SAMPLES))}")
    sample = adapter.source.sample
    if sample is None:
        raise ConfigError(f"{source} declares no sample: add `sample: <file>` to its entry")
    try:
        body = sample.body.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source} sample {sample.body}: {exc.strerror or exc}") from None
    headers = {"Content-Type": "application/json", **sample.headers}
    secret = settings.secret_for(adapter.secret_env)
    if secret:
        headers |= adapter.sign(body, secret)
    return headers, body


main.add_command(dead_letters)
main.add_command(incident)
main.add_command(silence)
main.add_command(sources)
main.add_command(tail)
