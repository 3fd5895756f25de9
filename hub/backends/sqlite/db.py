"""One SQLite file used from asyncio: a private thread per connection, WAL, group commit."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from hub.core.errors import ConfigError, EngineUnavailable

T = TypeVar("T")

Statement = tuple[str, Sequence[Any]]
Rows = list[tuple[Any, ...]]
_Call = tuple[Callable[..., Any], tuple[Any, ...], "asyncio.Future[Any]"]


def open_data_dir(data_dir: Path) -> Path:
    """Create HUB_DATA_DIR if needed and prove it is writable; ConfigError in one line if not.

    The probe file is private to this call: `hub run --workers N` starts processes that all
    open the same directory at once, and a shared probe name let one unlink another's.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        raise ConfigError(
            f"HUB_DATA_DIR: {data_dir} is not a writable directory ({exc.strerror})"
        ) from None
    return data_dir


_DISK_ERRORS = (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR)
"""Primary result codes of a write the disk refused: no space, or an I/O error."""

BUSY_TIMEOUT = 10.0
"""Seconds a statement waits for another process's lock before "database is locked"."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection to `path` in WAL mode, autocommit, usable from any one thread at a time.

    Switching a new file to WAL takes an exclusive lock, and SQLite answers "database is
    locked" at once, without its busy handler, when another process holds any lock then:
    `hub run --workers N` starts several processes that open the same new files together.
    So the switch is retried here, within the busy timeout.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(0.005)


class SqliteDb:
    """A SQLite connection owned by one thread; writes are batched into shared commits."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._schema = schema
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.name}")
        self._conn: sqlite3.Connection | None = None
        self._pending: list[tuple[list[Statement], bool, asyncio.Future[list[Rows]]]] = []
        self._synced = True  # the connection's `synchronous` setting: FULL (True) or NORMAL
        self._writer: asyncio.Task[None] | None = None
        self._calls: deque[_Call] = deque()

    async def open(self) -> None:
        """Open (and create) the database; ConfigError naming the file if it is not SQLite."""
        try:
            await self.run(self._open)
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc):
                raise ConfigError(
                    f"HUB_DATA_DIR: {self.path} stayed locked by another process for "
                    f"{BUSY_TIMEOUT:g} s; is another hub using this data directory?"
                ) from None
            raise ConfigError(
                f"HUB_DATA_DIR: {self.path} is not a usable SQLite database ({exc}); "
                "move it away or point HUB_DATA_DIR elsewhere"
            ) from None

    def _open(self) -> None:
        conn = connect(self.path)
        conn.execute("PRAGMA synchronous = FULL")  # as `_synced` starts
        conn.executescript(self._schema)
        self._conn = conn

    def run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run `fn(*args)` on the connection's thread (in call order); await the result."""
        # A plain function handing back the future, not a coroutine: one frame less to create
        # and to resume for each of the several calls a webhook makes.
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.append((fn, args, future))
        if len(self._calls) == 1:
            # Calls made before the thread picks this job up ride along: one hop to the thread
            # and one wake-up of the loop per batch, not per call (a profile under load showed
            # the executor's hand-offs costing more than the SQLite work itself).
            try:
                self._executor.submit(self._run_calls, loop)
            except RuntimeError:  # closed: this call must not wait in the deque for later ones
                self._calls.pop()
                raise
        return future

    def _run_calls(self, loop: asyncio.AbstractEventLoop) -> None:
        done: list[tuple[asyncio.Future[Any], bool, Any]] = []
        while self._calls:
            fn, args, future = self._calls.popleft()
            try:
                done.append((future, True, fn(*args)))
            except BaseException as exc:
                done.append((future, False, self._classify(exc)))
        if done:
            loop.call_soon_threadsafe(_settle, done)

    def _classify(self, exc: BaseException) -> BaseException:
        """A full or failing disk is the engine being away (the work waits), not the message."""
        if isinstance(exc, sqlite3.OperationalError) and (
            getattr(exc, "sqlite_errorcode", 0) & 0xFF in _DISK_ERRORS
        ):
            unavailable = EngineUnavailable("disk", f"{self.path}: {exc}")
            unavailable.__cause__ = exc
            return unavailable
        return exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Read rows (call through `run`)."""
        assert self._conn is not None
        return self._conn.execute(sql, params).fetchall()

    def transact(self, statements: Sequence[Statement], durable: bool = True) -> list[Rows]:
        """Execute statements in one immediate transaction and return each one's rows.

        `durable`: the commit is on disk when this returns (the WAL is fsynced), so it outlives
        a power loss. Without it the commit still outlives a crash of the process (it is in
        the operating system's hands), and a power loss can take back only the newest commits,
        never one without those before it (the WAL is replayed in order up to the first frame
        that did not reach the disk); the next durable commit makes every earlier one durable.
        """
        assert self._conn is not None
        conn = self._conn
        if durable != self._synced:
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            self._synced = durable
        conn.execute("BEGIN IMMEDIATE")
        try:
            results = [conn.execute(sql, params).fetchall() for sql, params in statements]
            conn.execute("COMMIT")
        except BaseException:
            # A full disk can end the transaction by itself; then there is nothing to roll back.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return results

    def write(
        self, statements: list[Statement], durable: bool = True
    ) -> asyncio.Future[list[Rows]]:
        """Commit `statements`, sharing the commit (and fsync) with concurrent writers.

        The awaited result is each statement's rows (for RETURNING clauses). `durable=False`
        is for bookkeeping whose loss in a power cut only means work done again (see
        `transact`); a shared commit is durable when any of its writers asked for it.
        """
        future: asyncio.Future[list[Rows]] = asyncio.get_running_loop().create_future()
        self._pending.append((statements, durable, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        return future

    async def _write_batches(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            statements = [s for stmts, _, _ in batch for s in stmts]
            durable = any(d for _, d, _ in batch)
            try:
                rows = await self.run(self.transact, statements, durable)
            except Exception as exc:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            start = 0
            for stmts, _, future in batch:
                if not future.done():
                    future.set_result(rows[start : start + len(stmts)])
                start += len(stmts)

    async def close(self) -> None:
        """Finish pending writes and close the connection."""
        if self._writer is not None:
            await self._writer
        if self._conn is not None:
            await self.run(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)


def _settle(done: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in done:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
