"""Posting one delivery to Slack: parent then thread replies, and at most once per channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.slack import render as slack_render
from adapters.slack.client import SlackNotifier
from hub.backends.sqlite.state import SqliteState
from hub.core.messages import Delivery
from hub.core.severity import Severity
from hub.deliverer.pacing import TokenBucket
from hub.deliverer.posting import Poster
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import info_event

TOKEN = "xoxb-posting-test"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A running fake Slack."""
    server = FakeSlack(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def poster(fake: FakeSlack, state: SqliteState) -> AsyncIterator[Poster]:
    """A poster on the embedded state store, through the real Slack client, to `fake`."""
    notifier = SlackNotifier(TOKEN, fake.base_url)
    poster = Poster(state, notifier, slack_render, timedelta(minutes=1), backoff_max=0.1)
    yield poster
    await poster.edits.close(grace=5)
    await notifier.close()


def threaded(n: int, state: str, severity: Severity) -> Delivery:
    """Event `n` of the thread `kapacitor:cpu` in state `state`, for #ops."""
    event = info_event(n).model_copy(
        update={"threadkey": "kapacitor:cpu", "state": state, "severity": severity}
    )
    return Delivery(event=event, channel="#ops", routes=("ops",))


def bucket() -> TokenBucket:
    """A bucket that never makes these tests wait."""
    return TokenBucket(rate=100.0, burst=100)


async def test_first_event_of_a_thread_posts_the_parent_and_later_ones_reply(
    poster: Poster, fake: FakeSlack
) -> None:
    """The first event of a threadkey is a new message; the next replies in its thread and
    edits the parent."""
    assert await poster.single(threaded(1, "critical", Severity.CRITICAL), bucket()) == "posted"
    assert await poster.single(threaded(2, "ok", Severity.SUCCESS), bucket()) == "updated"
    first, reply = fake.posts("#ops")
    assert first.thread_ts is None
    assert reply.thread_ts == first.ts
    assert fake.event_ids("#ops") == ["evt-1", "evt-2"]
    await poster.edits.close(grace=5)
    (edit,) = fake.updates("#ops")
    assert edit.args["ts"] == first.ts


async def test_a_delivery_posted_before_is_skipped(poster: Poster, fake: FakeSlack) -> None:
    """The same (event, channel) handed over twice (a broker redelivery) posts once."""
    delivery = Delivery(event=info_event(5), channel="#ci", routes=("ci",))
    assert await poster.single(delivery, bucket()) == "posted"
    assert await poster.single(delivery, bucket()) == "skipped"
    assert len(fake.posts("#ci")) == 1


async def test_a_post_slack_took_before_a_crash_is_found_not_repeated(
    poster: Poster, fake: FakeSlack, state: SqliteState
) -> None:
    """An event marked 'posting' but not 'posted' is looked up in Slack and not posted again."""
    delivery = Delivery(event=info_event(6), channel="#ci", routes=("ci",))
    await poster.single(delivery, bucket())
    await state.delete("posted:evt-6:#ci")  # the crash came between Slack's ok and the mark
    assert await poster.single(delivery, bucket()) == "skipped"
    assert len(fake.posts("#ci")) == 1
