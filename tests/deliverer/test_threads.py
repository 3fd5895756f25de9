"""Live threads: one parent per subject updated in place, replies in its thread, digests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hub.testing import signing
from hub.testing.fakeslack import Call, FakeSlack
from hub.testing.harness import run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import numbered

pytestmark = pytest.mark.integration

ALL_TO_ONE = 'version: 1\ndefaults: {unrouted: "#dev"}\nroutes: []\n'

LIFECYCLES = {
    "travis build": [
        "travis/build.started.json",
        "travis/build.failed.json",
        "travis/build.still_failing.json",
        "travis/build.passed-compact.json",
    ],
    "pull request": [
        "github/pull_request.opened.json",
        "github/pull_request_review.submitted.json",
        "github/pull_request.synchronize.json",
        "github/pull_request.closed-merged.json",
    ],
    "kapacitor alert": ["kapacitor/alert.warning.json", "kapacitor/alert.ok-recovery.json"],
    "workflow run": [
        "github/workflow_run.completed-failure.json",
        "github/workflow_run.completed-success.json",
    ],
}


def _ids(call: Call) -> list[str]:
    return list((call.metadata or {}).get("event_payload", {}).get("event_ids", []))


@pytest.mark.parametrize("lifecycle", sorted(LIFECYCLES))
async def test_lifecycle_is_one_parent_updated_in_place_with_replies(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path, lifecycle: str
) -> None:
    """Each later event of a subject is a reply in the first one's thread and updates the parent."""
    files = LIFECYCLES[lifecycle]
    async with run_hub(make_settings(ALL_TO_ONE)) as hub:
        ids = []
        for name in files:
            status, body = await hub.post(signing.for_fixture(fixtures_dir / name))
            assert status == 202
            ids.append(body["id"])
            await slack.wait_for_events(len(ids), timeout=20)
        await slack.wait_until(lambda: len(slack.updates()) >= len(files) - 1, timeout=20)
    parents = [c for c in slack.posts("#dev") if c.thread_ts is None]
    replies = [c for c in slack.posts("#dev") if c.thread_ts is not None]
    assert [_ids(p) for p in parents] == [[ids[0]]]
    parent = parents[0]
    assert [_ids(r) for r in replies] == [[i] for i in ids[1:]]
    assert {r.thread_ts for r in replies} == {parent.ts}
    updates = slack.updates()
    assert {u.ts for u in updates} == {parent.ts}, "updates went to another message"
    assert _ids(updates[-1]) == [ids[-1]], "the parent does not show the latest state"


async def test_failure_replies_are_broadcast_to_the_channel(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """A build going from started to failed also shows in the channel (reply_broadcast)."""
    async with run_hub(make_settings(ALL_TO_ONE)) as hub:
        for name in ("travis/build.started.json", "travis/build.failed.json"):
            assert (await hub.post(signing.for_fixture(fixtures_dir / name)))[0] == 202
            await asyncio.sleep(0.3)
        await slack.wait_until(lambda: len(slack.posts("#dev")) >= 2, timeout=20)
    (reply,) = [c for c in slack.posts("#dev") if c.thread_ts]
    assert reply.args.get("reply_broadcast") in (True, "true", "1")


async def test_thread_survives_a_deliverer_restart(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """After hub restarts mid-lifecycle the next event still replies in the same parent's thread."""
    settings = make_settings(ALL_TO_ONE)
    async with run_hub(settings) as hub:
        assert (await hub.post(signing.for_fixture(fixtures_dir / "travis/build.started.json")))[
            0
        ] == 202
        await slack.wait_for_events(1, timeout=20)
    (parent,) = slack.posts("#dev")
    async with run_hub(settings) as hub:
        assert (await hub.post(signing.for_fixture(fixtures_dir / "travis/build.failed.json")))[
            0
        ] == 202
        await slack.wait_for_events(2, timeout=20)
        await slack.wait_until(lambda: len(slack.updates()) >= 1, timeout=20)
    reply = slack.posts("#dev")[-1]
    assert reply.thread_ts == parent.ts
    assert slack.updates()[-1].ts == parent.ts


async def test_thread_false_posts_flat_messages(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """A route with `thread: false` posts every event of a subject as its own message."""
    routes = (
        "version: 1\nroutes:\n"
        '  - {name: flat, match: {source: travis}, channels: ["#dev"], thread: false}\n'
    )
    async with run_hub(make_settings(routes)) as hub:
        for name in ("travis/build.started.json", "travis/build.failed.json"):
            assert (await hub.post(signing.for_fixture(fixtures_dir / name)))[0] == 202
            await asyncio.sleep(0.3)
        await slack.wait_for_events(2, timeout=20)
    assert all(c.thread_ts is None for c in slack.posts("#dev"))
    assert slack.updates() == []


async def test_burst_of_300_is_all_visible_within_60s_with_at_most_one_429(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """300 events to one channel in < 5 s under Slack's 1 post/s: all visible in 60 s, digested."""
    slack.limit_channel_rate(1, burst=3)
    routes = 'version: 1\nroutes:\n  - {name: all, match: {source: github}, channels: ["#burst"]}\n'
    async with run_hub(make_settings(routes)) as hub:
        started = asyncio.get_running_loop().time()
        for i in range(300):
            assert (await hub.post(numbered(i, channels=1)))[0] == 202
        assert asyncio.get_running_loop().time() - started < 5
        await slack.wait_for_events(300, timeout=60, channel="#burst")
    assert len(slack.event_ids("#burst")) == 300, "an event was shown twice"
    assert len(slack.posts("#burst")) < 60, "the burst was not coalesced"
    assert sum(1 for c in slack.calls if c.status == 429) <= 1
