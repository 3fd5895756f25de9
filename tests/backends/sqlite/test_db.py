"""The embedded SQLite files: several processes may open the same new file at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from pathlib import Path

from hub.backends.sqlite.broker import SCHEMA
from hub.backends.sqlite.db import SqliteDb


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


# Run under strace: every fsync/fdatasync of the process's threads, and the marker files the
# script opens between its phases, in the order they happened.
_PHASES = r"""
import asyncio, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.core.event import Event
from hub.backends.sqlite.history import SqliteRecordLog
from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.state import SqliteState

data = Path(sys.argv[1])
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def phase(name):
    (data / f"phase-{name}").touch()


async def main():
    broker, state = SqliteBroker(data), SqliteState(data)
    history = SqliteRecordLog(data, timedelta(days=1))
    for part in (broker, state, history):
        await part.start()
    phase("publish")
    for n in range(5):
        event = Event(id=f"e{n}", source="github", type="github.push", time=NOW,
                      receivedat=NOW, title="t", data={"n": n})
        await broker.publish_event(event)
    phase("consume")
    handled = []
    await broker.consume_events(lambda event: asyncio.sleep(0, handled.append(event.id)))
    while await broker.db.run(broker.db.query, "SELECT count(*) FROM messages") != [(0,)]:
        await asyncio.sleep(0.01)
    await broker.stop_consuming()
    assert len(handled) == 5, handled
    phase("marks")
    for n in range(5):
        await state.put(f"posted:e{n}:#c", "1", durable=False)
        await history.append({"kind": "delivery", "id": f"e{n}", "outcome": "posted"})
    phase("kept")
    for n in range(5):
        await state.put(f"held:w:e{n}", "{}")
    phase("shared")  # one commit for both: durable, since one of them asked
    await asyncio.gather(
        state.put("posted:e9:#c", "1", durable=False), state.put("held:w:e9", "{}")
    )
    phase("end")
    for part in (broker, state, history):
        await part.close()


asyncio.run(main())
"""


def test_only_the_commits_a_promise_rests_on_wait_for_the_disk(tmp_path: Path) -> None:
    """An event is fsynced before `publish_event` returns (the 202 rests on it), and so is a
    state write by default, and a group commit any of whose writers asked for it; claims,
    acks, history records and marks written `durable=False` are not (a power cut can only
    take them back, which means work redone)."""
    data = tmp_path / "data"
    data.mkdir()
    script = tmp_path / "phases.py"
    script.write_text(_PHASES)
    trace = tmp_path / "trace.txt"
    subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=openat,fsync,fdatasync",
            "-o",
            str(trace),
            sys.executable,
            str(script),
            str(data),
        ],
        check=True,
        timeout=60,
    )
    syncs: Counter[str] = Counter()
    phase = "start"
    for line in trace.read_text().splitlines():
        if "openat(" in line and "/phase-" in line:
            phase = line.split("/phase-", 1)[1].split('"', 1)[0]
        elif "fsync(" in line or "fdatasync(" in line:
            syncs[phase] += 1
    assert syncs["publish"] >= 5, syncs
    assert syncs["consume"] == 0, syncs
    assert syncs["marks"] == 0, syncs
    assert syncs["kept"] >= 5, syncs
    assert syncs["shared"] >= 1, syncs


def test_processes_opening_one_data_dir_together_all_find_it_writable(tmp_path: Path) -> None:
    """`hub run --workers N`: each process proves HUB_DATA_DIR writable at the same moment."""
    data_dir = tmp_path / "data"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from hub.backends.sqlite.db import open_data_dir\n"
        "for _ in range(300):\n"
        "    open_data_dir(Path(sys.argv[1]))\n"
    )
    openers = [
        subprocess.Popen([sys.executable, "-c", script, str(data_dir)], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [opener.communicate(timeout=60)[1].decode() for opener in openers]
    assert [opener.returncode for opener in openers] == [0, 0, 0, 0], "\n".join(errors)
    assert list(data_dir.iterdir()) == []
