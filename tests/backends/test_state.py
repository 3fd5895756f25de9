"""The state store contract, on Redis and on SQLite alike."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from hub.backends.redis.state import RedisState
from hub.backends.sqlite.state import SqliteState
from hub.core.state import StateStore
from hub.testing.harness import REDIS_URL

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "sqlite"])
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    """A fresh store of each kind (Redis keys under a unique prefix)."""
    store: StateStore = (
        RedisState(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}")
        if request.param == "redis"
        else SqliteState(tmp_path)
    )
    await store.start()
    try:
        yield store
    finally:
        await store.close()


async def test_add_sets_only_when_absent(state: StateStore) -> None:
    """add() is true the first time and false while the key lives."""
    assert await state.add("k", "1", timedelta(minutes=1))
    assert not await state.add("k", "2", timedelta(minutes=1))
    assert await state.get("k") == "1"


async def test_expired_keys_are_gone(state: StateStore) -> None:
    """A key past its ttl reads as absent and can be added again."""
    await state.put("k", "v", timedelta(milliseconds=200))
    assert await state.get("k") == "v"
    await asyncio.sleep(0.35)
    assert await state.get("k") is None
    assert await state.add("k", "w", timedelta(minutes=1))


async def test_put_replaces_and_delete_removes(state: StateStore) -> None:
    """put() overwrites; delete() removes."""
    await state.put("k", "a")
    await state.put("k", "b")
    assert await state.get("k") == "b"
    await state.delete("k")
    assert await state.get("k") is None


async def test_scan_returns_live_keys_under_a_prefix(state: StateStore) -> None:
    """scan() returns exactly the live keys that start with the prefix, glob characters literal."""
    await state.put("silence:1", "a")
    await state.put("silence:2", "b")
    await state.put("silence:3", "c", timedelta(milliseconds=100))
    await state.put("silences", "not mine")
    await state.put("other:1", "x")
    await state.put("si*", "star")
    await asyncio.sleep(0.2)
    assert await state.scan("silence:") == {"silence:1": "a", "silence:2": "b"}
    assert await state.scan("si*") == {"si*": "star"}


async def test_take_returns_the_list_in_order_and_empties_it(state: StateStore) -> None:
    """push() appends; take() returns everything oldest first, once."""
    for value in ("one", "two", "three"):
        await state.push("held", value)
    assert await state.take("held") == ["one", "two", "three"]
    assert await state.take("held") == []


async def test_redis_commands_of_one_loop_turn_each_get_their_own_answer() -> None:
    """Concurrent commands share pipelines, yet each gets its own result, or its own error."""
    store = RedisState(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}")
    await store.start()
    try:
        await store.push("a-list", "x")  # GET on a list is a WRONGTYPE error for that command only
        results = await asyncio.gather(
            *(store.put(f"k{n}", f"v{n}", timedelta(minutes=1)) for n in range(200))
        )
        assert results == [None] * 200
        got = await asyncio.gather(
            *(store.get(f"k{n}") for n in range(200)),
            store.get("list:a-list"),
            store.add("k7", "again", timedelta(minutes=1)),
            store.add("fresh", "1", timedelta(minutes=1)),
            return_exceptions=True,
        )
        assert got[:200] == [f"v{n}" for n in range(200)]
        assert isinstance(got[200], Exception)
        assert "WRONGTYPE" in str(got[200])
        assert got[201:] == [False, True]
    finally:
        await store.close()
