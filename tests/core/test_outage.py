"""The engine gate: work that meets an unavailable engine waits, then runs again in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from hub.core.errors import EngineUnavailable
from hub.core.outage import EngineGate


class Engine:
    """A stand-in engine that is away until `back()`; counts the probes it answered."""

    def __init__(self) -> None:
        self.up = True
        self.probes = 0

    async def probe(self) -> None:
        self.probes += 1
        if not self.up:
            raise EngineUnavailable("state store", "away")

    async def call(self, log: list[int], n: int) -> int:
        if not self.up:
            raise EngineUnavailable("state store", "away")
        log.append(n)
        return n


async def test_work_waits_while_the_engine_is_away_and_runs_once_it_answers() -> None:
    """Work that meets EngineUnavailable is run again after the probe answers, not failed."""
    engine = Engine()
    gate = EngineGate(engine.probe, backoff_first=0.01, backoff_max=0.05)
    done: list[int] = []
    engine.up = False
    task = asyncio.create_task(gate.run(lambda: engine.call(done, 1)))
    await asyncio.sleep(0.2)
    assert not task.done()
    assert not gate.is_open
    with pytest.raises(ConnectionError, match="waiting for the state store"):
        await gate.check()
    engine.up = True
    assert await asyncio.wait_for(task, 2) == 1
    assert done == [1]
    assert gate.is_open
    await gate.check()
    await gate.stop()


async def test_work_arriving_while_closed_waits_and_resumes_in_arrival_order() -> None:
    """While the gate is closed new work is not started; afterwards it runs in arrival order."""
    engine = Engine()
    gate = EngineGate(engine.probe, backoff_first=0.01, backoff_max=0.05)
    done: list[int] = []
    engine.up = False

    def call(n: int) -> Callable[[], Awaitable[int]]:
        return lambda: engine.call(done, n)

    tasks = [asyncio.create_task(gate.run(call(n))) for n in range(5)]
    await asyncio.sleep(0.1)
    assert done == []
    engine.up = True
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert done == [0, 1, 2, 3, 4]
    await gate.stop()


async def test_probes_back_off_while_the_engine_stays_away() -> None:
    """The probe is tried with growing pauses, a handful of times a second, not in a spin."""
    engine = Engine()
    gate = EngineGate(engine.probe, backoff_first=0.02, backoff_max=0.2)
    engine.up = False
    task = asyncio.create_task(gate.run(lambda: engine.call([], 1)))
    await asyncio.sleep(1.0)
    assert 3 <= engine.probes <= 12, engine.probes
    await gate.stop()
    with pytest.raises(EngineUnavailable, match="stopping"):
        await task


async def test_other_errors_pass_through_the_gate_and_leave_it_open() -> None:
    """An error of the work itself (the message's fault) is raised at once."""
    gate = EngineGate()

    async def broken() -> None:
        raise ValueError("bad message")

    with pytest.raises(ValueError, match="bad message"):
        await gate.run(broken)
    assert gate.is_open


async def test_an_ordered_gate_lets_no_later_work_overtake_work_still_running() -> None:
    """Work that came while earlier work was still running (and then failed) runs after it."""
    gate = EngineGate(backoff_first=0.01, backoff_max=0.02, ordered=True)
    done: list[str] = []
    slow_failed = False

    async def slow() -> None:
        nonlocal slow_failed
        if not slow_failed:
            await asyncio.sleep(0.2)  # still in its call when the gate closes
            slow_failed = True
            raise EngineUnavailable("state store", "away")
        done.append("first")

    async def fails_once(name: str, failed: list[str]) -> None:
        if name not in failed:
            failed.append(name)
            raise EngineUnavailable("state store", "away")
        done.append(name)

    first = asyncio.create_task(gate.run(slow))
    await asyncio.sleep(0)
    failed: list[str] = []
    second = asyncio.create_task(gate.run(lambda: fails_once("second", failed)))
    await asyncio.sleep(0.05)
    third = asyncio.create_task(gate.run(lambda: fails_once("third", failed)))
    await asyncio.wait_for(asyncio.gather(first, second, third), 3)
    assert done == ["first", "second", "third"]
