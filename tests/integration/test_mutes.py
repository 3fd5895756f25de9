"""A mute is in force on every router once it is answered: from Slack and the CLI, both profiles."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from hub.core.settings import Settings
from hub.factory import make_parts
from hub.service import running
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import free_port, run_hub
from tests.chatops.test_commands import ADMIN, SECRET, command, post, shown
from tests.conftest_integration import SettingsFactory
from tests.router.test_dedup_window import alert
from tests.router.test_silences import routed, silence_cli

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - {name: alerts, match: {source: kapacitor}, channels: ["#ops"]}
"""
ALERTS = 6
"""Alerts sent right after the mute: enough for each of several routers to take some."""


@asynccontextmanager
async def more_routers(settings: Settings, profile: str) -> AsyncIterator[None]:
    """Two more routers on the distributed profile's broker and state (none when embedded)."""
    async with AsyncExitStack() as stack:
        for _ in range(2 if profile == "distributed" else 0):
            own = settings.model_copy(update={"ops_listen": f"127.0.0.1:{free_port()}"})
            await stack.enter_async_context(running(make_parts(own), ("router",)))
        yield


async def test_an_alert_sent_right_after_a_slack_mute_is_silenced(
    make_settings: SettingsFactory, slack: FakeSlack, profile: str
) -> None:
    """Alerts posted the moment `/hub mute` answers are silenced by whichever router takes them."""
    settings = make_settings(ROUTES, slack_signing_secret=SECRET, slack_admins=frozenset({ADMIN}))
    async with run_hub(settings) as hub, more_routers(settings, profile):
        answer = await command(hub, slack, "mute threadkey=kapacitor:cpu:host=web-1 1h")
        muted = [await post(hub, alert("web-1", "critical", n)) for n in range(ALERTS)]
        heard = await post(hub, alert("web-2", "critical", 0))
        outcomes = [(await routed(hub.http, hub.ops_url, event_id))["status"] for event_id in muted]
        await slack.wait_for(1, timeout=15)
    assert answer["response_type"] == "in_channel"
    assert ":warning:" not in shown(answer), "a router did not confirm the mute"
    assert outcomes == ["silenced"] * ALERTS
    assert slack.event_ids() == [heard]


async def test_an_alert_sent_right_after_hub_silence_add_returns_is_silenced(
    make_settings: SettingsFactory, slack: FakeSlack, profile: str
) -> None:
    """`hub silence add` in another process returns once every router holds the silence."""
    settings = make_settings(ROUTES)
    async with run_hub(settings) as hub, more_routers(settings, profile):
        out = await silence_cli(
            settings, "add", "--match", "labels.host=web-1", "--for", "1h", "--reason", "disk"
        )
        muted = [await post(hub, alert("web-1", "critical", n)) for n in range(ALERTS)]
        heard = await post(hub, alert("web-2", "critical", 0))
        outcomes = [(await routed(hub.http, hub.ops_url, event_id))["status"] for event_id in muted]
        await slack.wait_for(1, timeout=15)
    assert re.match(r"silence [0-9a-f]+ added", out), out
    assert outcomes == ["silenced"] * ALERTS
    assert slack.event_ids() == [heard]
