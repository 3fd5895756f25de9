"""The deliverer stage's lanes when an engine is away and hub stops."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from adapters.slack import render as slack_render
from adapters.slack.client import SlackNotifier
from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.state import SqliteState
from hub.core.errors import EngineUnavailable
from hub.core.log import configure_logging
from hub.core.messages import Delivery
from hub.core.outage import EngineGate
from hub.deliverer.stage import Deliverer
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import info_event

TOKEN = "xoxb-stage-test"


async def test_stopping_while_an_engine_is_away_leaves_the_delivery_queued_without_an_error(
    tmp_path: Path, state: SqliteState
) -> None:
    """A delivery waiting at the gate when hub stops is handed back to the broker (its
    `handle` raises) and logged as a warning, not as an unexpected failure with a traceback;
    nothing is posted."""
    fake = FakeSlack(token=TOKEN)
    await fake.start()
    broker = SqliteBroker(tmp_path)
    await broker.start()
    notifier = SlackNotifier(TOKEN, fake.base_url)
    lines = io.StringIO()
    configure_logging("info", "json", stream=lines)
    gate = EngineGate(backoff_first=10, backoff_max=10)  # closed for the whole test
    try:
        deliverer = Deliverer(broker, state, notifier, slack_render, gate=gate)
        gate.close(EngineUnavailable("state store", "connection refused"))
        waiting = asyncio.create_task(deliverer.handle(Delivery(info_event(1), "#ops", ("all",))))
        await asyncio.sleep(0.2)
        assert not waiting.done(), "the delivery did not wait at the closed gate"
        await gate.stop()
        with pytest.raises(EngineUnavailable, match="stopping"):
            await asyncio.wait_for(waiting, 5)
    finally:
        configure_logging()
        await notifier.close()
        await broker.close()
        await fake.stop()
    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    left = [r for r in records if r["event"] == "delivery failed; returned to the queue"]
    assert [(r["level"], r["channel"]) for r in left] == [("warning", "#ops")]
    assert [r for r in records if r["level"] == "error" or "exception" in r] == []
    assert fake.posts() == []
