"""Loading routes.yaml: what compiles, and the exact error for everything that does not."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.core.errors import ConfigError
from hub.core.event import Event
from hub.routes.load import RoutesError, load_routes, parse_routes
from hub.routes.quiet import QuietHours
from tests.paths import REPO

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def yaml_text(text: str) -> str:
    """The dedented text, its first line being line 1."""
    return textwrap.dedent(text).lstrip("\n")


def errors_of(text: str) -> list[str]:
    """The errors parse_routes reports for `text`."""
    with pytest.raises(RoutesError) as caught:
        parse_routes(yaml_text(text))
    return caught.value.errors


def route_doc(route: str, head: str = "") -> str:
    """A valid file around one route's lines (route keys at 4 spaces; the route on line 3+)."""
    body = textwrap.indent(textwrap.dedent(route).strip("\n"), "    ")
    return f"version: 1\n{head}routes:\n  - name: r\n{body}\n"


def test_repo_routes_yaml_loads() -> None:
    """The default routes.yaml at the repository root loads cleanly."""
    table = load_routes(REPO / "routes.yaml")
    assert table.routes
    assert table.defaults.unrouted == "#eng-firehose"
    assert table.source_path == REPO / "routes.yaml"


def test_minimal_file_loads_with_defaults() -> None:
    """A file with only a version and routes gets thread true and drops unrouted events."""
    table = parse_routes("version: 1\nroutes: []\n")
    assert table.routes == ()
    assert table.defaults.thread is True
    assert table.defaults.unrouted is None
    assert table.source_path is None


def test_route_fields_compile() -> None:
    """A route keeps its name, resolved channels, mention, stop, thread, digest and line."""
    text = route_doc(
        """
        match: {source: github}
        channels: [firehose, "#ci", C0123ABC, firehose]
        mention: ["<!subteam^S0123ABC>", "<@U0123ABC>"]
        stop: true
        thread: false
        digest: off
        """,
        head='channels:\n  firehose: "#eng-firehose"\ndefaults: {thread: true}\n',
    )
    route = parse_routes(text).routes[0]
    assert route.name == "r"
    assert route.channels == ("#eng-firehose", "#ci", "C0123ABC")
    assert route.mention == ("<!subteam^S0123ABC>", "<@U0123ABC>")
    assert (route.stop, route.thread, route.digest, route.line) == (True, False, "off", 6)


def test_route_thread_defaults_to_defaults_thread() -> None:
    """A route without `thread` takes defaults.thread, and digest defaults to auto."""
    text = route_doc("match: {}\nchannels: ['#a']", head="defaults: {thread: false}\n")
    route = parse_routes(text).routes[0]
    assert (route.thread, route.digest) == (False, "auto")


