"""Routing events through a compiled routes.yaml: matching, fan-out, and explanations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.core.severity import Severity
from hub.routes.load import load_routes
from hub.routes.table import Target
from tests.paths import REPO
from tests.routes.helpers import event, one, table


def test_severity_condition_routes_by_rank() -> None:
    """A severity condition matches the events whose severity it admits, lists any-of."""
    assert one("{severity: '>=error'}", severity=Severity.CRITICAL)
    assert not one("{severity: '>=error'}", severity=Severity.WARNING)
    assert one("{severity: [info, '>=error']}", severity=Severity.INFO)


def test_labels_match_by_name() -> None:
    """A labels condition needs each named label present and matching any of its values."""
    assert one("{labels: {env: prod}}", labels={"env": "prod", "host": "web-1"})
    assert one("{labels: {env: [prod, 'stag*']}}", labels={"env": "staging"})
    assert not one("{labels: {env: prod, host: 'db-*'}}", labels={"env": "prod", "host": "web-1"})


def test_missing_key_never_matches() -> None:
    """A key the event lacks (no branch, no label) does not match, not even `*`."""
    assert not one("{branch: '*'}", branch=None)
    assert not one("{branch: 're:.*'}", branch=None)
    assert not one("{labels: {env: '*'}}", labels={})


def test_missing_key_never_excludes() -> None:
    """An exclude on a key the event lacks does not exclude it."""
    routes = table("- {name: r, match: {}, exclude: [{actor: '*'}], channels: ['#a']}")
    assert routes.route(event(actor=None)).matched == ("r",)
    assert routes.route(event(actor="octocat")).matched == ()


def test_exclude_blocks_are_or_and_keys_are_and() -> None:
    """Any matching exclude block drops the route; inside a block every key must match."""
    routes = table(
        """
        - name: r
          match: {source: github}
          exclude: [{actor: '*[bot]', branch: main}, {repo: 'acme/secret'}]
          channels: ['#a']
        """
    )
    assert routes.route(event(actor="dependabot[bot]", branch="dev")).matched == ("r",)
    assert routes.route(event(actor="dependabot[bot]", branch="main")).matched == ()
    assert routes.route(event(repo="acme/secret")).matched == ()


def test_match_blocks_are_or() -> None:
    """A list of match blocks matches when any one block does."""
    routes = table(
        """
        - name: r
          match: [{source: kapacitor, labels: {env: prod}}, {source: sentry, severity: '>=error'}]
          channels: ['#ops']
        """
    )
    assert routes.route(event(source="kapacitor", labels={"env": "prod"})).matched == ("r",)
    assert routes.route(event(source="sentry", severity=Severity.ERROR)).matched == ("r",)
    assert routes.route(event(source="sentry")).matched == ()
    assert routes.route(event(source="github", severity=Severity.ERROR)).matched == ()


def test_fan_out_dedups_channels_in_first_seen_order() -> None:
    """Every matching route adds its channels; a repeated channel is one target naming both."""
    routes = table(
        """
        - {name: a, match: {}, channels: ['#one', firehose]}
        - {name: b, match: {source: travis}, channels: ['#two']}
        - {name: c, match: {repo: 'acme/*'}, channels: ['#eng-firehose', '#three', '#one']}
        """,
        head="channels: {firehose: '#eng-firehose'}\n",
    )
    decision = routes.route(event())
    assert decision.matched == ("a", "c")
    assert decision.unrouted is False
    assert decision.channels == ("#one", "#eng-firehose", "#three")
    assert [t.routes for t in decision.targets] == [("a", "c"), ("a", "c"), ("c",)]


def test_stop_ends_evaluation_after_a_match() -> None:
    """A matching route with stop keeps its channels and skips every later route."""
    routes = table(
        """
        - {name: a, match: {}, channels: ['#a']}
        - {name: quiet, match: {actor: '*[bot]'}, channels: ['#bots'], stop: true}
        - {name: c, match: {}, channels: ['#c']}
        """
    )
    assert routes.route(event(actor="renovate[bot]")).channels == ("#a", "#bots")
    assert routes.route(event(actor="octocat")).channels == ("#a", "#c")


def test_unrouted_events_go_to_the_default() -> None:
    """An event no route matches goes to defaults.unrouted under the "(unrouted)" pseudo-route."""
    routes = table(
        "- {name: a, match: {source: travis}, channels: ['#a']}",
        head="channels: {firehose: '#eng-firehose'}\ndefaults: {unrouted: firehose, thread: no}\n",
    )
    decision = routes.route(event(severity=Severity.CRITICAL))
    assert decision.targets == (Target("#eng-firehose", ("(unrouted)",), (), False, "auto"),)
    assert (decision.matched, decision.unrouted) == ((), True)


def test_unrouted_events_are_dropped_without_a_default() -> None:
    """Without defaults.unrouted an unmatched event has no targets, and says it was unrouted."""
    routes = table("- {name: a, match: {source: travis}, channels: ['#a']}")
    decision = routes.route(event())
    assert (decision.targets, decision.matched, decision.unrouted) == ((), (), True)


def test_mention_only_at_error_and_above() -> None:
    """Mentions are added, deduplicated across routes, only to events of severity >= error."""
    routes = table(
        """
        - {name: a, match: {}, channels: ['#a'], mention: ['<!here>', '<@U1>']}
        - {name: b, match: {}, channels: ['#a', '#b'], mention: ['<@U1>', '<@U2>']}
        """
    )
    loud = routes.route(event(severity=Severity.ERROR)).targets
    assert [t.mention for t in loud] == [("<!here>", "<@U1>", "<@U2>"), ("<@U1>", "<@U2>")]
    quiet = routes.route(event(severity=Severity.WARNING)).targets
    assert [t.mention for t in quiet] == [(), ()]


def test_thread_and_digest_follow_the_first_route_to_a_channel() -> None:
    """A route's thread overrides defaults.thread; the first route sending to a channel decides."""
    routes = table(
        """
        - {name: a, match: {source: sentry}, channels: ['#a'], thread: true, digest: 'off'}
        - {name: b, match: {}, channels: ['#a', '#b']}
        """,
        head="defaults: {thread: false}\n",
    )
    sentry = routes.route(event(source="sentry")).targets
    assert [(t.thread, t.digest) for t in sentry] == [(True, "off"), (False, "auto")]
    github = routes.route(event()).targets
    assert [(t.thread, t.digest) for t in github] == [(False, "auto"), (False, "auto")]


