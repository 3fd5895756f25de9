"""`/hub aar`: answered at once; the incident's timeline goes in its thread, linking the draft."""

from __future__ import annotations

import json
import time

import pytest

from hub.testing.fakeslack import FakeSlack
from tests.chatops.test_commands import chatops_hub, command, post, valid_slack, wait_delivered
from tests.conftest_integration import SettingsFactory
from tests.incident_support import THREADKEY, script

pytestmark = pytest.mark.integration

OPS_URL = "https://hub-ops.example.test"
"""HUB_OPS_URL: the ops port as people reach it (here a proxy's name; only the link is checked)."""


async def test_aar_answers_at_once_and_posts_the_timeline_in_the_incident_s_thread(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub aar` in the alert's channel answers within 3 s and replies in the alert's thread."""
    steps = {step.name: step for step in script()}
    async with chatops_hub(make_settings, ops_url=OPS_URL) as hub:
        ids = {}
        for name in ("deploy", "alert", "recovery"):
            ids[name] = await post(hub, steps[name].signed)
        await wait_delivered(hub, ids["recovery"], "updated")
        parent = next(c for c in slack.posts() if "web-1" in c.text and c.thread_ts is None)
        started = time.monotonic()
        first = await command(hub, slack, "aar", reply_to="aar")
        answered = time.monotonic() - started
        (done,) = await slack.wait_for_response("aar", timeout=15)
        await slack.wait_until(lambda: any("Timeline of" in c.text for c in slack.posts()), 10)
    assert answered < 3, f"Slack gives up after 3 s; hub took {answered:.1f} s"
    assert "Gathering" in first["text"]
    valid_slack(done)
    assert "Posted the timeline" in done["text"]
    (reply,) = [c for c in slack.posts() if "Timeline of" in c.text]
    assert reply.thread_ts == parent.ts
    assert "resolved after" in reply.text
    assert "Last change before it: <https://" in reply.text
    assert "Deployment of main to production succeeded in acme/api" in reply.text
    draft = f"{OPS_URL}/incident?key=" + THREADKEY.replace(":", "%3A").replace("=", "%3D")
    assert f"<{draft.replace(',', '%2C')}|after-action draft>" in reply.text


async def test_aar_of_an_unknown_id_says_so(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub aar <id>` for an id hub never saw answers that it is not in the history."""
    async with chatops_hub(make_settings) as hub:
        await command(hub, slack, "aar no-such-event", reply_to="aar")
        (done,) = await slack.wait_for_response("aar", timeout=15)
    assert "No event and no thread `no-such-event`" in json.dumps(done)