def test_scalars_are_read_as_written() -> None:
    """Where a string is expected, YAML numbers and booleans keep their text (1.10, off)."""
    text = route_doc("match: {branch: 1.10, state: off}\nchannels: ['#a']")
    block = parse_routes(text).routes[0].match[0]
    assert [c.expected for c in block.conditions] == ["'1.10'", "'off'"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param(
            route_doc("match: {severity: '>=warn'}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.severity: '>=warn' is not a severity",
            id="bad-severity",
        ),
        pytest.param(
            route_doc("match: {severity: [error, '=>info']}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.severity[1]: '=>info' is not a severity",
            id="bad-severity-in-list",
        ),
        pytest.param(
            route_doc("match: {repo: 're:acme/(api'}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.repo: 're:acme/(api' is not a valid regex: "
            "missing ), unterminated subpattern at position 5",
            id="bad-regex",
        ),
        pytest.param(
            route_doc("match: {brnch: main}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.brnch: unknown key; did you mean 'branch'?",
            id="unknown-match-key",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: ['#a']\nzzz: 1"),
            "routes.yaml:6: routes[0].zzz: unknown key; expected one of name, match, exclude, "
            "channels, mention, stop, thread, digest, dedup_window, quiet_hours",
            id="unknown-route-key",
        ),
        pytest.param(
            "version: 1\nroutes: []\nchanels: {}\n",
            "routes.yaml:3: chanels: unknown key; did you mean 'channels'?",
            id="unknown-top-key",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: [firehose]"),
            "routes.yaml:5: routes[0].channels[0]: undefined alias 'firehose'; a channel is "
            'written with its # and quoted, "#firehose" (or define the alias under channels:)',
            id="undefined-alias",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: [firehos]", head="channels: {firehose: '#f'}\n"),
            "routes.yaml:6: routes[0].channels[0]: undefined alias 'firehos'; "
            "did you mean 'firehose'?",
            id="undefined-alias-suggestion",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: ['#Eng Team']"),
            "routes.yaml:5: routes[0].channels[0]: '#Eng Team' is not a valid channel name "
            "(lowercase letters, digits, '-' and '_', at most 80)",
            id="bad-channel-name",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: []"),
            "routes.yaml:5: routes[0].channels: must not be an empty list",
            id="empty-channels",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: '#a'"),
            "routes.yaml:5: routes[0].channels: expected a list, got '#a'",
            id="channels-not-a-list",
        ),
        pytest.param(
            route_doc("match: {}"),
            "routes.yaml:3: routes[0].channels: required key is missing",
            id="missing-channels",
        ),
        pytest.param(
            "version: 1\nroutes:\n  - match: {}\n    channels: ['#a']\n",
            "routes.yaml:3: routes[0].name: required key is missing",
            id="missing-name",
        ),
        pytest.param(
            "routes: []\n",
            "routes.yaml:1: version: required key is missing",
            id="missing-version",
        ),
        pytest.param(
            "version: 2\nroutes: []\n",
            "routes.yaml:1: version: unsupported version 2; expected 1",
            id="wrong-version",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: ['#a']\nstop: 'yes'"),
            "routes.yaml:6: routes[0].stop: expected true or false, got 'yes'",
            id="stop-not-bool",
        ),
        pytest.param(
            route_doc("match: github\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match: expected a match block or a list of them, "
            "got 'github'",
            id="match-not-a-block",
        ),
        pytest.param(
            route_doc("match: []\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match: expected a match block or a list of them, "
            "got an empty list",
            id="match-empty-list",
        ),
        pytest.param(
            route_doc("match: {}\nexclude: {actor: x}\nchannels: ['#a']"),
            "routes.yaml:5: routes[0].exclude: expected a list of blocks, got a mapping",
            id="exclude-not-a-list",
        ),
        pytest.param(
            route_doc("match: {}\nexclude: [{}]\nchannels: ['#a']"),
            "routes.yaml:5: routes[0].exclude[0]: an empty block would exclude every event",
            id="empty-exclude-block",
        ),
        pytest.param(
            route_doc("match: {branch: []}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.branch: must not be an empty list",
            id="empty-value-list",
        ),
        pytest.param(
            route_doc("match: {branch: ''}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.branch: '' is an empty pattern",
            id="empty-pattern",
        ),
        pytest.param(
            route_doc("match: {branch: ~}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.branch: expected a string, got nothing (null)",
            id="null-value",
        ),
        pytest.param(
            route_doc("match: {labels: {}}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.labels: must name at least one label",
            id="empty-labels",
        ),
        pytest.param(
            route_doc("match: {labels: {env: [prod, {x: 1}]}}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.labels.env[1]: expected a string, got a mapping",
            id="label-value-not-a-string",
        ),
        pytest.param(
            route_doc("match:\n  severity: !=info\nchannels: ['#a']"),
            "routes.yaml:5: routes[0].match.severity: unquoted '!=info' is read as a YAML tag; "
            "quote the value",
            id="unquoted-tag",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: ['#a']\nmention: ['@alice']"),
            "routes.yaml:6: routes[0].mention[0]: '@alice' is not a Slack mention: write "
            "'<@U0123ABC>', '<!subteam^S0123ABC>' or '<!here>'",
            id="bad-mention",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: ['#a']\ndigest: sometimes"),
            "routes.yaml:6: routes[0].digest: 'sometimes' is not a digest mode: use auto or off",
            id="bad-digest",
        ),
        pytest.param(
            "version: 1\nchannels:\n  firehose: eng-firehose\nroutes: []\n",
            "routes.yaml:3: channels.firehose: 'eng-firehose' is not a '#name' or a channel ID",
            id="alias-to-non-channel",
        ),
        pytest.param(
            "version: 1\nchannels:\n  CIALERTS: '#ci'\nroutes: []\n",
            "routes.yaml:3: channels.CIALERTS: an alias name must not look like a channel",
            id="alias-looks-like-id",
        ),
        pytest.param(
            "version: 1\ndefaults: {thread: maybe}\nroutes: []\n",
            "routes.yaml:2: defaults.thread: expected true or false, got 'maybe'",
            id="defaults-thread-not-bool",
        ),
        pytest.param(
            "version: 1\ndefaults: {unrouted: firehose}\nroutes: []\n",
            "routes.yaml:2: defaults.unrouted: undefined alias 'firehose'; a channel is written "
            'with its # and quoted, "#firehose" (or define the alias under channels:)',
            id="unrouted-undefined-alias",
        ),
        pytest.param(
            route_doc("match: {source: github, source: travis}\nchannels: ['#a']"),
            "routes.yaml:4: routes[0].match.source: duplicate key (first at line 4)",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: ['#a']\n<<: {stop: true}"),
            "routes.yaml:6: routes[0]: << is not allowed as a key",
            id="merge-key",
        ),
        pytest.param(
            "version: 1\nroutes:\n  - name: '(unrouted)'\n    match: {}\n    channels: ['#a']\n",
            "routes.yaml:3: routes[0].name: '(unrouted)' is reserved for events no route matches",
            id="reserved-name",
        ),
        pytest.param(
            "- version: 1\n",
            "routes.yaml:1: expected a mapping, got a list",
            id="top-not-a-mapping",
        ),
        pytest.param(
            "version: 1\nroutes: {}\n",
            "routes.yaml:2: routes: expected a list, got a mapping",
            id="routes-not-a-list",
        ),
    ],
)
def test_invalid_file_reports_one_exact_error(text: str, error: str) -> None:
    """Each kind of mistake is reported as `file:line: key.path: message`, exactly."""
    assert errors_of(text) == [error]


def test_design_example_error() -> None:
    """The documented example error comes out exactly: a bad severity in the third route."""
    text = """
        version: 1
        routes:
          - name: a
            match: {source: github}
            channels: ["#a"]
          - name: b
            match: {source: travis}
            channels: ["#b"]
          - name: c
            match:
              source: kapacitor
              repo: "acme/*"
              branch: main
              severity: ">=warn"
            channels: ["#c"]
        """
    assert errors_of(text) == [
        "routes.yaml:14: routes[2].match.severity: '>=warn' is not a severity"
    ]


def test_duplicate_route_name_names_the_first() -> None:
    """A second route with a taken name is an error at its name, pointing to the first."""
    text = """
        version: 1
        routes:
          - name: ci
            match: {}
            channels: ["#a"]
          - name: ci
            match: {}
            channels: ["#b"]
        """
    assert errors_of(text) == [
        "routes.yaml:6: routes[1].name: duplicate route name 'ci' (first at line 3)"
    ]


def test_all_errors_are_collected_in_line_order() -> None:
    """Every problem in the file is reported at once, sorted by line, in one ConfigError."""
    text = """
        version: 1
        defaults: {unrouted: nowhere}
        routes:
          - name: a
            match: [{severity: ">=warn"}, {sourc: github}]
            channels: ["#ok", "bad channel"]
          - name: a
            match: {}
            channels: ["#b"]
            stop: maybe
        """
    expected = [
        "routes.yaml:2: defaults.unrouted: undefined alias 'nowhere'; a channel is written "
        'with its # and quoted, "#nowhere" (or define the alias under channels:)',
        "routes.yaml:5: routes[0].match[0].severity: '>=warn' is not a severity",
        "routes.yaml:5: routes[0].match[1].sourc: unknown key; did you mean 'source'?",
        "routes.yaml:6: routes[0].channels[1]: undefined alias 'bad channel'",
        "routes.yaml:7: routes[1].name: duplicate route name 'a' (first at line 4)",
        "routes.yaml:10: routes[1].stop: expected true or false, got 'maybe'",
    ]
    with pytest.raises(ConfigError) as caught:
        parse_routes(yaml_text(text))
    assert isinstance(caught.value, RoutesError)
    assert caught.value.errors == expected
    assert str(caught.value) == "\n".join(expected)


def test_broken_alias_is_reported_once() -> None:
    """A route using an alias whose definition is wrong adds no second error."""
    text = route_doc("match: {}\nchannels: [firehose]", head="channels: {firehose: nope}\n")
    assert errors_of(text) == [
        "routes.yaml:2: channels.firehose: 'nope' is not a '#name' or a channel ID"
    ]


def test_filename_appears_in_errors() -> None:
    """parse_routes names the given filename in each error."""
    with pytest.raises(RoutesError) as caught:
        parse_routes("version: 3\nroutes: []\n", filename="conf/routes.yaml")
    assert caught.value.errors == ["conf/routes.yaml:1: version: unsupported version 3; expected 1"]


def test_invalid_yaml_names_file_and_line() -> None:
    """Text that is not YAML is one error with the line the parser stopped at."""
    assert errors_of("version: 1\nroutes:\n  - name: [a\n") == [
        "routes.yaml:4: invalid YAML: expected ',' or ']', but got '<stream end>'"
    ]


def test_unquoted_comparison_gets_a_quoting_hint() -> None:
    """An unquoted `>=error` fails to parse, and the error says to quote it."""
    text = route_doc("match:\n  severity: >=error\nchannels: ['#a']")
    assert errors_of(text) == [
        'routes.yaml:5: quote values that start with ">" or "!", e.g. severity: ">=error" '
        "(YAML: expected chomping or indentation indicators, but found '=')"
    ]


def test_empty_file_is_an_error() -> None:
    """An empty file says what it needs."""
    assert errors_of("") == ["routes.yaml:1: empty file: expected version: 1 and routes"]


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    """A file that cannot be read is one error naming it."""
    missing = tmp_path / "routes.yaml"
    with pytest.raises(RoutesError) as caught:
        load_routes(missing)
    assert caught.value.errors == [f"{missing}: cannot read: No such file or directory"]


def test_load_routes_names_the_path_as_given(tmp_path: Path) -> None:
    """load_routes reports errors under the path it was given."""
    path = tmp_path / "mine.yaml"
    path.write_text("version: 1\nroutes: [{name: a, channels: ['#a']}]\n")
    with pytest.raises(RoutesError) as caught:
        load_routes(str(path))
    assert caught.value.errors == [f"{path}:2: routes[0].match: required key is missing"]


QUIET = "{start: '22:00', end: '07:00', timezone: Europe/Berlin}"


def test_noise_control_compiles() -> None:
    """dedup_window is a duration and quiet_hours a window with its zone and days."""
    text = route_doc(
        """
        match: {}
        channels: ['#a']
        dedup_window: 10m
        quiet_hours: {start: '22:00', end: '07:00:30', timezone: Europe/Berlin, days: [fri, sat]}
        """
    )
    route = parse_routes(text).routes[0]
    assert route.dedup_window == timedelta(minutes=10)
    assert route.quiet_hours == QuietHours(
        time(22), time(7, 0, 30), ZoneInfo("Europe/Berlin"), frozenset({4, 5})
    )


def test_unquoted_times_are_read_as_written() -> None:
    """`start: 22:00` (a YAML 1.1 sexagesimal number) is still the time 22:00."""
    text = route_doc(
        "match: {}\nchannels: ['#a']\nquiet_hours: {start: 22:00, end: 7:00, timezone: UTC}"
    )
    quiet = parse_routes(text).routes[0].quiet_hours
    assert quiet is not None
    assert (quiet.start, quiet.end) == (time(22), time(7))


def test_defaults_apply_to_routes_that_do_not_say_and_off_cancels_them() -> None:
    """Routes and the unrouted target take defaults' noise control; `off` or their own win."""
    text = yaml_text(
        f"""
        version: 1
        defaults: {{dedup_window: 5m, quiet_hours: {QUIET}, unrouted: "#misc"}}
        routes:
          - {{name: plain, match: {{}}, channels: ['#a']}}
          - {{name: off, match: {{}}, channels: ['#b'], dedup_window: off, quiet_hours: off}}
          - {{name: own, match: {{}}, channels: ['#c'], dedup_window: 30s}}
        """
    )
    table = parse_routes(text)
    plain, off, own = table.routes
    assert (plain.dedup_window, str(plain.quiet_hours)) == (
        timedelta(minutes=5),
        "22:00–07:00 Europe/Berlin",
    )
    assert (off.dedup_window, off.quiet_hours) == (None, None)
    assert (own.dedup_window, own.quiet_hours) == (timedelta(seconds=30), plain.quiet_hours)
    assert table.defaults.dedup_window == timedelta(minutes=5)
    event = Event(id="1", source="github", type="github.ping", time=T0, receivedat=T0, title="ping")
    (unrouted,) = parse_routes(text.replace("match: {}", "match: {source: x}")).route(event).targets
    assert (unrouted.dedup_window, unrouted.quiet_hours) == (
        timedelta(minutes=5),
        plain.quiet_hours,
    )


def test_target_takes_noise_control_from_the_first_route() -> None:
    """Two routes to one channel: the first one's dedup_window and quiet_hours apply."""
    text = yaml_text(
        f"""
        version: 1
        routes:
          - {{name: one, match: {{}}, channels: ['#a'], dedup_window: 1m}}
          - {{name: two, match: {{}}, channels: ['#a'], dedup_window: 1h, quiet_hours: {QUIET}}}
        """
    )
    event = Event(id="1", source="github", type="github.ping", time=T0, receivedat=T0, title="ping")
    (target,) = parse_routes(text).route(event).targets
    assert target.routes == ("one", "two")
    assert (target.dedup_window, target.quiet_hours) == (timedelta(minutes=1), None)


@pytest.mark.parametrize(
    ("route", "error"),
    [
        pytest.param(
            "dedup_window: soon",
            "routes.yaml:6: routes[0].dedup_window: 'soon' is not a duration "
            "(use e.g. 30s, 15m, 24h, 7d)",
            id="bad-duration",
        ),
        pytest.param(
            "dedup_window: 0s",
            "routes.yaml:6: routes[0].dedup_window: must be longer than 0 (or off)",
            id="zero-duration",
        ),
        pytest.param(
            "quiet_hours: {start: '25:00', end: '07:00', timezone: UTC}",
            "routes.yaml:6: routes[0].quiet_hours.start: '25:00' is not a time of day: "
            "write HH:MM (24-hour), e.g. '22:00'",
            id="bad-time",
        ),
        pytest.param(
            "quiet_hours: {start: '22:00', end: '07:00', timezone: Europe/Berln}",
            "routes.yaml:6: routes[0].quiet_hours.timezone: 'Europe/Berln' is not a known "
            "time zone: use an IANA name like 'Europe/Berlin' or 'UTC'",
            id="unknown-zone",
        ),
        pytest.param(
            "quiet_hours: {start: '22:00', end: '07:00', timezone: UTC, days: [mon, funday]}",
            "routes.yaml:6: routes[0].quiet_hours.days[1]: 'funday' is not a day: "
            "use mon, tue, wed, thu, fri, sat, sun",
            id="bad-day",
        ),
        pytest.param(
            "quiet_hours: {start: '22:00', end: '07:00', timezone: UTC, days: []}",
            "routes.yaml:6: routes[0].quiet_hours.days: must not be an empty list",
            id="no-days",
        ),
        pytest.param(
            "quiet_hours: {start: '22:00', end: '22:00', timezone: UTC}",
            "routes.yaml:6: routes[0].quiet_hours: start and end are the same time: "
            "the window would be empty",
            id="empty-window",
        ),
        pytest.param(
            "quiet_hours: {start: '22:00', end: '07:00'}",
            "routes.yaml:6: routes[0].quiet_hours.timezone: required key is missing",
            id="no-zone",
        ),
        pytest.param(
            "quiet_hours: {start: '22:00', end: '07:00', timezone: UTC, tz: UTC}",
            "routes.yaml:6: routes[0].quiet_hours.tz: unknown key; "
            "expected one of start, end, timezone, days",
            id="unknown-quiet-key",
        ),
        pytest.param(
            "quiet_hours: '22:00-07:00'",
            "routes.yaml:6: routes[0].quiet_hours: expected a mapping, got '22:00-07:00'",
            id="quiet-not-a-mapping",
        ),
    ],
)
def test_bad_noise_control_reports_one_exact_error(route: str, error: str) -> None:
    """Each mistake in dedup_window or quiet_hours names file, line and key exactly."""
    assert errors_of(route_doc(f"match: {{}}\nchannels: ['#a']\n{route}")) == [error]


def test_bad_defaults_noise_control_names_the_defaults_key() -> None:
    """A mistake under defaults: is reported at defaults.<key>."""
    text = "version: 1\ndefaults:\n  dedup_window: -5m\nroutes: []\n"
    assert errors_of(text) == [
        "routes.yaml:3: defaults.dedup_window: '-5m' is not a duration (use e.g. 30s, 15m, 24h, 7d)"
    ]


@pytest.mark.parametrize(
    ("routes", "line", "advice"),
    [
        (
            "  - name: ci\n    match: {source: travis}\n    channels: [#ci]\n",
            5,
            'a value starting with "#" is a comment in YAML, so the value is lost: quote it',
        ),
        (
            "  - name: ci\n    match: {actor: *[bot]}\n    channels: ['#ci']\n",
            4,
            'a value starting with "*" (or "&") is special in YAML: quote it',
        ),
        (
            "  - name: ci\n    match: {source: travis}\n     channels: ['#ci']\n",
            5,
            "the indentation does not line up",
        ),
    ],
)
def test_yaml_mistakes_are_told_in_the_authors_words(routes: str, line: int, advice: str) -> None:
    """An unquoted #channel, a value starting with *, or a misindented key names its line and
    says what to write, the parser's own words coming after."""
    with pytest.raises(RoutesError) as caught:
        parse_routes(f"version: 1\nroutes:\n{routes}")
    (message,) = caught.value.errors
    assert message.startswith(f"routes.yaml:{line}: {advice}")
    assert "(YAML: " in message


def test_an_alias_that_looks_like_a_channel_suggests_the_channel() -> None:
    """`unrouted: general` with no such alias suggests writing the channel "#general"."""
    with pytest.raises(
        RoutesError,
        match="undefined alias 'general'; a channel is written with its # and quoted, \"#general\"",
    ):
        parse_routes("version: 1\ndefaults: {unrouted: general}\nroutes: []\n")
