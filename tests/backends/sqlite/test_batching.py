"""Embedded-store shortcuts: gets of one loop turn share a query; event records are spliced."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.backends.sqlite.history import SqliteRecordLog
from hub.backends.sqlite.state import SqliteState
from hub.core.event import Event


async def test_gets_of_one_turn_each_see_their_own_key(state: SqliteState) -> None:
    """Concurrent gets (live, missing, expired, repeated keys) each answer for their key."""
    await state.put("live", "1")
    await state.put("other", "2", timedelta(minutes=1))
    await state.put("expired", "3", timedelta(milliseconds=1))
    await asyncio.sleep(0.01)
    keys = ["live", "missing", "expired", "other", "live", 'it\'s "quoted" é']
    values = await asyncio.gather(*(state.get(k) for k in keys))
    assert values == ["1", None, None, "2", "1", None]


async def test_a_cancelled_get_leaves_the_rest_of_its_batch_answered(state: SqliteState) -> None:
    """Cancelling one waiting get does not disturb the others read in the same query."""
    await state.put("a", "1")
    await state.put("b", "2")
    first = asyncio.ensure_future(state.get("a"))
    second = asyncio.ensure_future(state.get("b"))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == "2"
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_a_failed_read_fails_every_get_of_its_batch(
    state: SqliteState, tmp_path: Path
) -> None:
    """When the shared query fails, each get raises its error (none hangs)."""
    conn = sqlite3.connect(tmp_path / "state.db")
    conn.execute("DROP TABLE kv")
    conn.commit()
    conn.close()
    results = await asyncio.gather(state.get("a"), state.get("b"), return_exceptions=True)
    assert [type(r) for r in results] == [sqlite3.OperationalError] * 2


async def test_event_record_reads_back_as_its_cloudevent(tmp_path: Path) -> None:
    """The spliced event record is the record of the event's CloudEvent, odd text included."""
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    data = {"text": "naïve ☃ \ud800", "n": 2**70, "nested": [1, {"x": None}]}
    event = Event(
        id="e1", source="github", type="github.push", time=now, receivedat=now, title="t", data=data
    )
    log = SqliteRecordLog(tmp_path, timedelta(days=1))
    await log.start()
    try:
        await log.append_event(event)
        await log.append({"kind": "delivery", "id": "e1", "channel": "#a", "outcome": "posted"})
        records = [r async for r in log.read(None, follow=False)]
    finally:
        await log.close()
    assert records == [
        {"kind": "event", "event": event.to_cloudevent()},
        {"kind": "delivery", "id": "e1", "channel": "#a", "outcome": "posted"},
    ]


async def test_gets_on_a_closed_store_raise_instead_of_waiting(tmp_path: Path) -> None:
    """After close, each get (not only the first) fails at once."""
    store = SqliteState(tmp_path)
    await store.start()
    await store.close()
    for _ in range(2):
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(store.get("k"), 5)