def test_route_order_holds_across_indexed_and_unindexed_routes() -> None:
    """Routes indexed by source, type prefix or repo and unconstrained ones keep file order."""
    routes = table(
        """
        - {name: any1, match: {branch: main}, channels: ['#a']}
        - {name: src, match: {source: github}, channels: ['#b']}
        - {name: prefix, match: {type: 'github.pu*'}, channels: ['#c']}
        - {name: other, match: {source: travis}, channels: ['#d']}
        - {name: either, match: [{source: travis}, {repo: acme/api}], channels: ['#e']}
        - {name: any2, match: {severity: '<=info'}, channels: ['#f']}
        """
    )
    assert routes.route(event()).matched == ("any1", "src", "prefix", "either", "any2")
    assert routes.route(event(type="github.ping")).matched == ("any1", "src", "either", "any2")
    travis = event(source="travis", type="travis.build.failed", repo=None, severity="error")
    assert routes.route(travis).matched == ("any1", "other", "either")


def test_cached_candidates_still_check_every_condition() -> None:
    """Two events alike in source, type, repo and severity are each matched on their own fields."""
    routes = table("- {name: r, match: {source: github, branch: main}, channels: ['#a']}")
    assert routes.route(event(branch="main")).matched == ("r",)
    assert routes.route(event(branch="dev")).matched == ()


def test_explain_gives_the_first_failing_condition() -> None:
    """NO-MATCH names the first failing condition of each block; MATCH says which block held."""
    routes = table(
        """
        - name: ci
          match: [{source: github, branch: [main, 'release/*']}, {source: travis}]
          channels: ['#ci']
        - {name: bots, match: {}, exclude: [{actor: '*[bot]'}], channels: ['#a']}
        - {name: tags, match: {branch: main, labels: {env: prod}}, channels: ['#b']}
        - {name: prod, match: {labels: {env: prod}}, channels: ['#b']}
        - {name: loud, match: {severity: '>=error'}, channels: ['#c'], stop: true}
        - {name: after, match: {}, channels: ['#d']}
        """
    )
    explained = routes.explain(event(branch="feature/x", actor="dependabot[bot]"))
    assert [(e.route, e.matched, e.reason) for e in explained] == [
        (
            "ci",
            False,
            "match[0].branch: 'feature/x' does not match 'main' or 'release/*'; "
            "match[1].source: 'github' does not match 'travis'",
        ),
        ("bots", False, "exclude[0] matched: actor 'dependabot[bot]' matches '*[bot]'"),
        ("tags", False, "match.branch: 'feature/x' does not match 'main'"),
        ("prod", False, "match.labels.env: event has no label 'env'"),
        ("loud", False, "match.severity: 'info' is not >=error"),
        ("after", True, "match matched: no conditions, so every event"),
    ]
    stopped = routes.explain(event(branch=None, severity=Severity.ERROR))
    assert [(e.route, e.matched, e.reason) for e in stopped][2:] == [
        ("tags", False, "match.branch: event has no branch"),
        ("prod", False, "match.labels.env: event has no label 'env'"),
        (
            "loud",
            True,
            "match matched: severity 'error' is >=error; stop: later routes are not evaluated",
        ),
        ("after", False, "not evaluated: stopped by route 'loud'"),
    ]


