"""dedup_window: a repeat of the same type, subject and state within the window is not posted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.state import SqliteState
from hub.core.event import Event
from hub.core.messages import Delivery
from hub.history.entries import MemoryHistory
from hub.router.stage import Router
from hub.routes.load import parse_routes
from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import run_hub
from tests.conftest_integration import SettingsFactory

WINDOW = 3.0
ROUTES = f"""\
version: 1
routes:
  - name: alerts
    match: {{source: kapacitor}}
    channels: ["#ops"]
    dedup_window: {WINDOW:g}s
"""


def alert(host: str, level: str, n: int) -> signing.Signed:
    """A signed Kapacitor alert on cpu:host=`host` at `level`; `n` makes its body and id unique."""
    body = {
        "id": f"cpu:host={host}",
        "message": f"cpu:host={host} is {level.upper()} (#{n})",
        "time": "2024-01-01T00:00:00Z",
        "level": level.upper(),
        "data": {
            "series": [
                {
                    "name": "cpu",
                    "tags": {"host": host},
                    "columns": ["time", "value"],
                    "values": [["2024-01-01T00:00:00Z", 97]],
                }
            ]
        },
    }
    return signing.kapacitor(json.dumps(body).encode())


@pytest.mark.integration
async def test_repeat_is_dropped_changed_state_passes_and_window_expires(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """A same-state repeat in the window is dropped; a new state, or the same after it, posts."""
    async with run_hub(make_settings(ROUTES)) as hub:
        sent = []
        for n, level in enumerate(["critical", "critical", "ok"]):
            status, body = await hub.post(alert("web-1", level, n))
            assert status == 202, body
            sent.append(body["id"])
        first, repeat, recovered = sent
        await slack.wait_for(2, timeout=15)
        started = asyncio.get_running_loop().time()
        await asyncio.sleep(0.5)  # the repeat, were it let through, would be posted by now
        posted = slack.event_ids()
        assert len(posted) == 2
        assert recovered in posted
        assert len({first, repeat} & set(posted)) == 1, "both or neither critical alert posted"
        await asyncio.sleep(max(0.0, WINDOW + 0.5 - (asyncio.get_running_loop().time() - started)))
        status, body = await hub.post(alert("web-1", "critical", 3))
        assert status == 202
        again = body["id"]
        await slack.wait_for(3, timeout=15)
        await asyncio.sleep(0.5)
    assert all(call.metadata for call in slack.posts())
    assert slack.event_ids() == [*posted, again]


def kapacitor_event(event_id: str) -> Event:
    """A critical cpu alert on web-1 with id `event_id`."""
    now = datetime.now(UTC)
    return Event(
        id=event_id,
        source="kapacitor",
        type="kapacitor.alert.critical",
        time=now,
        receivedat=now,
        state="critical",
        subject="cpu:host=web-1",
        title="CRITICAL",
    )


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[tuple[SqliteBroker, SqliteState]]:
    """A started embedded broker and state store in a temporary directory."""
    broker, state = SqliteBroker(tmp_path), SqliteState(tmp_path)
    await broker.start()
    await state.start()
    try:
        yield broker, state
    finally:
        await state.close()
        await broker.close()


async def test_redelivered_event_is_not_a_repeat_of_itself(
    embedded: tuple[SqliteBroker, SqliteState],
) -> None:
    """The router handling the same event twice (a redelivery) publishes it both times."""
    broker, state = embedded
    table = parse_routes(ROUTES)
    router = Router(broker, lambda: table, MemoryHistory(), state=state)
    await router.handle(kapacitor_event("a"))
    await router.handle(kapacitor_event("a"))
    await router.handle(kapacitor_event("b"))
    published: list[str] = []
    arrived = asyncio.Event()

    async def collect(delivery: Delivery) -> None:
        published.append(delivery.event.id)
        if len(published) == 2:
            arrived.set()

    await broker.consume_deliveries(collect)
    await asyncio.wait_for(arrived.wait(), 10)
    await asyncio.sleep(0.3)
    await broker.stop_consuming()
    assert published == ["a", "a"]
