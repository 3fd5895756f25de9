"""Golden files: each shared fixture rendered for Slack, compared with what a person reviewed."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters import alertmanager, ansible, grafana, kapacitor, travis
from adapters.github import adapter as github
from adapters.sentry import adapter as sentry
from adapters.slack.render import render, render_digest, render_reply
from hub.core.event import Event
from hub.core.sources import SourceAdapter, WebhookRequest
from tests.adapters.slack.test_render import assert_valid_message
from tests.paths import FIXTURES, GOLDEN, REPO

DOCS = REPO / "docs" / "slack-messages.md"
# An example in the docs: a marker naming the golden file, then its JSON in a fenced block.
_EXAMPLE = re.compile(r"(<!-- golden: (\S+) -->\n)```json\n(.*?)^```$", re.DOTALL | re.MULTILINE)
RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ROUTES = ["golden"]
ANNOTATIONS = {
    "since": "2024-05-01T11:58:00Z",
    "previous_state": "ok",
    "acknowledged_by": "<@U024BE7LH>",
    "acknowledged_at": "2024-05-01T12:01:00Z",
    "updates": "2",
}
ADAPTERS: dict[str, SourceAdapter] = {
    "github": github.ADAPTER,
    "travis": travis.ADAPTER,
    "kapacitor": kapacitor.ADAPTER,
    "sentry": sentry.ADAPTER,
    "ansible": ansible.ADAPTER,
    "alertmanager": alertmanager.ADAPTER,
    "grafana": grafana.ADAPTER,
}
PATHS = sorted(p for p in FIXTURES.glob("*/*.json") if p.parent.name in ADAPTERS)
NAMES = [f"{p.parent.name}/{p.name}" for p in PATHS]


def fixture_event(name: str) -> Event:
    """The event a shared fixture normalizes to, with fixed delivery ids, clock and timestamps."""
    path = FIXTURES / name
    sender, kind = path.parent.name, path.name.split(".", 1)[0]
    fixed_id = uuid.uuid5(uuid.NAMESPACE_URL, f"hub-golden:{name}")
    headers = {"Content-Type": "application/json"}
    if sender == "github":
        headers |= {"X-GitHub-Event": kind, "X-GitHub-Delivery": str(fixed_id)}
    elif sender == "sentry":
        headers |= {
            "Sentry-Hook-Resource": kind,
            "Request-ID": fixed_id.hex,
            "Sentry-Hook-Timestamp": str(int(RECEIVED.timestamp())),
        }
    elif sender == "travis":
        headers["Travis-Repo-Slug"] = "svenfuchs/minimal"
    request = WebhookRequest(headers=headers, body=path.read_bytes(), received_at=RECEIVED)
    return ADAPTERS[sender].normalize(request)


def golden_path(name: str, variant: str = "") -> Path:
    """tests/adapters/slack/golden/<sender>/<fixture>.json, or <fixture>.<variant>.json."""
    stem = name.removesuffix(".json")
    return GOLDEN / f"{stem}{'.' + variant if variant else ''}.json"


def check_golden(path: Path, message: dict[str, Any]) -> None:
    """`message` is valid and equals the golden file (rewritten only with HUB_UPDATE_GOLDEN=1)."""
    assert_valid_message(message)
    text = json.dumps(message, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("HUB_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    hint = "if the change is intended, rerun with HUB_UPDATE_GOLDEN=1 and review the diff"
    assert path.is_file(), f"{path.relative_to(GOLDEN)} is missing: {hint}"
    assert path.read_text(encoding="utf-8") == text, f"{path.relative_to(GOLDEN)} differs: {hint}"


def threaded(name: str) -> bool:
    """Whether the fixture's event joins a thread, so it may arrive as a reply."""
    return fixture_event(name).threadkey is not None


