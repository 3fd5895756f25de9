"""Silences: matcher syntax, the store every router reads, and `hub silence` end to end."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import REGISTRY

from hub.backends.sqlite.state import SqliteState
from hub.core.event import Event
from hub.core.settings import Settings
from hub.core.severity import Severity
from hub.core.state import Announced
from hub.router.silences import (
    REFRESH_SECONDS,
    Silence,
    SilenceStore,
    format_matchers,
    literal,
    parse_matchers,
)
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import cli_env, hub_cli, run_hub
from tests.conftest_integration import SettingsFactory
from tests.router.test_dedup_window import alert

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def kapacitor(host: str, severity: Severity = Severity.CRITICAL) -> Event:
    """A Kapacitor cpu alert on `host`."""
    return Event(
        id=f"cpu-{host}",
        source="kapacitor",
        type=f"kapacitor.alert.{severity}",
        time=T0,
        receivedat=T0,
        severity=severity,
        subject=f"cpu:host={host}",
        threadkey=f"kapacitor:cpu:host={host}",
        title="cpu",
        labels={"host": host, "env": "prod"},
    )


def test_matchers_parse_keys_labels_and_quoted_values() -> None:
    """Pairs split on spaces, labels.<name> names a label, and quotes keep spaces in a value."""
    text = "source=kapacitor labels.host=web-* severity=>=error 'subject=cpu:host=web 1'"
    assert parse_matchers(text) == {
        "source": "kapacitor",
        "labels.host": "web-*",
        "severity": ">=error",
        "subject": "cpu:host=web 1",
    }


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "no matchers"),
        ("source", "'source' is not key=glob"),
        ("sourc=github", "'sourc' is not a matcher key; did you mean 'source'?"),
        ("labels=prod", "'labels' is not a matcher key"),
        ("labels.=prod", "'labels.' is not a matcher key"),
        ("source=a source=b", "source: given twice"),
        ("severity=>=warn", "severity: '>=warn' is not a severity"),
        ("repo=", "repo: '' is an empty pattern"),
        ("repo=re:acme/(api", "repo: 're:acme/(api' is not a valid regex"),
        ("source='kapacitor", "cannot read"),
    ],
)
def test_bad_matchers_say_what_is_wrong(text: str, error: str) -> None:
    """Each malformed matcher text is refused with a message naming the problem."""
    with pytest.raises(ValueError, match=re.escape(error)):
        parse_matchers(text)


def test_silence_matches_with_routes_yaml_globs() -> None:
    """Every matcher must hold; `*` spans any run and `[bot]`-like text is literal; case counts."""
    silence = Silence(
        "s1",
        {"source": "kapacitor", "labels.host": "web-*", "severity": ">=error"},
        T0,
        T0 + timedelta(hours=1),
    )
    assert silence.matches(kapacitor("web-1"))
    assert not silence.matches(kapacitor("db-1"))
    assert not silence.matches(kapacitor("WEB-1"))
    assert not silence.matches(kapacitor("web-1", Severity.WARNING))


def test_matcher_on_a_missing_field_never_matches() -> None:
    """A silence on a label or field the event lacks does not silence it."""
    assert not Silence("s", {"labels.team": "*"}, T0, T0 + timedelta(1)).matches(kapacitor("a"))
    assert not Silence("s", {"branch": "*"}, T0, T0 + timedelta(1)).matches(kapacitor("a"))


def test_threadkey_matcher_mutes_one_thread() -> None:
    """A threadkey matcher (what a ChatOps mute creates) matches only that thread's events."""
    silence = Silence("s", {"threadkey": "kapacitor:cpu:host=web-1"}, T0, T0 + timedelta(1))
    assert silence.matches(kapacitor("web-1"))
    assert not silence.matches(kapacitor("web-2"))


@pytest.mark.parametrize("key", ["kapacitor:*", "kapacitor:cpu:host=web-?", "re:x", "=x"])
def test_a_literal_matcher_matches_its_own_thread_and_no_other(key: str) -> None:
    """literal() of a threadkey holding `*`, `?`, `re:` or `=` matches that key exactly."""
    silence = Silence("s", {"threadkey": literal(key)}, T0, T0 + timedelta(1))
    own = kapacitor("web-1").model_copy(update={"threadkey": key})
    other = kapacitor("web-1").model_copy(update={"threadkey": key.replace("*", "cpu") + "1"})
    assert silence.matches(own)
    assert not silence.matches(other)
    assert not silence.matches(kapacitor("web-1"))
    assert parse_matchers(format_matchers(silence.matchers)) == silence.matchers


def test_a_plain_key_stays_plain_and_an_exact_value_can_be_typed() -> None:
    """literal() leaves a key without special characters alone; `key==value` is exact."""
    assert literal("kapacitor:cpu:host=web-1") == "kapacitor:cpu:host=web-1"
    assert parse_matchers("threadkey==kapacitor:* labels.host==web-?") == {
        "threadkey": "=kapacitor:*",
        "labels.host": "=web-?",
    }
    with pytest.raises(ValueError, match="threadkey: '=' is an empty exact value"):
        parse_matchers("threadkey==")


