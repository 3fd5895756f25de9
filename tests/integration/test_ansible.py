"""Real ansible-playbook runs with the plugin enabled, against a running hub and a fake Slack."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from hub.testing import signing
from hub.testing.fakeslack import Call, FakeSlack
from hub.testing.harness import run_hub
from tests.ansible_support import ansible_env, run_playbook, write_playbook
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - name: deploys
    match: {source: ansible}
    channels: ["#deploys"]
"""


def shown(call: Call) -> str:
    """Everything a message shows, as one string."""
    return json.dumps([call.text, call.blocks], ensure_ascii=False)


async def one_thread(slack: FakeSlack) -> tuple[Call, Call, Call]:
    """The run's thread once complete: its parent post, the reply, the parent's last edit."""
    await slack.wait_until(lambda: len(slack.posts()) >= 2 and len(slack.updates()) >= 1, 20)
    await asyncio.sleep(0.5)  # anything extra would arrive now
    posts, updates = slack.posts("#deploys"), slack.updates("#deploys")
    assert len(posts) == 2, [shown(p) for p in posts]
    parent, reply = posts
    assert parent.thread_ts is None
    assert reply.thread_ts == parent.ts
    assert all(update.args["ts"] == parent.ts for update in updates)
    return parent, reply, updates[-1]


async def test_a_passing_run_is_one_thread_that_ends_passed(
    make_settings: SettingsFactory, slack: FakeSlack, tmp_path: Path
) -> None:
    """A passing playbook shows as one thread in #deploys: running, then passed."""
    playbook = write_playbook(tmp_path)
    async with run_hub(make_settings(ROUTES)) as hub:
        env = ansible_env(tmp_path, hub.url, signing.ANSIBLE_SECRET)
        env["HUB_ENVIRONMENT"] = "prod"
        done = await asyncio.to_thread(run_playbook, playbook, env)
        assert done.returncode == 0, done.output
        assert "hub:" not in done.output
        parent, reply, edit = await one_thread(slack)
    assert "deploy.yml to prod by alice: running" in shown(parent)
    assert "*passed* · deploy.yml to prod" in reply.text
    assert "deploy.yml to prod by alice: passed" in shown(edit)


async def test_a_run_failing_on_one_task_ends_failed_naming_it(
    make_settings: SettingsFactory, slack: FakeSlack, tmp_path: Path
) -> None:
    """A playbook failing on one host's task ends its thread failed, naming host and task."""
    playbook = write_playbook(tmp_path)
    async with run_hub(make_settings(ROUTES)) as hub:
        env = ansible_env(tmp_path, hub.url, signing.ANSIBLE_SECRET)
        args = ("-e", "fail_on=web-2", "-e", "hub_environment=prod")
        done = await asyncio.to_thread(run_playbook, playbook, env, *args)
        assert done.returncode == 2, done.output
        parent, reply, edit = await one_thread(slack)
    assert "running" in shown(parent)
    assert "*failed* on web-2: task 'restart api'" in reply.text
    assert "deploy.yml to prod by alice: failed on web-2: task 'restart api'" in shown(edit)
    assert "*web-2*\\nok 1 · changed 1 · *failed 1*" in shown(edit)


async def test_a_check_mode_run_is_reported_as_such(
    make_settings: SettingsFactory, slack: FakeSlack, tmp_path: Path
) -> None:
    """Under --check the playbook succeeds and its thread ends passed, in check mode."""
    playbook = write_playbook(tmp_path)
    async with run_hub(make_settings(ROUTES)) as hub:
        env = ansible_env(tmp_path, hub.url, signing.ANSIBLE_SECRET)
        done = await asyncio.to_thread(run_playbook, playbook, env, "--check")
        assert done.returncode == 0, done.output
        _, _, edit = await one_thread(slack)
    assert "deploy.yml by alice (check mode): passed" in shown(edit)


async def test_a_wrong_secret_is_refused_and_the_run_still_succeeds(
    make_settings: SettingsFactory, slack: FakeSlack, tmp_path: Path
) -> None:
    """hub refuses a run signed with another secret (401); the playbook warns and succeeds."""
    playbook = write_playbook(tmp_path)
    async with run_hub(make_settings(ROUTES)) as hub:
        env = ansible_env(tmp_path, hub.url, "not-the-secret")
        done = await asyncio.to_thread(run_playbook, playbook, env)
        await asyncio.sleep(0.5)
    assert done.returncode == 0, done.output
    assert "[WARNING]: hub: could not report the playbook run to hub" in done.output
    assert "HTTP 401" in done.output
    assert slack.posts() == []
