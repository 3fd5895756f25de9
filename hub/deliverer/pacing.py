"""Per-channel pacing: Slack allows about one post per second per channel, with short bursts."""

from __future__ import annotations

import asyncio
import random
import time

BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 30.0


def backoff(attempt: int, initial: float = BACKOFF_INITIAL, cap: float = BACKOFF_MAX) -> float:
    """Exponential backoff with full jitter for attempt n (1-based)."""
    return random.uniform(0, min(cap, initial * 2 ** (attempt - 1)))  # noqa: S311 - jitter, not crypto


class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; `take()` waits for one."""

    def __init__(self, rate: float = 1.0, burst: int = 3) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    async def take(self) -> None:
        """Wait for a token and spend it."""
        while (delay := self.wait_time()) > 0:  # noqa: ASYNC110 - a computed wait, nothing to signal
            await asyncio.sleep(delay)
        self._tokens -= 1

    def hold_off(self, seconds: float) -> None:
        """Slack said 429 with Retry-After: no token for `seconds`."""
        self._refill()
        self._tokens = min(self._tokens, 0.0) - seconds * self.rate
