"""The GitHub adapter: X-Hub-Signature-256 verification and normalization of every event kind."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.github.adapter import ADAPTER, KINDS
from hub.core.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.core.event import Event
from hub.core.severity import Severity
from hub.core.sources import WebhookRequest, body_id
from hub.testing import signing
from tests.adapter_support import (
    NOT_JSON_OBJECTS,
    RECEIVED,
    assert_carries_payload,
    assert_cloudevent,
    assert_event_or_bad_payload,
    assert_serializable,
    digest,
    from_signed,
    webhook_request,
)

SECRET = signing.GITHUB_SECRET
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
REPO = "Codertocat/Hello-World"
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def sign(body: bytes) -> str:
    """The X-Hub-Signature-256 value GitHub sends for `body`."""
    return signing.github(body, "push").headers["X-Hub-Signature-256"]


def make_request(
    body: bytes,
    event: str | None = "push",
    *,
    content_type: str | None = JSON,
    signature: str | None = None,
    delivery: str | None = DELIVERY,
) -> WebhookRequest:
    """A delivery as the receiver hands it over; a None header is left out."""
    headers = {
        "Content-Type": content_type,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature,
    }
    return webhook_request(body, headers)


def normalize(payload: dict[str, Any], event: str) -> Event:
    """Normalize a payload sent as a JSON body."""
    return ADAPTER.normalize(make_request(json.dumps(payload).encode(), event))


def fixture(fixtures_dir: Path, name: str) -> dict[str, Any]:
    """A GitHub fixture, parsed, for building variants of it."""
    loaded: dict[str, Any] = json.loads((fixtures_dir / "github" / name).read_bytes())
    return loaded


@dataclass(frozen=True)
class Expected:
    """What one fixture must normalize to."""

    type: str
    severity: Severity
    state: str | None
    subject: str | None
    threadkey: str | None
    branch: str | None
    url: str | None
    title: str
    labels: dict[str, str] = field(default_factory=dict)
    repo: str = REPO
    actor: str = "Codertocat"
    time: str | None = None


PR_TITLE = "Update the README with new information."
PR_HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PR_LABELS = {"head_branch": "changes", "draft": "false", "labels": "bug", "commit": PR_HEAD}
CHECK_LABELS = {"check": "Octocoders-linter", "status": "completed", "commit": PR_HEAD}
RUN_LABELS = {
    "workflow": "test",
    "status": "completed",
    "trigger": "repository_dispatch",
    "commit": "3484a3fb816e0859fd6e1cea078d76385ff50625",
}
EXPECTED = {
    "check_run.completed-failure.json": Expected(
        type="github.check_run.completed",
        severity=Severity.ERROR,
        state="failure",
        subject=f"{REPO} check Octocoders-linter",
        threadkey=f"github:{REPO}:check_suite:118578147",
        branch="changes",
        url=f"https://github.com/{REPO}/runs/128620228",
        title=f"Check Octocoders-linter failed on changes in {REPO}",
        labels=CHECK_LABELS | {"conclusion": "failure", "app": "github-actions"},
        time="2019-05-15T15:21:12Z",
    ),
    "check_run.completed-success.json": Expected(
        type="github.check_run.completed",
        severity=Severity.SUCCESS,
        state="success",
        subject=f"{REPO} check Octocoders-linter",
        threadkey=f"github:{REPO}:check_suite:118578147",
        branch="changes",
        url=f"https://github.com/{REPO}/runs/128620228",
        title=f"Check Octocoders-linter succeeded on changes in {REPO}",
        labels=CHECK_LABELS | {"conclusion": "success", "app": "octocoders-linter"},
        time="2019-05-15T15:21:12Z",
    ),
    "create.tag.json": Expected(
        type="github.create",
        severity=Severity.INFO,
        state="created",
        subject=f"{REPO} simple-tag",
        threadkey=None,
        branch=None,
        url=f"https://github.com/{REPO}/releases/tag/simple-tag",
        title=f"Codertocat created tag simple-tag in {REPO}",
        labels={"ref_type": "tag", "tag": "simple-tag"},
        time="2024-05-01T12:00:00Z",
    ),
    "deployment_status.created-success.json": Expected(
        type="github.deployment_status.created",
        severity=Severity.SUCCESS,
        state="success",
        subject=f"{REPO} deployment to production",
        threadkey=f"github:{REPO}:deployment:145988746",
        branch=None,
        url=f"https://github.com/{REPO}",
        title=f"Deployment of master to production succeeded in {REPO}",
        labels={
            "environment": "production",
            "ref": "master",
            "task": "deploy",
            "commit": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        },
        time="2019-05-15T15:20:55Z",
    ),
    "issue_comment.created.json": Expected(
        type="github.issue_comment.created",
        severity=Severity.INFO,
        state="opened",
        subject=f"{REPO}#1",
        threadkey=f"github:{REPO}:issue:1",
        branch=None,
        url=f"https://github.com/{REPO}/issues/1#issuecomment-492700400",
        title=f"Codertocat commented on issue #1 in {REPO}: Spelling error in the README file",
        labels={"pr": "false", "labels": "bug"},
        time="2019-05-15T15:20:21Z",
    ),
    "issues.opened.json": Expected(
        type="github.issues.opened",
        severity=Severity.INFO,
        state="opened",
        subject=f"{REPO}#1",
        threadkey=f"github:{REPO}:issue:1",
        branch=None,
        url=f"https://github.com/{REPO}/issues/1",
        title=f"Codertocat opened issue #1 in {REPO}: Spelling error in the README file",
        labels={"labels": "bug"},
        time="2019-05-15T15:20:18Z",
    ),
    "ping.json": Expected(
        type="github.ping",
        severity=Severity.INFO,
        state=None,
        subject="Octocoders/Hello-World",
        threadkey=None,
        branch=None,
        url="https://github.com/Octocoders/Hello-World",
        title="GitHub webhook 109948940 is working for Octocoders/Hello-World",
        labels={"hook_id": "109948940", "hook_type": "Repository"},
        repo="Octocoders/Hello-World",
        time="2024-05-01T12:00:00Z",
    ),
    "pull_request.closed-merged.json": Expected(
        type="github.pull_request.closed",
        severity=Severity.SUCCESS,
        state="merged",
        subject=f"{REPO}#2",
        threadkey=f"github:{REPO}:pr:2",
        branch="master",
        url=f"https://github.com/{REPO}/pull/2",
        title=f"Codertocat merged pull request #2 in {REPO}: {PR_TITLE}",
        labels=PR_LABELS
        | {"merged": "true", "merge_commit": "c4295bd74fb0f4fda03689c3df3f2803b658fd85"},
        time="2019-05-15T15:21:18Z",
    ),
    "pull_request.opened.json": Expected(
        type="github.pull_request.opened",
        severity=Severity.INFO,
        state="opened",
        subject=f"{REPO}#2",
        threadkey=f"github:{REPO}:pr:2",
        branch="master",
        url=f"https://github.com/{REPO}/pull/2",
        title=f"Codertocat opened pull request #2 in {REPO}: {PR_TITLE}",
        labels=PR_LABELS | {"merged": "false"},
        time="2019-05-15T15:20:33Z",
    ),
    "pull_request.synchronize.json": Expected(
        type="github.pull_request.synchronize",
        severity=Severity.INFO,
        state="opened",
        subject=f"{REPO}#2",
        threadkey=f"github:{REPO}:pr:2",
        branch="master",
        url=f"https://github.com/{REPO}/pull/2",
        title=f"Codertocat pushed to pull request #2 in {REPO}: {PR_TITLE}",
        labels=PR_LABELS | {"merged": "false"},
        time="2019-05-15T15:20:33Z",
    ),
    "pull_request_review.submitted.json": Expected(
        type="github.pull_request_review.submitted",
        severity=Severity.INFO,
        state="opened",
        subject=f"{REPO}#2",
        threadkey=f"github:{REPO}:pr:2",
        branch="master",
        url=f"https://github.com/{REPO}/pull/2#pullrequestreview-237895671",
        title=f"Codertocat reviewed pull request #2 in {REPO}: {PR_TITLE}",
        labels=PR_LABELS | {"merged": "false", "review_state": "commented"},
        time="2019-05-15T15:20:38Z",
    ),
    "push.branch-with-commits.json": Expected(
        type="github.push",
        severity=Severity.INFO,
        state="created",
        subject=f"{REPO}@master",
        threadkey=f"github:{REPO}:push:master",
        branch="master",
        url=f"https://github.com/{REPO}/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        title=f"Codertocat created branch master in {REPO} with 1 commit",
        labels={
            "ref_type": "branch",
            "forced": "false",
            "commit": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        },
        time="2019-05-15T15:19:25Z",
    ),
    "release.published.json": Expected(
        type="github.release.published",
        severity=Severity.INFO,
        state="published",
        subject=f"{REPO} 0.0.1",
        threadkey=f"github:{REPO}:release:0.0.1",
        branch=None,
        url=f"https://github.com/{REPO}/releases/tag/0.0.1",
        title=f"Codertocat published release 0.0.1 in {REPO}",
        labels={"tag": "0.0.1", "target": "master", "draft": "false", "prerelease": "false"},
        time="2019-05-15T15:20:53Z",
    ),
    "star.created.json": Expected(
        type="github.star.created",
        severity=Severity.INFO,
        state=None,
        subject=REPO,
        threadkey=None,
        branch=None,
        url=f"https://github.com/{REPO}",
        title=f"Codertocat starred {REPO}",
        time="2019-05-15T15:20:40Z",
    ),
    "workflow_run.completed-failure.json": Expected(
        type="github.workflow_run.completed",
        severity=Severity.ERROR,
        state="failure",
        subject="octo-org/octo-repo workflow test #163",
        threadkey="github:octo-org/octo-repo:workflow_run:289782451",
        branch="master",
        url="https://github.com/octo-org/octo-repo/actions/runs/289782451",
        title="Workflow test #163 failed on master in octo-org/octo-repo",
        labels=RUN_LABELS | {"conclusion": "failure"},
        repo="octo-org/octo-repo",
        time="2020-10-05T16:33:49Z",
    ),
    "workflow_run.completed-success.json": Expected(
        type="github.workflow_run.completed",
        severity=Severity.SUCCESS,
        state="success",
        subject="octo-org/octo-repo workflow test #163",
        threadkey="github:octo-org/octo-repo:workflow_run:289782451",
        branch="master",
        url="https://github.com/octo-org/octo-repo/actions/runs/289782451",
        title="Workflow test #163 succeeded on master in octo-org/octo-repo",
        labels=RUN_LABELS | {"conclusion": "success"},
        repo="octo-org/octo-repo",
        time="2020-10-05T16:33:49Z",
    ),
}


def fixture_request(fixtures_dir: Path, name: str) -> WebhookRequest:
    """The signed JSON delivery of one fixture file, byte for byte."""
    body = (fixtures_dir / "github" / name).read_bytes()
    return from_signed(signing.github(body, name.split(".", 1)[0], DELIVERY))


def test_every_fixture_has_expectations(fixtures_dir: Path) -> None:
    """The expectation table names exactly the GitHub fixture files, so none goes untested."""
    assert sorted(p.name for p in (fixtures_dir / "github").glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_signature_verifies(fixtures_dir: Path, name: str) -> None:
    """A fixture signed with the shared secret over its exact bytes passes verification."""
    ADAPTER.verify(fixture_request(fixtures_dir, name), SECRET)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_normalizes(fixtures_dir: Path, name: str) -> None:
    """Each fixture yields its expected type, severity, state, subject, thread and labels."""
    request = fixture_request(fixtures_dir, name)
    event = ADAPTER.normalize(request)
    want = EXPECTED[name]
    assert event.source == "github"
    assert_carries_payload(event, DELIVERY, request.body)
    assert event.type == want.type
    assert event.severity == want.severity
    assert event.state == want.state
    assert event.subject == want.subject
    assert event.threadkey == want.threadkey
    assert event.branch == want.branch
    assert event.url == want.url
    assert event.title == want.title
    assert event.repo == want.repo
    assert event.actor == want.actor
    assert event.labels == want.labels
    assert event.time.isoformat().replace("+00:00", "Z") == want.time


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_cloudevent_is_valid(fixtures_dir: Path, name: str) -> None:
    """Each normalized fixture's wire form parses with the CloudEvents SDK and round-trips."""
    assert_cloudevent(ADAPTER.normalize(fixture_request(fixtures_dir, name)), "github")


