"""Folding history records: order-independent for records logged before their event."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.core.event import Event
from hub.history.entries import MemoryHistory
from hub.history.log import Folder


def _event() -> Event:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    return Event(id="e1", source="github", type="github.push", time=now, receivedat=now, title="t")


async def test_routing_and_delivery_logged_before_the_event_still_apply() -> None:
    """A router and deliverer that log before the receiver does still mark the event delivered."""
    folder = Folder(MemoryHistory())
    routing = {
        "kind": "routing",
        "id": "e1",
        "routes": ["r"],
        "channels": ["#a"],
        "silenced": False,
    }
    delivery = {"kind": "delivery", "id": "e1", "channel": "#a", "outcome": "posted"}
    assert await folder.apply(routing) is None
    assert await folder.apply(delivery) is None
    entry = await folder.apply({"kind": "event", "event": _event().to_cloudevent()})
    assert entry is not None
    assert entry.routes == ("r",)
    assert entry.deliveries == {"#a": "posted"}
    assert entry.status == "delivered"


async def test_records_in_order_give_the_same_entry() -> None:
    """The usual order (event, routing, delivery) ends in the same state."""
    folder = Folder(MemoryHistory())
    await folder.apply({"kind": "event", "event": _event().to_cloudevent()})
    await folder.apply({"kind": "routing", "id": "e1", "routes": ["r"], "channels": ["#a"]})
    entry = await folder.apply(
        {"kind": "delivery", "id": "e1", "channel": "#a", "outcome": "posted"}
    )
    assert entry is not None
    assert entry.status == "delivered"
