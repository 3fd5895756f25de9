"""Change notices between the processes of one hub, on Redis and on SQLite alike."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hub.backends.redis.state import RedisState
from hub.backends.sqlite.state import SqliteState
from hub.core.state import Announced, StateStore
from hub.testing.harness import REDIS_URL

pytestmark = pytest.mark.integration

Stores = Callable[[], StateStore]


@pytest.fixture(params=["redis", "sqlite"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    """Make started stores that share one hub's state, as separate processes' stores would."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    made: list[StateStore] = []

    def make() -> StateStore:
        store: StateStore = (
            RedisState(REDIS_URL, prefix=prefix)
            if request.param == "redis"
            else SqliteState(tmp_path)
        )
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


async def started(stores: Stores) -> StateStore:
    """One more started store of the hub."""
    store = stores()
    await store.start()
    return store


async def test_an_announcement_with_no_listener_returns_at_once(stores: Stores) -> None:
    """Nobody listening: nothing to wait for, so no time is spent waiting."""
    writer = await started(stores)
    begun = time.monotonic()
    assert await writer.announce("silences", 2.0) == Announced(0, 0)
    assert time.monotonic() - begun < 0.5


async def test_every_listener_has_acted_when_the_announcement_returns(stores: Stores) -> None:
    """Each listener, in its own store, has run its action before it is counted as confirmed."""
    acted: list[str] = []
    for name in ("a", "b", "c"):
        listener = await started(stores)

        async def act(name: str = name) -> None:
            await asyncio.sleep(0.05)  # a read of the store takes a moment
            acted.append(name)

        await listener.listen("silences", act)
    writer = await started(stores)
    assert await writer.announce("silences", 2.0) == Announced(3, 3)
    assert sorted(acted) == ["a", "b", "c"]
    assert await writer.announce("other-topic", 2.0) == Announced(0, 0)


async def test_a_listener_that_cannot_act_is_reported_unconfirmed(stores: Stores) -> None:
    """A failing action is not confirmed: the announcer waits its bound and says one is missing."""

    async def broken() -> None:
        raise ConnectionError("store down")

    async def fine() -> None:
        return None

    await (await started(stores)).listen("silences", broken)
    await (await started(stores)).listen("silences", fine)
    writer = await started(stores)
    begun = time.monotonic()
    announced = await writer.announce("silences", 0.3)
    assert announced == Announced(2, 1)
    assert not announced.complete
    assert 0.3 <= time.monotonic() - begun < 1.5


async def test_a_closed_store_no_longer_listens(stores: Stores) -> None:
    """Once a listener's store is closed it is not counted (nor waited for)."""

    async def act() -> None:
        return None

    listener = await started(stores)
    await listener.listen("silences", act)
    writer = await started(stores)
    assert await writer.announce("silences", 2.0) == Announced(1, 1)
    await listener.close()
    assert await writer.announce("silences", 2.0) == Announced(0, 0)
