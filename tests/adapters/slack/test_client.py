"""The Slack notifier over real HTTP against the fake Slack, and the console notifier."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from adapters.slack.client import ConsoleNotifier, SlackNotifier
from adapters.slack.render import render
from hub.core.errors import PermanentDeliveryError, TemporaryDeliveryError
from hub.core.event import Event
from hub.core.severity import Severity
from hub.testing.fakeslack import FakeSlack

TOKEN = "xoxb-test-token"
WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
EVENT = Event(
    id="evt-1",
    source="travis",
    type="travis.build.failed",
    time=WHEN,
    receivedat=WHEN,
    severity=Severity.ERROR,
    state="failed",
    title="acme/api build #812 failed",
    text="*Build #812* failed on `main`",
    url="https://travis-ci.com/acme/api/builds/812",
    repo="acme/api",
    branch="main",
)
MESSAGE = render(EVENT, ["backend-ci"])


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A running fake Slack that accepts only TOKEN."""
    server = FakeSlack(token=TOKEN, unknown_channels={"#nowhere"})
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def slack(fake: FakeSlack) -> AsyncIterator[SlackNotifier]:
    """A SlackNotifier pointed at the fake, closed after the test."""
    notifier = SlackNotifier(TOKEN, fake.base_url, timeout=2)
    yield notifier
    await notifier.close()


async def test_post_returns_the_ts_and_slack_records_the_message(
    fake: FakeSlack, slack: SlackNotifier
) -> None:
    """A post answers Slack's ts; the fake saw the channel, blocks and metadata."""
    ts = (await slack.post("#backend", MESSAGE)).ts
    [post] = fake.posts("#backend")
    assert post.ts == ts
    assert post.channel == "#backend"
    assert post.text == MESSAGE["text"]
    assert post.blocks == [*MESSAGE["blocks"], *MESSAGE["attachments"][0]["blocks"]]
    assert post.metadata == {
        "event_type": "hub_event",
        "event_payload": {"event_ids": ["evt-1"], "routes": ["backend-ci"]},
    }


async def test_any_text_reaches_slack_as_it_was(fake: FakeSlack, slack: SlackNotifier) -> None:
    """Non-ASCII, emoji and even a lone surrogate (which orjson refuses) arrive unchanged."""
    texts = ["café ✓ 日本語 🚀", "half a pair: \ud800", 'quotes " and \\ and \n newline']
    for text in texts:
        await slack.post("#backend", {**MESSAGE, "text": text})
    assert [p.text for p in fake.posts("#backend")] == texts


async def test_thread_replies_carry_thread_ts_and_broadcast(
    fake: FakeSlack, slack: SlackNotifier
) -> None:
    """Thread options in the message reach chat.postMessage unchanged."""
    parent = (await slack.post("#backend", MESSAGE)).ts
    await slack.post("#backend", {**MESSAGE, "thread_ts": parent, "reply_broadcast": True})
    reply = fake.posts("#backend")[1]
    assert reply.thread_ts == parent
    assert reply.args["reply_broadcast"] is True


async def test_update_replaces_the_message_by_channel_id(
    fake: FakeSlack, slack: SlackNotifier
) -> None:
    """An update names the channel by the ID Slack answered, as chat.update requires."""
    ts = (await slack.post("#backend", MESSAGE)).ts
    await slack.update("#backend", ts, {**MESSAGE, "text": "passed", "unfurl_links": False})
    [update] = fake.updates()
    assert (update.channel, update.ts, update.text) == (fake.channel_id("#backend"), ts, "passed")
    assert "unfurl_links" not in update.args


async def test_update_after_a_restart_looks_the_channel_up(
    fake: FakeSlack, slack: SlackNotifier
) -> None:
    """A notifier that did not post the parent finds the channel ID via conversations.list."""
    ts = (await slack.post("#backend", MESSAGE)).ts
    fresh = SlackNotifier(TOKEN, fake.base_url)
    try:
        await fresh.update("#backend", ts, MESSAGE)
    finally:
        await fresh.close()
    assert len(fake.updates("#backend")) == 1


async def test_check_describes_the_team_and_bot(slack: SlackNotifier) -> None:
    """check() calls auth.test and names the workspace and bot user."""
    assert await slack.check() == "team Fake Workspace (T00000FAKE) as hub"


async def test_429_is_temporary_with_the_retry_after_header(
    fake: FakeSlack, slack: SlackNotifier
) -> None:
    """A 429 raises TemporaryDeliveryError carrying Retry-After, and slack_sdk did not retry."""
    fake.rate_limit_next(1, retry_after=7)
    with pytest.raises(TemporaryDeliveryError) as caught:
        await slack.post("#backend", MESSAGE)
    assert (caught.value.reason, caught.value.retry_after) == ("rate_limited", 7)
    assert len(fake.calls) == 1


async def test_channel_rate_limit_answers_429(fake: FakeSlack, slack: SlackNotifier) -> None:
    """Posting faster than a channel's rate is refused with a wait of at least one second."""
    fake.limit_channel_rate(1, burst=1)
    await slack.post("#backend", MESSAGE)
    with pytest.raises(TemporaryDeliveryError) as caught:
        await slack.post("#backend", MESSAGE)
    assert caught.value.reason == "rate_limited"
    assert caught.value.retry_after == 1
    await slack.post("#other", MESSAGE)


