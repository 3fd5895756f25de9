"""The current actions table, swapped atomically on SIGHUP or when actions.yaml changes."""

from __future__ import annotations

from pathlib import Path

from hub.actions.load import DEFAULT_PATH, load_actions
from hub.actions.model import ActionTable
from hub.core.errors import ConfigError
from hub.core.metrics import ACTIONS_RELOAD
from hub.core.reloading import Reloading


class ActionsHolder(Reloading[ActionTable]):
    """Holds the live `ActionTable`; an invalid new file keeps the old table and says why."""

    def __init__(self, path: Path, poll_interval: float = 2.0) -> None:
        super().__init__(path, load_actions, "actions", ACTIONS_RELOAD, poll_interval)

    def describe(self, value: ActionTable) -> dict[str, object]:
        return {"actions": len(value)}


def actions_path(configured: Path | None) -> Path | None:
    """The actions file to load: HUB_ACTIONS (which must exist), else ./actions.yaml if present."""
    if configured is None:
        return DEFAULT_PATH if DEFAULT_PATH.exists() else None
    if not configured.exists():
        raise ConfigError(f"HUB_ACTIONS: {configured}: no such file")
    return configured
