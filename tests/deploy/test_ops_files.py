"""The Grafana dashboard and Prometheus rules in deploy/ are valid and use only hub's metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

import hub.core.metrics
from tests.paths import REPO

RULES = REPO / "deploy" / "prometheus" / "hub-rules.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "hub-dashboard.json"
METRIC_NAME = re.compile(r"\bhub_[a-z_]+")
# The sample names each metric type exposes (prometheus_client's text format, `_created` aside).
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}
SPOOLING = "hub_spool_depth"
PUBLISHED = 'hub_events_published_total{source="github"}'


@pytest.fixture(scope="module")
def promtool() -> str:
    """The promtool binary; the test fails (never skips) when it is not installed."""
    path = shutil.which("promtool")
    assert path, "promtool is missing: run scripts/test-tools.sh"
    return path


def families() -> dict[str, str]:
    """Every metric family hub.metrics defines: name (without suffix) -> type."""
    found: dict[str, str] = {}
    for value in vars(hub.core.metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.collect():
                found[family.name] = family.type
    return found


def exposed_names() -> set[str]:
    """Every sample name hub's metrics can put on /metrics."""
    return {name + s for name, kind in families().items() for s in SUFFIXES[kind]}


def test_rules_pass_promtool_check(promtool: str) -> None:
    """`promtool check rules` accepts deploy/prometheus/hub-rules.yml."""
    result = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_severity_summary_and_description() -> None:
    """Each alert carries a severity label and summary and description annotations."""
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    assert {r["alert"] for r in rules} == {
        "HubDeadLettersGrowing",
        "HubSpoolNotEmpty",
        "HubSlackAuthFailing",
        "HubNoEvents",
        "HubDeliveryLatencyHigh",
    }
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]


def firing(*alerts: dict[str, str]) -> list[dict[str, Any]]:
    """The ALERTS samples promtool should find firing."""
    samples = []
    for labels in alerts:
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        samples.append({"labels": f'ALERTS{{alertstate="firing", {inner}}}', "value": 1})
    return samples


def case(series: dict[str, str], *checks: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One promtool test: input series, then the firing alerts expected at given times."""
    return {
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "promql_expr_test": [
            {"expr": 'ALERTS{alertstate="firing"}', "eval_time": at, "exp_samples": samples}
            for at, samples in checks
        ],
    }


def test_alerts_fire_exactly_when_they_should(promtool: str, tmp_path: Path) -> None:
    """On synthetic series each alert fires in its situation and nothing fires on a healthy hub."""
    traffic = {PUBLISHED: "0+10x80", SPOOLING: "0x80"}
    bucket = 'hub_delivery_latency_seconds_bucket{{le="{}"}}'.format
    fast = {bucket(le): "0+10x40" for le in ("1", "60", "300", "+Inf")}
    # 90% of deliveries between 60 s and 300 s: p99 ≈ 297 s.
    slow = {**fast, bucket("1"): "0+1x40", bucket("60"): "0+1x40"}
    tests = [
        case({**traffic, **fast}, ("70m", [])),
        case(
            {**traffic, 'hub_dead_letters_total{reason="channel_not_found"}': "0+1x30"},
            (
                "20m",
                firing(
                    {
                        "alertname": "HubDeadLettersGrowing",
                        "reason": "channel_not_found",
                        "severity": "warning",
                    }
                ),
            ),
        ),
        case(
            {**traffic, 'hub_dead_letters_total{reason="token_revoked"}': "0+2x30"},
            (
                "20m",
                firing(
                    {
                        "alertname": "HubDeadLettersGrowing",
                        "reason": "token_revoked",
                        "severity": "warning",
                    },
                    {"alertname": "HubSlackAuthFailing", "severity": "critical"},
                ),
            ),
        ),
        case(
            {PUBLISHED: "0+10x80", f'{SPOOLING}{{instance="r1:9090"}}': "4x80"},
            ("4m", []),
            (
                "10m",
                firing(
                    {"alertname": "HubSpoolNotEmpty", "instance": "r1:9090", "severity": "warning"}
                ),
            ),
        ),
        case(
            {PUBLISHED: "0+10x30 300x80", SPOOLING: "0x110"},
            ("60m", []),
            ("100m", firing({"alertname": "HubNoEvents", "severity": "warning"})),
        ),
        case(
            {**traffic, **slow},
            ("5m", []),
            ("30m", firing({"alertname": "HubDeliveryLatencyHigh", "severity": "warning"})),
        ),
    ]
    spec = tmp_path / "hub-rules.test.yml"
    spec.write_text(
        yaml.safe_dump({"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": tests})
    )
    result = subprocess.run(
        [promtool, "test", "rules", str(spec)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def rule_queries() -> list[str]:
    """The PromQL of every rule."""
    return [r["expr"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def dashboard_queries() -> list[str]:
    """The PromQL of every panel target and template variable."""
    dashboard = json.loads(DASHBOARD.read_text())
    targets = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    variables = [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    return targets + variables


@pytest.mark.parametrize("queries", [rule_queries, dashboard_queries], ids=["rules", "dashboard"])
def test_every_metric_name_queried_exists_in_hub_metrics(queries: Callable[[], list[str]]) -> None:
    """Each hub_* name a query uses is a sample name hub.metrics exposes, with the right suffix."""
    used = {name for query in queries() for name in METRIC_NAME.findall(query)}
    assert used, "no hub_* metric queried"
    assert used <= exposed_names(), sorted(used - exposed_names())


def test_dashboard_shows_every_metric_family_through_the_datasource_variable() -> None:
    """Every hub metric family is on the dashboard, and every panel queries ${datasource}."""
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
    used = {
        base
        for name in METRIC_NAME.findall(" ".join(dashboard_queries()))
        for base in families()
        if name.startswith(base)
        and name[len(base) :] in ("", "_total", "_bucket", "_sum", "_count")
    }
    assert used == set(families()), sorted(set(families()) - used)


def test_operations_doc_lists_every_metric() -> None:
    """docs/operations.md has a row for every metric hub.metrics defines, under its exposed name."""
    doc = (REPO / "docs" / "operations.md").read_text()
    rows = set(re.findall(r"^\| `(hub_[a-z_]+)` \|", doc, flags=re.MULTILINE))
    exposed = {name + ("_total" if kind == "counter" else "") for name, kind in families().items()}
    assert rows == exposed
