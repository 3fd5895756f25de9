"""Actions from Slack on a real hub: run buttons and `/hub run`, against fake GitHub and Travis."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.vendorapi import explain
from hub.testing import signing
from hub.testing.fakeapi import FakeApi
from hub.testing.fakegithub import FakeGitHub, Repo
from hub.testing.fakeslack import Call, FakeSlack
from hub.testing.faketravis import FakeTravis
from hub.testing.harness import RunningHub, run_hub
from tests.chatops.test_commands import command, slack_headers
from tests.conftest_integration import SettingsFactory
from tests.paths import FIXTURES

pytestmark = pytest.mark.integration

SECRET = "test-slack-signing-secret"
ALLOWED = "U0ALLOWED"
STRANGER = "U0STRANGE"
DEPLOYER = "U0DEPLOYS"
GROUP = "S0DEPLOYERS"
ROUTES = """\
version: 1
routes:
  - name: ci
    match: {source: [github, travis]}
    channels: ["#ci"]
"""
ACTIONS = f"""\
version: 1
actions:
  - name: rerun
    kind: github_rerun_failed
    button:
      label: Re-run
      match: {{source: github, type: github.workflow_run.completed, severity: ">=error"}}
    allow: [{ALLOWED}, {GROUP}]
    rate_limit: 2/1h
  - name: restart
    kind: travis_restart
    allow: [{ALLOWED}]
"""
FAILED_RUN = FIXTURES / "github" / "workflow_run.completed-failure.json"


@asynccontextmanager
async def fake(api: FakeApi) -> AsyncIterator[Any]:
    """A started fake API server, stopped on exit."""
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@asynccontextmanager
async def actions_hub(
    make_settings: SettingsFactory, tmp_path: Path, github: FakeGitHub, travis: FakeTravis
) -> AsyncIterator[RunningHub]:
    """A hub with ChatOps on, the test actions.yaml and the fake APIs' URLs and tokens."""
    path = tmp_path / "actions.yaml"
    path.write_text(ACTIONS)
    settings = make_settings(
        ROUTES,
        slack_signing_secret=SECRET,
        actions=path,
        github_token=github.token,
        github_api_url=github.base_url,
        travis_token=travis.token,
        travis_api_url=travis.base_url,
    )
    async with run_hub(settings) as hub:
        yield hub


@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    """A fake GitHub that knows the fixture's repository and its failed run."""
    run = json.loads(FAILED_RUN.read_text())["workflow_run"]
    async with fake(FakeGitHub()) as api:
        api.repos[run["repository"]["full_name"]] = Repo(runs={run["id"]: "failure"})
        yield api


@pytest.fixture
async def travis() -> AsyncIterator[FakeTravis]:
    """A fake Travis CI that knows build 4242."""
    async with fake(FakeTravis()) as api:
        api.builds[4242] = "812"
        yield api


async def failed_run_message(hub: RunningHub, slack: FakeSlack) -> Call:
    """Post the failed workflow_run fixture; the message hub posted for it."""
    status, body = await hub.post(signing.for_fixture(FAILED_RUN))
    assert status == 202, body
    await slack.wait_for(1)
    return slack.posts()[0]


def press_body(slack: FakeSlack, post: Call, user: str, trigger: str = "") -> bytes:
    """The form body Slack posts when `user` presses the Re-run button on `post`."""
    element = next(
        e
        for b in post.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "hub_run_rerun"
    )
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0"},
        "api_app_id": "A0APP0001",
        "container": {"type": "message", "message_ts": post.ts, "channel_id": post.channel_id},
        "trigger_id": trigger or f"{uuid.uuid4().int % 10**12}.738474920.8088930838d88f008e0",
        "team": {"id": "T0TEAM001", "domain": "acme"},
        "channel": {"id": post.channel_id, "name": "ci"},
        "message": {"type": "message", "ts": post.ts, "text": post.text},
        "response_url": slack.response_url("press"),
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": "hub_actions",
                "value": element["value"],
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


async def send(hub: RunningHub, body: bytes) -> float:
    """POST a signed interaction; how long hub took to answer (it must be 200)."""
    started = time.monotonic()
    async with hub.http.post(
        hub.url + "/slack/interactions", data=body, headers=slack_headers(body)
    ) as resp:
        assert resp.status == 200, await resp.text()
    return time.monotonic() - started


