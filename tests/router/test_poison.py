"""Poison messages are dead-lettered instead of looping, and the workers keep going."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import time
from typing import Any

import aio_pika
import pytest

from hub.backends.amqp.broker import Topology
from hub.core.broker import POISON_DELIVERY_LIMIT
from hub.core.settings import Settings
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import AMQP_URL, cli_env, hub_json, run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import CHANNEL_ROUTES, numbered

pytestmark = pytest.mark.integration


async def _dead(settings: Settings) -> list[dict[str, Any]]:
    return await hub_json(cli_env(settings), "dead-letters", "list", "--json")


async def _inject_garbage(settings: Settings, profile: str) -> None:
    if profile == "distributed":
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            route = Topology(settings.amqp_prefix, settings.delivery_shards).route
            await channel.default_exchange.publish(
                aio_pika.Message(
                    b"\x00 not an event", delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                ),
                routing_key=route,
            )
        return
    with sqlite3.connect(settings.data_dir / "queue.db") as db:
        db.execute(
            "INSERT INTO messages (queue, body, enqueued_at) VALUES ('route', ?, ?)",
            (b"\x00 not an event", time.time()),
        )


async def test_unreadable_message_is_dead_lettered_once_and_the_router_continues(
    make_settings: SettingsFactory, slack: FakeSlack, profile: str
) -> None:
    """Garbage on the route queue goes to the dead letters at once; good events still flow."""
    settings = make_settings(CHANNEL_ROUTES)
    async with run_hub(settings) as hub:
        await _inject_garbage(settings, profile)
        assert (await hub.post(numbered(1)))[0] == 202
        await slack.wait_for_events(1, timeout=20)
        deadline = time.monotonic() + 20
        while not (dead := await _dead(settings)):
            assert time.monotonic() < deadline, "the poison message never reached the dead letters"
            await asyncio.sleep(0.3)
        await asyncio.sleep(1)
        assert len(await _dead(settings)) == 1, "it looped"
    (record,) = dead
    assert record["type"] == "hub.unreadable"
    assert record["reason"] in {"rejected", "unparsable"}


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_message_claimed_past_the_limit_is_dead_lettered(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """A message its worker died on POISON_DELIVERY_LIMIT times is dead-lettered, not retried."""
    settings = make_settings(CHANNEL_ROUTES)
    async with run_hub(settings, stages=("receiver",)) as hub:
        assert (await hub.post(numbered(1)))[0] == 202
    with sqlite3.connect(settings.data_dir / "queue.db") as db:
        db.execute("UPDATE messages SET attempts = ?", (POISON_DELIVERY_LIMIT,))
    async with run_hub(settings):
        deadline = time.monotonic() + 20
        while not (dead := await _dead(settings)):
            assert time.monotonic() < deadline, "never dead-lettered"
            await asyncio.sleep(0.3)
    assert dead[0]["reason"] == "delivery_limit"
    assert slack.posts() == []


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_quorum_queues_carry_a_delivery_limit(make_settings: SettingsFactory) -> None:
    """Every work queue is a quorum queue with x-delivery-limit and the dead-letter exchange."""
    settings = make_settings(CHANNEL_ROUTES)
    async with run_hub(settings):
        out = await asyncio.to_thread(
            subprocess.run,
            ["rabbitmqctl", "-q", "list_queues", "name", "arguments", "--formatter", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    queues = {q["name"]: {k: v for k, _type, v in q["arguments"]} for q in json.loads(out.stdout)}
    topology = Topology(settings.amqp_prefix, settings.delivery_shards)
    for name in [topology.route] + [topology.deliver(n) for n in range(settings.delivery_shards)]:
        assert queues[name]["x-queue-type"] == "quorum", name
        assert queues[name]["x-delivery-limit"] == POISON_DELIVERY_LIMIT, name
        assert queues[name]["x-dead-letter-exchange"] == topology.dead, name
