"""/metrics on the ops port counts known traffic exactly; ops endpoints stay off the public port."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import RunningHub, run_hub
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - name: github-all
    match: {source: github}
    channels: ["#dev"]
  - name: graveyard
    match: {source: kapacitor}
    channels: ["#gone"]
"""

Key = tuple[str, frozenset[tuple[str, str]]]
Scrape = dict[Key, float]


def key(name: str, **labels: str) -> Key:
    """A sample's identity: its name and label set."""
    return name, frozenset(labels.items())


async def scrape(hub: RunningHub) -> Scrape:
    """Every hub_* sample on the ops port's /metrics."""
    async with hub.http.get(hub.ops_url + "/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    return {
        key(sample.name, **sample.labels): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("hub_")
    }


def counts(before: Scrape, after: Scrape) -> dict[Key, float]:
    """The counters (and histogram counts) that moved between two scrapes, by how much."""
    moved = {}
    for k, value in after.items():
        if k[0].endswith(("_total", "_count")) and value != before.get(k, 0.0):
            moved[k] = value - before.get(k, 0.0)
    return moved


async def until(hub: RunningHub, condition: Callable[[Scrape], bool]) -> Scrape:
    """Scrape until `condition` holds (at most 15 s); return that scrape."""
    async with asyncio.timeout(15):
        while not condition(now := await scrape(hub)):  # noqa: ASYNC110 - polls over HTTP
            await asyncio.sleep(0.1)
    return now


async def test_metrics_count_known_traffic(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """Accepted, duplicate, refused, routed, delivered and dead-lettered traffic moves exactly the
    counters it should, by exactly as much."""
    slack.channel_errors["#gone"] = "channel_not_found"
    ping = signing.for_fixture(fixtures_dir / "github/ping.json")
    bad_signature = dataclasses.replace(
        ping, headers={**ping.headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    )
    star = signing.for_fixture(fixtures_dir / "github/star.created.json")
    wrong_type = dataclasses.replace(star, headers={**star.headers, "Content-Type": "text/plain"})
    too_large = dataclasses.replace(
        signing.for_fixture(fixtures_dir / "sentry/issue.created.json"), body=b"{" * 50_000
    )
    async with run_hub(make_settings(ROUTES, max_body_bytes=40_000)) as hub:
        before = await scrape(hub)
        for request, status in [
            (ping, 202),
            (ping, 202),
            (signing.for_fixture(fixtures_dir / "kapacitor/alert.critical.json"), 202),
            (signing.for_fixture(fixtures_dir / "travis/build.passed.json"), 202),
            (bad_signature, 401),
            (wrong_type, 415),
            (too_large, 413),
        ]:
            assert (await hub.post(request))[0] == status, request.path

        def delivered(now: Scrape) -> bool:
            moved = counts(before, now)
            return (
                moved.get(key("hub_deliveries_total", outcome="posted")) == 1
                and moved.get(key("hub_deliveries_total", outcome="dead_lettered")) == 1
            )

        after = await until(hub, delivered)
        await asyncio.sleep(0.3)  # anything extra would be counted now
        after = await scrape(hub)

    webhooks = "hub_webhooks_received_total"
    duration = "hub_webhook_request_duration_seconds_count"
    assert counts(before, after) == {
        key(webhooks, source="github", outcome="accepted"): 1,
        key(webhooks, source="github", outcome="duplicate"): 1,
        key(webhooks, source="github", outcome="bad_signature"): 1,
        key(webhooks, source="github", outcome="unsupported"): 1,
        key(webhooks, source="kapacitor", outcome="accepted"): 1,
        key(webhooks, source="travis", outcome="accepted"): 1,
        key(webhooks, source="sentry", outcome="too_large"): 1,
        key(duration, source="github"): 4,
        key(duration, source="kapacitor"): 1,
        key(duration, source="travis"): 1,
        key(duration, source="sentry"): 1,
        key("hub_events_published_total", source="github"): 1,
        key("hub_events_published_total", source="kapacitor"): 1,
        key("hub_events_published_total", source="travis"): 1,
        key("hub_events_duplicate_total", source="github"): 1,
        key("hub_events_routed_total", route="github-all"): 1,
        key("hub_events_routed_total", route="graveyard"): 1,
        key("hub_events_unrouted_total", source="travis"): 1,
        key("hub_deliveries_total", outcome="posted"): 1,
        key("hub_deliveries_total", outcome="dead_lettered"): 1,
        key("hub_delivery_attempts_total"): 2,
        key("hub_delivery_latency_seconds_count"): 1,
        key("hub_dead_letters_total", reason="channel_not_found"): 1,
    }
    latency = after[key("hub_delivery_latency_seconds_sum")]
    assert 0 < latency - before.get(key("hub_delivery_latency_seconds_sum"), 0.0) < 15
    assert after[key("hub_spool_depth")] == 0
    lags = {dict(labels)["queue"]: v for (name, labels), v in after.items() if "queue_lag" in name}
    assert len(lags) >= 2, lags  # the route queue and at least one delivery queue
    assert all(0 <= v < 60 for v in lags.values()), lags


async def test_ops_endpoints_are_not_on_the_webhook_port(make_settings: SettingsFactory) -> None:
    """The public port answers 404 for /metrics, the live page and its API; /healthz is on both."""
    async with run_hub(make_settings(ROUTES)) as hub:
        for path in ("/metrics", "/", "/readyz", "/api/events", "/api/stream", "/static/app.js"):
            async with hub.http.get(hub.url + path) as resp:
                assert resp.status == 404, path
            async with hub.http.get(hub.ops_url + path) as resp:
                assert resp.status == 200, path
        for url in (hub.url, hub.ops_url):
            async with hub.http.get(url + "/healthz") as resp:
                assert (resp.status, await resp.json()) == (200, {"status": "ok"})
        async with hub.http.get(hub.ops_url + "/readyz") as resp:
            assert await resp.json() == {
                "status": "ready",
                "checks": {
                    "broker": "ok",
                    "state": "ok",
                    "stages": "ok",
                    "router": "ok",
                    "deliverer": "ok",
                },
            }
