"""While an engine is away, a stage's work waits at one gate instead of failing its messages."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hub.core.errors import EngineUnavailable
from hub.core.log import get_logger
from hub.core.metrics import ENGINE_WAITING

log = get_logger("hub.outage")

T = TypeVar("T")

Probe = Callable[[], Awaitable[None]]
"""Returns when the engines answer; raises while one does not."""

BACKOFF_FIRST = 0.25
BACKOFF_MAX = 5.0


class EngineGate:
    """Open while the engines answer. Work that meets `EngineUnavailable` closes the gate; then
    every piece of work waits at it, the one in hand included, while `probe` is tried with
    backoff. Once it answers, the waiting work runs again in the order it first came to the
    gate. `ordered`: reopen only after the work still running has ended too, so nothing that
    came later overtakes it (the router's events; a deliverer's lanes keep their own order).

    A message whose work waits here is not settled: it keeps its place and its delivery
    attempts, which count only failures of the message itself.
    """

    def __init__(
        self,
        probe: Probe | None = None,
        *,
        ordered: bool = False,
        backoff_first: float = BACKOFF_FIRST,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        self.probe = probe
        self.ordered = ordered
        self.backoff_first = backoff_first
        self.backoff_max = backoff_max
        self._cause: EngineUnavailable | None = None  # None: open
        self._since = 0.0
        self._closes = 0  # closes without a success between them: the backoff's step
        self._tickets = itertools.count()
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []  # a heap, by ticket
        self._releasing = False
        self._canary: tuple[int, asyncio.Future[bool]] | None = None
        self._running = 0
        self._idle = asyncio.Event()  # set while no work runs
        self._idle.set()
        self._prober: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def is_open(self) -> bool:
        """True unless work waits for an engine."""
        return self._cause is None and not self._releasing

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """`work()`, once the gate is open; run again each time it raises `EngineUnavailable`."""
        ticket = next(self._tickets)
        while True:
            if not self.is_open and not self._stopped:
                await self._wait_turn(ticket)
            if self._stopped:
                raise EngineUnavailable("hub", "stopping while an engine was unavailable")
            self._running += 1
            self._idle.clear()
            engine_ok = True
            try:
                return await work()
            except EngineUnavailable as exc:
                engine_ok = False
                self.close(exc)
            finally:
                self._running -= 1
                if not self._running:
                    self._idle.set()
                if engine_ok:
                    self._closes = 0
                self._tried(ticket, engine_ok)

    def _tried(self, ticket: int, engine_ok: bool) -> None:
        """Settle the first try after a reopening, when `ticket` was the one to make it."""
        canary = self._canary
        if canary is not None and canary[0] == ticket and not canary[1].done():
            canary[1].set_result(engine_ok)

    async def _wait_turn(self, ticket: int) -> None:
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (ticket, turn))
        await turn

    def close(self, cause: EngineUnavailable) -> None:
        """Hold all work until the engines answer again."""
        if self._stopped:
            return
        if self._cause is None:
            self._cause = cause
            if not self._releasing:
                self._since = time.monotonic()
                ENGINE_WAITING.labels(engine=cause.engine).set(1)
                log.warning(
                    "engine unavailable; work waits for it", engine=cause.engine, error=str(cause)
                )
        if self._prober is None or self._prober.done():
            self._closes += 1
            self._prober = asyncio.create_task(self._reopen(self._closes))

    async def _reopen(self, step: int) -> None:
        engine = self._cause.engine if self._cause else "engine"
        while self._cause is not None:
            # Full jitter, so the processes of one hub do not knock on the engine together.
            ceiling = min(self.backoff_max, self.backoff_first * 2 ** (step - 1))
            await asyncio.sleep(random.uniform(ceiling / 2, ceiling))  # noqa: S311 - not crypto
            step += 1
            if self.probe is not None:
                try:
                    await self.probe()
                except Exception as exc:
                    log.debug("engine still unavailable", error=str(exc) or type(exc).__name__)
                    continue
            if self.ordered:
                await self._idle.wait()  # what is still running ends, or comes to the gate
            self._cause = None
            await self._release()
        ENGINE_WAITING.labels(engine=engine).set(0)
        log.info(
            "engine answers again; work resumes",
            engine=engine,
            waited_seconds=round(time.monotonic() - self._since, 2),
        )

    async def _release(self) -> None:
        """Let the waiting work go: the oldest alone first, and once it got through the rest in
        ticket order; what comes meanwhile queues behind it."""
        self._releasing = True
        first = True
        try:
            while self._waiting and self._cause is None:
                ticket, turn = heapq.heappop(self._waiting)
                if turn.done():
                    continue
                if first:
                    first = False
                    canary = asyncio.get_running_loop().create_future()
                    self._canary = (ticket, canary)
                    turn.set_result(None)
                    if not await canary:
                        return  # closed again; the prober keeps trying
                    continue
                turn.set_result(None)
                await asyncio.sleep(0)  # it starts its work before the next one does
        finally:
            self._canary = None
            self._releasing = False

    async def check(self) -> None:
        """Readiness: raise while work waits for an engine."""
        cause = self._cause
        if cause is not None:
            raise ConnectionError(f"waiting for the {cause.engine}: {cause.detail}")

    async def stop(self) -> None:
        """Let waiting work go with `EngineUnavailable` (its messages return to the broker)."""
        self._stopped = True
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
        while self._waiting:
            _, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)
