"""A captured webhook cannot be posted again, re-labelled; ids are unique per source only."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from pathlib import Path

import pytest

from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import RunningHub, run_hub
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - name: deploys
    match: {type: "github.deployment*"}
    channels: ["#deploys"]
    stop: true
  - name: everything
    match: {source: [github, sentry, travis, kapacitor]}
    channels: ["#dev"]
"""
SETTLE = 1.0
"""Long enough for a replay that was let through to reach the fake Slack."""


def relabelled(signed: signing.Signed, **headers: str) -> signing.Signed:
    """The same signed body and signature, with some unsigned headers changed."""
    return dataclasses.replace(signed, headers={**signed.headers, **headers})


async def answers(hub: RunningHub, *requests: signing.Signed) -> list[tuple[int, object]]:
    """Post the requests one after another; each (status, "duplicate")."""
    found = []
    for request in requests:
        status, body = await hub.post(request)
        found.append((status, body.get("duplicate")))
    return found


async def test_github_body_with_a_fresh_delivery_id_or_event_is_a_duplicate(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """GitHub signs only the body: a fresh X-GitHub-Delivery or X-GitHub-Event posts nothing."""
    original = signing.for_fixture(fixtures_dir / "github/push.branch-with-commits.json")
    fresh_id = relabelled(original, **{"X-GitHub-Delivery": str(uuid.uuid4())})
    to_deploys = relabelled(
        original, **{"X-GitHub-Delivery": str(uuid.uuid4()), "X-GitHub-Event": "deployment"}
    )
    async with run_hub(make_settings(ROUTES)) as hub:
        got = await answers(hub, original, fresh_id, to_deploys, original)
        await slack.wait_for(1, timeout=15)
        await asyncio.sleep(SETTLE)
    assert got == [(202, False), (202, True), (202, True), (202, True)]
    assert len(slack.posts("#dev")) == 1
    assert slack.posts("#deploys") == []


async def test_sentry_signature_with_a_fresh_timestamp_and_request_id_is_a_duplicate(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """Sentry's signature does not cover its timestamp: a re-stamped copy posts nothing."""
    body = (fixtures_dir / "sentry/issue.created.json").read_bytes()
    original = signing.sentry(body, "issue", timestamp=int(time.time()) - 60)
    restamped = relabelled(
        original,
        **{"Sentry-Hook-Timestamp": str(int(time.time())), "Request-ID": uuid.uuid4().hex},
    )
    async with run_hub(make_settings(ROUTES)) as hub:
        got = await answers(hub, original, restamped)
        await slack.wait_for(1, timeout=15)
        await asyncio.sleep(SETTLE)
    assert got == [(202, False), (202, True)]
    assert len(slack.posts("#dev")) == 1


async def test_concurrent_copies_of_a_travis_notification_are_stored_once(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """Travis signs only the payload: of copies sent at once, one is stored, none posts twice."""
    signed = signing.for_fixture(fixtures_dir / "travis/build.failed.json")
    async with run_hub(make_settings(ROUTES)) as hub:
        got = await asyncio.gather(*(hub.post(signed) for _ in range(8)))
        later = await hub.post(signed)
        await slack.wait_for(1, timeout=15)
        await asyncio.sleep(SETTLE)
    statuses = [(status, body.get("duplicate")) for status, body in got]
    assert statuses.count((202, False)) == 1, statuses
    # A copy that finds the first still being stored is asked to retry, never stored itself.
    assert set(statuses) <= {(202, False), (202, True), (503, None)}, statuses
    assert (later[0], later[1]["duplicate"]) == (202, True)
    assert len(slack.posts("#dev")) == 1


async def test_an_event_id_reused_by_another_source_is_posted_too(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """A GitHub delivery whose id is an earlier Kapacitor event's is its own event: both post."""
    alert = signing.for_fixture(fixtures_dir / "kapacitor/alert.critical.json")
    ping = (fixtures_dir / "github/ping.json").read_bytes()
    async with run_hub(make_settings(ROUTES)) as hub:
        status, first = await hub.post(alert)
        assert (status, first["duplicate"]) == (202, False), first
        await slack.wait_for(1, timeout=15)
        status, second = await hub.post(signing.github(ping, "ping", delivery=first["id"]))
        assert (status, second["id"], second["duplicate"]) == (202, first["id"], False), second
        await slack.wait_for(2, timeout=15)
        await asyncio.sleep(SETTLE)
        async with hub.http.get(hub.ops_url + "/api/events?limit=10") as resp:
            history = await resp.json()
    assert slack.event_ids("#dev") == [first["id"], first["id"]]
    assert sorted((e["source"], e["id"], e["status"]) for e in history) == [
        ("github", first["id"], "delivered"),
        ("kapacitor", first["id"], "delivered"),
    ]
