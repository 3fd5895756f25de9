"""The embedded profile's event history: `RecordLog` records in HUB_DATA_DIR/history.db."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hub.backends.sqlite.db import SqliteDb, Statement
from hub.core import jsonio
from hub.core.event import Event
from hub.core.log import get_logger
from hub.history.log import CAUGHT_UP, Record

log = get_logger("hub.history")


SCHEMA = """
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_at ON history (at);
"""
EVENT_PREFIX = '{"kind":"event","event":'
"""How every event record's body starts (see `append_event`)."""
EVENTS_PAGE = 500
"""Rows `events` reads at a time: its memory stays bounded by a page of payloads."""


class SqliteRecordLog:
    """`RecordLog` in HUB_DATA_DIR/history.db, trimmed to the retention."""

    def __init__(self, data_dir: Path, retention: timedelta, poll_interval: float = 0.2) -> None:
        self.db = SqliteDb(data_dir / "history.db", SCHEMA)
        self.retention = retention
        self.poll_interval = poll_interval
        self._appends = 0

    async def start(self) -> None:
        """Open the file."""
        await self.db.open()

    async def close(self) -> None:
        """Close the file."""
        await self.db.close()

    async def append_event(self, event: Event) -> None:
        """The event itself, payload included, as the first record of its history, kept at the
        time it was received (what `events` and `read(since)` select by)."""
        # Spliced rather than dumped as a record: the payload is the bulk of the bytes, and the
        # standard library's encoder took longer over it than the rest of the SQLite write.
        body = EVENT_PREFIX.encode() + event.to_json_bytes() + b"}"
        await self._insert(body, event.receivedat.timestamp())

    async def append(self, record: Record) -> None:
        """Insert (group commit); every 1,000th append also trims past the retention."""
        await self._insert(jsonio.dumps(record))

    async def _insert(self, body: bytes, at: float | None = None) -> None:
        now = time.time()
        statements: list[Statement] = [
            (
                "INSERT INTO history (at, body) VALUES (?, ?)",
                (now if at is None else at, body.decode()),
            )
        ]
        self._appends += 1
        if self._appends % 1000 == 0:
            cutoff = now - self.retention.total_seconds()
            statements.append(("DELETE FROM history WHERE at < ?", (cutoff,)))
        try:
            # Not fsynced: a power cut may take back the newest records (never a record
            # without those before it); the events themselves are in the queue, durably.
            await self.db.write(statements, durable=False)
        except Exception as exc:
            log.warning("history append failed", error=str(exc))

    async def read(self, since: datetime | None, follow: bool) -> AsyncIterator[Record]:
        """Rows from `since`, then (if following) polls for new ones."""
        start = since.timestamp() if since else 0.0
        top = await self.db.run(self.db.query, "SELECT coalesce(max(seq), 0) FROM history")
        last = int(top[0][0])
        rows = await self.db.run(
            self.db.query,
            "SELECT body FROM history WHERE at >= ? AND seq <= ? ORDER BY seq",
            (start, last),
        )
        for (body,) in rows:
            yield jsonio.loads(body)
        if follow:
            yield CAUGHT_UP
        while follow:
            await asyncio.sleep(self.poll_interval)
            rows = await self.db.run(
                self.db.query, "SELECT seq, body FROM history WHERE seq > ? ORDER BY seq", (last,)
            )
            for seq, body in rows:
                last = seq
                yield jsonio.loads(body)

    async def events(
        self, since: datetime | None, until: datetime, containing: str | None = None
    ) -> AsyncIterator[Event]:
        """Event records by their `at` (when received), a page at a time; `containing` is
        searched by SQLite itself, so the rows it rules out are never parsed."""
        sql = (
            "SELECT seq, body FROM history WHERE seq > ? AND at >= ? AND at <= ?"
            " AND substr(body, 1, ?) = ?"
        )
        params: list[Any] = [since.timestamp() if since else 0.0, until.timestamp()]
        params += [len(EVENT_PREFIX), EVENT_PREFIX]
        if containing is not None:
            # LIKE is SQLite's fastest scan of the text; `_` and `%` in `containing` only
            # widen the match, and the caller checks the fields anyway.
            sql += " AND body LIKE ?"
            params.append(f"%{containing}%")
        last = 0
        while True:
            rows = await self.db.run(
                self.db.query, sql + " ORDER BY seq LIMIT ?", (last, *params, EVENTS_PAGE)
            )
            for seq, body in rows:
                last = seq
                yield Event.from_cloudevent(jsonio.loads(body)["event"])
            if len(rows) < EVENTS_PAGE:
                return