def test_silence_round_trips_through_json() -> None:
    """to_dict/from_dict keep every field, and format_matchers reads back with parse_matchers."""
    silence = Silence("s", {"subject": "a b", "source": "x"}, T0, T0 + timedelta(1), "why", "me")
    back = Silence.from_dict(json.loads(json.dumps(silence.to_dict())))
    assert back == silence
    assert parse_matchers(format_matchers(silence.matchers)) == silence.matchers


class Clock:
    """A settable clock for the store (a hand-written stand-in for datetime.now)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_store_adds_lists_and_removes(state: SqliteState) -> None:
    """A silence added is listed with its fields, and once removed it is gone."""
    store = SilenceStore(state)
    made, announced = await store.add({"source": "kapacitor"}, timedelta(hours=2), "r", "alice")
    assert announced == Announced(listeners=0, confirmed=0)
    assert re.fullmatch(r"[0-9a-f]{8}", made.id)
    assert made.ends_at - made.starts_at == timedelta(hours=2)
    assert await store.list() == (made,)
    assert await store.remove(made.id) == Announced(listeners=0, confirmed=0)
    assert await store.remove(made.id) is None
    assert await store.list() == ()


async def test_store_refuses_an_empty_silence(state: SqliteState) -> None:
    """A silence with no matcher would mute everything, so add refuses it; so too a zero length."""
    store = SilenceStore(state)
    with pytest.raises(ValueError, match="at least one matcher"):
        await store.add({}, timedelta(hours=1), "r", "me")
    with pytest.raises(ValueError, match="longer than 0"):
        await store.add({"source": "github"}, timedelta(0), "r", "me")


async def test_silence_is_in_force_only_between_start_and_end(state: SqliteState) -> None:
    """matching() finds the silence from starts_at until ends_at, and not before or after."""
    clock = Clock(T0)
    store = SilenceStore(state, refresh=0, clock=clock)
    later = T0 + timedelta(minutes=10)
    made, _ = await store.add({"labels.host": "web-1"}, timedelta(minutes=5), "r", "me", later)
    assert await store.matching(kapacitor("web-1")) is None
    clock.now = later
    assert await store.matching(kapacitor("web-1")) == made
    assert await store.matching(kapacitor("web-2")) is None
    clock.now = later + timedelta(minutes=5)
    assert await store.matching(kapacitor("web-1")) is None


async def test_router_cache_sees_another_process_changes_after_refresh(
    state: SqliteState,
) -> None:
    """A store's cache picks up a silence another store added once its refresh interval passes."""
    router_side = SilenceStore(state, refresh=0.2)
    assert await router_side.matching(kapacitor("web-1")) is None
    made, _ = await SilenceStore(state).add({"source": "kapacitor"}, timedelta(hours=1), "r", "cli")
    await asyncio.sleep(0.25)
    assert await router_side.matching(kapacitor("web-1")) == made
    await SilenceStore(state).remove(made.id)
    await asyncio.sleep(0.25)
    assert await router_side.matching(kapacitor("web-1")) is None


async def test_a_change_is_in_the_router_cache_when_add_and_remove_return(
    tmp_path: Path,
) -> None:
    """A router that loaded its silences holds another process's add and remove the moment
    those return, with no polling (a refresh interval of an hour)."""
    router_state, cli_state = SqliteState(tmp_path), SqliteState(tmp_path)
    await router_state.start()
    await cli_state.start()
    try:
        router_side = SilenceStore(router_state, refresh=3600)
        await router_side.load()
        assert await router_side.matching(kapacitor("web-1")) is None
        made, announced = await SilenceStore(cli_state).add(
            {"threadkey": "kapacitor:cpu:host=web-1"}, timedelta(hours=1), "r", "cli"
        )
        assert announced == Announced(listeners=1, confirmed=1)
        assert await router_side.matching(kapacitor("web-1")) == made
        assert await SilenceStore(cli_state).remove(made.id) == Announced(1, 1)
        assert await router_side.matching(kapacitor("web-1")) is None
    finally:
        await cli_state.close()
        await router_state.close()


