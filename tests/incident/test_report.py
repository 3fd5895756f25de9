"""The report of a scripted incident read back from a real SQLite history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.backends.sqlite.history import SqliteRecordLog
from hub.core.event import Event
from hub.incident.gather import IncidentNotFound, gather
from hub.incident.markdown import markdown
from hub.incident.report import span
from tests.incident_support import COMMIT, THREADKEY, Step, alert_on, normalized, script

ALERT_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[tuple[SqliteRecordLog, dict[str, Event]]]:
    """A history holding the scripted incident, and its events by step name."""
    log = SqliteRecordLog(tmp_path, timedelta(days=7))
    await log.start()
    events = {step.name: normalized(step, ALERT_AT) for step in script()}
    for event in events.values():
        await log.append_event(event)
    try:
        yield log, events
    finally:
        await log.close()


async def test_timeline_holds_the_related_events_in_order(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """Push, build, deploy, alert, error and recovery are listed in order, each with a reason."""
    log, events = history
    report = await gather(log, THREADKEY)
    wanted = ["push", "build", "deploy", "alert", "error", "recovery"]
    assert [r.event.id for r in report.timeline] == [events[name].id for name in wanted]
    assert [r.reason for r in report.timeline] == [
        "same service api",
        "same service api",
        "same service api",
        "incident",
        "same service api",
        "incident",
    ]


async def test_other_repos_other_services_and_older_events_are_left_out(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """Another repo's push, another service's error and a push before the window are not listed."""
    log, events = history
    report = await gather(log, THREADKEY)
    text = markdown(report)
    for name in ("old push", "other repo's push", "other service's error"):
        assert events[name].id not in {r.event.id for r in report.timeline}
    assert "acme/billing" not in text
    assert "[billing]" not in text
    assert "a" * 7 not in text


async def test_a_commit_s_events_are_grouped(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """The push, build, deploy and error of one commit make one line of its story."""
    log, _ = history
    report = await gather(log, THREADKEY)
    (group,) = report.groups
    assert group.commit == COMMIT
    deployed = (ALERT_AT + timedelta(seconds=30)).strftime("%H:%M:%S")
    assert group.line() == (
        f"{COMMIT[:7]}: pushed to main by octocat → build #812 passed → deployed to production"
        " by Codertocat → sentry error: ReferenceError: heck is not defined "
        f"{deployed}"
    )
    assert f"- {group.line()}" in markdown(report)


async def test_the_deploy_is_named_as_the_last_change_and_the_duration_stated(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """The draft names the deploy as the last change before the alert and says it lasted 2m 10s."""
    log, events = history
    report = await gather(log, THREADKEY)
    text = markdown(report)
    deploy = events["deploy"]
    assert report.last_change is not None
    assert report.last_change.event.id == deploy.id
    at = deploy.receivedat.strftime("%H:%M:%S")
    assert f"The last change before the alert: [{deploy.title}]({deploy.url}) at {at}" in text
    assert "- **Duration:** 2m 10s" in text
    assert "resolved after 2m 10s" in text
    for heading in ("Summary", "Impact", "Timeline", "What changed before it", "5 Whys"):
        assert f"\n## {heading}\n" in text
    assert "\n## Action items\n" in text


async def test_timeline_lines_carry_clock_time_source_and_hub_s_title(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """Each timeline line has the clock time, the source and the event titled as hub titles it."""
    log, events = history
    text = markdown(await gather(log, THREADKEY))
    timeline = text.split("## Timeline\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(timeline) == 6
    deploy = events["deploy"]
    assert deploy.title == "Deployment of main to production succeeded in acme/api"
    at = deploy.receivedat.strftime("%H:%M:%S")
    assert f"- {at} · github · [{deploy.title}]({deploy.url}) — same service api" in timeline


async def test_any_event_of_the_incident_names_it(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """The alert's id, its recovery's id and its threadkey give the same incident."""
    log, events = history
    by_key = await gather(log, THREADKEY)
    by_alert = await gather(log, events["alert"].id)
    by_recovery = await gather(log, events["recovery"].id)
    assert by_key.to_json() | {"timeline": None} == by_alert.to_json() | {"timeline": None}
    assert by_alert.timeline == by_recovery.timeline
    assert by_alert.first.id == events["alert"].id


async def test_an_open_incident_lasts_until_now_and_before_sets_the_window(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """An error never resolved lasts until now; --before 5m leaves out what came earlier."""
    log, events = history
    now = ALERT_AT + timedelta(minutes=20)
    report = await gather(log, events["error"].id, timedelta(minutes=5), now=now)
    assert report.resolution is None
    assert span(report.duration) == "19m 30s"
    ids = [r.event.id for r in report.timeline]
    assert events["push"].id not in ids
    assert events["deploy"].id in ids
    assert report.to_json()["resolved"] is False


async def test_an_unknown_key_is_not_found(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """A key no event carries raises IncidentNotFound naming it."""
    log, _ = history
    with pytest.raises(IncidentNotFound, match="kapacitor:nothing"):
        await gather(log, "kapacitor:nothing")


@pytest.mark.parametrize(
    ("seconds", "written"),
    [(0, "0s"), (5, "5s"), (60, "1m"), (130, "2m 10s"), (3725, "1h 2m"), (90000, "1d 1h")],
)
def test_durations_are_written_as_people_say_them(seconds: int, written: str) -> None:
    """Durations read `5s`, `2m 10s`, `1h 2m`: two units at most."""
    assert span(timedelta(seconds=seconds)) == written


async def test_an_alert_naming_no_service_meanwhile_is_kept_for_the_window_alone(
    history: tuple[SqliteRecordLog, dict[str, Event]],
) -> None:
    """An alert naming no service meanwhile is `same window`; one of another service is not."""
    log, _ = history
    at = ALERT_AT + timedelta(minutes=1)
    loose = Step(
        "db alert", timedelta(minutes=1), alert_on({"host": "db-1"}, "mem:host=db-1"), True
    )
    other = Step("billing", timedelta(minutes=1), alert_on({"service": "billing"}, "mem:b"), False)
    for step in (loose, other):
        await log.append_event(normalized(step, ALERT_AT))
    report = await gather(log, THREADKEY)
    reasons = {r.event.threadkey: r.reason for r in report.timeline}
    assert reasons["kapacitor:mem:host=db-1"] == "same window"
    assert "kapacitor:mem:b" not in reasons
    assert at < report.end
