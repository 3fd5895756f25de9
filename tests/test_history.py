"""Event history: every event with its routing and delivery outcome, read back by `hub tail`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests import signing
from tests.conftest_integration import SettingsFactory
from tests.fakeslack import FakeSlack
from tests.harness import cli_env, hub_json, run_hub

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
