"""The current routes table, swapped atomically on SIGHUP or when the file changes."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from hub.core.errors import ConfigError
from hub.core.log import get_logger
from hub.core.metrics import ROUTES_RELOAD
from hub.routes.load import load_routes
from hub.routes.table import RouteTable

log = get_logger("hub.reload")


class RoutesHolder:
    """Holds the live `RouteTable`; an invalid new file keeps the old table and says why."""

    def __init__(self, path: Path, poll_interval: float = 2.0) -> None:
        self.path = path
        self.poll_interval = poll_interval
        self.table: RouteTable = load_routes(path)
        self._stamp = self._file_stamp()
        self._watcher: asyncio.Task[None] | None = None

    def __call__(self) -> RouteTable:
        """The table in force now."""
        return self.table

    def _file_stamp(self) -> tuple[int, int, int] | None:
        # Following symlinks: a Kubernetes ConfigMap update swaps a symlink, not the file.
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_ino, st.st_size

    def reload(self, reason: str = "signal") -> bool:
        """Load the file again; True when the new table is in force."""
        self._stamp = self._file_stamp()
        try:
            table = load_routes(self.path)
        except ConfigError as exc:
            ROUTES_RELOAD.labels(outcome="error").inc()
            log.error(
                "routes reload failed; keeping the previous table", why=str(exc), reason=reason
            )
            return False
        self.table = table
        ROUTES_RELOAD.labels(outcome="ok").inc()
        log.info("routes reloaded", routes=len(table.routes), reason=reason)
        return True

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
