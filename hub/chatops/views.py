"""The read-only ChatOps answers: `/hub status`, `/hub routes [#channel]` and `/hub why <id>`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hub.chatops.reply import Reply, code, escape, when
from hub.core.broker import Broker
from hub.history.entries import Entry, Explanation, History
from hub.router.silences import SilenceStore
from hub.routes.matching import Block
from hub.routes.table import UNROUTED, Route, RouteTable

SCAN = 5000
"""How many of the newest history entries `status` reads (the in-memory view keeps 5000)."""
RATE_WINDOW = timedelta(minutes=5)
WAITING = frozenset({"received", "routing", "partial"})
"""Entry statuses that mean an event still has a channel to reach."""


async def status(
    history: History, broker: Broker, silences: SilenceStore, sources: Sequence[str]
) -> Reply:
    """Ingest rate, backlog, dead letters, silences in force and the last event per source."""
    now = datetime.now(UTC)
    entries = await history.recent(limit=SCAN)
    # Reading stops at SCAN entries: a count that may have been cut short says so with a "+".
    capped = "+" if len(entries) >= SCAN else ""
    last_hour = [e for e in entries if e.event.receivedat >= now - timedelta(hours=1)]
    hour_capped = capped if len(last_hour) == len(entries) else ""
    last_five = [e for e in last_hour if e.event.receivedat >= now - RATE_WINDOW]
    rate = len(last_five) / (RATE_WINDOW.total_seconds() / 60)
    waiting = [e for e in entries if e.status in WAITING]
    async with broker.dead_letters() as session:
        reasons = Counter(record.reason for record in session.records)
    in_force = [s for s in await silences.list() if s.active(now)]
    lines = [
        f"*Ingest:* {rate:.1f} events/min over the last 5 min · "
        f"{len(last_hour)}{hour_capped} in the last hour",
        f"*Backlog:* {len(waiting)}{capped} events not yet in every channel they route to",
        f"*Dead letters:* {_dead_letters(reasons)}",
        f"*Silences in force:* {len(in_force)}",
        "*Last event per source:*",
        *_last_per_source(entries, sources),
    ]
    return Reply("*hub status*", tuple(lines), note=f"as of {when(now)}")


def _dead_letters(reasons: Counter[str]) -> str:
    total = sum(reasons.values())
    if not total:
        return "none"
    top = ", ".join(f"{code(reason)} {count}" for reason, count in reasons.most_common(3))
    return f"{total} ({top})"


def _last_per_source(entries: Sequence[Entry], sources: Sequence[str]) -> list[str]:
    newest: dict[str, Entry] = {}
    for entry in entries:  # newest first
        newest.setdefault(entry.event.source, entry)
    lines = []
    for source in sorted({*sources, *newest}):
        last = newest.get(source)
        if last is None:
            lines.append(f"• {escape(source)}: nothing in recent history")
            continue
        event = last.event
        lines.append(
            f"• {escape(source)}: {when(event.receivedat)} {code(event.type)} "
            f"{escape(event.subject or event.title)}"
        )
    return lines


def routes_for(table: RouteTable, channels: Sequence[str], shown: str) -> Reply:
    """What the channel known by any of `channels` receives, route by route."""
    names = list(dict.fromkeys(name for c in channels for name in table.describe_channel(c)))
    if not names:
        targets = sorted({c for route in table.routes for c in route.channels})
        listed = ", ".join(escape(c) for c in targets[:30]) or "no channel"
        return Reply(
            f"{escape(shown)} receives nothing from routes.yaml.",
            (f"Routes send to: {listed}",),
        )
    by_name = {route.name: route for route in table.routes}
    lines = []
    for name in names:
        route = by_name.get(name)
        if route is None:  # the pseudo-route of `defaults.unrouted`
            lines.append(f"• {code(UNROUTED)}: every event that no route matches")
        else:
            lines.append(_describe(route))
    count = f"{len(names)} route{'' if len(names) == 1 else 's'}"
    return Reply(f"{escape(shown)} receives events from {count}:", tuple(lines))


def _describe(route: Route) -> str:
    line = f"• {code(route.name)}: " + " *or* ".join(_conditions(b) for b in route.match)
    if route.exclude:
        line += " — *except* " + " *or* ".join(_conditions(b) for b in route.exclude)
    if route.mention:
        line += " — mentions " + " ".join(code(m) for m in route.mention) + " on errors"
    if route.stop:
        line += " — stops: later routes are not evaluated"
    return line


def _conditions(block: Block) -> str:
    return " and ".join(f"{c.key} {escape(c.expected)}" for c in block.conditions) or "any event"


async def why(history: History, table: RouteTable, event_id: str) -> Reply:
    """Where one event went and why: each route's verdict and each channel's outcome."""
    entry = await history.get(event_id)
    if entry is None:
        return Reply(
            f"No event {code(event_id)} in hub's history.",
            note="Event ids are on the live page and in `hub tail`; hub remembers the newest "
            "5000 events since an hour before it started.",
        )
    event = entry.event
    explained: Sequence[Explanation] = entry.explanation
    note = "Explained as routed."
    if not explained:
        explained = [Explanation(x.route, x.matched, x.reason) for x in table.explain(event)]
        note = "Route verdicts are from the current routes.yaml."
    lines = [
        f"{code(event.type)} from {escape(event.source)} · received {when(event.receivedat)}"
        f" · status *{entry.status}*",
        "*Routes:*",
        *(
            f"{':white_check_mark:' if x.matched else ':heavy_minus_sign:'} {code(x.route)}: "
            f"{escape(x.reason)}"
            for x in explained
        ),
    ]
    if not explained:
        lines.append("routes.yaml has no routes")
    if entry.silenced:
        lines.append(":mute: A silence matched: the event was not posted anywhere.")
    if entry.channels:
        lines.append("*Channels:*")
        lines += [
            f"• {escape(c)}: {escape(entry.deliveries.get(c, 'pending'))}" for c in entry.channels
        ]
    return Reply(f"*Why:* {escape(event.title)}", tuple(lines), note=note)
