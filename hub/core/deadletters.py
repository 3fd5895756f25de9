"""Dead letters: what failed and why, filtered, shown, replayed through the current routes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from hub.core.broker import Delivery
from hub.core.event import Event
from hub.core.settings import parse_duration
from hub.routes.table import RouteTable


@dataclass(frozen=True)
class DeadRecord:
    """One dead letter: a delivery (or, for a poison event, the event alone) and its history."""

    key: str
    event: Event
    channel: str | None
    routes: tuple[str, ...]
    reason: str
    attempts: int
    first_error: str
    last_error: str
    dead_at: datetime | None
    delivery: Delivery | None = None

    def summary(self) -> dict[str, Any]:
        """The fields `list` prints."""
        return {
            "key": self.key,
            "dead_at": self.dead_at.isoformat() if self.dead_at else None,
            "reason": self.reason,
            "channel": self.channel,
            "routes": list(self.routes),
            "type": self.event.type,
            "subject": self.event.subject,
            "attempts": self.attempts,
        }


class DeadLetterSession(Protocol):
    """A consistent view of the dead letters; removed ones are gone when the session ends."""

    records: list[DeadRecord]

    async def remove(self, keys: Sequence[str]) -> None:
        """Drop these dead letters (after replaying them, or on purge)."""


@dataclass(frozen=True)
class DeadFilter:
    """The `--reason --since --channel --route` filters of `hub dead-letters`."""

    reason: str | None = None
    since: str | None = None
    channel: str | None = None
    route: str | None = None

    def select(self, records: Sequence[DeadRecord], now: datetime) -> list[DeadRecord]:
        """The records passing every given filter."""
        oldest = now - parse_duration(self.since) if self.since else None
        return [
            r
            for r in records
            if (self.reason is None or r.reason == self.reason)
            and (self.channel is None or r.channel == self.channel)
            and (self.route is None or self.route in r.routes)
            and (oldest is None or (r.dead_at is not None and r.dead_at >= oldest))
        ]


def _unreadable(key: str, body: bytes) -> Event:
    """A stand-in event so an unreadable message can be listed, shown and purged."""
    now = datetime.now(UTC)
    return Event(
        id=key,
        source="hub",
        type="hub.unreadable",
        time=now,
        receivedat=now,
        title="unreadable message",
        data=body[:2000].decode(errors="replace"),
    )


def replan(record: DeadRecord, table: RouteTable) -> list[Delivery]:
    """The deliveries a dead letter's event gets under the current routes table."""
    return [
        Delivery(
            event=record.event,
            channel=t.channel,
            routes=t.routes,
            mention=t.mention,
            thread=t.thread,
            digest=t.digest,
        )
        for t in table.route(record.event).targets
    ]


def parse_dead(key: str, body: bytes, headers: dict[str, Any]) -> DeadRecord:
    """A dead letter from its stored body (a delivery, a poison event, or unreadable bytes)."""
    try:
        doc = json.loads(body)
        delivery = Delivery.from_json_bytes(body) if "event" in doc and "channel" in doc else None
        event = delivery.event if delivery else Event.from_cloudevent(doc)
    except (ValueError, KeyError, TypeError, AttributeError):
        delivery, event = None, _unreadable(key, body)
    dead_at = headers.get("dead_at")
    return DeadRecord(
        key=key,
        event=event,
        channel=delivery.channel if delivery else None,
        routes=delivery.routes if delivery else (),
        reason=str(headers.get("reason") or "unknown"),
        attempts=int(headers.get("attempts") or 0),
        first_error=str(headers.get("first_error") or ""),
        last_error=str(headers.get("last_error") or ""),
        dead_at=datetime.fromisoformat(dead_at) if isinstance(dead_at, str) else dead_at,
        delivery=delivery,
    )