def test_published_test_vector() -> None:
    """GitHub's documented example signature verifies."""
    request = make_request(
        b"Hello, World!",
        signature="sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    )
    ADAPTER.verify(request, "It's a Secret to Everybody")


def test_signature_header_name_is_case_insensitive() -> None:
    """A lowercase header name, even in a plain dict, is still found."""
    body = b'{"zen": "x"}'
    request = WebhookRequest(
        headers={"x-hub-signature-256": sign(body)}, body=body, received_at=RECEIVED
    )
    ADAPTER.verify(request, SECRET)


def test_wrong_secret_is_rejected_without_leaking() -> None:
    """A signature made with another secret fails, and the message echoes no secret or digest."""
    body = b'{"zen": "x"}'
    with pytest.raises(VerificationError) as caught:
        ADAPTER.verify(
            make_request(body, signature="sha256=" + digest("other-secret", body)), SECRET
        )
    assert SECRET not in str(caught.value)
    assert sign(body).removeprefix("sha256=") not in str(caught.value)


def test_missing_signature_is_rejected() -> None:
    """A delivery without X-Hub-Signature-256 fails verification."""
    with pytest.raises(VerificationError, match="missing X-Hub-Signature-256"):
        ADAPTER.verify(make_request(b"{}"), SECRET)


def test_tampered_body_is_rejected() -> None:
    """Changing one byte of the body after signing fails verification."""
    body = b'{"ref": "refs/heads/main"}'
    tampered = body.replace(b"main", b"main".replace(b"n", b"N"))
    with pytest.raises(VerificationError, match="does not match"):
        ADAPTER.verify(make_request(tampered, signature=sign(body)), SECRET)


@pytest.mark.parametrize(
    "header",
    [
        "sha1=" + hmac.new(SECRET.encode(), b"{}", hashlib.sha1).hexdigest(),
        sign(b"{}").removeprefix("sha256="),
        "sha256=",
        "sha256=" + "z" * 64,
        sign(b"{}")[:-1],
        "",
    ],
    ids=["sha1", "no-prefix", "empty-digest", "not-hex", "short", "blank"],
)
def test_malformed_signature_is_rejected(header: str) -> None:
    """A header that is not 'sha256=' plus 64 hex digits fails verification."""
    with pytest.raises(VerificationError):
        ADAPTER.verify(make_request(b"{}", signature=header), SECRET)


def test_empty_secret_is_refused() -> None:
    """An empty configured secret never verifies, even against an empty-key signature."""
    with pytest.raises(VerificationError, match="HUB_GITHUB_SECRET"):
        ADAPTER.verify(make_request(b"{}", signature="sha256=" + digest("", b"{}")), "")


def test_form_encoded_body(fixtures_dir: Path) -> None:
    """A form body carrying the JSON in `payload` verifies over the form bytes and normalizes."""
    raw = (fixtures_dir / "github" / "issues.opened.json").read_text()
    body = urlencode({"payload": raw}).encode()
    request = make_request(body, "issues", content_type=f"{FORM}; charset=utf-8")
    signed = make_request(body, "issues", content_type=FORM, signature=sign(body))
    ADAPTER.verify(signed, SECRET)
    event = ADAPTER.normalize(request)
    assert (event.type, event.threadkey) == ("github.issues.opened", f"github:{REPO}:issue:1")
    assert event.data == json.loads(raw)


def test_form_without_payload_field_is_bad() -> None:
    """A form body lacking the `payload` field is a bad payload."""
    with pytest.raises(BadPayload, match="'payload' field"):
        ADAPTER.normalize(make_request(b"other=1", content_type=FORM))


def test_deleted_branch_push_has_no_head_commit(fixtures_dir: Path) -> None:
    """A push deleting a branch (head_commit null, no commits) says so and keeps the branch."""
    payload = fixture(fixtures_dir, "push.branch-with-commits.json")
    payload |= {
        "ref": "refs/heads/feature/login",
        "after": "0" * 40,
        "created": False,
        "deleted": True,
        "commits": [],
        "head_commit": None,
    }
    event = normalize(payload, "push")
    assert event.state == "deleted"
    assert event.branch == "feature/login"
    assert event.threadkey == f"github:{REPO}:push:feature/login"
    assert event.title == f"Codertocat deleted branch feature/login in {REPO}"
    assert event.text == ""
    assert event.time == datetime(2019, 5, 15, 15, 20, 57, tzinfo=UTC)


def test_tag_push_has_no_branch(fixtures_dir: Path) -> None:
    """A push to refs/tags/… carries the tag in its subject and labels, never as a branch."""
    payload = fixture(fixtures_dir, "push.branch-with-commits.json") | {"ref": "refs/tags/v1.2.3"}
    event = normalize(payload, "push")
    assert event.branch is None
    assert event.threadkey is None
    assert event.subject == f"{REPO} v1.2.3"
    assert event.labels["ref_type"] == "tag"
    assert event.labels["tag"] == "v1.2.3"
    assert event.title == f"Codertocat pushed tag v1.2.3 to {REPO}"


def test_force_push_lists_linked_short_shas(fixtures_dir: Path) -> None:
    """A forced push of twelve commits lists ten with linked short SHAs and counts the rest."""
    payload = fixture(fixtures_dir, "push.branch-with-commits.json")
    commit = payload["commits"][0]
    commits = [commit | {"id": f"{i:02d}" + commit["id"][2:]} for i in range(12)]
    payload |= {"created": False, "forced": True, "commits": commits}
    event = normalize(payload, "push")
    assert event.state == "forced"
    assert event.labels["forced"] == "true"
    assert event.title == f"Codertocat force-pushed 12 commits to master in {REPO}"
    lines = event.text.split("\n")
    assert len(lines) == 11
    assert lines[0] == f"<{commit['url']}|0013728> Initial commit – Codertocat"
    assert lines[-1] == "… and 2 more"


def test_issue_comment_on_pull_request_threads_with_it(fixtures_dir: Path) -> None:
    """A PR comment arrives as issue_comment with issue.pull_request set and joins the PR thread."""
    payload = fixture(fixtures_dir, "issue_comment.created.json")
    payload["issue"] |= {
        "number": 2,
        "pull_request": {"html_url": f"https://github.com/{REPO}/pull/2", "merged_at": None},
    }
    comment = normalize(payload, "issue_comment")
    pr = normalize(fixture(fixtures_dir, "pull_request.opened.json"), "pull_request")
    assert comment.threadkey == pr.threadkey == f"github:{REPO}:pr:2"
    assert comment.subject == pr.subject
    assert comment.labels["pr"] == "true"
    assert comment.state == "opened"
    assert comment.title.startswith("Codertocat commented on pull request #2 in ")


def test_unknown_event_is_normalized_generically() -> None:
    """An event without its own rule gets github.<event>.<action> and a title from repo, sender."""
    payload = {
        "action": "created",
        "discussion": {"number": 7, "title": "Ideas", "html_url": "https://github.com/a/b/d/7"},
        "repository": {"full_name": "a/b", "html_url": "https://github.com/a/b"},
        "sender": {"login": "octocat"},
    }
    event = normalize(payload, "discussion")
    assert event.type == "github.discussion.created"
    assert event.title == "Discussion created in a/b by octocat: Ideas"
    assert (event.repo, event.actor, event.subject) == ("a/b", "octocat", "a/b")
    assert event.url == "https://github.com/a/b/d/7"
    assert event.severity == Severity.INFO


def test_unknown_action_of_known_event(fixtures_dir: Path) -> None:
    """A new action on a known event keeps its own type and still threads with its subject."""
    payload = fixture(fixtures_dir, "pull_request.opened.json") | {"action": "frobnicated"}
    event = normalize(payload, "pull_request")
    assert event.type == "github.pull_request.frobnicated"
    assert event.threadkey == f"github:{REPO}:pr:2"
    assert event.title == f"Codertocat frobnicated pull request #2 in {REPO}: {PR_TITLE}"


def test_event_without_repository_or_sender() -> None:
    """An org-level payload with neither repository nor sender still normalizes."""
    event = normalize({"action": "published"}, "security_advisory")
    assert event.type == "github.security_advisory.published"
    assert (event.repo, event.actor, event.threadkey) == (None, None, None)
    assert event.title == "Security advisory published in GitHub by Someone"
    assert event.time == RECEIVED


AB = {
    "repository": {"full_name": "a/b", "html_url": "https://github.com/a/b"},
    "sender": {"login": "octocat"},
}


def run(status: str, conclusion: str | None, **extra: Any) -> dict[str, Any]:
    """A workflow run, job, check run or suite object in the given state."""
    return {"id": 9, "status": status, "conclusion": conclusion, "head_branch": "main"} | extra


SCHEMA_CASES = [
    pytest.param(
        "workflow_job",
        {"action": "completed", "workflow_job": run("completed", "failure", run_id=42)},
        {"severity": Severity.ERROR, "state": "failure", "branch": "main"}
        | {"threadkey": "github:a/b:workflow_run:42"},
        id="workflow_job-failure-threads-under-run",
    ),
    pytest.param(
        "workflow_run",
        {"action": "in_progress", "workflow_run": run("in_progress", None, name="CI")},
        {"severity": Severity.INFO, "state": "in_progress"}
        | {"labels": {"workflow": "CI", "status": "in_progress"}},
        id="workflow_run-in-progress",
    ),
    pytest.param(
        "workflow_run",
        {"action": "completed", "workflow_run": run("completed", "startup_failure", name="CI")},
        {"severity": Severity.ERROR, "state": "startup_failure"},
        id="workflow_run-startup-failure",
    ),
    pytest.param(
        "check_suite",
        {"action": "completed", "check_suite": run("completed", "cancelled")},
        {"severity": Severity.WARNING, "threadkey": "github:a/b:check_suite:9", "branch": "main"},
        id="check_suite-cancelled",
    ),
    pytest.param(
        "check_run",
        {"action": "completed", "check_run": run("completed", "action_required", name="lint")},
        {"severity": Severity.WARNING, "state": "action_required"},
        id="check_run-action-required",
    ),
    pytest.param(
        "check_run",
        {
            "action": "completed",
            "check_run": run(
                "completed", "stale", name="lint", check_suite={"id": 8, "head_branch": "dev"}
            ),
        },
        {"severity": Severity.WARNING, "title": "Check lint went stale on dev in a/b"}
        | {"branch": "dev", "threadkey": "github:a/b:check_suite:8"},
        id="check_run-stale",
    ),
    pytest.param(
        "deployment_status",
        {
            "action": "created",
            "deployment_status": {"state": "error", "environment": "prod"},
            "deployment": {"id": 5, "ref": "v2"},
        },
        {"severity": Severity.ERROR, "state": "error", "threadkey": "github:a/b:deployment:5"}
        | {"branch": None, "title": "Deployment of v2 to prod errored in a/b"},
        id="deployment_status-error",
    ),
    pytest.param(
        "deployment",
        {"action": "created", "deployment": {"id": 5, "ref": "main", "environment": "prod"}},
        {"state": "created", "threadkey": "github:a/b:deployment:5"},
        id="deployment-created-shares-thread",
    ),
    pytest.param(
        "status",
        {"sha": "abcdef0123", "context": "ci/jenkins", "state": "failure"},
        {"severity": Severity.ERROR, "threadkey": "github:a/b:status:abcdef0123:ci/jenkins"},
        id="status-failure",
    ),
    pytest.param(
        "pull_request",
        {"action": "opened", "number": 3, "pull_request": {"draft": True, "state": "open"}},
        {"state": "draft", "labels": {"draft": "true", "merged": "false"}},
        id="pull_request-draft",
    ),
    pytest.param(
        "pull_request",
        {"action": "closed", "number": 3, "pull_request": {"state": "closed", "merged": False}},
        {"state": "closed", "severity": Severity.INFO},
        id="pull_request-closed-unmerged",
    ),
    pytest.param(
        "pull_request_review_comment",
        {"action": "created", "pull_request": {"number": 3}, "comment": {"path": "a.py"}},
        {"threadkey": "github:a/b:pr:3", "title": "octocat commented on pull request #3 in a/b"},
        id="review_comment-threads-with-pr",
    ),
    pytest.param(
        "pull_request_review_thread",
        {"action": "resolved", "pull_request": {"number": 3}},
        {"threadkey": "github:a/b:pr:3", "subject": "a/b#3"},
        id="unknown-pr-event-threads-with-pr",
    ),
    pytest.param(
        "issues",
        {"action": "closed", "issue": {"number": 4, "state": "closed"}},
        {"state": "closed", "threadkey": "github:a/b:issue:4"},
        id="issue-closed",
    ),
    pytest.param(
        "create",
        {"ref": "feature/x", "ref_type": "branch"},
        {"branch": "feature/x", "threadkey": "github:a/b:push:feature/x"}
        | {"url": "https://github.com/a/b/tree/feature/x"},
        id="create-branch",
    ),
    pytest.param(
        "delete",
        {"ref": "v1", "ref_type": "tag"},
        {"branch": None, "state": "deleted", "labels": {"ref_type": "tag", "tag": "v1"}},
        id="delete-tag",
    ),
    pytest.param(
        "release",
        {"action": "prereleased", "release": {"tag_name": "v2.0.0-rc1", "prerelease": True}},
        {"state": "prerelease", "branch": None, "subject": "a/b v2.0.0-rc1"},
        id="release-prerelease",
    ),
]


@pytest.mark.parametrize(("event", "payload", "expected"), SCHEMA_CASES)
def test_schema_shaped_payloads(
    event: str, payload: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Payloads shaped like GitHub's documented schemas get the documented fields."""
    normalized = normalize(AB | payload, event)
    for name, value in expected.items():
        if name == "labels":
            assert value.items() <= normalized.labels.items()
        else:
            assert getattr(normalized, name) == value, name


def test_user_text_is_escaped_for_mrkdwn(fixtures_dir: Path) -> None:
    """Markup characters in a PR body reach the mrkdwn text escaped."""
    payload = fixture(fixtures_dir, "pull_request.opened.json")
    payload["pull_request"]["body"] = "<!channel> fix a & b > c"
    event = normalize(payload, "pull_request")
    assert "> &lt;!channel&gt; fix a &amp; b &gt; c" in event.text
    assert "<!channel>" not in event.text


def test_id_falls_back_to_body_hash() -> None:
    """Without X-GitHub-Delivery the id is the stable hash of source and body."""
    body = b'{"zen": "x"}'
    event = ADAPTER.normalize(make_request(body, "ping", delivery=None))
    assert event.id == body_id("github", body)


@pytest.mark.parametrize(("body", "message"), NOT_JSON_OBJECTS)
def test_unparsable_body_is_bad_payload(body: bytes, message: str) -> None:
    """A body that is not one JSON object is a bad payload that says what was wrong."""
    with pytest.raises(BadPayload, match=message):
        ADAPTER.normalize(make_request(body))


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
def test_other_content_types_are_unsupported(content_type: str | None) -> None:
    """Only JSON and form bodies are accepted."""
    with pytest.raises(UnsupportedMediaType):
        ADAPTER.normalize(make_request(b"{}", content_type=content_type))


def test_missing_event_header_is_bad_payload() -> None:
    """A delivery without X-GitHub-Event is a bad payload."""
    with pytest.raises(BadPayload, match="X-GitHub-Event"):
        ADAPTER.normalize(make_request(b"{}", event=None))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["action", "number", "ref", "state", "name", "id", "html_url"])
            | st.text(max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)
EVENTS = st.sampled_from([*KINDS, "discussion", "Weird Event!"])


@settings(max_examples=300, deadline=None)
@given(event=EVENTS, payload=st.dictionaries(st.sampled_from(sorted(KINDS)), JSON_VALUES))
def test_arbitrary_objects_normalize_or_raise_bad_payload(
    event: str, payload: dict[str, Any]
) -> None:
    """Any JSON object under any event header becomes an Event or, at worst, BadPayload."""
    assert_event_or_bad_payload("github", lambda: normalize(payload, event))


def _replace_at(doc: Any, path: list[int], value: Any) -> Any:
    """`doc` with the node picked by `path` (indexes into container children) set to `value`."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    key = keys[path[0] % len(keys)]
    doc[key] = _replace_at(doc[key], path[1:], value)
    return doc


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(EXPECTED)),
    path=st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=5),
    value=JSON_VALUES,
)
def test_mutated_fixtures_never_crash(
    fixtures_dir: Path, name: str, path: list[int], value: Any
) -> None:
    """A fixture with any one field replaced by any JSON value still normalizes to a valid Event."""
    payload = _replace_at(copy.deepcopy(fixture(fixtures_dir, name)), path, value)
    if not isinstance(payload, dict):
        return
    assert_serializable(normalize(payload, name.split(".", 1)[0]), "github")