def notes(slack: FakeSlack, parent: Call) -> list[str]:
    """The texts of the replies in `parent`'s thread."""
    return [c.text for c in slack.posts() if c.thread_ts == parent.ts]


async def hub_events(hub: RunningHub, count: int) -> list[dict[str, Any]]:
    """The `hub` source's events in the history the live page shows, once there are `count`."""
    found: list[dict[str, Any]] = []
    for _ in range(100):
        async with hub.http.get(hub.ops_url + "/api/events?source=hub") as resp:
            assert resp.status == 200
            found = await resp.json()
        if len(found) >= count:
            break
        await asyncio.sleep(0.05)
    return found


async def test_an_allowed_press_reruns_the_run_once_and_notes_it_in_the_thread(
    make_settings: SettingsFactory,
    tmp_path: Path,
    slack: FakeSlack,
    github: FakeGitHub,
    travis: FakeTravis,
) -> None:
    """An allowed user's Re-run calls GitHub once with the run's id; the thread says who and
    links the run; hub.action.rerun is in the history."""
    run_id = json.loads(FAILED_RUN.read_text())["workflow_run"]["id"]
    async with actions_hub(make_settings, tmp_path, github, travis) as hub:
        post = await failed_run_message(hub, slack)
        assert await send(hub, press_body(slack, post, ALLOWED)) < 3
        await slack.wait_until(lambda: len(notes(slack, post)) == 1)
        assert [c.path for c in github.calls] == [
            f"/repos/octo-org/octo-repo/actions/runs/{run_id}/rerun-failed-jobs"
        ]
        assert github.calls[0].headers["Authorization"] == f"Bearer {github.token}"
        (note,) = notes(slack, post)
        assert f"<@{ALLOWED}> ran *Re-run*" in note
        assert f"/actions/runs/{run_id}|the new run>" in note
        events = await hub_events(hub, 1)
        assert [(e["type"], e["severity"]) for e in events] == [("hub.action.rerun", "success")]


async def test_a_user_not_allowed_is_refused_and_nothing_is_called(
    make_settings: SettingsFactory,
    tmp_path: Path,
    slack: FakeSlack,
    github: FakeGitHub,
    travis: FakeTravis,
) -> None:
    """A press by someone not in `allow` (nor in its group) calls no API and gets an ephemeral
    refusal naming who may."""
    slack.usergroups[GROUP] = [DEPLOYER]
    async with actions_hub(make_settings, tmp_path, github, travis) as hub:
        post = await failed_run_message(hub, slack)
        await send(hub, press_body(slack, post, STRANGER))
        (answer,) = await slack.wait_for_response("press")
        assert answer["response_type"] == "ephemeral"
        assert "You are not allowed to run `rerun`" in answer["text"]
        assert f"<@{ALLOWED}>" in answer["text"]
        assert github.calls == []
        assert notes(slack, post) == []


async def test_a_member_of_an_allowed_user_group_may_run_it(
    make_settings: SettingsFactory,
    tmp_path: Path,
    slack: FakeSlack,
    github: FakeGitHub,
    travis: FakeTravis,
) -> None:
    """A user in an allowed S… group (usergroups.users.list) runs the action."""
    slack.usergroups[GROUP] = [DEPLOYER]
    async with actions_hub(make_settings, tmp_path, github, travis) as hub:
        post = await failed_run_message(hub, slack)
        await send(hub, press_body(slack, post, DEPLOYER))
        await github.wait_for_calls(1)
        await slack.wait_until(lambda: len(notes(slack, post)) == 1)
        lookups = [c for c in slack.calls if c.method == "usergroups.users.list"]
        assert [c.args["usergroup"] for c in lookups] == [GROUP]


async def test_a_replayed_press_calls_nothing_again(
    make_settings: SettingsFactory,
    tmp_path: Path,
    slack: FakeSlack,
    github: FakeGitHub,
    travis: FakeTravis,
) -> None:
    """The same signed press sent twice runs the action once; a new press runs it again."""
    async with actions_hub(make_settings, tmp_path, github, travis) as hub:
        post = await failed_run_message(hub, slack)
        body = press_body(slack, post, ALLOWED)
        await send(hub, body)
        await send(hub, body)
        await slack.wait_until(lambda: len(notes(slack, post)) == 1)
        await send(hub, press_body(slack, post, ALLOWED))
        await slack.wait_until(lambda: len(notes(slack, post)) == 2)
        assert len(github.calls) == 2


