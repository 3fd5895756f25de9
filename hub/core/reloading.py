"""A value loaded from a file, swapped atomically on SIGHUP or when the file changes."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from prometheus_client import Counter

from hub.core.errors import ConfigError
from hub.core.log import get_logger

log = get_logger("hub.reload")

T = TypeVar("T")


class Reloading(Generic[T]):
    """Holds what `load(path)` gave; an invalid new file keeps the old value and says why."""

    def __init__(
        self,
        path: Path,
        load: Callable[[Path], T],
        what: str,
        outcomes: Counter,
        poll_interval: float = 2.0,
    ) -> None:
        self.path = path
        self.load = load
        self.what = what
        self.outcomes = outcomes
        self.poll_interval = poll_interval
        self.value: T = load(path)
        self._stamp = self._file_stamp()
        self._watcher: asyncio.Task[None] | None = None

    def __call__(self) -> T:
        """The value in force now."""
        return self.value

    def _file_stamp(self) -> tuple[int, int, int] | None:
        # Following symlinks: a Kubernetes ConfigMap update swaps a symlink, not the file.
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_ino, st.st_size

    def reload(self, reason: str = "signal") -> bool:
        """Load the file again; True when the new value is in force."""
        self._stamp = self._file_stamp()
        try:
            value = self.load(self.path)
        except ConfigError as exc:
            self.outcomes.labels(outcome="error").inc()
            log.error(
                f"{self.what} reload failed; keeping the previous one", why=str(exc), reason=reason
            )
            return False
        self.value = value
        self.outcomes.labels(outcome="ok").inc()
        log.info(f"{self.what} reloaded", reason=reason, **self.describe(value))
        return True

    def describe(self, value: T) -> dict[str, object]:
        """Fields for the log line of a successful reload (subclasses say what was loaded)."""
        return {}

    def start(self) -> None:
        """Watch the file's mtime (and inode) and reload when it changes."""
        self._watcher = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        """Stop watching."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            stamp = self._file_stamp()
            if stamp is not None and stamp != self._stamp:
                self.reload(reason="file changed")
