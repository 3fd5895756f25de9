"""routes.yaml hot reload: on file change and on SIGHUP; a broken file keeps the old table."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import HubProcess, run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import numbered

pytestmark = pytest.mark.integration

ROUTES = 'version: 1\nroutes:\n  - {name: all, match: {source: github}, channels: ["#before"]}\n'


async def _reload_errors(http: aiohttp.ClientSession, ops_url: str) -> float:
    async with http.get(ops_url + "/metrics") as resp:
        text = await resp.text()
    for family in text_string_to_metric_families(text):
        if family.name == "hub_routes_reload":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels.get("outcome") == "error":
                    return sample.value
    return 0.0


async def test_changed_file_routes_the_next_event_by_the_new_table(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """After routes.yaml changes the next event goes by the new table; a broken file keeps it."""
    settings = make_settings(ROUTES)
    async with run_hub(settings) as hub:
        assert (await hub.post(numbered(1)))[0] == 202
        await slack.wait_for(1, timeout=15, channel="#before")

        settings.routes.write_text(ROUTES.replace("#before", "#after"))
        await asyncio.sleep(3)  # the watcher polls every 2 s
        assert (await hub.post(numbered(2)))[0] == 202
        await slack.wait_for(1, timeout=15, channel="#after")

        errors_before = await _reload_errors(hub.http, hub.ops_url)
        settings.routes.write_text("version: 1\nroutes:\n  - {name: broken, match: {sourc: x}}\n")
        await asyncio.sleep(3)
        assert await _reload_errors(hub.http, hub.ops_url) == errors_before + 1
        assert (await hub.post(numbered(3)))[0] == 202
        await slack.wait_for(2, timeout=15, channel="#after")
    assert len(slack.posts("#before")) == 1


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_sighup_reloads_routes_in_a_running_process(
    make_settings: SettingsFactory, slack: FakeSlack, tmp_path: Path
) -> None:
    """SIGHUP to `hub run` makes the new routes.yaml take effect."""
    settings = make_settings(ROUTES, log_level="info")
    hub = HubProcess(settings, "run", log_path=tmp_path / "hub.log")
    await hub.start()
    try:
        async with aiohttp.ClientSession() as http:
            signed = numbered(1)
            url = f"http://{settings.listen}{signed.path}"
            settings.routes.write_text(ROUTES.replace("#before", "#after"))
            assert hub.process is not None
            hub.process.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.5)
            async with http.post(url, data=signed.body, headers=signed.headers) as resp:
                assert resp.status == 202
        await slack.wait_for(1, timeout=15, channel="#after")
    finally:
        await hub.stop()
    assert slack.posts("#before") == []
    reloads = [
        line
        for line in (tmp_path / "hub.log").read_text().splitlines()
        if "routes reloaded" in line
    ]
    assert any('"reason": "signal"' in line for line in reloads), reloads
