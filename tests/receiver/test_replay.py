"""Signed content is claimed once per dedup window, on Redis and on SQLite alike."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.backends.redis.state import RedisState
from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.state import SqliteState
from hub.core.event import Event
from hub.core.state import StateStore
from hub.history.entries import MemoryHistory
from hub.receiver.dedup import DedupPublisher
from hub.testing.harness import REDIS_URL

pytestmark = pytest.mark.integration

SIGNED = b'{"action": "opened", "number": 42}'


@pytest.fixture(params=["redis", "sqlite"])
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    """A fresh store of each kind (Redis keys under a unique prefix)."""
    store: StateStore = (
        RedisState(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}")
        if request.param == "redis"
        else SqliteState(tmp_path / "state")
    )
    (tmp_path / "state").mkdir()
    await store.start()
    try:
        yield store
    finally:
        await store.close()


def delivery(event_id: str) -> Event:
    """A GitHub event with delivery id `event_id`."""
    now = datetime.now(UTC)
    return Event(
        id=event_id, source="github", type="github.ping", time=now, receivedat=now, title="ping"
    )


async def test_content_that_failed_to_store_is_stored_on_retry(
    state: StateStore, tmp_path: Path
) -> None:
    """A failed store releases the claim: the sender's retry is stored, and only then refused."""
    broker = SqliteBroker(tmp_path)
    publisher = DedupPublisher(broker, state, MemoryHistory())
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure of an unopened broker
        await publisher.publish(delivery("d-1"), SIGNED)
    await broker.start()
    try:
        assert await publisher.publish(delivery("d-1"), SIGNED) is False
        assert await publisher.publish(delivery("d-2"), SIGNED) is True
        assert await publisher.publish(delivery("d-3"), SIGNED + b" ") is False
    finally:
        await broker.close()


async def test_same_content_from_another_source_is_not_a_replay(
    state: StateStore, tmp_path: Path
) -> None:
    """The claim is per source: Sentry's body equal to GitHub's is its own delivery."""
    broker = SqliteBroker(tmp_path)
    await broker.start()
    publisher = DedupPublisher(broker, state, MemoryHistory())
    sentry = delivery("s-1").model_copy(update={"source": "sentry", "type": "sentry.issue.created"})
    try:
        assert await publisher.publish(delivery("g-1"), SIGNED) is False
        assert await publisher.publish(sentry, SIGNED) is False
    finally:
        await broker.close()
