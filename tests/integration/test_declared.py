"""A declared source through a real hub: verified like a built-in sender, threaded in Slack."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from hub.testing.fakeslack import Call, FakeSlack
from hub.testing.harness import cli_env, hub_cli, run_hub
from hub.testing.signing import Signed
from tests.conftest_integration import SettingsFactory
from tests.paths import FIXTURES, REPO

pytestmark = pytest.mark.integration

GITLAB = REPO / "examples" / "sources" / "gitlab.yaml"
TOKEN = "gitlab-test-token"
ROUTES = """\
version: 1
routes:
  - name: ci-failures
    match: {source: gitlab, type: "gitlab.pipeline.*", severity: ">=error"}
    channels: ["#ci"]
  - name: gitlab
    match: {source: gitlab}
    channels: ["#dev"]
"""
LIFECYCLE = ("pipeline.running.json", "pipeline.failed.json", "pipeline.success.json")


def _gitlab(name: str, token: str | None = TOKEN) -> Signed:
    headers = {"Content-Type": "application/json", "X-Gitlab-Event": "Pipeline Hook"}
    if token is not None:
        headers["X-Gitlab-Token"] = token
    return Signed("gitlab", "/hooks/gitlab", headers, (FIXTURES / "gitlab" / name).read_bytes())


def _ids(call: Call) -> list[str]:
    return list((call.metadata or {}).get("event_payload", {}).get("event_ids", []))


async def test_gitlab_pipeline_lifecycle_is_one_thread_updated_in_place(
    make_settings: SettingsFactory, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Running, failed, passed: one parent in #dev updated to the newest state, two replies."""
    monkeypatch.setenv("HUB_GITLAB_TOKEN", TOKEN)
    async with run_hub(make_settings(ROUTES, sources=GITLAB)) as hub:
        ids = []
        for name in LIFECYCLE:
            status, body = await hub.post(_gitlab(name))
            assert status == 202, body
            assert body["type"] == "gitlab.pipeline." + name.split(".")[1]
            ids.append(body["id"])
            await slack.wait_for_events(len(ids), timeout=20, channel="#dev")
        await slack.wait_until(lambda: len(slack.updates("#dev")) >= 2, timeout=20)
        await slack.wait_for(1, timeout=20, channel="#ci")
    dev = slack.posts("#dev")
    parents = [c for c in dev if c.thread_ts is None]
    replies = [c for c in dev if c.thread_ts is not None]
    assert [_ids(p) for p in parents] == [[ids[0]]]
    assert [_ids(r) for r in replies] == [[ids[1]], [ids[2]]]
    assert {r.thread_ts for r in replies} == {parents[0].ts}
    updates = slack.updates("#dev")
    assert {u.ts for u in updates} == {parents[0].ts}, "updates went to another message"
    assert _ids(updates[-1]) == [ids[2]], "the parent does not show the passed pipeline"
    assert [_ids(c) for c in slack.posts("#ci")] == [[ids[1]]], "only the failure is routed"


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_wrong_or_missing_token_is_401_and_a_missing_secret_refuses(
    make_settings: SettingsFactory, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A declared source refuses a wrong or absent token, and everything while unconfigured."""
    monkeypatch.delenv("HUB_GITLAB_TOKEN", raising=False)
    async with run_hub(make_settings(ROUTES, sources=GITLAB)) as hub:
        status, body = await hub.post(_gitlab("pipeline.failed.json"))
        assert status == 401
        assert "set HUB_GITLAB_TOKEN" in body["message"]
        monkeypatch.setenv("HUB_GITLAB_TOKEN", TOKEN)
        for token, says in ((TOKEN + "x", "does not match"), (None, "missing token")):
            status, body = await hub.post(_gitlab("pipeline.failed.json", token))
            assert status == 401
            assert says in body["message"]
        status, body = await hub.post(_gitlab("pipeline.failed.json"))
        assert status == 202, body
        await slack.wait_for(1, timeout=15, channel="#ci")
        await slack.wait_for(1, timeout=15, channel="#dev")
    assert [_ids(c) for c in slack.posts()] == [[body["id"]]] * 2, "a refused request was posted"


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_send_sample_posts_the_declared_sample_signed(
    make_settings: SettingsFactory, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hub send-sample gitlab` posts the entry's sample with its token, and hub accepts it."""
    monkeypatch.setenv("HUB_GITLAB_TOKEN", TOKEN)
    settings = make_settings(ROUTES, sources=GITLAB)
    async with run_hub(settings):
        result = await asyncio.to_thread(
            subprocess.run,
            [hub_cli(), "send-sample", "gitlab"],
            env={**cli_env(settings), "HUB_GITLAB_TOKEN": TOKEN},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("202 ")
        assert '"type": "gitlab.pipeline.failed"' in result.stdout
        await slack.wait_for(1, timeout=15, channel="#ci")