def expected_goldens() -> set[Path]:
    """Every golden file the tests below compare against."""
    paths = {golden_path(n) for n in NAMES} | {
        golden_path(n, "reply") for n in NAMES if threaded(n)
    }
    return paths | {GOLDEN / "digest.json", golden_path("kapacitor/alert.critical", "annotated")}


@pytest.mark.parametrize("name", NAMES)
def test_message_matches_golden(name: str) -> None:
    """The standalone (and thread-parent) message of each fixture is the reviewed one."""
    check_golden(golden_path(name), render(fixture_event(name), ROUTES, interactive=True))


@pytest.mark.parametrize("name", [n for n in NAMES if threaded(n)])
def test_reply_matches_golden(name: str) -> None:
    """The thread reply of each fixture that threads is the reviewed one."""
    check_golden(golden_path(name, "reply"), render_reply(fixture_event(name), ROUTES))


def test_digest_matches_golden() -> None:
    """One digest of every fixture is the reviewed one."""
    events = [fixture_event(name) for name in NAMES]
    check_golden(GOLDEN / "digest.json", render_digest(events, ROUTES, reason="burst"))


def test_annotated_thread_parent_matches_golden() -> None:
    """An acknowledged alert's updated parent message is the reviewed one."""
    event = fixture_event("kapacitor/alert.critical.json")
    message = render(
        event, ROUTES, ["<!subteam^S0123ABC>"], interactive=True, annotations=ANNOTATIONS
    )
    check_golden(golden_path("kapacitor/alert.critical", "annotated"), message)


def test_every_fixture_has_golden_files_and_none_is_stale() -> None:
    """The golden folder holds exactly the files the tests compare, so none is forgotten."""
    assert NAMES, f"no shared fixtures found under {FIXTURES}"
    if os.environ.get("HUB_UPDATE_GOLDEN") == "1":
        for stale in set(GOLDEN.rglob("*.json")) - expected_goldens():
            stale.unlink()
    assert set(GOLDEN.rglob("*.json")) == expected_goldens()


def fields_of(message: dict[str, Any]) -> dict[str, str]:
    """The message's fields as name → mrkdwn value."""
    pairs = [
        field["text"].split("\n", 1)
        for block in message["attachments"][0]["blocks"]
        for field in block.get("fields", [])
    ]
    return {name.strip("*"): value for name, value in pairs}