async def test_the_rate_limit_refuses_in_words_and_calls_nothing(
    make_settings: SettingsFactory,
    tmp_path: Path,
    slack: FakeSlack,
    github: FakeGitHub,
    travis: FakeTravis,
) -> None:
    """Past `rate_limit: 2/1h` a press is answered with when to try again, and GitHub is not
    called."""
    async with actions_hub(make_settings, tmp_path, github, travis) as hub:
        post = await failed_run_message(hub, slack)
        for _ in range(3):
            await send(hub, press_body(slack, post, ALLOWED))
        (answer,) = await slack.wait_for_response("press")
        assert "`rerun` may run 2 times per 1h; try again in" in answer["text"]
        await slack.wait_until(lambda: len(notes(slack, post)) == 2)
        assert len(github.calls) == 2


async def test_a_github_refusal_is_told_in_words(
    make_settings: SettingsFactory,
    tmp_path: Path,
    slack: FakeSlack,
    github: FakeGitHub,
    travis: FakeTravis,
) -> None:
    """GitHub's rate limit (403, x-ratelimit-remaining: 0) reaches the presser as words."""
    github.rate_limit_next()
    async with actions_hub(make_settings, tmp_path, github, travis) as hub:
        post = await failed_run_message(hub, slack)
        await send(hub, press_body(slack, post, ALLOWED))
        (answer,) = await slack.wait_for_response("press")
        assert (
            "GitHub's rate limit for hub's token is used up (403: API rate limit" in answer["text"]
        )
        assert "try again in" in answer["text"]
        assert notes(slack, post) == []


async def test_hub_run_restarts_a_travis_build_from_key_values(
    make_settings: SettingsFactory,
    tmp_path: Path,
    slack: FakeSlack,
    github: FakeGitHub,
    travis: FakeTravis,
) -> None:
    """`/hub run restart build_id=4242` restarts that build with Travis's v3 headers and says
    so in the channel; an unknown key gets the keys the action takes."""
    async with actions_hub(make_settings, tmp_path, github, travis) as hub:
        answer = await command(hub, slack, "run restart build=4242", user=ALLOWED)
        assert "takes no build" in answer["text"]
        answer = await command(hub, slack, "run restart build_id=4242", user=ALLOWED)
        assert "Running `restart`" in answer["text"]
        (reply,) = await slack.wait_for_response("r")
        assert reply["response_type"] == "in_channel"
        assert "restarting Travis CI build 4242" in reply["text"]
        (call,) = travis.calls
        assert (call.method, call.path, call.status) == ("POST", "/build/4242/restart", 202)
        assert call.headers["Travis-API-Version"] == "3"
        assert call.headers["Authorization"] == f"token {travis.token}"
        refused = await command(hub, slack, "run restart build_id=4242", user=STRANGER)
        assert "You are not allowed" in refused["text"]
        assert len(travis.calls) == 1


@pytest.mark.parametrize(
    ("status", "body", "headers", "words"),
    [
        (
            401,
            "Bad credentials",
            {},
            "did not accept hub's token (401: Bad credentials): check HUB_GITHUB_TOKEN",
        ),
        (
            403,
            "Resource not accessible by integration",
            {},
            "refused (403: Resource not accessible by integration): "
            "hub's token (HUB_GITHUB_TOKEN) lacks the permission",
        ),
        (
            404,
            "Not Found",
            {},
            "found no such thing, or hub's token cannot see it (404: Not Found)",
        ),
        (
            422,
            "Unexpected inputs provided: ['x']",
            {},
            "would not do it (422: Unexpected inputs provided",
        ),
        (
            429,
            "You have exceeded a secondary rate limit.",
            {"retry-after": "60"},
            "rate limit for hub's token is used up "
            "(429: You have exceeded a secondary rate limit.); try again in 60 s",
        ),
        (
            403,
            "API rate limit exceeded",
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000600"},
            "try again in 600 s",
        ),
    ],
)
def test_api_errors_are_told_in_words(
    status: int, body: str, headers: dict[str, str], words: str
) -> None:
    """Each documented GitHub refusal becomes a sentence saying what went wrong and what to do."""
    assert (
        words in explain("GitHub", "HUB_GITHUB_TOKEN", status, body, headers, now=1_000_000).words
    )
