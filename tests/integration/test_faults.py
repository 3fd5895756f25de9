"""Fault tests on real services: Slack outages, 429 storms, bad channels, a cut broker link."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import AMQP_URL, cli_env, hub_command, run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import CHANNEL_ROUTES, Tally, numbered
from tests.tcpproxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_slack_500_for_20s_then_recovery_delivers_all_in_order(
    make_settings: SettingsFactory, slack: FakeSlack, profile: str
) -> None:
    """While Slack answers 500 for 20 s events are accepted; afterwards all arrive, in order."""
    tally = Tally("slack 500 for 20 s", profile)
    settings = make_settings(CHANNEL_ROUTES, delivery_backoff_max="2s")
    slack.fail_for(20)
    async with run_hub(settings) as hub:
        for i in range(60):
            status, _ = await hub.post(numbered(i))
            tally.answer(status)
            await asyncio.sleep(0.05)
        await slack.wait_for_events(60, timeout=60)
        await asyncio.sleep(0.5)
    assert tally.accepted == 60
    assert any(c.status == 500 for c in slack.calls), "the outage was never seen"
    tally.check(slack, set(range(60)))


async def test_429_storm_is_honoured_and_nothing_posts_early(
    make_settings: SettingsFactory, slack: FakeSlack, profile: str
) -> None:
    """After each 429 with Retry-After, no call reaches that channel before the time given."""
    tally = Tally("429 storm", profile)
    slack.rate_limit_next(4, retry_after=1)
    async with run_hub(make_settings(CHANNEL_ROUTES)) as hub:
        for i in range(0, 30, 3):  # all to #team-a
            tally.answer((await hub.post(numbered(i)))[0])
        await slack.wait_for_events(10, timeout=30)
        await asyncio.sleep(0.3)
    limited = [c for c in slack.calls if c.status == 429]
    assert len(limited) == 4
    for call in limited:
        later = [c.received for c in slack.calls if c.received > call.received]
        assert later, "nothing was tried after a 429"
        assert min(later) >= call.received + 1 - 0.01, "a call came before Retry-After elapsed"
    tally.check(slack, set(range(0, 30, 3)))


async def test_channel_not_found_is_dead_lettered_and_replays_once_after_fix(
    make_settings: SettingsFactory, slack: FakeSlack, profile: str, tmp_path: Path
) -> None:
    """channel_not_found dead-letters with its reason; after fixing routes, replay delivers once."""
    routes = 'version: 1\nroutes:\n  - {name: team, match: {source: github}, channels: ["#gone"]}\n'
    slack.unknown_channels.add("#gone")
    settings = make_settings(routes)
    env = cli_env(settings)
    async with run_hub(settings) as hub:
        status, body = await hub.post(numbered(7))
        assert status == 202
        deadline = time.monotonic() + 20
        while not (listed := await hub_command(env, "dead-letters", "list", "--json")):
            assert time.monotonic() < deadline, "no dead letter appeared"
            await asyncio.sleep(0.3)
        (record,) = [json.loads(line) for line in listed.splitlines()]
        assert record["reason"] == "channel_not_found"
        assert record["channel"] == "#gone"
        assert record["routes"] == ["team"]

        settings.routes.write_text(routes.replace("#gone", "#found"))
        dry = await hub_command(env, "dead-letters", "replay", "--dry-run")
        assert "-> #found" in dry
        assert slack.posts("#found") == []
        await hub_command(env, "dead-letters", "replay", "--reason", "channel_not_found")
        await slack.wait_for_events(1, timeout=20, channel="#found")
        again = await hub_command(env, "dead-letters", "replay")
        await asyncio.sleep(0.5)
        assert "replayed 0" in again
        assert await hub_command(env, "dead-letters", "list", "--json") == ""
    assert len(slack.posts("#found")) == 1
    assert slack.posts("#found")[0].metadata["event_payload"]["event_ids"] == [body["id"]]  # type: ignore[index]


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_broker_link_cut_for_10s_loses_nothing(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """RabbitMQ link cut for 10 s mid-traffic: every webhook 202, all delivered once, in order."""
    proxy = TcpProxy("127.0.0.1", 5672)
    port = await proxy.start()
    tally = Tally("RabbitMQ link cut 10 s", "distributed")
    settings = make_settings(CHANNEL_ROUTES, broker_url=AMQP_URL.replace(":5672", f":{port}"))
    try:
        async with run_hub(settings) as hub:
            start = time.monotonic()
            cut = restored = False
            i = 0
            while time.monotonic() - start < 16:
                elapsed = time.monotonic() - start
                if not cut and elapsed > 3:
                    await proxy.cut()
                    cut = True
                if not restored and elapsed > 13:
                    await proxy.restore()
                    restored = True
                tally.answer((await hub.post(numbered(i)))[0])
                i += 1
                await asyncio.sleep(0.04)
            await slack.wait_for_events(i, timeout=60)
            await asyncio.sleep(0.5)
    finally:
        await proxy.stop()
    assert tally.statuses == {202: i}, f"non-202 answers: {tally.statuses}"
    tally.check(slack, set(range(i)))
