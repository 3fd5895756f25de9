"""The embedded SQLite files: several processes may open the same new file at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.sqlite_broker import SCHEMA
from hub.sqlitedb import SqliteDb


async def test_three_openers_of_one_new_file_all_get_it_in_wal_mode(tmp_path: Path) -> None:
    """`hub run --workers 3` opens queue.db three times at once: none may fail "locked".

    Switching a new file to WAL takes an exclusive lock and SQLite does not wait for it with
    its busy handler; before the retry, about one round in fifty failed here.
    """
    for round_ in range(150):
        path = tmp_path / f"queue-{round_}.db"
        dbs = [SqliteDb(path, SCHEMA) for _ in range(3)]
        try:
            await asyncio.gather(*(db.open() for db in dbs))
            modes = [await db.run(db.query, "PRAGMA journal_mode") for db in dbs]
        finally:
            for db in dbs:
                await db.close()
        assert modes == [[("wal",)]] * 3, f"round {round_}"
