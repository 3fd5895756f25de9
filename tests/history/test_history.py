"""Event history: every event with its routing and delivery outcome, read back by `hub tail`."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from hub.backends.amqp.broker import AmqpBroker
from hub.backends.amqp.history import AmqpRecordLog
from hub.core.settings import Settings
from hub.history.log import CAUGHT_UP, Record
from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import AMQP_URL, cli_env, delete_topology, hub_json, run_hub
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - {name: alerts, match: {source: kapacitor}, channels: ["#ops"]}
  - {name: ci, match: {source: travis}, channels: ["#ci", "#firehose"]}
"""


async def _tail(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    return await hub_json(env, "tail", "--since", "10m", "--json", *args)


async def test_tail_shows_each_event_with_routes_channels_and_outcomes(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """`hub tail` replays each event, where it was routed, and each channel's delivery outcome."""
    settings = make_settings(ROUTES)
    async with run_hub(settings) as hub:
        alert = await hub.post(signing.for_fixture(fixtures_dir / "kapacitor/alert.critical.json"))
        build = await hub.post(signing.for_fixture(fixtures_dir / "travis/build.failed.json"))
        dropped = await hub.post(signing.for_fixture(fixtures_dir / "github/ping.json"))
        assert {alert[0], build[0], dropped[0]} == {202}
        await slack.wait_for_events(2, timeout=20)
        await asyncio.sleep(1)
        env = cli_env(settings)
        rows = await _tail(env)
        only_kapacitor = await _tail(env, "--source", "kapacitor")
        page = await hub.http.get(hub.ops_url + "/api/events")
        listed = await page.json()
        page.release()

    final = {row["id"]: row for row in rows}  # the last line per event is its latest state
    assert final[alert[1]["id"]]["channels"] == ["#ops"]
    assert final[alert[1]["id"]]["deliveries"] == {"#ops": "posted"}
    assert final[build[1]["id"]]["routes"] == ["ci"]
    assert final[build[1]["id"]]["deliveries"] == {"#ci": "posted", "#firehose": "posted"}
    assert final[dropped[1]["id"]]["status"] == "dropped"
    assert {row["source"] for row in only_kapacitor} == {"kapacitor"}
    assert {row["id"] for row in listed} == set(final), "the live page's history lacks events"


async def _stream_records(history: AmqpRecordLog, since: datetime) -> list[Record]:
    return [r async for r in history.read(since, follow=False) if r is not CAUGHT_UP]


async def test_history_records_leave_in_batches_and_read_back_one_by_one(tmp_path: Path) -> None:
    """Records appended together travel as one stream message and are read back in order;
    a record published alone (as earlier versions did) still reads; close publishes the rest."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    broker = AmqpBroker(AMQP_URL, prefix=prefix, shards=2)
    await broker.start()
    since = datetime.now(UTC) - timedelta(seconds=5)
    try:
        history = AmqpRecordLog(broker, linger=0.05)
        await broker.publish_history(json.dumps({"kind": "delivery", "id": "old"}).encode())
        records = [{"kind": "delivery", "id": f"e{n}", "channel": "#a"} for n in range(5)]
        for record in records[:3]:
            await history.append(record)  # returns at once: nothing awaited a confirm
        await asyncio.sleep(0.5)  # the first three leave together after the linger
        for record in records[3:]:
            await history.append(record)
        await history.close()  # the last two have not lingered yet: close sends them
        read = await _stream_records(history, since)
        messages = await _stream_messages(broker, since)
    finally:
        await broker.close()
        await delete_topology(Settings(amqp_prefix=prefix, delivery_shards=2))
    assert read == [{"kind": "delivery", "id": "old"}, *records]
    assert messages == 3, "one message for the old record, one per batch"


async def _stream_messages(broker: AmqpBroker, since: datetime) -> int:
    """How many messages the history stream holds from `since`."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=100)
        queue = await channel.get_queue(broker.topology.events_log, ensure=False)
        count = 0
        async with queue.iterator(arguments={"x-stream-offset": since}) as messages:
            while True:
                try:
                    message = await asyncio.wait_for(messages.__anext__(), 1.0)
                except TimeoutError:
                    return count
                await message.ack()
                count += 1
