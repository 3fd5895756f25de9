"""Where every event went: the event, its routing decision and each channel's delivery outcome."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from hub.core.event import Event


@dataclass(frozen=True)
class Explanation:
    """One route's verdict for one event, as `hub routes explain` prints it."""

    route: str
    matched: bool
    reason: str


@dataclass(frozen=True)
class Entry:
    """The history of one event; later facts replace earlier ones (see `merge`)."""

    event: Event
    routes: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    explanation: tuple[Explanation, ...] = ()
    routed: bool = False
    silenced: bool | str = False
    """True, or the silence that held the event back: `<id> (<matchers>)`."""
    deliveries: dict[str, str] = field(default_factory=dict)
    """channel -> 'pending', 'posted', 'updated', 'digested' or 'dead_lettered:<reason>'."""

    @property
    def status(self) -> str:
        """One word for the live page: received, routed, unrouted, delivered, partial, failed."""
        if not self.routed:
            return "received"
        if not self.channels:
            return "silenced" if self.silenced else "dropped"
        outcomes = [self.deliveries.get(c, "pending") for c in self.channels]
        if any(o.startswith("dead_lettered") for o in outcomes):
            return "failed"
        if all(o != "pending" for o in outcomes):
            return "delivered"
        return "routing" if all(o == "pending" for o in outcomes) else "partial"

    def summary(self) -> dict[str, Any]:
        """The row the live page and `hub tail` show (no payload)."""
        e = self.event
        return {
            "id": e.id,
            "time": e.receivedat.isoformat(),
            "source": e.source,
            "type": e.type,
            "subject": e.subject,
            "title": e.title,
            "severity": str(e.severity),
            "routes": list(self.routes),
            "channels": list(self.channels),
            "deliveries": dict(self.deliveries),
            "status": self.status,
            "silenced_by": self.silenced if isinstance(self.silenced, str) else None,
        }

    def detail(self) -> dict[str, Any]:
        """Everything: normalized fields, routing explanation, outcomes and the raw payload."""
        return {
            **self.summary(),
            # The payload as parsed, already JSON: pydantic's serializer stops at 255 levels.
            "event": {
                **self.event.model_dump(mode="json", exclude={"data"}),
                "data": self.event.data,
            },
            "explanation": [vars(x) for x in self.explanation],
            "silenced": self.silenced,
        }


@dataclass(frozen=True)
class Filter:
    """`hub tail` and live-page filters; None means any."""

    source: str | None = None
    type: str | None = None
    severity: str | None = None
    since: datetime | None = None

    def accepts(self, entry: Entry) -> bool:
        """Whether the entry passes every set filter (type and severity as prefix / minimum)."""
        e = entry.event
        if self.source and e.source != self.source:
            return False
        if self.type and not e.type.startswith(self.type.rstrip("*")):
            return False
        if self.severity and e.severity.rank < _rank(self.severity):
            return False
        return not (self.since and e.receivedat < self.since)


def _rank(name: str) -> int:
    from hub.core.severity import Severity

    return Severity(name).rank


class History(Protocol):
    """Records what happened to events and serves it to the live page and `hub tail`."""

    async def start(self) -> None:
        """Open storage and begin following it."""

    async def stop(self) -> None:
        """Stop following and close storage."""

    async def record_event(self, event: Event) -> None:
        """An event was accepted."""

    async def record_routing(
        self,
        event: Event,
        routes: Sequence[str],
        channels: Sequence[str],
        silenced: bool | str = False,
    ) -> None:
        """The router decided where the event goes."""

    async def record_delivery(self, event: Event, channel: str, outcome: str) -> None:
        """A channel's delivery finished (posted, updated, digested, dead_lettered:<reason>)."""

    async def recent(self, limit: int = 100, where: Filter | None = None) -> list[Entry]:
        """The newest entries first."""

    async def get(self, event_id: str, source: str | None = None) -> Entry | None:
        """One event's entry: of `source`, or (None) the newest of any source with this id."""

    def subscribe(self) -> AsyncIterator[Entry]:
        """Every entry as it changes, from now on, until the iterator is closed."""


class MemoryHistory:
    """`History` of the newest `capacity` events of this process, in memory."""

    def __init__(self, capacity: int = 5000) -> None:
        self.capacity = capacity
        # Keyed by (source, id): ids are unique per source, not across sources.
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()
        self._sources: dict[str, list[str]] = {}
        """id -> the sources of the entries with that id, oldest first."""
        self._listeners: set[asyncio.Queue[Entry]] = set()

    async def start(self) -> None:
        """Nothing to open."""

    async def stop(self) -> None:
        """Nothing to close."""

    def _put(self, entry: Entry) -> None:
        key = _key(entry.event)
        if key not in self._entries:
            self._sources.setdefault(key[1], []).append(key[0])
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            (source, event_id), _ = self._entries.popitem(last=False)
            sources = self._sources[event_id]
            sources.remove(source)
            if not sources:
                del self._sources[event_id]
        for queue in self._listeners:
            if queue.qsize() < 1000:  # a stalled reader loses rows, never memory
                queue.put_nowait(entry)

    async def record_event(self, event: Event) -> None:
        """Add the event unless it is already known."""
        if _key(event) not in self._entries:
            self._put(Entry(event=event))

    async def record_routing(
        self,
        event: Event,
        routes: Sequence[str],
        channels: Sequence[str],
        silenced: bool | str = False,
    ) -> None:
        """Attach the routing decision."""
        old = self._entries.get(_key(event)) or Entry(event=event)
        self._put(
            replace(
                old,
                routes=tuple(routes),
                channels=tuple(channels),
                routed=True,
                silenced=silenced,
                deliveries={c: old.deliveries.get(c, "pending") for c in channels},
            )
        )

    async def record_delivery(self, event: Event, channel: str, outcome: str) -> None:
        """Attach one channel's outcome."""
        old = self._entries.get(_key(event)) or Entry(event=event, routed=True, channels=(channel,))
        channels = old.channels if channel in old.channels else (*old.channels, channel)
        self._put(replace(old, channels=channels, deliveries={**old.deliveries, channel: outcome}))

    async def recent(self, limit: int = 100, where: Filter | None = None) -> list[Entry]:
        """Newest first."""
        rows: list[Entry] = []
        for entry in reversed(self._entries.values()):
            if where is None or where.accepts(entry):
                rows.append(entry)
                if len(rows) >= limit:
                    break
        return rows

    async def get(self, event_id: str, source: str | None = None) -> Entry | None:
        """One entry: of `source`, or (None) the newest of any source with this id."""
        if source is not None:
            return self._entries.get((source, event_id))
        sources = self._sources.get(event_id)
        return self._entries[(sources[-1], event_id)] if sources else None

    async def subscribe(self) -> AsyncIterator[Entry]:
        """Live changes until the consumer stops iterating."""
        queue: asyncio.Queue[Entry] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._listeners.discard(queue)


def _key(event: Event) -> tuple[str, str]:
    return (event.source, event.id)
