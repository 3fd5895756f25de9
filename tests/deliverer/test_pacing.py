"""The deliverer's per-channel pace: what arrives while a channel waits joins the next digest."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import pairwise
from pathlib import Path

import pytest

from adapters.slack import render as slack_render
from adapters.slack.client import SlackNotifier
from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.state import SqliteState
from hub.core.messages import Delivery
from hub.deliverer.pacing import TokenBucket, backoff
from hub.deliverer.parents import EDITS_PER_MINUTE
from hub.deliverer.stage import Deliverer
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import info_event

TOKEN = "xoxb-pacing-test"


def _delivery(n: int) -> Delivery:
    return Delivery(info_event(n), "#pace", ("all",))


@asynccontextmanager
async def _deliverer(
    tmp_path: Path,
    state: SqliteState,
    fake: FakeSlack,
    *,
    rate: float,
    burst: int,
    edits_per_minute: float = EDITS_PER_MINUTE,
) -> AsyncIterator[Deliverer]:
    """A deliverer on an embedded queue, posting through the real Slack client to `fake`."""
    broker = SqliteBroker(tmp_path)
    await broker.start()
    notifier = SlackNotifier(TOKEN, fake.base_url)
    try:
        yield Deliverer(
            broker,
            state,
            notifier,
            slack_render,
            rate=rate,
            burst=burst,
            edits_per_minute=edits_per_minute,
        )
    finally:
        await notifier.close()
        await broker.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A running fake Slack."""
    server = FakeSlack(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


async def test_events_arriving_during_the_pace_wait_go_out_in_the_next_digest(
    tmp_path: Path, state: SqliteState, fake: FakeSlack
) -> None:
    """One post a second, no burst: the first event posts at once; the second waits for the
    pace; four more that arrive during that wait are in the same post as the second."""
    async with _deliverer(tmp_path, state, fake, rate=1.0, burst=1) as deliverer:
        first = [asyncio.create_task(deliverer.handle(_delivery(n))) for n in (0, 1)]
        await fake.wait_for_events(1, timeout=10)
        await asyncio.sleep(0.2)  # event 1 now waits about 0.8 s for the channel's pace
        later = [asyncio.create_task(deliverer.handle(_delivery(n))) for n in range(2, 6)]
        await asyncio.wait_for(asyncio.gather(*first, *later), 20)
    assert [_ids(p.metadata) for p in fake.posts("#pace")] == [
        ["evt-0"],
        ["evt-1", "evt-2", "evt-3", "evt-4", "evt-5"],
    ]


async def test_a_channels_pace_holds_across_a_lane_that_drained(
    tmp_path: Path, state: SqliteState, fake: FakeSlack
) -> None:
    """Events of one channel that each find its lane empty are still paced at 1 post/s: the
    posts reach Slack about a second apart, not as fast as each one settles.

    The gaps are measured where Slack sees them, so they allow 0.2 s for one request taking
    longer on its way than the next (a busy machine); unpaced, they are milliseconds."""
    async with _deliverer(tmp_path, state, fake, rate=1.0, burst=1) as deliverer:
        for n in range(3):  # each one settled before the next arrives
            await asyncio.wait_for(deliverer.handle(_delivery(n)), 10)
    posts = fake.posts("#pace")
    assert [_ids(p.metadata) for p in posts] == [["evt-0"], ["evt-1"], ["evt-2"]]
    gaps = [round(later.received - earlier.received, 3) for earlier, later in pairwise(posts)]
    assert all(gap >= 0.8 for gap in gaps), f"posted faster than 1/s: {gaps} s apart"


async def test_a_digest_leaves_out_events_already_posted_in_the_channel(
    tmp_path: Path, state: SqliteState, fake: FakeSlack
) -> None:
    """A backlog whose events were partly posted before (a redelivery after a crash) digests
    only the others."""
    async with _deliverer(tmp_path, state, fake, rate=1.0, burst=1) as deliverer:
        await deliverer.poster.mark_posted([info_event(2), info_event(4)], "#pace")
        await asyncio.wait_for(deliverer.handle(_delivery(0)), 10)  # spends the burst
        backlog = [deliverer.handle(_delivery(n)) for n in range(1, 6)]
        await asyncio.wait_for(asyncio.gather(*backlog), 20)
    assert [_ids(p.metadata) for p in fake.posts("#pace")] == [
        ["evt-0"],
        ["evt-1", "evt-3", "evt-5"],
    ]


def _ids(metadata: dict[str, object] | None) -> list[str]:
    payload = (metadata or {}).get("event_payload")
    return list(payload.get("event_ids", [])) if isinstance(payload, dict) else []


def _in_thread(n: int, state: str) -> Delivery:
    event = info_event(n).model_copy(update={"threadkey": "github:acme/app#7", "state": state})
    return Delivery(event, "#pace", ("all",))


async def test_a_digest_edits_a_thread_parent_once_showing_its_latest_event(
    tmp_path: Path, state: SqliteState, fake: FakeSlack
) -> None:
    """Five events of one thread that wait for the channel's pace go out as one digest, and
    the thread's parent is edited once (not five times), counting all five, in the last
    event's state."""
    states = ["open", "open", "open", "open", "merged"]
    async with _deliverer(tmp_path, state, fake, rate=1.0, burst=1) as deliverer:
        await asyncio.wait_for(deliverer.handle(_in_thread(0, "open")), 10)  # the parent
        replies = [deliverer.handle(_in_thread(n + 1, s)) for n, s in enumerate(states)]
        await asyncio.wait_for(asyncio.gather(*replies), 20)
        await deliverer.close(10)  # the parent's edit follows the digest
    parent, digest = fake.posts("#pace")
    assert _ids(digest.metadata) == ["evt-1", "evt-2", "evt-3", "evt-4", "evt-5"]
    updates = fake.updates("#pace")
    assert [u.ts for u in updates] == [parent.ts], "one edit of the parent for the whole digest"
    edited = json.dumps(updates[0].args)
    assert "5 updates in thread" in edited
    saved = await deliverer.poster.threads.get("#pace", "github:acme/app#7")
    assert saved is not None
    assert (saved.state, saved.updates) == ("merged", 5)


async def test_a_busy_threads_parent_is_edited_at_the_pace_showing_its_newest_event(
    tmp_path: Path, state: SqliteState, fake: FakeSlack
) -> None:
    """Twenty replies of one thread in quick succession: each is posted in the thread at once,
    while the parent's edits go at the edit pace (60 a minute after a burst of ten), the
    waiting ones merged; the last edit shows the newest event and counts all twenty."""
    async with _deliverer(
        tmp_path, state, fake, rate=100.0, burst=100, edits_per_minute=60
    ) as deliverer:
        await asyncio.wait_for(deliverer.handle(_in_thread(0, "open")), 10)  # the parent
        for n in range(1, 21):
            await asyncio.wait_for(deliverer.handle(_in_thread(n, f"step-{n}")), 10)
        edits_when_replies_done = len(fake.updates("#pace"))
        await deliverer.close(10)
    parent, *replies = fake.posts("#pace")
    assert [r.thread_ts for r in replies] == [parent.ts] * 20, "every reply in the thread"
    assert edits_when_replies_done < 20, "the replies waited for the parent's edits"
    edits = fake.updates("#pace")
    assert 2 <= len(edits) <= 13, "edits not merged while they wait (burst of 10, then 1/s)"
    assert _ids(edits[-1].metadata) == ["evt-20"]
    assert "20 updates in thread" in json.dumps(edits[-1].args)
    saved = await deliverer.poster.threads.get("#pace", "github:acme/app#7")
    assert saved is not None
    assert (saved.state, saved.updates) == ("step-20", 20)


async def test_a_rate_limited_parent_edit_holds_off_edits_not_posts(
    tmp_path: Path, state: SqliteState, fake: FakeSlack
) -> None:
    """Slack answers chat.update with 429 and Retry-After 60 s: the thread's replies are
    still all posted at once, and the parent's edit waits, one for the whole thread."""
    fake.limit_update_rate(per_second=1 / 60, burst=1)
    async with _deliverer(tmp_path, state, fake, rate=100.0, burst=100) as deliverer:
        await asyncio.wait_for(deliverer.handle(_in_thread(0, "open")), 10)  # the parent
        await asyncio.wait_for(deliverer.handle(_in_thread(1, "open")), 10)
        await fake.wait_until(lambda: len(fake.updates("#pace")) == 1, timeout=10)
        # The fake's one edit a minute is spent; the next edit is answered 429.
        for n in range(2, 6):  # with the lane waiting out Retry-After, this takes minutes
            await asyncio.wait_for(deliverer.handle(_in_thread(n, "open")), 10)
        await fake.wait_until(
            lambda: any(c.status == 429 for c in fake.calls if c.method == "chat.update"), 10
        )
        waiting = len(deliverer.poster.edits)
        await deliverer.close(0.1)
    parent, *replies = fake.posts("#pace")
    assert [r.thread_ts for r in replies] == [parent.ts] * 5
    assert waiting == 1, "the thread's waiting edits are one"
    assert len(fake.updates("#pace")) == 1


async def test_bucket_allows_its_burst_then_one_per_interval() -> None:
    """A fresh bucket gives `burst` tokens at once, then makes the next wait 1/rate seconds."""
    bucket = TokenBucket(rate=2.0, burst=3)
    for _ in range(3):
        assert bucket.wait_time() == 0.0
        await bucket.take()
    assert bucket.wait_time() == pytest.approx(0.5, abs=0.05)


async def test_hold_off_makes_the_next_take_wait_retry_after() -> None:
    """After Slack's 429 with Retry-After, no token is given before those seconds pass."""
    bucket = TokenBucket(rate=1.0, burst=3)
    bucket.hold_off(0.3)
    assert bucket.wait_time() == pytest.approx(1.3, abs=0.05)


def test_backoff_is_jittered_below_its_doubling_cap() -> None:
    """Attempt n waits a random time in [0, min(cap, initial * 2^(n-1))]."""
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (4, 4.0), (12, 30.0)):
        waits = [backoff(attempt) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2
