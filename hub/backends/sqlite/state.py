"""The state store in a SQLite file in HUB_DATA_DIR (embedded profile)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from hub.backends.sqlite.db import SqliteDb
from hub.backends.sqlite.notices import SocketNotices
from hub.core import jsonio
from hub.core.batching import TurnBatch
from hub.core.state import Announced

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at REAL
);
CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at);
CREATE TABLE IF NOT EXISTS lists (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lists_key ON lists (key, seq);
"""

_GET_MANY = (
    "SELECT key, value FROM kv WHERE key IN (SELECT value FROM json_each(?)) "
    "AND (expires_at IS NULL OR expires_at > ?)"
)


class SqliteState:
    """`StateStore` on SQLite; expired keys are ignored and swept on writes."""

    def __init__(self, data_dir: Path) -> None:
        self.db = SqliteDb(data_dir / "state.db", SCHEMA)
        self._writes = 0
        self._gets: TurnBatch[str, str | None] = TurnBatch(self._get_many)
        self._notices = SocketNotices(data_dir)

    async def start(self) -> None:
        """Open the file."""
        await self.db.open()

    async def close(self) -> None:
        """Stop listening, answer the gets already asked, then close the file."""
        await self._notices.close()
        await self._gets.close()
        await self.db.close()

    async def ping(self) -> None:
        """Raise unless the file answers."""
        await self.db.run(self.db.query, "SELECT 1")

    async def add(
        self, key: str, value: str, ttl: timedelta | None = None, durable: bool = True
    ) -> bool:
        """Insert unless a live row exists; True when inserted (fsynced unless `durable=False`)."""
        now = time.time()
        rows = await self.db.write(
            [
                ("DELETE FROM kv WHERE key = ? AND expires_at <= ?", (key, now)),
                (
                    "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING RETURNING key",
                    (key, value, _expiry(now, ttl)),
                ),
                *self._sweep(now),
            ],
            durable,
        )
        return bool(rows[1])

    async def put(
        self, key: str, value: str, ttl: timedelta | None = None, durable: bool = True
    ) -> None:
        """Insert or replace; fsynced unless `durable=False` (`SqliteDb.transact`)."""
        now = time.time()
        await self.db.write(
            [
                (
                    "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) "
                    "DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                    (key, value, _expiry(now, ttl)),
                ),
                *self._sweep(now),
            ],
            durable,
        )

    async def get(self, key: str) -> str | None:
        """The live value of `key`."""
        # Every webhook asks for its dedup mark: the gets of one loop turn share one query.
        return await self._gets.ask(key)

    async def _get_many(self, keys: list[str]) -> list[str | None]:
        rows = await self.db.run(self.db.query, _GET_MANY, (jsonio.dumps_text(keys), time.time()))
        values = {str(k): str(v) for k, v in rows}
        return [values.get(key) for key in keys]

    async def delete(self, key: str) -> None:
        """Remove `key`."""
        await self.db.write([("DELETE FROM kv WHERE key = ?", (key,))])

    async def scan(self, prefix: str) -> dict[str, str]:
        """Live keys in [prefix, prefix + U+10FFFF)."""
        rows = await self.db.run(
            self.db.query,
            "SELECT key, value FROM kv WHERE key >= ? AND key < ? "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (prefix, prefix + "\U0010ffff", time.time()),
        )
        return {str(k): str(v) for k, v in rows}

    async def push(self, key: str, value: str) -> None:
        """Append durably."""
        await self.db.write([("INSERT INTO lists (key, value) VALUES (?, ?)", (key, value))])

    async def take(self, key: str) -> list[str]:
        """Delete and return the list in one transaction."""
        (rows,) = await self.db.write(
            [("DELETE FROM lists WHERE key = ? RETURNING seq, value", (key,))]
        )
        return [str(v) for _, v in sorted(rows)]

    async def listen(self, topic: str, act: Callable[[], Awaitable[None]]) -> None:
        """Hear announcements from every process of this data directory (a unix socket)."""
        await self._notices.listen(topic, act)

    async def announce(self, topic: str, within: float) -> Announced:
        """Tell every process of this data directory listening on `topic`; count confirmations."""
        return await self._notices.announce(topic, within)

    def _sweep(self, now: float) -> list[tuple[str, tuple[float]]]:
        """Every 1,000th write also removes expired rows, so the file stays bounded."""
        self._writes += 1
        if self._writes % 1000:
            return []
        return [("DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))]


def _expiry(now: float, ttl: timedelta | None) -> float | None:
    return None if ttl is None else now + ttl.total_seconds()
