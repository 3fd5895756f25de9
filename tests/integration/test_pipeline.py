"""End to end on real services: signed fixtures in, the right Slack messages out, both profiles."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest
from cloudevents.core.formats.json import JSONFormat
from slack_sdk.models.blocks import Block

from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import capture_events, run_hub
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
channels:
  firehose: "#firehose"
defaults:
  unrouted: firehose
routes:
  - name: ci-failures
    match:
      - {source: travis, severity: ">=error"}
      - source: github
        type: ["github.workflow_run.completed", "github.check_run.completed"]
        severity: ">=error"
    channels: ["#ci"]
  - name: pull-requests
    match: {source: github, type: ["github.pull_request.*", "github.pull_request_review.*"]}
    exclude: [{actor: "*[bot]"}]
    channels: ["#prs"]
  - name: prod-alerts
    match: [{source: alertmanager, labels: {env: prod}}, {source: grafana, labels: {team: blue}}]
    channels: ["#prod"]
  - name: alerts
    match: [{source: kapacitor, severity: ">=warning"}, {source: sentry, severity: ">=error"}]
    channels: ["#ops"]
    mention: ["<!here>"]
    stop: true
  - name: github-all
    match: {source: github}
    channels: [firehose]
"""

# The channels each shared fixture must reach under ROUTES, worked out by hand from the
# senders' payloads (severity, type, actor), not by running the router.
EXPECTED: dict[str, set[str]] = {
    "github/check_run.completed-failure.json": {"#ci", "#firehose"},
    "github/check_run.completed-success.json": {"#firehose"},
    "github/create.tag.json": {"#firehose"},
    "github/deployment_status.created-success.json": {"#firehose"},
    "github/issue_comment.created.json": {"#firehose"},
    "github/issues.opened.json": {"#firehose"},
    "github/ping.json": {"#firehose"},
    "github/pull_request.closed-merged.json": {"#prs", "#firehose"},
    "github/pull_request.opened.json": {"#prs", "#firehose"},
    "github/pull_request.synchronize.json": {"#prs", "#firehose"},
    "github/pull_request_review.submitted.json": {"#prs", "#firehose"},
    "github/push.branch-with-commits.json": {"#firehose"},
    "github/release.published.json": {"#firehose"},
    "github/star.created.json": {"#firehose"},
    "github/workflow_run.completed-failure.json": {"#ci", "#firehose"},
    "github/workflow_run.completed-success.json": {"#firehose"},
    "alertmanager/firing.json": {"#prod"},
    "alertmanager/firing.some-resolved.json": {"#prod"},
    "alertmanager/firing.template-data.json": {"#firehose"},
    "alertmanager/resolved.default-payload.json": {"#firehose"},
    "alertmanager/resolved.json": {"#prod"},
    "grafana/firing.json": {"#prod"},
    "grafana/firing.panel.json": {"#firehose"},
    "grafana/resolved.json": {"#prod"},
    "kapacitor/alert.critical.json": {"#ops"},
    "kapacitor/alert.ok-recovery.json": {"#firehose"},
    "kapacitor/alert.warning.json": {"#ops"},
    "kapacitor/service-test.json": {"#firehose"},
    "sentry/event_alert.triggered.json": {"#ops"},
    "sentry/installation.created.json": {"#firehose"},
    "sentry/issue.assigned.json": {"#firehose"},
    "sentry/issue.created.json": {"#ops"},
    "sentry/issue.resolved.json": {"#firehose"},
    "sentry/metric_alert.resolved.json": {"#firehose"},
    "travis/build.broken.json": {"#ci"},
    "travis/build.failed.json": {"#ci"},
    "travis/build.passed-compact.json": {"#firehose"},
    "travis/build.passed.json": {"#firehose"},
    "travis/build.started.json": {"#firehose"},
    "travis/build.still_failing.json": {"#ci"},
}


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


async def test_every_fixture_reaches_exactly_its_channels(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """Every shared fixture, signed, is accepted and posted once to each channel its routes name."""
    fixtures = signing.all_fixtures(fixtures_dir)
    assert {_name(p) for p in fixtures} == set(EXPECTED), "a fixture has no expectation"
    settings = make_settings(ROUTES)
    async with run_hub(settings) as hub:
        ids: dict[str, str] = {}
        for path in fixtures:
            status, body = await hub.post(signing.for_fixture(path))
            assert status == 202, (path.name, body)
            assert body["duplicate"] is False
            ids[body["id"]] = _name(path)
        total = sum(len(channels) for channels in EXPECTED.values())

        def pairs() -> int:
            return sum(
                len(set(slack.event_ids(c))) for c in {c for cs in EXPECTED.values() for c in cs}
            )

        await slack.wait_until(lambda: pairs() >= total, timeout=60)
        await asyncio.sleep(1.0)  # anything extra would arrive now

    got: Counter[tuple[str, str]] = Counter()
    for call in slack.posts():
        assert call.metadata is not None
        assert call.metadata["event_type"] == "hub_event"
        for event_id in call.metadata["event_payload"]["event_ids"]:
            got[(ids[event_id], str(call.channel))] += 1
        for block in [*call.args.get("blocks", []), *call.blocks]:
            Block.parse(block).validate_json()  # type: ignore[union-attr]
    want = Counter((name, ch) for name, channels in EXPECTED.items() for ch in channels)
    assert got == want


async def test_alerts_mention_the_route_team(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """A critical Kapacitor alert's message carries the route's mention in its text."""
    async with run_hub(make_settings(ROUTES)) as hub:
        status, _ = await hub.post(
            signing.for_fixture(fixtures_dir / "kapacitor/alert.critical.json")
        )
        assert status == 202
        await slack.wait_for(1, timeout=15)
    assert "<!here>" in slack.posts("#ops")[0].text


async def test_repeated_delivery_id_is_a_duplicate_and_posted_once(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """The same X-GitHub-Delivery twice answers duplicate=true and reaches Slack once."""
    body = (fixtures_dir / "github/ping.json").read_bytes()
    request = signing.github(body, "ping", delivery="3f6e2a3c-0000-4000-8000-000000000001")
    async with run_hub(make_settings(ROUTES)) as hub:
        first = await hub.post(request)
        second = await hub.post(request)
        await slack.wait_for(1, timeout=15)
        await asyncio.sleep(0.5)
    assert first == (202, {"id": first[1]["id"], "type": "github.ping", "duplicate": False})
    assert second[0] == 202
    assert second[1]["duplicate"] is True
    assert len(slack.posts()) == 1


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_events_on_the_exchange_are_cloudevents(
    make_settings: SettingsFactory, fixtures_dir: Path
) -> None:
    """Every message published on hub.events parses with the CloudEvents SDK, keyed by type."""
    settings = make_settings(ROUTES)
    fixtures = signing.all_fixtures(fixtures_dir)
    async with run_hub(settings) as hub, capture_events(settings) as bodies:
        types = []
        for path in fixtures:
            status, body = await hub.post(signing.for_fixture(path))
            assert status == 202
            types.append(body["type"])
        seen = [await asyncio.wait_for(bodies.get(), 10) for _ in fixtures]
    parsed = [JSONFormat().read(None, raw) for raw in seen]
    assert sorted(e.get_type() for e in parsed) == sorted(types)
    for event, raw in zip(parsed, seen, strict=True):
        assert event.get_specversion() == "1.0"
        assert event.get_datacontenttype() == "application/json"
        assert event.get_data() == json.loads(raw)["data"]
