"""Thread-parent edits: coalesced per thread, paced for the whole workspace, never in a lane's way.

A reply (or a digest) asks for its thread parent to be edited to show the newest state. Slack
limits `chat.update` per app and workspace (Tier 3: about 50 a minute, short bursts allowed),
so the edits leave through one token bucket. An ask for a thread whose edit still waits
replaces the waiting one (the newer event is shown) and adds its count, so a busy thread's
parent is edited once per free slot however many events it had. The lane that posted the
reply does not wait for any of this: a 429 on an edit holds off the edits, not the posts.

An edit waits only in memory. A process killed before its edit leaves the parent one state
behind until the thread's next event (the replies, which are what was promised, are posted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from hub.core.errors import EngineUnavailable, TemporaryDeliveryError
from hub.core.log import get_logger
from hub.core.messages import Delivery
from hub.core.metrics import THREAD_EDITS_WAITING
from hub.deliverer.pacing import TokenBucket, backoff

log = get_logger("hub.parents")

EDITS_PER_MINUTE = 50.0
"""Thread-parent edits (chat.update) a minute (HUB_SLACK_EDITS_PER_MINUTE): Slack's Tier 3."""
EDIT_BURST = 10
"""Edits that may go at once after a quiet spell, before the per-minute pace applies."""
RETRY_INITIAL = 1.0
RETRY_MAX = 60.0

Edit = Callable[[Delivery, int], Awaitable[None]]
"""Edit the delivery's thread parent to show its event, counting `n` events new since."""


class ParentEdits:
    """The waiting edits, one per (channel, thread), sent in the order first asked."""

    def __init__(self, edit: Edit, per_minute: float, burst: int = EDIT_BURST) -> None:
        self._edit = edit
        self.bucket = TokenBucket(per_minute / 60, burst)
        self._waiting: dict[tuple[str, str], tuple[Delivery, int]] = {}
        self._task: asyncio.Task[None] | None = None
        self._failures = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def ask(self, delivery: Delivery, count: int = 1) -> None:
        """Have the parent of `delivery`'s thread show its event, `count` events newer."""
        key = delivery.threadkey
        assert key is not None, "only a threaded delivery has a parent"
        self._put((delivery.channel, key), delivery, count)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def _put(self, key: tuple[str, str], delivery: Delivery, count: int) -> None:
        # A waiting edit keeps its place in line; the newest event is the one shown.
        earlier = self._waiting.get(key)
        if earlier is not None:
            shown, counted = earlier
            if delivery.event.receivedat >= shown.event.receivedat:
                shown = delivery
            self._waiting[key] = (shown, counted + count)
        else:
            self._waiting[key] = (delivery, count)
        THREAD_EDITS_WAITING.set(len(self._waiting))

    async def _run(self) -> None:
        while self._waiting:
            await self.bucket.take()
            key = next(iter(self._waiting))
            delivery, count = self._waiting.pop(key)
            THREAD_EDITS_WAITING.set(len(self._waiting))
            try:
                await self._edit(delivery, count)
            except (TemporaryDeliveryError, EngineUnavailable, OSError) as exc:
                # Slack busy or the state store away: try again later, after what waits now
                # for other threads, merged with whatever this thread asked for meanwhile.
                self._failures += 1
                pause = backoff(self._failures, RETRY_INITIAL, RETRY_MAX)
                if isinstance(exc, TemporaryDeliveryError) and exc.retry_after:
                    pause = exc.retry_after
                log.warning("thread parent edit postponed", error=str(exc), seconds=pause)
                self.bucket.hold_off(pause)
                self._put(key, delivery, count)
            except Exception as exc:
                log.exception("thread parent edit failed", error=str(exc), channel=key[0])
            else:
                self._failures = 0

    async def close(self, grace: float) -> None:
        """Send what waits, for at most `grace` seconds; then give up on the rest (logged)."""
        task = self._task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            log.warning("thread parent edits left undone at shutdown", count=len(self._waiting))
