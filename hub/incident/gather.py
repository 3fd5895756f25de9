"""An incident's report from hub's event history: find the incident, then read its window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.core.event import Event
from hub.history.log import RecordLog
from hub.incident.report import Report, build, episode

DEFAULT_BEFORE = timedelta(hours=2)


class IncidentNotFound(LookupError):
    """No event or thread of that name is in the history."""


async def gather(
    log: RecordLog,
    key: str,
    before: timedelta = DEFAULT_BEFORE,
    now: datetime | None = None,
    anchor: Event | None = None,
) -> Report:
    """The report of the incident `key` names (an event id, or a threadkey: its latest episode).

    Two reads of the history: the incident's own thread, found by its key through the whole
    history (a text search the history does before parsing), then the window from `before`
    ahead of its first event to its resolution, or `now`. Given the `anchor` event already,
    the first read looks for its thread only.
    """
    now = now or datetime.now(UTC)
    if anchor is None:
        found = [
            e async for e in log.events(None, now, searchable(key)) if key in (e.id, e.threadkey)
        ]
        anchor = next((e for e in found if e.id == key), None)
        if anchor is None and not found:
            raise IncidentNotFound(f"no event and no thread {key!r} in hub's event history")
        if anchor is None:
            thread = found
            anchor = max(thread, key=lambda e: e.receivedat)
        else:
            thread = await _thread(log, anchor, now)
    else:
        thread = await _thread(log, anchor, now)
    events, resolution = episode(thread, anchor)
    end = resolution.receivedat if resolution else now
    window = [e async for e in log.events(events[0].receivedat - before, end)]
    return build(thread, anchor, window, before, now)


async def _thread(log: RecordLog, anchor: Event, now: datetime) -> list[Event]:
    """Every event of the anchor's thread (just the anchor when it has none)."""
    key = anchor.threadkey
    if key is None:
        return [anchor]
    return [e async for e in log.events(None, now, searchable(key)) if e.threadkey == key]


def searchable(key: str) -> str | None:
    """`key` as it appears in stored JSON, or None when JSON may escape it (then not searched)."""
    plain = key.isprintable() and key.isascii() and not any(c in key for c in '"\\')
    return key if plain else None
