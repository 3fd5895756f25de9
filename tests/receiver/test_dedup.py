"""Ingest dedup on the embedded stores: a delivery id is stored once, its repeat answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.state import SqliteState
from hub.core.event import Event
from hub.history.entries import MemoryHistory
from hub.receiver.dedup import DedupPublisher
from hub.testing.harness import info_event


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqliteBroker, SqliteState]]:
    """A started embedded broker and state store in a temporary directory."""
    broker, state = SqliteBroker(tmp_path), SqliteState(tmp_path)
    await broker.start()
    await state.start()
    try:
        yield broker, state
    finally:
        await state.close()
        await broker.close()


async def stored_ids(broker: SqliteBroker, expected: int) -> list[str]:
    """The ids of the events the broker holds, once `expected` of them have been handed out."""
    seen: list[str] = []
    enough = asyncio.Event()

    async def collect(event: Event) -> None:
        seen.append(event.id)
        if len(seen) >= expected:
            enough.set()

    await broker.consume_events(collect)
    await asyncio.wait_for(enough.wait(), 5)
    await asyncio.sleep(0.2)  # a stored repeat would arrive right behind
    return seen


async def test_first_delivery_is_stored_and_recorded(
    stores: tuple[SqliteBroker, SqliteState],
) -> None:
    """A new delivery id is published, recorded in the history and answered as not duplicate."""
    broker, state = stores
    history = MemoryHistory()
    duplicate = await DedupPublisher(broker, state, history).publish(info_event(1))
    assert duplicate is False
    assert await stored_ids(broker, 1) == ["evt-1"]
    assert await history.get("evt-1") is not None


async def test_repeat_of_a_delivery_id_is_not_stored_again(
    stores: tuple[SqliteBroker, SqliteState],
) -> None:
    """The second publish of the same source and id answers duplicate and stores nothing."""
    broker, state = stores
    publisher = DedupPublisher(broker, state, MemoryHistory())
    assert await publisher.publish(info_event(1)) is False
    assert await publisher.publish(info_event(1)) is True
    assert await publisher.publish(info_event(2)) is False
    assert await stored_ids(broker, 2) == ["evt-1", "evt-2"]


async def test_a_closed_state_store_accepts_without_dedup(
    stores: tuple[SqliteBroker, SqliteState],
) -> None:
    """With the state store unusable the event is still stored (never refused for dedup)."""
    broker, state = stores
    await state.close()
    duplicate = await DedupPublisher(broker, state, MemoryHistory()).publish(info_event(3))
    assert duplicate is False
    assert await stored_ids(broker, 1) == ["evt-3"]
