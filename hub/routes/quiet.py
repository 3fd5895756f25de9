"""Quiet hours: a daily window in a time zone during which a route's deliveries are held."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")


def parse_clock(text: str) -> time:
    """'22:00' or '06:59:30' (24-hour) as a time of day; ValueError naming the problem otherwise."""
    found = _CLOCK.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"{text!r} is not a time of day: write HH:MM (24-hour), e.g. '22:00'")
    hour, minute, second = found.groups()
    return time(int(hour), int(minute), int(second or 0))


def parse_zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name` (e.g. Europe/Berlin, UTC); ValueError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        example = "an IANA name like 'Europe/Berlin' or 'UTC'"
        raise ValueError(f"{name!r} is not a known time zone: use {example}") from None


def parse_day(name: str) -> int:
    """The weekday number (Monday 0) of `mon` … `sun`; ValueError otherwise."""
    if name not in DAYS:
        raise ValueError(f"{name!r} is not a day: use {', '.join(DAYS)}")
    return DAYS.index(name)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A window from `start` to the next `end`, local time in `zone`, starting on `days`.

    A window whose end is not after its start crosses midnight: 22:00–07:00 runs from 22:00
    on a listed day to 07:00 the next morning. Local times are taken as the clock shows them;
    one that a DST change skips is read with the offset before the change.
    """

    start: time
    end: time
    zone: ZoneInfo
    days: frozenset[int] = frozenset(range(7))

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("start and end are the same time: the window would be empty")
        if not self.days:
            raise ValueError("days must name at least one day")

    def active(self, at: datetime) -> bool:
        """Whether the aware datetime `at` falls inside a window."""
        return self._window(at) is not None

    def ends_after(self, at: datetime) -> datetime:
        """When the window that `at` falls inside ends (UTC); ValueError when `at` is outside."""
        window = self._window(at)
        if window is None:
            raise ValueError(f"{at.isoformat()} is not inside quiet hours {self}")
        return window[1]

    def _window(self, at: datetime) -> tuple[datetime, datetime] | None:
        # Compare in UTC: aware datetimes sharing a tzinfo compare by wall clock, not instant.
        at = at.astimezone(UTC)
        today = at.astimezone(self.zone).date()
        overnight = self.end <= self.start
        for day in (today, today - timedelta(days=1)):
            if day.weekday() not in self.days:
                continue
            start = self._instant(day, self.start)
            end = self._instant(day + timedelta(days=1) if overnight else day, self.end)
            if start <= at < end:
                return start, end
        return None

    def _instant(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, self.zone).astimezone(UTC)

    def __str__(self) -> str:
        days = "" if len(self.days) == 7 else f" on {', '.join(DAYS[d] for d in sorted(self.days))}"
        return f"{_clock(self.start)}–{_clock(self.end)} {self.zone.key}{days}"


def _clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")