async def test_server_error_is_temporary(fake: FakeSlack, slack: SlackNotifier) -> None:
    """An HTTP 500 raises TemporaryDeliveryError, and the next call goes through."""
    fake.fail_next(1)
    with pytest.raises(TemporaryDeliveryError) as caught:
        await slack.post("#backend", MESSAGE)
    assert caught.value.reason == "http_5xx"
    await slack.post("#backend", MESSAGE)


async def test_outage_gives_temporary_errors_until_it_ends(
    fake: FakeSlack, slack: SlackNotifier
) -> None:
    """During a timed 503 outage every call is temporary; afterwards posts succeed again."""
    fake.fail_for(0.3, status=503)
    with pytest.raises(TemporaryDeliveryError):
        await slack.post("#backend", MESSAGE)
    await asyncio.sleep(0.3)
    await slack.post("#backend", MESSAGE)


async def test_timeout_is_temporary(fake: FakeSlack) -> None:
    """A Slack slower than the notifier's timeout raises TemporaryDeliveryError('timeout')."""
    fake.latency = 1
    notifier = SlackNotifier(TOKEN, fake.base_url, timeout=0.2)
    try:
        with pytest.raises(TemporaryDeliveryError) as caught:
            await notifier.post("#backend", MESSAGE)
    finally:
        await notifier.close()
    assert caught.value.reason == "timeout"


async def test_connection_refused_is_temporary(fake: FakeSlack, slack: SlackNotifier) -> None:
    """With Slack unreachable the error is TemporaryDeliveryError('connection_error')."""
    await fake.stop()
    with pytest.raises(TemporaryDeliveryError) as caught:
        await slack.post("#backend", MESSAGE)
    assert caught.value.reason == "connection_error"


async def test_unknown_channel_is_permanent(slack: SlackNotifier) -> None:
    """channel_not_found raises PermanentDeliveryError with Slack's error code as reason."""
    with pytest.raises(PermanentDeliveryError) as caught:
        await slack.post("#nowhere", MESSAGE)
    assert caught.value.reason == "channel_not_found"


async def test_wrong_token_is_permanent(fake: FakeSlack) -> None:
    """A token Slack does not know raises PermanentDeliveryError('invalid_auth')."""
    notifier = SlackNotifier("xoxb-wrong", fake.base_url)
    try:
        with pytest.raises(PermanentDeliveryError) as caught:
            await notifier.check()
    finally:
        await notifier.close()
    assert caught.value.reason == "invalid_auth"


@pytest.mark.parametrize("error", ["is_archived", "not_in_channel", "invalid_blocks"])
async def test_per_message_errors_are_permanent(
    fake: FakeSlack, slack: SlackNotifier, error: str
) -> None:
    """Slack errors that retrying cannot fix raise PermanentDeliveryError(reason=error)."""
    fake.channel_errors["#backend"] = error
    with pytest.raises(PermanentDeliveryError) as caught:
        await slack.post("#backend", MESSAGE)
    assert caught.value.reason == error


@pytest.mark.parametrize("error", ["internal_error", "fatal_error", "service_unavailable"])
async def test_slack_side_errors_are_temporary(
    fake: FakeSlack, slack: SlackNotifier, error: str
) -> None:
    """ok:false errors that mean Slack itself is struggling raise TemporaryDeliveryError."""
    fake.channel_errors["#backend"] = error
    with pytest.raises(TemporaryDeliveryError) as caught:
        await slack.post("#backend", MESSAGE)
    assert caught.value.reason == error


async def test_fake_accepts_form_bodies_like_older_clients(fake: FakeSlack) -> None:
    """The fake reads form-encoded calls with JSON-encoded attachments and a token field."""
    form = {"token": TOKEN, "channel": "#backend", "text": "hi", "attachments": '[{"blocks":[]}]'}
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake.base_url + "chat.postMessage", data=form) as response,
    ):
        body = await response.json()
    assert body["ok"] is True
    assert fake.posts()[0].attachments == [{"blocks": []}]


async def test_console_notifier_prints_one_json_line_per_message() -> None:
    """Console mode writes each post and update as a JSON line and returns increasing ts."""
    stream = io.StringIO()
    console = ConsoleNotifier(stream)
    first = (await console.post("#backend", MESSAGE)).ts
    second = (await console.post("#backend", MESSAGE)).ts
    await console.update("#backend", first, MESSAGE)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["channel"] for line in lines] == ["#backend"] * 3
    assert lines[0]["message"] == MESSAGE
    assert lines[2]["update"] == first
    assert float(second) > float(first)


async def test_fake_wait_for_returns_once_enough_posts_arrived(
    fake: FakeSlack, slack: SlackNotifier
) -> None:
    """wait_for returns after the count is reached and times out when it is not."""
    await slack.post("#backend", MESSAGE)
    await fake.wait_for(1, timeout=1, channel="#backend")
    with pytest.raises(TimeoutError):
        await fake.wait_for(2, timeout=0.1)
