"""The durable event history: every event, its routing and each delivery outcome, as records.

Stages append records; the live page and `hub tail` read them back. In the distributed
profile the log is the RabbitMQ stream `hub.events.log` (events reach it from `hub.events`,
the other records from `hub.history`); in the embedded profile it is a SQLite table.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from hub.core.event import Event
from hub.core.log import get_logger
from hub.history.entries import Entry, Filter, MemoryHistory

log = get_logger("hub.history")

Record = dict[str, Any]
"""{"kind": "event", "event": <CloudEvent>} | {"kind": "routing", "source", "id", "routes",
"channels", "silenced"} | {"kind": "delivery", "source", "id", "channel", "outcome"}

Records written before they named the event's source carry only its id: they apply to the
newest event of any source with that id."""


class RecordLog(Protocol):
    """Append-only records with retention; read from a time on, optionally following."""

    async def start(self) -> None:
        """Open storage."""

    async def close(self) -> None:
        """Close storage."""

    async def append_event(self, event: Event) -> None:
        """Store an accepted event's record, unless the log receives events by itself."""

    async def append(self, record: Record) -> None:
        """Store one record (best effort: a failure is logged, never raised)."""

    def read(self, since: datetime | None, follow: bool) -> AsyncIterator[Record]:
        """Records from `since` (None: all kept), then new ones as they come if `follow`."""

    def events(
        self, since: datetime | None, until: datetime, containing: str | None = None
    ) -> AsyncIterator[Event]:
        """The events received from about `since` (None: all kept) to `until`, oldest first.

        Bounds are coarse (the caller checks `receivedat`); with `containing`, only events
        whose stored JSON holds that text, a cheap pre-filter (the caller checks the fields).
        """


CAUGHT_UP: Record = {"kind": "caught_up"}
"""Yielded once by a following read when the records that already existed are all read."""


class LoggedHistory:
    """`History` for the stages and the live page: writes go to the log, reads come from
    an in-memory view that follows the log, so every process sees every stage's records.

    The view follows the log only once somebody reads it (the live page, `/hub why`), so
    workers nobody watches do not spend their CPU re-reading the history stream.
    """

    def __init__(self, log: RecordLog, backfill: timedelta = timedelta(hours=1)) -> None:
        self.log = log
        self.view = MemoryHistory()
        self.backfill = backfill
        self._follower: asyncio.Task[None] | None = None
        self._caught_up = asyncio.Event()

    async def start(self) -> None:
        """Open the log (following starts with the first read)."""
        await self.log.start()

    async def _following(self, wait: float = 3.0) -> None:
        if self._follower is None:
            self._follower = asyncio.create_task(self._follow())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._caught_up.wait(), wait)

    async def stop(self) -> None:
        """Stop following and close the log."""
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._follower, 10)
        await self.log.close()

    async def _follow(self) -> None:
        while True:
            folder = Folder(self.view)
            try:
                async for record in self.log.read(datetime.now(UTC) - self.backfill, follow=True):
                    if record is CAUGHT_UP:
                        self._caught_up.set()
                    else:
                        await folder.apply(record)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("history follower restarting", error=str(exc))
                await asyncio.sleep(2)

    async def record_event(self, event: Event) -> None:
        """Append the event."""
        await self.log.append_event(event)

    async def record_routing(
        self,
        event: Event,
        routes: Sequence[str],
        channels: Sequence[str],
        silenced: bool | str = False,
    ) -> None:
        """Append the routing decision (`silenced`: the silence that held it back, if one did)."""
        await self.log.append(
            {
                "kind": "routing",
                "source": event.source,
                "id": event.id,
                "routes": list(routes),
                "channels": list(channels),
                "silenced": silenced,
            }
        )

    async def record_delivery(self, event: Event, channel: str, outcome: str) -> None:
        """Append one channel's outcome."""
        await self.log.append(
            {
                "kind": "delivery",
                "source": event.source,
                "id": event.id,
                "channel": channel,
                "outcome": outcome,
            }
        )

    async def recent(self, limit: int = 100, where: Filter | None = None) -> list[Entry]:
        """From the view."""
        await self._following()
        return await self.view.recent(limit, where)

    async def get(self, event_id: str, source: str | None = None) -> Entry | None:
        """From the view."""
        await self._following()
        return await self.view.get(event_id, source)

    async def subscribe(self) -> AsyncIterator[Entry]:
        """From the view."""
        await self._following(wait=0)
        async for entry in self.view.subscribe():
            yield entry


class Folder:
    """Folds records into a view. A routing or delivery record can be logged before its event
    (the router may finish before the receiver writes its record): it waits for the event."""

    MAX_WAITING = 10_000

    def __init__(self, view: MemoryHistory) -> None:
        self.view = view
        # Keyed by (source, id); ("", id) for records that do not name their source.
        self._waiting: OrderedDict[tuple[str, str], list[Record]] = OrderedDict()

    async def apply(self, record: Record) -> Entry | None:
        """Fold one record in; the entry it changed (None while its event is still unknown)."""
        if record.get("kind") == "event":
            event = Event.from_cloudevent(record["event"])
            await self.view.record_event(event)
            early = self._waiting.pop((event.source, event.id), [])
            early += self._waiting.pop(("", event.id), [])
            for waiting in early:
                await self._fold(waiting, event)
            return await self.view.get(event.id, event.source)
        if record.get("kind") not in ("routing", "delivery"):
            return None
        source, event_id = str(record.get("source") or ""), str(record.get("id"))
        entry = await self.view.get(event_id, source or None)
        if entry is None:
            self._waiting.setdefault((source, event_id), []).append(record)
            while len(self._waiting) > self.MAX_WAITING:
                self._waiting.popitem(last=False)
            return None
        await self._fold(record, entry.event)
        return await self.view.get(event_id, entry.event.source)

    async def _fold(self, record: Record, event: Event) -> None:
        if record.get("kind") == "routing":
            await self.view.record_routing(
                event, record["routes"], record["channels"], _silenced(record.get("silenced"))
            )
        elif record.get("kind") == "delivery":
            await self.view.record_delivery(event, record["channel"], record["outcome"])


def _silenced(value: object) -> bool | str:
    """A record's `silenced`: the silence's description, or a bare flag (older records)."""
    return value if isinstance(value, str) and value else bool(value)
