"""Quiet hours: the window math across midnight and DST, holding in the state store, end to end."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.backends.sqlite.state import SqliteState
from hub.core.event import Event
from hub.core.messages import Delivery
from hub.router.held import HeldDeliveries, digests
from hub.routes.quiet import QuietHours, parse_clock, parse_zone
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import numbered

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = QuietHours(time(22), time(7), BERLIN)


def utc(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_clock_accepts_minutes_and_seconds() -> None:
    """HH:MM and HH:MM:SS parse; a one-digit hour is allowed."""
    assert parse_clock("22:00") == time(22)
    assert parse_clock("7:05") == time(7, 5)
    assert parse_clock("06:59:30") == time(6, 59, 30)


@pytest.mark.parametrize("text", ["24:00", "22", "22:60", "10pm", "22:00:60", ""])
def test_clock_refuses_what_is_not_a_time_of_day(text: str) -> None:
    """Hours past 23, minutes or seconds past 59 and other shapes are refused by name."""
    with pytest.raises(ValueError, match="is not a time of day"):
        parse_clock(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "utc", "Europe", "", "../etc/passwd"])
def test_unknown_time_zone_is_refused(name: str) -> None:
    """Names the IANA database does not have, directories and paths are refused."""
    with pytest.raises(ValueError, match="is not a known time zone"):
        parse_zone(name)


def test_same_start_and_end_is_refused() -> None:
    """A window that starts when it ends would be empty, so it is an error."""
    with pytest.raises(ValueError, match="same time"):
        QuietHours(time(22), time(22), BERLIN)


def test_daytime_window_includes_start_and_excludes_end() -> None:
    """09:00–17:00 UTC holds from 09:00:00 up to, not including, 17:00:00."""
    day = QuietHours(time(9), time(17), ZoneInfo("UTC"))
    assert not day.active(utc("2024-05-06 08:59:59"))
    assert day.active(utc("2024-05-06 09:00:00"))
    assert day.active(utc("2024-05-06 16:59:59"))
    assert not day.active(utc("2024-05-06 17:00:00"))
    assert day.ends_after(utc("2024-05-06 12:00")) == utc("2024-05-06 17:00")


def test_overnight_window_crosses_midnight() -> None:
    """22:00–07:00 Berlin (winter, UTC+1) runs 21:00–06:00 UTC, across the date change."""
    assert not NIGHT.active(utc("2024-01-10 20:59"))
    assert NIGHT.active(utc("2024-01-10 21:00"))
    assert NIGHT.ends_after(utc("2024-01-10 23:30")) == utc("2024-01-11 06:00")
    assert NIGHT.ends_after(utc("2024-01-11 05:59")) == utc("2024-01-11 06:00")
    assert not NIGHT.active(utc("2024-01-11 06:00"))


def test_days_name_the_day_a_window_starts() -> None:
    """With days [fri], Friday night into Saturday morning is quiet, Thursday night is not."""
    friday = QuietHours(time(22), time(7), BERLIN, frozenset({4}))
    assert friday.active(utc("2024-01-13 03:00"))  # Saturday 04:00 Berlin, from Friday 22:00
    assert not friday.active(utc("2024-01-12 03:00"))  # Friday 04:00, from Thursday
    assert friday.active(utc("2024-01-12 21:30"))  # Friday 22:30


def test_spring_forward_night_is_an_hour_shorter() -> None:
    """The night into the last Sunday of March ends at 07:00 summer time, 05:00 UTC."""
    at = utc("2024-03-31 00:30")  # 01:30 CET, before the clocks jump
    assert NIGHT.active(at)
    assert NIGHT.ends_after(at) == utc("2024-03-31 05:00")
    assert NIGHT.ends_after(utc("2024-03-30 21:00")) - utc("2024-03-30 21:00") == timedelta(hours=8)


def test_fall_back_night_is_an_hour_longer() -> None:
    """The night into the last Sunday of October starts 20:00 UTC and ends 06:00 UTC."""
    assert not NIGHT.active(utc("2024-10-26 19:59"))
    start = utc("2024-10-26 20:00")  # 22:00 CEST
    assert NIGHT.active(start)
    assert NIGHT.ends_after(utc("2024-10-27 01:30")) == utc("2024-10-27 06:00")
    assert NIGHT.ends_after(start) - start == timedelta(hours=10)


def test_window_starting_in_the_skipped_hour_starts_after_the_jump() -> None:
    """02:30 does not exist on 31 March in Berlin; the window starts at 03:30 summer time."""
    early = QuietHours(time(2, 30), time(4), BERLIN)
    assert not early.active(utc("2024-03-31 01:15"))  # 03:15 CEST
    assert early.active(utc("2024-03-31 01:30"))  # 03:30 CEST
    assert early.ends_after(utc("2024-03-31 01:45")) == utc("2024-03-31 02:00")


def test_time_given_in_another_zone_is_compared_as_an_instant() -> None:
    """An aware datetime in New York is judged by the instant it names, not its wall clock."""
    new_york = datetime(2024, 1, 10, 16, 30, tzinfo=ZoneInfo("America/New_York"))  # 22:30 Berlin
    assert NIGHT.active(new_york)
    assert not NIGHT.active(new_york - timedelta(hours=1))


def test_ends_after_outside_the_window_is_an_error() -> None:
    """Asking when quiet hours end at a time outside them raises ValueError."""
    with pytest.raises(ValueError, match="not inside quiet hours"):
        NIGHT.ends_after(utc("2024-01-10 12:00"))


def test_window_reads_as_written() -> None:
    """str() shows start, end, zone and days the way routes.yaml says them."""
    assert str(NIGHT) == "22:00–07:00 Europe/Berlin"
    weekend = QuietHours(time(0), time(8, 0, 30), BERLIN, frozenset({5, 6}))
    assert str(weekend) == "00:00–08:00:30 Europe/Berlin on sat, sun"


def event(n: int, at: datetime) -> Event:
    """Event number `n`, received at `at`."""
    return Event(id=f"e{n}", source="github", type="github.ping", time=at, receivedat=at, title="x")


class Published:
    """Records what `release` publishes (a hand-written stand-in for the broker's publish)."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []

    async def __call__(self, deliveries: Sequence[Delivery]) -> None:
        self.deliveries.extend(deliveries)


async def test_release_publishes_every_held_delivery_once_as_one_digest(state: SqliteState) -> None:
    """Three held deliveries come out as one digest, oldest first; a second release finds none."""
    held = HeldDeliveries(state)
    until = utc("2024-01-11 06:00")
    start = utc("2024-01-10 22:00")
    for n in (2, 0, 1):
        at = start + timedelta(minutes=n)
        await held.hold(Delivery(event(n, at), "#quiet", (f"r{n}",)), until)
    await held.hold(Delivery(event(0, start), "#quiet", ("r0",)), until)  # redelivered
    assert await held.windows() == [("#quiet", until)]
    published = Published()
    assert await held.release("#quiet", until, published) == 3
    (digest,) = published.deliveries
    assert [e.id for e in digest.held] == ["e0", "e1", "e2"]
    assert digest.event.id == "e0"
    assert digest.routes == ("r0", "r1", "r2")
    assert Delivery.from_json_bytes(digest.to_json_bytes()).held == digest.held
    assert await held.release("#quiet", until, published) == 0
    assert await held.windows() == []


async def test_release_is_left_to_the_router_that_holds_the_lease(state: SqliteState) -> None:
    """While one router releases a window another one publishes nothing from it."""
    held = HeldDeliveries(state)
    until = utc("2024-01-11 06:00")
    await held.hold(Delivery(event(0, until - timedelta(hours=1)), "#quiet", ("r",)), until)
    published = Published()

    async def second_router(deliveries: Sequence[Delivery]) -> None:
        assert await HeldDeliveries(state).release("#quiet", until, published) == 0
        await published(deliveries)

    assert await held.release("#quiet", until, second_router) == 1
    assert len(published.deliveries) == 1


async def test_failed_publish_keeps_everything_held(state: SqliteState) -> None:
    """When publishing the digest fails, the held deliveries and the window stay for a retry."""
    held = HeldDeliveries(state)
    until = utc("2024-01-11 06:00")
    await held.hold(Delivery(event(0, until - timedelta(hours=1)), "#quiet", ("r",)), until)

    async def broker_down(_deliveries: Sequence[Delivery]) -> None:
        raise ConnectionError("broker unavailable")

    with pytest.raises(ConnectionError):
        await held.release("#quiet", until, broker_down)
    published = Published()
    assert await held.windows() == [("#quiet", until)]
    assert await held.release("#quiet", until, published) == 1


def test_digests_split_past_fifty_events() -> None:
    """120 held deliveries become digests of 50, 50 and 20 events."""
    at = utc("2024-01-10 22:00")
    held = [Delivery(event(n, at), "#quiet", ("r",)) for n in range(120)]
    assert [len(d.held) for d in digests("#quiet", held)] == [50, 50, 20]


def quiet_routes(start: str, end: str, zone: str) -> str:
    """GitHub events to #quiet with quiet hours start–end in `zone`, and to #loud without."""
    return f"""\
version: 1
routes:
  - name: night
    match: {{source: github}}
    channels: ["#quiet"]
    quiet_hours: {{start: "{start}", end: "{end}", timezone: {zone}}}
  - name: always
    match: {{source: github}}
    channels: ["#loud"]
"""


@pytest.mark.integration
async def test_events_in_quiet_hours_are_held_then_posted_as_one_digest(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Nothing reaches the quiet channel before the window ends; then one digest names them all."""
    zone = ZoneInfo("Asia/Kolkata")  # UTC+05:30: the window is not whole hours off UTC
    now = datetime.now(zone)
    end = (now + timedelta(seconds=6)).replace(microsecond=0)
    start = now - timedelta(minutes=1)
    routes = quiet_routes(f"{start:%H:%M:%S}", f"{end:%H:%M:%S}", zone.key)
    async with run_hub(make_settings(routes)) as hub:
        ids = []
        for n in range(3):
            status, body = await hub.post(numbered(n))
            assert status == 202, body
            ids.append(body["id"])
        await slack.wait_for_events(3, timeout=10, channel="#loud")
        assert all(call.metadata for call in slack.posts("#loud"))
        assert sorted(slack.event_ids("#loud")) == sorted(ids), "routing did not happen"
        await asyncio.sleep(max(0.0, (end - datetime.now(zone)).total_seconds() - 0.5))
        assert slack.posts("#quiet") == [], "a held event was posted during quiet hours"
        await slack.wait_for(1, timeout=20, channel="#quiet")
        await asyncio.sleep(1.0)  # a second message, or a late single post, would arrive now
    (digest,) = slack.posts("#quiet")
    assert digest.metadata is not None
    assert sorted(digest.metadata["event_payload"]["event_ids"]) == sorted(ids)
