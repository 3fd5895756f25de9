"""How often an action may run, and each press acted on once, shared by every hub process."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from hub.actions.model import RateLimit
from hub.core.state import StateStore

PRESS_MEMORY = timedelta(hours=24)
"""How long a press (or slash command) is remembered, so a repeat of it is not run again."""


class Limits:
    """Rate limits and once-only presses, kept in the state store."""

    def __init__(self, state: StateStore, clock: Callable[[], float] = time.time) -> None:
        self._state = state
        self._clock = clock

    async def first_time(self, press: str) -> bool:
        """Claim `press` (Slack's trigger id and action time); False when it was claimed before."""
        return await self._state.add(f"action-press:{press}", "1", PRESS_MEMORY)

    async def take(self, action: str, limit: RateLimit) -> int | None:
        """Spend one run of `action` in the current window; else the seconds until the next.

        A fixed window of `limit.per` holds `limit.count` slots, each claimed atomically with
        `add`, so processes racing for the last slot cannot both get it.
        """
        period = limit.per.total_seconds()
        now = self._clock()
        window = int(now // period)
        for slot in range(limit.count):
            key = f"action-rate:{action}:{window}:{slot}"
            if await self._state.add(key, "1", limit.per):
                return None
        return max(1, int((window + 1) * period - now))
