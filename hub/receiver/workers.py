"""Ingest workers: extra processes that share the webhook port, so ingest can use every core.

`hub run --workers N` and `hub receiver --workers N` start N-1 more processes that serve only
the webhook port (SO_REUSEPORT: the kernel spreads connections over them). They publish into
the same broker or the same SQLite queue as the first process, which alone serves the ops port,
routes and delivers. Metrics of all of them are summed on that ops port (prometheus_client's
multiprocess mode, files under HUB_DATA_DIR/metrics). A worker that dies is restarted; one
left running by a parent that died stops by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path

from hub.core.errors import Degraded
from hub.core.log import get_logger

log = get_logger("hub.workers")

READY_FD_ENV = "HUB_WORKER_READY_FD"
"""The pipe on which a worker says it is listening (one byte, then it closes it)."""
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Where prometheus_client keeps each process's metric files (its multiprocess mode)."""


def prepare_metrics(data_dir: Path) -> None:
    """Before prometheus_client is imported: per-process metric files under `data_dir`/metrics.

    The directory is emptied first: files of an earlier run would be counted again.
    """
    folder = data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[METRICS_ENV] = str(folder.resolve())


class IngestWorkers:
    """Starts worker processes 1..`count`, restarts any that exits, stops them on `stop()`."""

    def __init__(self, count: int, restart_delay: float = 1.0) -> None:
        self.count = count
        self.restart_delay = restart_delay
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._listening: dict[int, asyncio.Future[bool]] = {}
        self._watchers: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109 - a startup bound
        """Start every worker; return once each listens on the webhook port."""
        for index in range(1, self.count + 1):
            await self._spawn(index)
        async with asyncio.timeout(timeout):
            listening = await asyncio.gather(*self._listening.values())
        if not all(listening):
            failed = [i for i, ok in zip(self._listening, listening, strict=True) if not ok]
            raise ConnectionError(f"ingest workers {failed} exited while starting; see their log")
        self._watchers = [asyncio.create_task(self._watch(i)) for i in self._procs]
        log.info("ingest workers started", workers=self.count)

    async def _spawn(self, index: int) -> None:
        read_end, write_end = os.pipe()
        env = {
            **os.environ,
            "HUB_WORKER_INDEX": str(index),
            "HUB_PARENT_PID": str(os.getpid()),
            READY_FD_ENV: str(write_end),
        }
        try:
            self._procs[index] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub", "ingest-worker", env=env, pass_fds=(write_end,)
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._listening[index] = asyncio.ensure_future(asyncio.to_thread(_said_ready, read_end))

    async def _watch(self, index: int) -> None:
        while True:
            proc = self._procs[index]
            code = await proc.wait()
            _forget_metrics(proc.pid)
            # A Ctrl-C reaches the workers before this process has set _stopping: wait first.
            await asyncio.sleep(self.restart_delay)
            if self._stopping:
                return
            log.error("ingest worker exited; restarting it", worker=index, exit_code=code)
            await self._spawn(index)

    async def ping(self) -> None:
        """Degraded while a worker is down or restarting: the others still serve the port."""
        down = [i for i, p in self._procs.items() if p.returncode is not None or not self._up(i)]
        if down:
            raise Degraded(f"ingest workers not listening: {down} of {self.count}")

    def _up(self, index: int) -> bool:
        said = self._listening[index]
        return said.done() and not said.cancelled() and said.exception() is None and said.result()

    async def stop(self, grace: float) -> None:
        """SIGTERM every worker (each drains its requests), SIGKILL what outlives `grace`."""
        self._stopping = True
        for watcher in self._watchers:
            watcher.cancel()
        for proc in self._procs.values():
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for proc in self._procs.values():
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
            _forget_metrics(proc.pid)


def _said_ready(read_end: int) -> bool:
    # One byte once the worker listens; end of file if it died first.
    try:
        return os.read(read_end, 1) == b"1"
    finally:
        os.close(read_end)


def say_listening() -> None:
    """In a worker: tell the first process that the webhook port is being served."""
    fd = os.environ.pop(READY_FD_ENV, None)
    if fd is not None:
        os.write(int(fd), b"1")
        os.close(int(fd))


def _forget_metrics(pid: int) -> None:
    # Counters of a dead worker stay (they were counted); its live gauges must go.
    if METRICS_ENV in os.environ:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


async def watch_parent(stop: asyncio.Event, interval: float = 1.0) -> None:
    """In a worker: set `stop` once the parent is gone (a worker must not outlive its hub)."""
    parent = int(os.environ.get("HUB_PARENT_PID", "0"))
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("parent hub process is gone; ingest worker stopping")
            stop.set()
            return
        await asyncio.sleep(interval)
