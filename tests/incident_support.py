"""A scripted incident from the shared fixtures: a commit pushed, built and deployed, then an
alert, a Sentry error of that release and the alert's recovery, among events that must be
left out (another repo's push, another service's error, a push from before the window)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from multidict import CIMultiDict

from adapters.registry import SOURCES
from hub.core.event import Event
from hub.core.sources import WebhookRequest
from hub.testing import signing
from tests.paths import REPO

FIXTURES = REPO / "tests" / "fixtures"
COMMIT = "5e1ec7ed00c0ffee5e1ec7ed00c0ffee5e1ec7ed"
REPO_NAME = "acme/api"
ALERT_ID = "cpu:service=api,host=web-1"
THREADKEY = f"kapacitor:{ALERT_ID}"


@dataclass(frozen=True)
class Step:
    """One webhook of the script: its name, when it comes (from the alert), and the request."""

    name: str
    offset: timedelta
    signed: signing.Signed
    related: bool
    """Whether the incident's report must list it."""


def _fixture(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / path).read_bytes())
    return document


def _push(repo: str, after: str, user: str = "octocat") -> signing.Signed:
    body = _fixture("github/push.branch-with-commits.json")
    body |= {"ref": "refs/heads/main", "after": after, "created": False}
    body["repository"]["full_name"], body["repository"]["name"] = repo, repo.split("/")[1]
    body["repository"]["html_url"] = f"https://github.com/{repo}"
    body["compare"] = f"https://github.com/{repo}/compare/{after[:12]}"
    body["sender"]["login"] = user
    return signing.github(json.dumps(body).encode(), "push")


def _build() -> signing.Signed:
    body = _fixture("travis/build.passed.json")
    body["repository"] |= {"owner_name": "acme", "name": "api"}
    body |= {"number": "812", "commit": COMMIT, "branch": "main"}
    body["build_url"] = "https://travis-ci.org/acme/api/builds/812"
    return signing.travis(json.dumps(body).encode(), REPO_NAME)


def _deploy() -> signing.Signed:
    body = _fixture("github/deployment_status.created-success.json")
    body["deployment"] |= {"sha": COMMIT, "ref": "main"}
    body["repository"]["full_name"], body["repository"]["name"] = REPO_NAME, "api"
    body["repository"]["html_url"] = f"https://github.com/{REPO_NAME}"
    return signing.github(json.dumps(body).encode(), "deployment_status")


def _alert(path: str, tags: dict[str, str], alert_id: str, n: int) -> signing.Signed:
    body = _fixture(path)
    body["id"] = alert_id
    body["message"] = f"{alert_id} is {body['level']}"
    body["details"] = f"details {n}"  # Kapacitor has no delivery id: hub hashes the body
    body["data"]["series"][0]["tags"] = tags
    return signing.kapacitor(json.dumps(body).encode())


def alert_on(tags: dict[str, str], alert_id: str) -> signing.Signed:
    """A critical Kapacitor alert `alert_id` with these series tags."""
    return _alert("kapacitor/alert.critical.json", tags, alert_id, 0)


def _error(project: str, release: str, issue: str) -> signing.Signed:
    body = _fixture("sentry/event_alert.triggered.json")
    event = body["data"]["event"]
    event["release"] = release
    event["url"] = f"https://sentry.io/api/0/projects/acme/{project}/events/{issue}/"
    event["issue_url"] = f"https://sentry.io/api/0/issues/{issue}/"
    event["issue_id"] = issue
    return signing.sentry(json.dumps(body).encode(), "event_alert")


def script() -> list[Step]:
    """The incident's webhooks in the order they come, each with its time from the alert."""
    m = timedelta(minutes=1)
    tags = {"host": "web-1", "service": "api"}
    return [
        Step("old push", -180 * m, _push(REPO_NAME, "a" * 40), related=False),
        Step("push", -10 * m, _push(REPO_NAME, COMMIT), related=True),
        Step("other repo's push", -9 * m, _push("acme/billing", "b" * 40), related=False),
        Step("build", -7 * m, _build(), related=True),
        Step("deploy", -4 * m, _deploy(), related=True),
        Step("alert", 0 * m, _alert("kapacitor/alert.critical.json", tags, ALERT_ID, 1), True),
        Step("error", timedelta(seconds=30), _error("api", COMMIT, "1170820242"), related=True),
        Step(
            "other service's error",
            timedelta(seconds=50),
            _error("billing", "c" * 40, "1170820243"),
            related=False,
        ),
        Step(
            "recovery",
            timedelta(minutes=2, seconds=10),
            _alert("kapacitor/alert.ok-recovery.json", tags, ALERT_ID, 2),
            related=True,
        ),
    ]


def normalized(step: Step, alert_at: datetime) -> Event:
    """The step's event as hub normalizes it, received at its time."""
    request = WebhookRequest(
        headers=CIMultiDict(step.signed.headers),
        body=step.signed.body,
        received_at=alert_at + step.offset,
    )
    return SOURCES[step.signed.source].normalize(request)
