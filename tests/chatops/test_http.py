"""A signed Slack request is acted on once: a replay within its 5 minutes changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from hub.chatops.http import REPLAYED
from hub.testing.fakeslack import FakeSlack
from tests.chatops.test_commands import (
    ADMIN,
    PERSON,
    SETTLE,
    alert,
    chatops_hub,
    command,
    command_body,
    post,
    press_body,
    slack_headers,
    valid_slack,
    wait_delivered,
)
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration


async def test_a_replayed_mute_command_makes_no_second_silence(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """The same signed `/hub mute` sent again is answered as Slack expects and mutes nothing."""
    body = command_body(slack, "mute threadkey=kapacitor:cpu:host=web-1 30m noisy", ADMIN, "r")
    headers = slack_headers(body)
    async with chatops_hub(make_settings) as hub:
        answers = []
        for _ in range(3):
            async with hub.http.post(
                hub.url + "/slack/commands", data=body, headers=headers
            ) as resp:
                assert resp.status == 200, await resp.text()
                answers.append(valid_slack(await resp.json()))
        listed = await command(hub, slack, "silences")
    assert answers[0]["text"] != REPLAYED
    assert [a["text"] for a in answers[1:]] == [REPLAYED, REPLAYED]
    assert listed["text"] == "*1 silence*"


async def test_a_replayed_button_press_acts_once(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """The same signed "Mute 1h" press sent again makes no second silence, edit or reply."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, alert("web-1")))
        body = press_body(slack, slack.posts()[0], "hub_mute_1h", PERSON)
        headers = slack_headers(body)
        for _ in range(3):
            async with hub.http.post(
                hub.url + "/slack/interactions", data=body, headers=headers
            ) as resp:
                assert resp.status == 200, await resp.text()
        await slack.wait_until(lambda: len(slack.updates()) == 1 and len(slack.posts()) == 2, 10)
        await asyncio.sleep(SETTLE)
        listed = await command(hub, slack, "silences")
    assert listed["text"] == "*1 silence*"
    assert (len(slack.updates()), len(slack.posts())) == (1, 2)