def button_urls(message: dict[str, Any]) -> dict[str, str]:
    """Link buttons as text → url."""
    return {
        element["text"]["text"]: element["url"]
        for block in message["attachments"][0]["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if "url" in element
    }


def test_build_shows_number_branch_commit_author_duration_and_compare() -> None:
    """A Travis build reads like Travis's own Slack message, and links the diff."""
    message = render(fixture_event("travis/build.broken.json"), ROUTES)
    assert fields_of(message) == {
        "Build": "<https://travis-ci.org/svenfuchs/minimal/builds/1|#2>",
        "Branch": "`master`",
        "Commit": "<https://github.com/svenfuchs/minimal/commit/62aae5f70ceee39123ef|62aae5f>",
        "Author": "Sven Fuchs",
        "Duration": "1m",
        "Jobs": "1 failed, 1 passed",
        "Tag": "`v1.0.0`",
    }
    assert button_urls(message)["Compare"] == (
        "https://github.com/svenfuchs/minimal/compare/master...develop"
    )


def test_alert_shows_levels_duration_and_series_values() -> None:
    """A Kapacitor recovery shows the level, the level before, how long, and the values."""
    message = render(fixture_event("kapacitor/alert.ok-recovery.json"), ROUTES)
    fields = fields_of(message)
    assert (fields["Level"], fields["Previous level"], fields["Duration"]) == (
        "*OK*",
        "CRITICAL",
        "3s",
    )
    body = message["attachments"][0]["blocks"][0]["text"]["text"]
    assert "1971-01-01T00:00:11Z  29" in body


def test_sentry_issue_shows_culprit_level_project_and_count() -> None:
    """A Sentry issue shows its culprit as code and Sentry's own facts."""
    message = render(fixture_event("sentry/issue.created.json"), ROUTES)
    assert message["attachments"][0]["blocks"][0]["text"]["text"] == "`?(runner)`"
    fields = fields_of(message)
    assert (fields["Project"], fields["Level"], fields["Events"]) == ("`front-end`", "error", "1")


def test_pull_request_shows_author_labels_reviewers_and_draft_state() -> None:
    """A pull request names its author, status, branches, reviewers, labels and size."""
    event = fixture_event("github/pull_request.opened.json")
    assert fields_of(render(event, ROUTES)) == {
        "Author": "@Codertocat",
        "Status": "Open",
        "Branch": "`changes` → `master`",
        "Reviewers": "@octocat",
        "Labels": "`bug`",
        "Changes": "+1 −1 · 1 file · 1 commit",
    }
    draft = event.model_copy(update={"state": "draft", "labels": event.labels | {"draft": "true"}})
    assert fields_of(render(draft, ROUTES))["Status"] == "Draft"


def test_review_reply_reads_at_a_glance() -> None:
    """A review in a pull request's thread says who approved or commented, in one line."""
    reply = render_reply(fixture_event("github/pull_request_review.submitted.json"), ROUTES)
    assert reply["blocks"][0]["text"]["text"].startswith(
        ":information_source: review *commented* by @Codertocat · "
    )


def test_docs_examples_are_the_golden_files() -> None:
    """The Block Kit JSON shown in docs/slack-messages.md is the golden file each example names."""
    doc = DOCS.read_text(encoding="utf-8")
    examples = _EXAMPLE.findall(doc)
    assert examples, f"no golden examples marked in {DOCS}"
    if os.environ.get("HUB_UPDATE_GOLDEN") == "1":
        fresh = _EXAMPLE.sub(
            lambda m: f"{m[1]}```json\n{(GOLDEN / m[2]).read_text(encoding='utf-8')}```", doc
        )
        DOCS.write_text(fresh, encoding="utf-8")
        return
    for name, shown in [(m[2], m[3]) for m in _EXAMPLE.finditer(doc)]:
        assert json.loads(shown) == json.loads((GOLDEN / name).read_text(encoding="utf-8")), name


def test_grafana_alert_links_its_panel_dashboard_and_silence() -> None:
    """A Grafana alert with a panel shows Panel, Dashboard and Silence buttons."""
    message = render(fixture_event("grafana/firing.panel.json"), ROUTES)
    assert button_urls(message) == {
        "Panel": "http://localhost/d/abcd?orgId=1&viewPanel=efgh",
        "Dashboard": "http://localhost/d/abcd?orgId=1",
        "Silence": "http://localhost/alerting/silence/new?alertmanager=grafana"
        "&matcher=alertname%3Dalert1&matcher=lbl1%3Dval1&orgId=1",
    }


def test_lone_grafana_alert_shows_its_values_as_fields() -> None:
    """The values of a notification's only alert are fields of their own."""
    body = json.loads((FIXTURES / "grafana/firing.json").read_bytes())
    body["alerts"] = body["alerts"][:1]
    request = WebhookRequest(
        headers={"Content-Type": "application/json"},
        body=json.dumps(body).encode(),
        received_at=RECEIVED,
    )
    fields = fields_of(render(grafana.ADAPTER.normalize(request), ROUTES))
    assert (fields["B"], fields["C"], fields["Status"]) == ("44.239", "1", "*1 firing*")


def test_alert_group_lists_firing_alerts_before_resolved_ones() -> None:
    """A partly resolved Alertmanager group lists what still fires first, then what resolved."""
    message = render(fixture_event("alertmanager/firing.some-resolved.json"), ROUTES)
    body = message["attachments"][0]["blocks"][0]["text"]["text"]
    assert body.index("*Firing (1)*") < body.index("web-1") < body.index("*Resolved (1)*")
    assert fields_of(message)["Status"] == "*1 firing, 1 resolved*"
