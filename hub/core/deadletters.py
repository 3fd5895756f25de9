"""The filters of `hub dead-letters` and `/hub replay`: by reason, age, channel and route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.core.messages import DeadRecord
from hub.core.settings import parse_duration


@dataclass(frozen=True)
class DeadFilter:
    """The `--reason --since --channel --route` filters of `hub dead-letters`."""

    reason: str | None = None
    since: str | None = None
    channel: str | None = None
    route: str | None = None

    def select(self, records: Sequence[DeadRecord], now: datetime) -> list[DeadRecord]:
        """The records passing every given filter."""
        oldest = now - parse_duration(self.since) if self.since else None
        return [
            r
            for r in records
            if (self.reason is None or r.reason == self.reason)
            and (self.channel is None or r.channel == self.channel)
            and (self.route is None or self.route in r.routes)
            and (oldest is None or (r.dead_at is not None and r.dead_at >= oldest))
        ]
