"""`hub incident` beside a running hub, on both profiles: the scripted incident's report."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hub.testing.harness import cli_env, hub_cli, run_hub
from tests.conftest_integration import SettingsFactory
from tests.incident_support import THREADKEY, script

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - {name: everything, match: {source: "*"}, channels: ["#ops"]}
"""


async def incident(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `hub incident <args>` as a process in `cwd`."""
    return await asyncio.to_thread(
        subprocess.run,
        [hub_cli(), "incident", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_hub_incident_reports_the_scripted_incident_beside_a_running_hub(
    make_settings: SettingsFactory, profile: str, tmp_path: Path
) -> None:
    """Posted to a running hub, the incident reads back in order, the other repo's push left out."""
    settings = make_settings(ROUTES)
    steps = [step for step in script() if step.name != "old push"]
    ids: dict[str, str] = {}
    async with run_hub(settings) as hub:
        for step in steps:
            status, body = await hub.post(step.signed)
            assert status == 202, body
            ids[step.name] = str(body["id"])
            await asyncio.sleep(0.05)  # hub's clock orders them as the script does
        env = cli_env(settings)
        if profile == "embedded":
            # From the hub's working directory: the relative data directory is found there.
            env["HUB_DATA_DIR"] = str(settings.data_dir.relative_to(tmp_path))
        report: dict[str, Any] = {}
        for _ in range(40):
            done = await incident(env, tmp_path, THREADKEY, "--format", "json")
            assert done.returncode == 0, done.stderr
            report = json.loads(done.stdout)
            if report["resolved"]:
                break
            await asyncio.sleep(0.25)
        markdown = await incident(env, tmp_path, ids["alert"])

    related = [step.name for step in steps if step.related]
    assert [item["id"] for item in report["timeline"]] == [ids[name] for name in related]
    assert report["last_change"] == ids["deploy"]
    assert markdown.returncode == 0, markdown.stderr
    assert "## What changed before it" in markdown.stdout
    assert "acme/billing" not in markdown.stdout


async def test_hub_incident_says_what_is_missing(
    make_settings: SettingsFactory, profile: str, tmp_path: Path
) -> None:
    """An id the history does not hold exits 2 with a line naming it and the retention."""
    settings = make_settings(ROUTES)
    async with run_hub(settings):
        done = await incident(cli_env(settings), tmp_path, "no-such-event")
    assert done.returncode == 2
    assert "no event and no thread 'no-such-event'" in done.stderr
    assert "HUB_EVENT_RETENTION" in done.stderr
