"""What the stages hand each other: a `Delivery` (one event for one channel), and dead letters."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from hub.core import jsonio
from hub.core.event import Event


@dataclass(frozen=True)
class Delivery:
    """One event to post to one channel: the router's output, the deliverer's input."""

    event: Event
    channel: str
    routes: tuple[str, ...]
    mention: tuple[str, ...] = ()
    thread: bool = True
    digest: str = "auto"
    held: tuple[Event, ...] = ()
    """Events held during quiet hours, delivered together as one digest (empty otherwise)."""

    @property
    def threadkey(self) -> str | None:
        """The thread this delivery goes into, if the route threads and the event has one."""
        return self.event.threadkey if self.thread else None

    def to_json_bytes(self) -> bytes:
        """The JSON message carried on the deliveries queues."""
        return jsonio.dumps(
            {
                "event": self.event.to_cloudevent(),
                "channel": self.channel,
                "routes": list(self.routes),
                "mention": list(self.mention),
                "thread": self.thread,
                "digest": self.digest,
                "held": [e.to_cloudevent() for e in self.held],
            }
        )

    @classmethod
    def from_json_bytes(cls, body: bytes) -> Delivery:
        """Parse a deliveries-queue message."""
        doc = jsonio.loads(body)
        return cls(
            event=Event.from_cloudevent(doc["event"]),
            channel=doc["channel"],
            routes=tuple(doc.get("routes", ())),
            mention=tuple(doc.get("mention", ())),
            thread=bool(doc.get("thread", True)),
            digest=str(doc.get("digest", "auto")),
            held=tuple(Event.from_cloudevent(e) for e in doc.get("held") or ()),
        )


@dataclass(frozen=True)
class DeadLetter:
    """A delivery that will not be retried, with why and how often it was tried."""

    delivery: Delivery
    reason: str
    attempts: int
    first_error: str
    last_error: str
    extra: dict[str, Any] = field(default_factory=dict)


def shard_of(channel: str, shards: int) -> int:
    """The delivery shard a channel always maps to (stable across processes and restarts)."""
    return zlib.crc32(channel.encode()) % shards


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


UNREADABLE = "hub.unreadable"
"""The type of the stand-in event of a dead letter whose bytes are not a delivery or an event."""


def _unreadable(key: str, body: bytes) -> Event:
    """A stand-in event so an unreadable message can be listed, shown and purged."""
    now = datetime.now(UTC)
    return Event(
        id=key,
        source="hub",
        type=UNREADABLE,
        time=now,
        receivedat=now,
        title="unreadable message",
        data=body[:2000].decode(errors="replace"),
    )


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