async def silence_cli(settings: Settings, *args: str) -> str:
    """Run `hub silence ARGS` as its own process against the test hub; its stdout."""
    process = await asyncio.create_subprocess_exec(
        hub_cli(),
        "silence",
        *args,
        env=cli_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def routed(http: aiohttp.ClientSession, ops_url: str, event_id: str) -> dict[str, Any]:
    """The live API's entry for `event_id` once the router has decided on it."""
    for _ in range(150):
        async with http.get(f"{ops_url}/api/events/{event_id}") as resp:
            if resp.status == 200:
                entry: dict[str, Any] = await resp.json()
                if entry["status"] != "received":
                    return entry
        await asyncio.sleep(0.1)
    raise AssertionError(f"event {event_id} was not routed within 15 s")


def silenced_count() -> float:
    """hub_events_silenced_total for Kapacitor, as this process counted it."""
    value = REGISTRY.get_sample_value("hub_events_silenced_total", {"source": "kapacitor"})
    return value or 0.0


ROUTES = """\
version: 1
routes:
  - {name: alerts, match: {source: kapacitor}, channels: ["#ops"]}
"""


@pytest.mark.integration
async def test_cli_silence_mutes_matching_events_until_removed(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`hub silence add` keeps web-1's alerts out of Slack, not web-2's; `remove` lets them in."""
    settings = make_settings(ROUTES)
    async with run_hub(settings) as hub, aiohttp.ClientSession() as http:
        out = await silence_cli(
            settings,
            "add",
            "--match",
            "source=kapacitor labels.host=web-1",
            "--for",
            "2h",
            "--reason",
            "replacing a disk",
        )
        found = re.search(r"silence ([0-9a-f]+) added", out)
        assert found is not None, out
        silence_id = found[1]
        listed = [
            json.loads(line)
            for line in (await silence_cli(settings, "list", "--json")).splitlines()
        ]
        assert [(s["id"], s["matchers"]) for s in listed] == [
            (silence_id, {"source": "kapacitor", "labels.host": "web-1"})
        ]
        await asyncio.sleep(REFRESH_SECONDS + 0.5)
        before = silenced_count()
        _, muted = await hub.post(alert("web-1", "critical", 1))
        _, heard = await hub.post(alert("web-2", "critical", 2))
        entry = await routed(http, hub.ops_url, muted["id"])
        held_by = f"{silence_id} (source=kapacitor labels.host=web-1)"
        assert entry["silenced"] == entry["silenced_by"] == held_by  # which silence, by id
        assert entry["status"] == "silenced"
        assert silenced_count() == before + 1
        await slack.wait_for(1, timeout=15)
        await asyncio.sleep(0.5)  # the silenced alert, were it let through, would be posted by now
        assert slack.event_ids() == [heard["id"]]

        await silence_cli(settings, "remove", silence_id)
        assert await silence_cli(settings, "list") == "no silences\n"
        await asyncio.sleep(REFRESH_SECONDS + 0.5)
        _, back = await hub.post(alert("web-1", "critical", 3))
        await slack.wait_for(2, timeout=15)
    assert all(call.metadata for call in slack.posts())
    assert slack.event_ids() == [heard["id"], back["id"]]


EXPLAIN_ROUTES = """\
version: 1
routes:
  - name: alerts
    match: {source: kapacitor}
    channels: ["#ops"]
    dedup_window: 10m
    quiet_hours: {start: "22:00", end: "07:00", timezone: Europe/Berlin}
"""


def explain(env: dict[str, str], routes: Path, fixture: Path) -> subprocess.CompletedProcess[str]:
    """`hub routes explain` of a Kapacitor fixture, in `env` (a clean HUB_* environment)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "SLACK_"))}
    args = ["routes", "explain", "--source", "kapacitor", "--routes", str(routes), str(fixture)]
    return subprocess.run(
        [hub_cli(), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_routes_explain_shows_matching_silence_and_noise_control(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    """explain names the silence an event matches, says no channel gets it, and shows the
    matching route's dedup_window and quiet_hours."""
    routes = tmp_path / "routes.yaml"
    routes.write_text(EXPLAIN_ROUTES)
    state = SqliteState(tmp_path / "data")
    (tmp_path / "data").mkdir()
    await state.start()
    try:
        made, _ = await SilenceStore(state).add(
            {"source": "kapacitor"}, timedelta(hours=1), "r", "me"
        )
        await SilenceStore(state).add({"source": "github"}, timedelta(hours=1), "other", "me")
    finally:
        await state.close()
    fixture = fixtures_dir / "kapacitor/alert.critical.json"
    result = explain({"HUB_DATA_DIR": str(tmp_path / "data")}, routes, fixture)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "dedup_window 10m; quiet_hours 22:00–07:00 Europe/Berlin" in out
    assert f"MATCH {made.id}: source=kapacitor" in out
    assert "source=github" not in out
    assert f"(silenced by {made.id}: none of these gets it)" in out


def test_routes_explain_goes_on_without_a_reachable_state_store(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    """With the state store down, explain says so in one line and still routes the event."""
    routes = tmp_path / "routes.yaml"
    routes.write_text(EXPLAIN_ROUTES)
    fixture = fixtures_dir / "kapacitor/alert.critical.json"
    result = explain({"HUB_STATE_URL": "redis://127.0.0.1:9/0"}, routes, fixture)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    silences = lines[lines.index("silences:") + 1]
    assert silences.startswith("  (state store not reachable, silences not checked: ")
    assert any(line.startswith("  #ops  (routes: alerts)") for line in lines)
