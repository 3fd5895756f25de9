"""ChatOps from Slack: signed slash commands and button presses, on a real hub and fake Slack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from hub.chatops.buttons import annotated
from hub.chatops.context import Command
from hub.chatops.reply import Reply
from hub.chatops.silences import mute_refusal, pins_one_subject
from hub.router.silences import REFRESH_SECONDS
from hub.testing import signing
from hub.testing.fakeslack import Call, FakeSlack
from hub.testing.harness import RunningHub, run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import numbered

SECRET = "test-slack-signing-secret"
ADMIN = "U0ADMIN01"
PERSON = "U0PEOPLE1"
ROUTES = """\
version: 1
channels:
  gone: "#gone"
routes:
  - name: alerts
    match: {source: kapacitor, labels: {host: "web-*"}}
    channels: ["#ops"]
  - name: lost-alerts
    match: {source: kapacitor, labels: {host: "db-*"}}
    channels: [gone]
  - name: pings
    match: {source: github}
    exclude: [{actor: "*[bot]"}]
    channels: ["#team-a"]
"""
SETTLE = REFRESH_SECONDS + 0.5
"""Long enough for every router to see a silence added or removed."""


# -- how Slack calls hub --------------------------------------------------------------------


def slack_headers(body: bytes, secret: str = SECRET, age: float = 0) -> dict[str, str]:
    """The headers Slack sends: form content type, timestamp and v0 signature."""
    stamp = str(int(time.time() - age))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(secret, stamp, body),
    }


def command_body(slack: FakeSlack, text: str, user: str, reply_to: str) -> bytes:
    """A slash command form body with every field Slack sends, typed in #ops."""
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0TEAM001",
            "team_domain": "acme",
            "channel_id": slack.channel_id("#ops"),
            "channel_name": "ops",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/hub",
            "text": text,
            "api_app_id": "A0APP0001",
            "is_enterprise_install": "false",
            "response_url": slack.response_url(reply_to),
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        }
    ).encode()


async def command(
    hub: RunningHub, slack: FakeSlack, text: str, user: str = PERSON, reply_to: str = "r"
) -> dict[str, Any]:
    """Type `/hub <text>` in #ops; the JSON hub answers with, checked as valid Slack JSON."""
    body = command_body(slack, text, user, reply_to)
    async with hub.http.post(
        hub.url + "/slack/commands", data=body, headers=slack_headers(body)
    ) as resp:
        assert resp.status == 200, await resp.text()
        answer: dict[str, Any] = await resp.json()
    return valid_slack(answer)


async def press(hub: RunningHub, slack: FakeSlack, post: Call, action: str, user: str) -> None:
    """Press button `action` on the posted message `post`, as Slack posts the interaction."""
    body = press_body(slack, post, action, user)
    async with hub.http.post(
        hub.url + "/slack/interactions", data=body, headers=slack_headers(body)
    ) as resp:
        assert resp.status == 200, await resp.text()


