"""Dead letters read back from their stored bytes, and the filters of `hub dead-letters`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.core.deadletters import DeadFilter
from hub.core.messages import UNREADABLE, DeadRecord, Delivery, parse_dead
from hub.testing.harness import info_event

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def record(
    key: str, reason: str, channel: str, routes: tuple[str, ...], age: timedelta
) -> DeadRecord:
    """A dead letter of a delivery to `channel` that died `age` before NOW."""
    delivery = Delivery(event=info_event(int(key)), channel=channel, routes=routes)
    headers = {"reason": reason, "attempts": 3, "dead_at": (NOW - age).isoformat()}
    return parse_dead(key, delivery.to_json_bytes(), headers)


def test_a_stored_delivery_reads_back_with_its_history() -> None:
    """A delivery's bytes and headers give back its event, channel, routes, reason and time."""
    dead = record("7", "channel_not_found", "#gone", ("ops",), timedelta(minutes=5))
    assert dead.event.id == "evt-7"
    assert (dead.channel, dead.routes, dead.reason, dead.attempts) == (
        "#gone",
        ("ops",),
        "channel_not_found",
        3,
    )
    assert dead.dead_at == NOW - timedelta(minutes=5)
    assert dead.delivery is not None


def test_a_poison_event_reads_back_without_a_channel() -> None:
    """A dead event (not a delivery) keeps its event and has no channel or delivery."""
    event = info_event(8)
    dead = parse_dead("8", event.to_json_bytes(), {"reason": "delivery_limit"})
    assert (dead.event.id, dead.channel, dead.delivery) == ("evt-8", None, None)


def test_unreadable_bytes_become_a_stand_in_that_can_be_listed() -> None:
    """Bytes that are neither a delivery nor an event give an `hub.unreadable` stand-in."""
    dead = parse_dead("9", b"\xff not json", {})
    assert dead.event.type == UNREADABLE
    assert dead.reason == "unknown"
    assert dead.delivery is None


def test_filters_select_by_reason_channel_route_and_age() -> None:
    """Each given filter narrows the selection; absent ones select everything."""
    records = [
        record("1", "channel_not_found", "#a", ("ops",), timedelta(minutes=10)),
        record("2", "invalid_blocks", "#b", ("ci",), timedelta(hours=3)),
        record("3", "channel_not_found", "#b", ("ci", "ops"), timedelta(days=2)),
    ]

    def keys(chosen: DeadFilter) -> list[str]:
        return [r.key for r in chosen.select(records, NOW)]

    assert keys(DeadFilter()) == ["1", "2", "3"]
    assert keys(DeadFilter(reason="channel_not_found")) == ["1", "3"]
    assert keys(DeadFilter(channel="#b")) == ["2", "3"]
    assert keys(DeadFilter(route="ops")) == ["1", "3"]
    assert keys(DeadFilter(since="1h")) == ["1"]
    assert keys(DeadFilter(since="1d", channel="#b")) == ["2"]
