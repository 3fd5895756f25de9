"""The current routes table, swapped atomically on SIGHUP or when the file changes."""

from __future__ import annotations

from pathlib import Path

from hub.core.metrics import ROUTES_RELOAD
from hub.core.reloading import Reloading
from hub.routes.load import load_routes
from hub.routes.table import RouteTable


class RoutesHolder(Reloading[RouteTable]):
    """Holds the live `RouteTable`; an invalid new file keeps the old table and says why."""

    def __init__(self, path: Path, poll_interval: float = 2.0) -> None:
        super().__init__(path, load_routes, "routes", ROUTES_RELOAD, poll_interval)

    @property
    def table(self) -> RouteTable:
        """The table in force now."""
        return self.value

    def describe(self, value: RouteTable) -> dict[str, object]:
        return {"routes": len(value.routes)}