def test_describe_channel_lists_routes_sending_there() -> None:
    """describe_channel resolves aliases and lists the routes (and the unrouted default)."""
    routes = table(
        """
        - {name: a, match: {}, channels: [firehose]}
        - {name: b, match: {}, channels: ['#b']}
        - {name: c, match: {}, channels: ['#eng-firehose', '#b']}
        """,
        head="channels: {firehose: '#eng-firehose'}\ndefaults: {unrouted: firehose}\n",
    )
    assert routes.describe_channel("firehose") == ["a", "c", "(unrouted)"]
    assert routes.describe_channel("#b") == ["b", "c"]
    assert routes.describe_channel("#nowhere") == []


def test_repo_routes_yaml_routes_real_events() -> None:
    """The default routes.yaml sends CI failures to #ci, prod alerts to ops, others to firehose."""
    routes = load_routes(REPO / "routes.yaml")
    failed = event(source="travis", type="travis.build.failed", severity=Severity.ERROR)
    assert routes.route(failed).channels == ("#ci",)
    alert = event(
        source="kapacitor",
        type="kapacitor.alert.critical",
        severity=Severity.CRITICAL,
        repo=None,
        branch=None,
        labels={"env": "prod"},
    )
    (target,) = routes.route(alert).targets
    assert (target.channel, target.mention, target.digest) == ("#ops-alerts", ("<!here>",), "off")
    assert routes.route(event(type="github.ping")).targets[0].routes == ("(unrouted)",)


SOURCES = st.sampled_from(["github", "travis", "sentry"])
TYPES = st.sampled_from(["github.push", "github.pull_request.opened", "travis.build.failed"])
OPTIONAL = st.sampled_from([None, "main", "dev", "acme/api", "dependabot[bot]"])
EXPLAINED = table(
    """
    - {name: a, match: {source: github, type: 'github.pull*'}, channels: ['#a']}
    - name: b
      match: [{repo: acme/api}, {branch: main}]
      exclude: [{actor: '*[bot]'}]
      channels: ['#b']
    - {name: c, match: {source: [travis, sentry], severity: '>=warning'}, channels: ['#a']}
    - {name: d, match: {branch: 'de?'}, channels: ['#d'], stop: true}
    - {name: e, match: {}, channels: ['#e']}
    """
)


@given(
    source=SOURCES,
    type_=TYPES,
    repo=OPTIONAL,
    branch=OPTIONAL,
    actor=OPTIONAL,
    severity=st.sampled_from(list(Severity)),
)
def test_explain_agrees_with_route(
    source: str,
    type_: str,
    repo: str | None,
    branch: str | None,
    actor: str | None,
    severity: Severity,
) -> None:
    """explain marks as matched exactly the routes that route() reports."""
    e = event(source=source, type=type_, repo=repo, branch=branch, actor=actor, severity=severity)
    explained = tuple(x.route for x in EXPLAINED.explain(e) if x.matched)
    assert explained == EXPLAINED.route(e).matched


def test_repo_routes_yaml_threads_sentry_metric_alerts_and_alert_groups() -> None:
    """A metric alert's resolution joins its critical in #errors; prod alert groups go to ops."""
    routes = load_routes(REPO / "routes.yaml")
    critical, resolved = (
        event(source="sentry", type=f"sentry.metric_alert.{action}", severity=severity)
        for action, severity in (("critical", Severity.CRITICAL), ("resolved", Severity.SUCCESS))
    )
    assert routes.route(resolved).channels == routes.route(critical).channels == ("#errors",)
    for source in ("alertmanager", "grafana"):
        for state, severity in (("firing", Severity.ERROR), ("resolved", Severity.SUCCESS)):
            group = event(
                source=source,
                type=f"{source}.alert.{state}",
                severity=severity,
                repo=None,
                branch=None,
                labels={"env": "prod", "alertname": "HighRequestLatency"},
            )
            assert routes.route(group).channels == ("#ops-alerts",)
