"""Loading routes.yaml: what compiles, and the exact error for everything that does not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.routes import RoutesError, load_routes, parse_routes

REPO = Path(__file__).resolve().parent.parent


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
            "channels, mention, stop, thread, digest",
            id="unknown-route-key",
        ),
        pytest.param(
            "version: 1\nroutes: []\nchanels: {}\n",
            "routes.yaml:3: chanels: unknown key; did you mean 'channels'?",
            id="unknown-top-key",
        ),
        pytest.param(
            route_doc("match: {}\nchannels: [firehose]"),
            "routes.yaml:5: routes[0].channels[0]: undefined alias 'firehose'",
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
            "routes.yaml:2: defaults.unrouted: undefined alias 'firehose'",
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
    """The DESIGN's example error comes out exactly: a bad severity in the third route."""
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
        "routes.yaml:2: defaults.unrouted: undefined alias 'nowhere'",
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
        "routes.yaml:5: invalid YAML: expected chomping or indentation indicators, but found '='"
        ' (quote values that start with ">" or "!", e.g. ">=error")'
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