def press_body(slack: FakeSlack, post: Call, action: str, user: str) -> bytes:
    """The form body Slack posts when `user` presses button `action` on the message `post`."""
    value = next(
        e["value"]
        for b in post.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == action
    )
    message = {
        "type": "message",
        "ts": post.ts,
        "text": post.text,
        "blocks": post.args.get("blocks", []),
        "attachments": post.attachments,
        "bot_id": "B00000HUB",
    }
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0"},
        "api_app_id": "A0APP0001",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": post.ts,
            "channel_id": post.channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "team": {"id": "T0TEAM001", "domain": "acme"},
        "channel": {"id": post.channel_id, "name": "ops"},
        "message": message,
        "response_url": slack.response_url("button"),
        "actions": [
            {
                "action_id": action,
                "block_id": "hub_actions",
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def valid_slack(answer: dict[str, Any]) -> dict[str, Any]:
    """Assert `answer` is a valid Slack response: known keys, text, Block Kit that validates."""
    assert set(answer) <= {"response_type", "text", "blocks", "replace_original"}
    assert answer["response_type"] in ("ephemeral", "in_channel")
    assert isinstance(answer["text"], str)
    assert answer["text"].strip()
    assert 0 < len(answer["blocks"]) <= 50
    for raw in answer["blocks"]:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
    return answer


def shown(answer: dict[str, Any]) -> str:
    """Everything an answer shows, as one string to search."""
    return json.dumps(answer["blocks"])


def alert(host: str, level: str = "CRITICAL", note: str = "") -> signing.Signed:
    """A signed Kapacitor alert about cpu on `host` (one thread per host)."""
    body = {
        "id": f"cpu:host={host}",
        "message": f"cpu:host={host} is {level} {note}".strip(),
        "details": "",
        "time": "2024-05-01T12:00:00Z",
        "duration": 0,
        "level": level,
        "data": {"series": [{"name": "cpu", "tags": {"host": host}, "columns": ["time"]}]},
    }
    return signing.kapacitor(json.dumps(body).encode())


def posts_about(slack: FakeSlack, host: str) -> list[Call]:
    """Accepted posts whose text names `host`."""
    return [c for c in slack.posts() if f"host={host}" in c.text]


@asynccontextmanager
async def chatops_hub(
    make_settings: SettingsFactory, **overrides: Any
) -> AsyncIterator[RunningHub]:
    """A hub with ChatOps on (the test signing secret, ADMIN as the one admin)."""
    settings = make_settings(
        ROUTES, slack_signing_secret=SECRET, slack_admins=frozenset({ADMIN}), **overrides
    )
    async with run_hub(settings) as hub:
        yield hub


async def post(hub: RunningHub, request: signing.Signed) -> str:
    """Send one webhook; its event id."""
    status, body = await hub.post(request)
    assert status == 202, body
    return str(body["id"])


# -- pure parts ---------------------------------------------------------------------------


def test_command_text_has_slacks_html_escapes_undone() -> None:
    """Slack sends `>` as `&gt;` in command text; hub reads the characters the user typed."""
    form = {"command": "/hub", "text": "mute severity=&gt;=error 1h a &amp; b", "user_id": "U1"}
    assert Command.from_form(form).text == "mute severity=>=error 1h a & b"


@pytest.mark.parametrize(
    ("matchers", "expected"),
    [
        ({"threadkey": "kapacitor:cpu:host=web-1"}, True),
        ({"threadkey": "=kapacitor:*"}, True),
        ({"subject": "API-3F2", "source": "sentry"}, True),
        ({"repo": "acme/api", "branch": "feature/*"}, True),
        ({"repo": "acme/api", "labels.env": "re:.*"}, True),
        ({"threadkey": "*:*"}, False),
        ({"threadkey": "kapacitor:*"}, False),
        ({"repo": "*/*"}, False),
        ({"repo": "acme/ap?"}, False),
        ({"repo": "acme/*"}, False),
        ({"repo": "re:acme/api"}, False),
        ({"subject": "re:.*", "source": "sentry"}, False),
        ({"threadkey": "="}, False),
        ({"labels.env": "*o*"}, False),
        ({"labels.env": "prod"}, False),
        ({"source": "kapacitor", "labels.host": "web-1"}, False),
        ({"branch": "main", "actor": "octocat"}, False),
        ({"source": "kapacitor", "type": "kapacitor.alert.*", "severity": ">=warning"}, False),
    ],
)
def test_only_a_literal_threadkey_subject_or_repo_pins_a_mute_to_one_subject(
    matchers: dict[str, str], expected: bool
) -> None:
    """A mute pins one subject only through a threadkey, subject or repo without wildcards."""
    assert pins_one_subject(matchers) is expected


@pytest.mark.parametrize(
    "matchers",
    [{"threadkey": "*:*"}, {"repo": "*/*"}, {"labels.env": "*o*"}, {"labels.host": "web-1"}],
)
def test_a_non_admin_is_told_what_they_may_mute_instead(matchers: dict[str, str]) -> None:
    """A wildcard mute is refused to a non-admin with the rule that would let it through."""
    refusal = mute_refusal(matchers, timedelta(hours=4), admin=False)
    assert refusal is not None
    assert "Only HUB_SLACK_ADMINS may mute more than one subject" in refusal
    assert "`threadkey`, `subject` or `repo` a literal value" in refusal
    assert mute_refusal(matchers, timedelta(hours=4), admin=True) is None


def test_anyone_may_mute_one_subject_for_up_to_four_hours() -> None:
    """Four hours on one thread is allowed to everyone; a minute more needs an admin."""
    scoped = {"threadkey": "kapacitor:cpu:host=web-1"}
    assert mute_refusal(scoped, timedelta(hours=4), admin=False) is None
    assert mute_refusal(scoped, timedelta(hours=4, minutes=1), admin=False) is not None
    assert mute_refusal(scoped, timedelta(days=7), admin=True) is None
    assert mute_refusal({"source": "github"}, timedelta(minutes=5), admin=False) is not None


def test_a_long_answer_is_packed_into_valid_sections() -> None:
    """Hundreds of long lines still make valid Block Kit within Slack's 50 blocks."""
    answer = Reply("*many*", tuple(f"line {i} " + "x" * 400 for i in range(300))).to_json()
    valid_slack(answer)


def test_a_forgotten_event_gets_its_note_above_the_buttons_and_loses_acknowledge() -> None:
    """Without the event, the message Slack sent back is edited: note added, Acknowledge gone."""
    buttons = [{"action_id": "hub_ack"}, {"action_id": "hub_mute_1h"}]
    message = {
        "text": "CRITICAL",
        "blocks": [{"type": "section"}],
        "attachments": [
            {"blocks": [{"type": "context"}, {"type": "actions", "elements": buttons}]}
        ],
    }
    edited = annotated(message, "Acknowledged by <@U1>", "hub_ack")
    assert edited["blocks"] == [{"type": "section"}]
    details = edited["attachments"][0]["blocks"]
    assert [b["type"] for b in details] == ["context", "context", "actions"]
    assert details[1]["elements"][0]["text"] == "Acknowledged by <@U1>"
    assert details[2]["elements"] == [{"action_id": "hub_mute_1h"}]


# -- the endpoints ----------------------------------------------------------------------------

live = pytest.mark.integration
"""Tests that run a real hub on both profiles."""


@live
@pytest.mark.parametrize("path", ["/slack/commands", "/slack/interactions"])
async def test_a_forged_signature_gets_401(
    make_settings: SettingsFactory, slack: FakeSlack, path: str
) -> None:
    """A request signed with another secret is refused with a JSON 401."""
    body = command_body(slack, "help", PERSON, "r")
    async with chatops_hub(make_settings) as hub:
        headers = slack_headers(body, secret="not-the-secret")
        async with hub.http.post(hub.url + path, data=body, headers=headers) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"] == "unauthorized"


@live
@pytest.mark.parametrize("path", ["/slack/commands", "/slack/interactions"])
async def test_a_stale_timestamp_gets_401(
    make_settings: SettingsFactory, slack: FakeSlack, path: str
) -> None:
    """A correctly signed request more than 5 minutes old is refused with a JSON 401."""
    body = command_body(slack, "help", PERSON, "r")
    async with chatops_hub(make_settings) as hub:
        headers = slack_headers(body, age=6 * 60)
        async with hub.http.post(hub.url + path, data=body, headers=headers) as resp:
            assert resp.status == 401
            assert "minutes" in (await resp.json())["message"]


@live
async def test_without_a_signing_secret_chatops_answers_404(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """With SLACK_SIGNING_SECRET unset the endpoints say how to turn ChatOps on."""
    body = command_body(slack, "help", PERSON, "r")
    async with (
        run_hub(make_settings(ROUTES)) as hub,
        hub.http.post(hub.url + "/slack/commands", data=body, headers=slack_headers(body)) as resp,
    ):
        assert resp.status == 404
        answer = await resp.json()
    assert answer["message"] == "ChatOps is off: set SLACK_SIGNING_SECRET"


# -- commands ---------------------------------------------------------------------------------


@live
async def test_help_lists_every_command_to_the_caller_only(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub help` is ephemeral and names each command with its usage."""
    async with chatops_hub(make_settings) as hub:
        answer = await command(hub, slack, "help")
    assert answer["response_type"] == "ephemeral"
    for usage in ("status", "routes [#channel]", "why <event-id>", "unmute <id>", "replay"):
        assert f"/hub {usage}" in shown(answer)


@live
async def test_an_unknown_command_gets_a_short_usage_line(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub frobnicate` answers, to the caller only, that it is unknown and what exists."""
    async with chatops_hub(make_settings) as hub:
        answer = await command(hub, slack, "frobnicate now")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Unknown command `frobnicate`. Usage: `/hub help")


@live
@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("mute labels.host=web-1", "/hub mute <key=glob>… <duration> [reason…]"),
        ("mute 2h", "/hub mute <key=glob>… <duration> [reason…]"),
        ("mute colour=red 1h", "/hub mute <key=glob>… <duration> [reason…]"),
        ("why", "/hub why <event-id>"),
        ("unmute", "/hub unmute <id>"),
        ("replay --everything", "/hub replay [--reason R] [--since 1h]"),
    ],
)
async def test_bad_arguments_get_the_commands_usage_line(
    make_settings: SettingsFactory, slack: FakeSlack, text: str, usage: str
) -> None:
    """A command with arguments it cannot use answers its own usage line, ephemeral."""
    async with chatops_hub(make_settings) as hub:
        answer = await command(hub, slack, text)
    assert answer["response_type"] == "ephemeral"
    assert f"Usage: `{usage}`" in answer["text"]


@live
async def test_status_answers_at_once_and_reports_through_response_url(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub status` says it is working, then posts ingest, backlog, dead letters, sources."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, numbered(0)))
        first = await command(hub, slack, "status", reply_to="status")
        (report,) = await slack.wait_for_response("status", timeout=15)
    assert "working" in first["text"].lower() or "Gathering" in first["text"]
    valid_slack(report)
    text = shown(report)
    for part in ("Ingest:", "Backlog:", "Dead letters:* none", "github:", "`github.ping`"):
        assert part in text, text
    assert "kapacitor: nothing in recent history" in text


@live
async def test_routes_without_a_channel_describes_the_current_one(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub routes` typed in #ops names the route that sends there and what it matches."""
    async with chatops_hub(make_settings) as hub:
        answer = await command(hub, slack, "routes")
    assert answer["text"] == "#ops receives events from 1 route:"
    assert "labels.host 'web-*'" in shown(answer)


@live
async def test_routes_of_a_named_channel_include_its_exclusions(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub routes <#C…|team-a>` (a channel link, as Slack sends it) shows route and exclusion."""
    async with chatops_hub(make_settings) as hub:
        answer = await command(hub, slack, f"routes <#{slack.channel_id('#team-a')}|team-a>")
    assert answer["text"] == "#team-a receives events from 1 route:"
    assert "*except* actor '*[bot]'" in shown(answer)


@live
async def test_why_explains_each_route_and_shows_where_the_event_went(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub why <id>` lists every route's verdict with its reason and the channel outcome."""
    async with chatops_hub(make_settings) as hub:
        event_id = await post(hub, numbered(0))
        await wait_delivered(hub, event_id)
        answer = await command(hub, slack, f"why {event_id}")
    text = shown(answer)
    assert ":white_check_mark: `pings`: match matched: source 'github' matches 'github'" in text
    assert ":heavy_minus_sign: `alerts`: match.source: 'github' does not match 'kapacitor'" in text
    assert "#team-a" in text


@live
async def test_why_of_an_unknown_event_says_so(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub why` of an id hub never saw answers that it is not in the history."""
    async with chatops_hub(make_settings) as hub:
        answer = await command(hub, slack, "why no-such-event")
    assert answer["text"] == "No event `no-such-event` in hub's history."


@live
async def test_a_mute_from_slack_stops_matching_events_and_unmute_brings_them_back(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """After a `/hub mute` of web-1's thread, its alerts stop reaching Slack; unmute ends it."""
    async with chatops_hub(make_settings) as hub:
        muted = await command(hub, slack, "mute threadkey=kapacitor:cpu:host=web-1 1h deploy")
        assert muted["response_type"] == "in_channel"
        assert "muted `threadkey=kapacitor:cpu:host=web-1` for 1h" in muted["text"]
        silence_id = muted["blocks"][-1]["elements"][0]["text"].split("`")[1]
        await asyncio.sleep(SETTLE)
        await post(hub, alert("web-1"))
        await post(hub, alert("web-2"))
        await slack.wait_until(lambda: len(posts_about(slack, "web-2")) == 1, timeout=15)
        await asyncio.sleep(0.5)
        assert posts_about(slack, "web-1") == []

        listed = await command(hub, slack, "silences")
        assert silence_id in shown(listed)
        unmuted = await command(hub, slack, f"unmute {silence_id}")
        assert unmuted["response_type"] == "in_channel"
        await asyncio.sleep(SETTLE)
        await post(hub, alert("web-1", note="again"))
        await slack.wait_until(lambda: len(posts_about(slack, "web-1")) == 1, timeout=15)


@live
async def test_anyone_may_not_mute_for_longer_than_four_hours(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """A non-admin's 5h mute is refused to them alone; an admin's is made for all to see."""
    async with chatops_hub(make_settings) as hub:
        refused = await command(hub, slack, "mute subject=cpu:host=web-1 5h", user=PERSON)
        allowed = await command(hub, slack, "mute subject=cpu:host=web-1 5h", user=ADMIN)
        listed = await command(hub, slack, "silences")
    assert refused["response_type"] == "ephemeral"
    assert "HUB_SLACK_ADMINS" in refused["text"]
    assert allowed["response_type"] == "in_channel"
    assert listed["text"] == "*1 silence*"


@live
async def test_a_global_mute_needs_an_admin(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Muting a whole source is refused to anyone not in HUB_SLACK_ADMINS."""
    async with chatops_hub(make_settings) as hub:
        refused = await command(hub, slack, "mute source=kapacitor 10m", user=PERSON)
        allowed = await command(hub, slack, "mute source=kapacitor 10m", user=ADMIN)
    assert "Only HUB_SLACK_ADMINS may mute more than one subject" in refused["text"]
    assert allowed["response_type"] == "in_channel"


@live
@pytest.mark.parametrize(
    "matchers", ["threadkey=*:*", "repo=*/*", "labels.env=*o*", "threadkey=kapacitor:*"]
)
async def test_a_wildcard_mute_by_a_non_admin_is_refused_and_silences_nothing(
    make_settings: SettingsFactory, slack: FakeSlack, matchers: str
) -> None:
    """A pattern that could match every subject is refused to a non-admin: alerts still post."""
    async with chatops_hub(make_settings) as hub:
        refused = await command(hub, slack, f"mute {matchers} 4h", user=PERSON)
        listed = await command(hub, slack, "silences")
        await post(hub, alert("web-1"))
        await slack.wait_until(lambda: len(posts_about(slack, "web-1")) == 1, timeout=15)
    assert refused["response_type"] == "ephemeral"
    assert refused["text"].startswith(":no_entry: Only HUB_SLACK_ADMINS may mute more than one")
    assert "give `threadkey`, `subject` or `repo` a literal value" in refused["text"]
    assert listed["text"] == "No silences: every matching event is posted."


@live
async def test_unmute_of_an_unknown_silence_says_how_to_list_them(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub unmute` of an id that does not exist answers, ephemeral, with `/hub silences`."""
    async with chatops_hub(make_settings) as hub:
        answer = await command(hub, slack, "unmute deadbeef")
    assert answer["response_type"] == "ephemeral"
    assert "`/hub silences`" in answer["text"]


@live
async def test_a_non_admin_cannot_replay(make_settings: SettingsFactory, slack: FakeSlack) -> None:
    """`/hub replay` by someone not in HUB_SLACK_ADMINS is refused and nothing is replayed."""
    async with chatops_hub(make_settings) as hub:
        answer = await command(hub, slack, "replay", user=PERSON, reply_to="replay")
        await asyncio.sleep(0.3)
    assert answer["response_type"] == "ephemeral"
    assert "Only users in HUB_SLACK_ADMINS may replay" in answer["text"]
    assert "replay" not in slack.responses


@live
async def test_an_admin_replays_dead_letters_through_the_current_routes(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """A delivery dead-lettered for channel_not_found is posted once an admin replays it."""
    slack.unknown_channels.add("#gone")
    async with chatops_hub(make_settings) as hub:
        event_id = await post(hub, alert("db-1"))
        await wait_delivered(hub, event_id, "dead_lettered")
        slack.unknown_channels.clear()
        first = await command(hub, slack, "replay --reason channel_not_found", user=ADMIN)
        (report,) = await slack.wait_for_response("r", timeout=15)
        await slack.wait_for(1, timeout=15, channel="#gone")
    assert first["response_type"] == "ephemeral"
    valid_slack(report)
    assert report["response_type"] == "in_channel"
    assert f"<@{ADMIN}> replayed 1 dead letters" in report["text"]


async def wait_delivered(hub: RunningHub, event_id: str, outcome: str = "posted") -> None:
    """Poll the ops API until hub's history shows the event's delivery with `outcome`."""
    for _ in range(150):
        async with hub.http.get(f"{hub.ops_url}/api/events/{event_id}") as resp:
            if resp.status == 200:
                deliveries = (await resp.json())["deliveries"]
                if any(o.startswith(outcome) for o in deliveries.values()):
                    return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no {outcome} delivery of {event_id} in hub's history")


# -- buttons ----------------------------------------------------------------------------------


@live
async def test_acknowledge_updates_the_parent_and_logs_it_in_the_thread(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Acknowledge re-renders the alert with who acknowledged it, replies so, and it sticks."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, alert("web-1")))
        parent = slack.posts()[0]
        await press(hub, slack, parent, "hub_ack", PERSON)
        await slack.wait_until(lambda: len(slack.updates()) == 1 and len(slack.posts()) == 2, 10)
        update, reply = slack.updates()[0], slack.posts()[1]
        await post(hub, alert("web-1", level="WARNING"))
        await slack.wait_until(lambda: len(slack.updates()) == 2, timeout=15)
    assert update.ts == parent.ts
    assert f"Acknowledged by <@{PERSON}>" in json.dumps(update.args)
    assert "hub_ack" not in json.dumps(update.args), "the button goes once someone acknowledged"
    assert reply.thread_ts == parent.ts
    assert reply.text == f"Acknowledged by <@{PERSON}>"
    assert f"Acknowledged by <@{PERSON}>" in json.dumps(slack.updates()[1].args)


@live
async def test_mute_1h_silences_the_thread_and_says_so_in_place_and_in_the_thread(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Mute 1h stops the thread's next alerts, shows "Muted until", and replies with the silence."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, alert("web-1")))
        parent = slack.posts()[0]
        await press(hub, slack, parent, "hub_mute_1h", PERSON)
        await slack.wait_until(lambda: len(slack.updates()) == 1 and len(slack.posts()) == 2, 10)
        update, reply = slack.updates()[0], slack.posts()[1]
        await asyncio.sleep(SETTLE)
        await post(hub, alert("web-1", level="WARNING"))
        await post(hub, alert("web-2"))
        await slack.wait_until(lambda: len(posts_about(slack, "web-2")) == 1, timeout=15)
        await asyncio.sleep(0.5)
        listed = await command(hub, slack, "silences")
    assert update.ts == parent.ts
    assert "Muted until" in json.dumps(update.args)
    assert reply.thread_ts == parent.ts
    assert reply.text.startswith(f"Muted for 1h by <@{PERSON}> (silence `")
    assert len(posts_about(slack, "web-1")) == 1, "the muted thread got nothing after the parent"
    assert "threadkey=kapacitor:cpu:host=web-1" in shown(listed)


@live
async def test_mute_1h_on_a_thread_whose_key_holds_a_wildcard_mutes_that_thread_alone(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Mute 1h on the alert `cpu:host=web-*` makes a literal silence: web-1 still posts."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, alert("web-*")))
        parent = slack.posts()[0]
        await press(hub, slack, parent, "hub_mute_1h", PERSON)
        await slack.wait_until(lambda: len(slack.updates()) == 1 and len(slack.posts()) == 2, 10)
        listed = await command(hub, slack, "silences")
        await asyncio.sleep(SETTLE)
        muted = await post(hub, alert("web-*", level="WARNING"))
        await post(hub, alert("web-1"))
        await slack.wait_until(lambda: len(posts_about(slack, "web-1")) == 1, timeout=15)
        await wait_routed(hub, muted)
        entry = await event_entry(hub, muted)
    assert "threadkey='=kapacitor:cpu:host=web-*'" in shown(listed)
    assert entry["status"] == "silenced"
    assert len(posts_about(slack, "web-*")) == 1, "the muted thread got nothing after the parent"


async def event_entry(hub: RunningHub, event_id: str) -> dict[str, Any]:
    """The live API's entry for `event_id`."""
    async with hub.http.get(f"{hub.ops_url}/api/events/{event_id}") as resp:
        assert resp.status == 200
        entry: dict[str, Any] = await resp.json()
    return entry


async def wait_routed(hub: RunningHub, event_id: str) -> None:
    """Poll the ops API until the router has decided on `event_id` (routed or silenced)."""
    for _ in range(150):
        async with hub.http.get(f"{hub.ops_url}/api/events/{event_id}") as resp:
            if resp.status == 200 and (await resp.json())["status"] != "received":
                return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{event_id} was not routed")


@live
async def test_a_mute_of_a_thread_typed_in_its_channel_is_written_into_the_thread(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`/hub mute threadkey=<key> 30m` in #ops also replies in that alert's thread."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, alert("web-1")))
        parent = slack.posts()[0]
        await command(hub, slack, "mute threadkey=kapacitor:cpu:host=web-1 30m noisy")
        await slack.wait_until(lambda: len(slack.posts()) == 2)
    reply = slack.posts()[1]
    assert reply.thread_ts == parent.ts
    assert reply.text.startswith(f":mute: <@{PERSON}> muted `threadkey=kapacitor:cpu:host=web-1`")


@live
async def test_a_second_acknowledge_is_told_who_was_first(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Pressing Acknowledge on an acknowledged thread answers the presser and changes nothing."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, alert("web-1")))
        parent = slack.posts()[0]
        await press(hub, slack, parent, "hub_ack", PERSON)
        await slack.wait_until(lambda: len(slack.updates()) == 1 and len(slack.posts()) == 2, 10)
        await press(hub, slack, parent, "hub_ack", ADMIN)
        (answer,) = await slack.wait_for_response("button", timeout=10)
    valid_slack(answer)
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False
    assert answer["text"] == f"Already acknowledged by <@{PERSON}>."
    assert len(slack.updates()) == 1


@live
async def test_a_link_button_press_is_answered_and_ignored(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Slack reports link-button clicks too; hub answers 200 and calls Slack for nothing."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, alert("web-1")))
        calls = len(slack.calls)
        link = {"action_id": "hub_link_open", "type": "button", "url": "https://example.com"}
        payload = {"type": "block_actions", "user": {"id": PERSON}, "actions": [link]}
        body = urlencode({"payload": json.dumps(payload)}).encode()
        async with hub.http.post(
            hub.url + "/slack/interactions", data=body, headers=slack_headers(body)
        ) as resp:
            assert resp.status == 200
        await asyncio.sleep(0.3)
    assert len(slack.calls) == calls
    assert slack.responses == {}


@live
async def test_a_second_mute_of_a_muted_thread_says_until_when(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Mute 1h on a thread already muted answers the presser and makes no second silence."""
    async with chatops_hub(make_settings) as hub:
        await wait_delivered(hub, await post(hub, alert("web-1")))
        parent = slack.posts()[0]
        await press(hub, slack, parent, "hub_mute_1h", PERSON)
        await slack.wait_until(lambda: len(slack.updates()) == 1 and len(slack.posts()) == 2, 10)
        await press(hub, slack, parent, "hub_mute_1h", ADMIN)
        (answer,) = await slack.wait_for_response("button", timeout=10)
        listed = await command(hub, slack, "silences")
    valid_slack(answer)
    assert answer["text"].startswith("Already muted until <!date^")
    assert listed["text"] == "*1 silence*"
