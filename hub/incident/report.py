"""An incident's report: its span, the related events, commit groups, and the JSON form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.core.event import Event
from hub.incident.relate import (
    CHANGES,
    PROBLEMS,
    SHIPPED,
    Related,
    Scope,
    commits,
    phrase,
    relate,
    resolves,
)


@dataclass(frozen=True)
class CommitGroup:
    """The related events that share one commit, in order: the commit's story."""

    commit: str
    steps: tuple[Related, ...]

    def line(self) -> str:
        """`abc1234: merged #42 → build #812 passed → deployed to prod by octocat 14:02`."""
        words = " → ".join(phrase(r.event, r.kind) for r in self.steps)
        return f"{self.commit[:7]}: {words} {clock(self.steps[-1].event.receivedat)}"


@dataclass(frozen=True)
class Report:
    """Everything the Markdown draft, the JSON form, the page and Slack show of one incident."""

    threadkey: str
    first: Event
    """The incident's first event (its start)."""
    resolution: Event | None
    """The event that resolved it; None while it lasts."""
    now: datetime
    before: timedelta
    timeline: tuple[Related, ...]
    groups: tuple[CommitGroup, ...]

    @property
    def start(self) -> datetime:
        """When the incident began: hub received its first event."""
        return self.first.receivedat

    @property
    def end(self) -> datetime:
        """When it was resolved, or now."""
        return self.resolution.receivedat if self.resolution else self.now

    @property
    def window_start(self) -> datetime:
        """Where the timeline begins: `before` ahead of the start."""
        return self.start - self.before

    @property
    def duration(self) -> timedelta:
        """From the first alert to the resolution (or now)."""
        return self.end - self.start

    @property
    def fired(self) -> tuple[Related, ...]:
        """The alerts and errors on the timeline, the incident's first event among them."""
        seen: set[str] = set()
        found = []
        for item in self.timeline:
            name = item.event.threadkey or item.event.id
            if item.kind in PROBLEMS and not resolves(item.event) and name not in seen:
                seen.add(name)
                found.append(item)
        return tuple(found)

    @property
    def changes_before(self) -> tuple[Related, ...]:
        """The related changes received before the incident began, oldest first."""
        return tuple(
            r for r in self.timeline if r.kind in CHANGES and r.event.receivedat <= self.start
        )

    @property
    def last_change(self) -> Related | None:
        """The last deploy or release before the incident, else the last change of any kind."""
        changes = self.changes_before
        shipped = [r for r in changes if r.kind in SHIPPED]
        found = shipped or list(changes)
        return found[-1] if found else None

    def to_json(self) -> dict[str, Any]:
        """The report for tools: `hub incident --format json` and the ops page's API."""
        last = self.last_change
        return {
            "threadkey": self.threadkey,
            "title": self.first.title,
            "start": iso(self.start),
            "end": iso(self.end),
            "resolved": self.resolution is not None,
            "resolution": self.resolution.id if self.resolution else None,
            "duration_seconds": self.duration.total_seconds(),
            "duration": span(self.duration),
            "window": {"start": iso(self.window_start), "end": iso(self.end)},
            "fired": [r.event.id for r in self.fired],
            "last_change": last.event.id if last else None,
            "timeline": [_item(r) for r in self.timeline],
            "groups": [
                {"commit": g.commit, "events": [r.event.id for r in g.steps], "line": g.line()}
                for g in self.groups
            ],
        }


def episode(thread: Sequence[Event], anchor: Event) -> tuple[list[Event], Event | None]:
    """The events of the episode of `thread` that holds `anchor`, and its resolution (if any).

    An episode runs from the first event after the thread's previous resolution to the first
    resolution at or after `anchor`.
    """
    ordered = sorted({e.id: e for e in (*thread, anchor)}.values(), key=lambda e: e.receivedat)
    at = next(i for i, e in enumerate(ordered) if e.id == anchor.id)
    first = at
    while first > 0 and not resolves(ordered[first - 1]):
        first -= 1
    stop = next((i + 1 for i in range(at, len(ordered)) if resolves(ordered[i])), None)
    return ordered[first:stop], ordered[stop - 1] if stop is not None else None


def build(
    thread: Sequence[Event],
    anchor: Event,
    window: Sequence[Event],
    before: timedelta,
    now: datetime,
) -> Report:
    """The report of the episode of `thread` that holds `anchor`, over the `window` events."""
    events, resolution = episode(thread, anchor)
    start = events[0].receivedat
    end = resolution.receivedat if resolution else now
    scope = Scope.of(anchor.threadkey or anchor.id, events)
    inside = [e for e in window if start - before <= e.receivedat <= end]
    timeline = tuple(relate(scope, inside, start, end))
    return Report(
        threadkey=scope.threadkey,
        first=events[0],
        resolution=resolution,
        now=now,
        before=before,
        timeline=timeline,
        groups=_groups(timeline),
    )


def _groups(timeline: Sequence[Related]) -> tuple[CommitGroup, ...]:
    """Per commit shared by two or more events, those events; in order of their first."""
    by_commit: dict[str, list[Related]] = {}
    for item in timeline:
        for sha in commits(item.event):
            steps = by_commit.setdefault(sha, [])
            if item not in steps:
                steps.append(item)
    return tuple(
        CommitGroup(sha, tuple(steps)) for sha, steps in by_commit.items() if len(steps) > 1
    )


def _item(item: Related) -> dict[str, Any]:
    e = item.event
    return {
        "id": e.id,
        "time": iso(e.receivedat),
        "source": e.source,
        "type": e.type,
        "kind": str(item.kind),
        "severity": str(e.severity),
        "state": e.state,
        "title": e.title,
        "subject": e.subject,
        "url": e.url,
        "repo": e.repo,
        "threadkey": e.threadkey,
        "commit": item.commit,
        "reason": item.reason,
    }


def clock(moment: datetime) -> str:
    """`14:02:07`, in UTC."""
    return moment.astimezone(UTC).strftime("%H:%M:%S")


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def span(delta: timedelta) -> str:
    """A duration as people say it: `5s`, `2m 10s`, `1h 5m`, `2d 3h` (two units at most)."""
    left = max(0, round(delta.total_seconds()))
    counts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, left = divmod(left, size)
        counts.append((count, unit))
    top = next((i for i, (count, _) in enumerate(counts) if count), len(counts) - 1)
    return " ".join(f"{count}{unit}" for count, unit in counts[top : top + 2] if count) or "0s"
