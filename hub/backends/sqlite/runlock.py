"""`hub.lock` in HUB_DATA_DIR: the one hub that owns an embedded data dir, and where it listens.

An embedded hub's queue and state live in its data dir; a second `hub run` there would share
the queue with the first. The first process of a hub holds an exclusive `flock` on the file for
its whole life (its ingest workers take none: they run on the same data dir on purpose) and
writes into it who it is: pid, ports, profile, start time. The kernel releases the lock when
the process dies, however it dies, so a stale file never blocks a new hub. CLI commands read
the file to say which hub they are acting beside, and never take the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from hub.core.errors import ConfigError

LOCK_FILE = "hub.lock"


@dataclass(frozen=True)
class RunInfo:
    """What a running hub wrote in its lock file."""

    pid: int
    listen: str
    ops_listen: str
    profile: str
    started: str

    def describe(self) -> str:
        """`pid 1234 (webhooks on 127.0.0.1:8080, ops on 127.0.0.1:9090, started …)`."""
        return (
            f"pid {self.pid} (webhooks on {self.listen}, ops on {self.ops_listen}, "
            f"started {self.started})"
        )


class DataDirLock:
    """Held by a running hub's first process; `acquire` fails when another hub holds it."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self, listen: str, ops_listen: str, profile: str) -> None:
        """Take the lock and write who we are; ConfigError naming the holder if it is taken."""
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            holder = read_run_info(self.path.parent)
            who = holder.describe() if holder else "another process"
            raise ConfigError(
                f"HUB_DATA_DIR: {self.path.parent.absolute()} is in use by the hub with {who}; "
                "stop that hub first, or give this one its own HUB_DATA_DIR"
            ) from None
        os.set_inheritable(handle.fileno(), False)
        info = {
            "pid": os.getpid(),
            "listen": listen,
            "ops_listen": ops_listen,
            "profile": profile,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(info) + "\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Empty the file and let go of the lock (exit does this too)."""
        if self._file is None:
            return
        self._file.seek(0)
        self._file.truncate()
        self._file.close()
        self._file = None


def read_run_info(data_dir: Path) -> RunInfo | None:
    """The hub holding `data_dir`'s lock now, or None when no hub runs on it."""
    path = data_dir / LOCK_FILE
    try:
        with path.open(encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _parse(path.read_text(encoding="utf-8"))
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)  # free: the file is left over
            return None
    except OSError:
        return None


def _parse(text: str) -> RunInfo | None:
    try:
        raw: Any = json.loads(text)
        return RunInfo(
            pid=int(raw["pid"]),
            listen=str(raw["listen"]),
            ops_listen=str(raw["ops_listen"]),
            profile=str(raw["profile"]),
            started=str(raw["started"]),
        )
    except (ValueError, KeyError, TypeError):
        return RunInfo(pid=0, listen="?", ops_listen="?", profile="?", started="?")
