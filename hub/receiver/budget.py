"""A cap on the request-body bytes the receiver holds at once, shared by all its requests."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hub.core.errors import Unavailable


class ByteBudget:
    """At most `capacity` bytes reserved at once; reservations are granted first come, first served.

    A request waits for its share before it reads its body: the bytes it has not read stay in
    the kernel's socket buffer, and TCP makes the sender wait, so waiting costs hub nothing.
    """

    def __init__(self, capacity: int, wait: float = 10.0) -> None:
        self.capacity = capacity
        self.wait = wait
        self.reserved = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    @asynccontextmanager
    async def reserve(self, size: int) -> AsyncIterator[None]:
        """Hold `size` bytes (at most all of them) for the block; `Unavailable` after `wait`."""
        size = min(size, self.capacity)
        if not self._waiting and self.reserved + size <= self.capacity:
            self.reserved += size
        else:
            await self._queue(size)
        try:
            yield
        finally:
            self.reserved -= size
            self._grant()

    async def _queue(self, size: int) -> None:
        granted = asyncio.get_running_loop().create_future()
        entry = (size, granted)
        self._waiting.append(entry)
        try:
            async with asyncio.timeout(self.wait):
                await granted
        except BaseException as exc:
            if granted.done() and not granted.cancelled():
                self.reserved -= size  # granted just as the wait ended: give it back
            elif entry in self._waiting:
                self._waiting.remove(entry)
            self._grant()
            if isinstance(exc, TimeoutError):
                raise Unavailable(
                    f"hub is reading {self.reserved:,} bytes of other requests, its limit "
                    "(HUB_MAX_INFLIGHT_BYTES); retry shortly",
                    retry_after=5,
                ) from None
            raise

    def _grant(self) -> None:
        while self._waiting and self.reserved + self._waiting[0][0] <= self.capacity:
            size, granted = self._waiting.popleft()
            if not granted.done():
                self.reserved += size
                granted.set_result(None)
