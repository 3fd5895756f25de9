"""Requests made in the same event-loop turn, answered together by one call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, TypeVar

Q = TypeVar("Q")
A = TypeVar("A")

Answer = Callable[[list[Q]], Awaitable[Sequence[A | Exception]]]
"""Answers a batch of requests: one result (or one error) per request, in order."""


Send = Callable[[list[tuple[Q, "asyncio.Future[A]"]]], Coroutine[Any, Any, None]]
"""Hands on a batch of requests; settles each request's future (now, or when its answer comes)."""


class TurnQueue(Generic[Q, A]):
    """Collects the requests made in one event-loop turn and hands them to `send` together.

    Nothing waits for a batch to fill: what was asked in this turn goes out at its end, so a
    lone request leaves as soon as it would have anyway. `send` settles every future it is
    handed, each with its own result or its own error.
    """

    def __init__(self, send: Send[Q, A]) -> None:
        self._send = send
        self._queue: list[tuple[Q, asyncio.Future[A]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def ask(self, request: Q) -> A:
        """The answer to `request`, sent with whatever else is asked in this loop turn."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[A] = loop.create_future()
        if not self._queue:
            loop.call_soon(self._flush)
        self._queue.append((request, future))
        return await future

    def _flush(self) -> None:
        batch, self._queue = self._queue, []
        task = asyncio.create_task(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def close(self) -> None:
        """Wait for batches already sent."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)


class TurnBatch(TurnQueue[Q, A]):
    """Coalesces concurrent small requests (a Redis command, a SQLite key lookup) into one call.

    Under load a receiver runs dozens of webhook handlers per loop turn, each asking its store
    one small question; one round trip or query for all of them costs a fraction of one each
    (Redis: ~90 us of client CPU a lone command, ~20 us in a pipeline of 30). `answer` gets the
    requests of a turn and returns one result (or one error) per request.
    """

    def __init__(self, answer: Answer[Q, A]) -> None:
        super().__init__(self._answer_all)
        self.answer = answer

    async def _answer_all(self, batch: list[tuple[Q, asyncio.Future[A]]]) -> None:
        try:
            results = await self.answer([request for request, _ in batch])
        except BaseException as exc:
            failure = exc if isinstance(exc, Exception) else ConnectionError("cancelled")
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
