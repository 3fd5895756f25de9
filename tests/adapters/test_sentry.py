"""The Sentry adapter: HMAC and freshness checks, and normalization per hook resource."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.sentry.adapter import ADAPTER
from hub.core.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.core.severity import Severity
from hub.core.sources import WebhookRequest, body_id
from hub.testing import signing
from tests.adapter_support import (
    NOT_JSON_OBJECTS,
    RECEIVED,
    assert_carries_payload,
    assert_cloudevent,
    assert_event_or_bad_payload,
    assert_fields,
    digest,
    fixture_names,
    from_signed,
    json_objects,
    json_scalars,
)
from tests.paths import FIXTURES as SHARED_FIXTURES

SENT = RECEIVED - timedelta(seconds=10)
SECRET = signing.SENTRY_SECRET
REQUEST_ID = "8d8b7a3e4f2c4b1d9a6e5f4c3b2a1d0e"
ISSUE_EVENT_URL = (
    "https://sentry.io/organizations/test-org/issues/1117540176/events/"
    "e4874d664c3540c1a32eab185f12c5ab/"
)
ZULIP_PROJECT = "zulip-integration-testing"


def sign(body: bytes) -> str:
    """The Sentry-Hook-Signature Sentry sends for `body`."""
    return signing.sentry(body, "issue").headers["Sentry-Hook-Signature"]


def request(
    body: bytes,
    resource: str | None = "issue",
    *,
    signature: str | None = None,
    sent_at: str | None = str(int(SENT.timestamp())),
    content_type: str | None = "application/json",
    request_id: str | None = REQUEST_ID,
) -> WebhookRequest:
    """A Sentry delivery, signed over `body` by default; a None header is left out."""
    changes = {
        "Content-Type": content_type,
        "Request-ID": request_id,
        "Sentry-Hook-Resource": resource,
        "Sentry-Hook-Timestamp": sent_at,
    }
    if signature is not None:
        changes["Sentry-Hook-Signature"] = signature or None
    return from_signed(signing.sentry(body, resource or ""), changes)


def payload(name: str, **changes: Any) -> bytes:
    """A Sentry fixture with top-level fields changed, re-encoded as Sentry's json.dumps does."""
    document = json.loads((SHARED_FIXTURES / "sentry" / name).read_bytes())
    document.update(changes)
    return json.dumps(document).encode()


def fixture(fixtures_dir: Path, name: str) -> bytes:
    """The bytes of one Sentry fixture."""
    return (fixtures_dir / "sentry" / name).read_bytes()


CASES = [
    pytest.param(
        "issue.created.json",
        {
            "type": "sentry.issue.created",
            "severity": Severity.ERROR,
            "state": "unresolved",
            "subject": "FRONT-END-9",
            "threadkey": "sentry:issue:1170820242",
            "actor": "Sentry",
            "url": None,
            "title": "[front-end] New issue FRONT-END-9: ReferenceError: blooopy is not defined",
            "text": "`?(runner)`\nLevel *error* · 1 event",
            "time": datetime(2019, 8, 19, 20, 58, 37, 391000, tzinfo=UTC),
            "labels": {
                "project": "front-end",
                "level": "error",
                "platform": "javascript",
                "culprit": "?(runner)",
                "event_count": "1",
                "substatus": "escalating",
            },
        },
        id="issue.created",
    ),
    pytest.param(
        "issue.resolved.json",
        {
            "type": "sentry.issue.resolved",
            "severity": Severity.SUCCESS,
            "state": "resolved",
            "subject": "ZULIP-INTEGRATION-TESTING-E",
            "threadkey": "sentry:issue:1638821441",
            "actor": "Hemanth V. Alluri",
            "title": f"[{ZULIP_PROJECT}] Resolved ZULIP-INTEGRATION-TESTING-E:"
            " Exception: program has entered an invalid state.",
            "text": "`__main__ in &lt;module&gt;`\nLevel *error* · 1 event · resolved now",
            "time": SENT,
            "labels": {
                "project": ZULIP_PROJECT,
                "level": "error",
                "platform": "python",
                "culprit": "__main__ in <module>",
                "resolution_type": "now",
                "event_count": "1",
            },
        },
        id="issue.resolved",
    ),
    pytest.param(
        "issue.assigned.json",
        {
            "type": "sentry.issue.assigned",
            "severity": Severity.INFO,
            "state": "assigned",
            "subject": "ZULIP-INTEGRATION-TESTING-G",
            "threadkey": "sentry:issue:1638844654",
            "actor": "Hemanth V. Alluri",
            "title": f"[{ZULIP_PROJECT}] Assigned ZULIP-INTEGRATION-TESTING-G to"
            " Hemanth V. Alluri: A test message event from golang.",
            "labels": {
                "project": ZULIP_PROJECT,
                "level": "info",
                "platform": "go",
                "assignee": "Hemanth V. Alluri",
                "event_count": "1",
            },
        },
        id="issue.assigned",
    ),
    pytest.param(
        "event_alert.triggered.json",
        {
            "type": "sentry.event_alert.triggered",
            "severity": Severity.ERROR,
            "state": None,
            "subject": "ReferenceError: heck is not defined",
            "threadkey": "sentry:issue:1117540176",
            "actor": "Sentry",
            "url": ISSUE_EVENT_URL,
            "title": "[front-end] Very Important Alert Rule! triggered:"
            " ReferenceError: heck is not defined",
            "time": datetime(2019, 8, 19, 21, 6, 17, 677000, tzinfo=UTC),
            "labels": {
                "project": "front-end",
                "level": "error",
                "platform": "javascript",
                "culprit": "?(<anonymous>)",
                "triggered_rule": "Very Important Alert Rule!",
            },
        },
        id="event_alert.triggered",
    ),
    pytest.param(
        "metric_alert.resolved.json",
        {
            "type": "sentry.metric_alert.resolved",
            "severity": Severity.SUCCESS,
            "state": "resolved",
            "subject": "Too many errors",
            "threadkey": "sentry:metric_alert:7",
            "actor": "Sentry",
            "url": "https://sentry.io/organizations/baz/alerts/1/",
            "title": "[bar] Resolved: Too many errors",
            "time": SENT,
            "labels": {"project": "bar", "alert_rule": "Too many errors", "incident": "1"},
        },
        id="metric_alert.resolved",
    ),
    pytest.param(
        "installation.created.json",
        {
            "type": "sentry.installation.created",
            "severity": Severity.INFO,
            "state": "installed",
            "subject": "webhooks-galore",
            "threadkey": "sentry:installation:a8e5d37a-696c-4c54-adb5-b3f28d64c7de",
            "actor": "Meredith Heller",
            "title": "Sentry integration webhooks-galore installed on test-org",
            "time": SENT,
            "labels": {"organization": "test-org", "app": "webhooks-galore"},
        },
        id="installation.created",
    ),
]
NAMES = fixture_names(CASES)


def fixture_request(fixtures_dir: Path, name: str) -> WebhookRequest:
    """A signed delivery of one fixture, its resource taken from the file name."""
    return request(fixture(fixtures_dir, name), resource=name.split(".")[0])


@pytest.mark.parametrize("name", NAMES)
def test_signed_fixture_verifies(fixtures_dir: Path, name: str) -> None:
    """Each sample signed with the client secret and a fresh timestamp verifies."""
    ADAPTER.verify(fixture_request(fixtures_dir, name), SECRET)


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_fixture_normalizes_to_expected_event(
    fixtures_dir: Path, name: str, expected: dict[str, Any]
) -> None:
    """Each sample becomes the documented event for its resource and action."""
    assert_fields(ADAPTER.normalize(fixture_request(fixtures_dir, name)), expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_keeps_payload_and_request_id(fixtures_dir: Path, name: str) -> None:
    """The event carries the parsed payload untouched, under Sentry's Request-ID."""
    event = ADAPTER.normalize(fixture_request(fixtures_dir, name))
    assert_carries_payload(event, REQUEST_ID, fixture(fixtures_dir, name))
    assert (event.repo, event.branch) == (None, None)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_event_is_a_cloudevent(fixtures_dir: Path, name: str) -> None:
    """The broker bytes of each normalized hook are a CloudEvent that reads back unchanged."""
    assert_cloudevent(ADAPTER.normalize(fixture_request(fixtures_dir, name)), "sentry")


def test_id_without_request_id_is_a_body_hash() -> None:
    """Without a Request-ID header the id is the hash of source and body."""
    body = payload("issue.created.json")
    assert ADAPTER.normalize(request(body, request_id=None)).id == body_id("sentry", body)


def test_uppercase_hex_signature_verifies() -> None:
    """The signature comparison ignores the case of the hex digits."""
    body = payload("issue.created.json")
    ADAPTER.verify(request(body, signature=sign(body).upper()), SECRET)


@pytest.mark.parametrize(
    ("signature", "message"),
    [("", "missing Sentry-Hook-Signature"), (sign(b"{}"), "does not match")],
    ids=["missing", "other-body"],
)
def test_missing_or_wrong_signature_is_refused(signature: str, message: str) -> None:
    """A delivery without a signature, or signed over other bytes, does not verify."""
    with pytest.raises(VerificationError, match=message):
        ADAPTER.verify(request(payload("issue.created.json"), signature=signature), SECRET)


def test_signature_with_another_secret_is_refused() -> None:
    """A body signed with a different client secret does not verify."""
    body = payload("issue.created.json")
    with pytest.raises(VerificationError, match="does not match"):
        ADAPTER.verify(request(body, signature=digest("other-secret", body)), SECRET)


def test_tampered_body_is_refused() -> None:
    """A body changed after signing does not verify."""
    signed = request(payload("issue.created.json"))
    tampered = WebhookRequest(signed.headers, signed.body.replace(b"error", b"fatal"), RECEIVED)
    with pytest.raises(VerificationError, match="does not match"):
        ADAPTER.verify(tampered, SECRET)


def test_empty_configured_secret_is_refused() -> None:
    """An empty client secret refuses every delivery."""
    with pytest.raises(VerificationError, match="empty"):
        ADAPTER.verify(request(payload("issue.created.json")), "")


@pytest.mark.parametrize(
    ("sent_at", "message"),
    [
        (None, "missing or non-integer"),
        ("", "missing or non-integer"),
        ("1714564800.5", "missing or non-integer"),
        ("soon", "missing or non-integer"),
        ("１７１４５６４８００", "missing or non-integer"),
        (str(int(RECEIVED.timestamp()) - 301), "301 s away"),
        (str(int(RECEIVED.timestamp()) + 301), "301 s away"),
    ],
    ids=["missing", "empty", "fraction", "word", "fullwidth-digits", "expired", "future"],
)
def test_missing_bad_or_stale_timestamp_is_refused(sent_at: str | None, message: str) -> None:
    """A Sentry-Hook-Timestamp that is absent, not an integer, or over 300 s off is refused."""
    with pytest.raises(VerificationError, match=message):
        ADAPTER.verify(request(payload("issue.created.json"), sent_at=sent_at), SECRET)


@pytest.mark.parametrize("offset", [-300, 300], ids=["past", "future"])
def test_timestamp_at_the_limit_verifies(offset: int) -> None:
    """A timestamp exactly 300 s from the receive time is still fresh."""
    sent_at = str(int(RECEIVED.timestamp()) + offset)
    ADAPTER.verify(request(payload("issue.created.json"), sent_at=sent_at), SECRET)


def test_missing_resource_header_is_a_bad_payload() -> None:
    """A delivery without Sentry-Hook-Resource is refused as a bad payload."""
    with pytest.raises(BadPayload, match="Sentry-Hook-Resource"):
        ADAPTER.normalize(request(payload("issue.created.json"), resource=None))


@pytest.mark.parametrize("content_type", ["text/plain", None], ids=["text", "missing"])
def test_other_content_type_is_unsupported(content_type: str | None) -> None:
    """Sentry always sends application/json; anything else is refused as unsupported."""
    with pytest.raises(UnsupportedMediaType):
        ADAPTER.normalize(request(payload("issue.created.json"), content_type=content_type))


@pytest.mark.parametrize(
    ("body", "message"),
    [*NOT_JSON_OBJECTS, pytest.param(b'{"data": {}}', "no `action`", id="no-action")],
)
def test_bad_body_is_a_bad_payload(body: bytes, message: str) -> None:
    """A body that is not a JSON object with an action is refused as a bad payload."""
    with pytest.raises(BadPayload, match=message):
        ADAPTER.normalize(request(body))


@pytest.mark.parametrize(
    ("action", "severity"),
    [
        ("critical", Severity.CRITICAL),
        ("warning", Severity.WARNING),
        ("resolved", Severity.SUCCESS),
        ("open", Severity.INFO),
    ],
)
def test_metric_alert_action_sets_severity_and_state(action: str, severity: Severity) -> None:
    """A metric alert's action is its state and decides its severity."""
    body = payload("metric_alert.resolved.json", action=action)
    event = ADAPTER.normalize(request(body, resource="metric_alert"))
    assert (event.type, event.state, event.severity) == (
        f"sentry.metric_alert.{action}",
        action,
        severity,
    )


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("fatal", Severity.CRITICAL),
        ("error", Severity.ERROR),
        ("warning", Severity.WARNING),
        ("info", Severity.INFO),
        ("debug", Severity.INFO),
    ],
)
def test_issue_level_sets_severity(level: str, severity: Severity) -> None:
    """An issue event takes its severity from the issue's level."""
    document = json.loads(payload("issue.created.json"))
    document["data"]["issue"]["level"] = level
    event = ADAPTER.normalize(request(json.dumps(document).encode()))
    assert (event.severity, event.labels["level"]) == (severity, level)


def test_ignored_issue_state() -> None:
    """An ignored issue's state is `ignored`, whatever status the payload still carries."""
    event = ADAPTER.normalize(request(payload("issue.created.json", action="ignored")))
    assert (event.type, event.state, event.title) == (
        "sentry.issue.ignored",
        "ignored",
        "[front-end] Ignored FRONT-END-9: ReferenceError: blooopy is not defined",
    )


def test_error_event_threads_with_its_issue() -> None:
    """An `error` hook is normalized like an event and threads with its issue."""
    event_alert = json.loads(payload("event_alert.triggered.json"))
    body = json.dumps({"action": "created", "data": {"error": event_alert["data"]["event"]}})
    event = ADAPTER.normalize(request(body.encode(), resource="error"))
    assert (event.type, event.severity, event.threadkey, event.url, event.title) == (
        "sentry.error.created",
        Severity.ERROR,
        "sentry:issue:1117540176",
        ISSUE_EVENT_URL,
        "[front-end] Error created: ReferenceError: heck is not defined",
    )


@pytest.mark.parametrize(
    ("release", "commit"),
    [
        ("9F0C2B1E4D3A5F6B7C8D9E0F1A2B3C4D5E6F7A8B", "9f0c2b1e4d3a5f6b7c8d9e0f1a2b3c4d5e6f7a8b"),
        ("front-end@2.4.1", None),
        ("9f0c2b1", None),
    ],
)
def test_event_release_that_is_a_sha_is_its_commit(release: str, commit: str | None) -> None:
    """An event whose release is a full commit SHA carries it as `labels.commit`, else none."""
    alert = json.loads(payload("event_alert.triggered.json"))
    alert["data"]["event"]["release"] = release
    event = ADAPTER.normalize(request(json.dumps(alert).encode(), resource="event_alert"))
    assert event.labels["release"] == release
    assert event.labels.get("commit") == commit


def test_comment_threads_with_its_issue_and_escapes_text() -> None:
    """A comment hook threads with its issue and carries the comment escaped for mrkdwn."""
    body = {
        "action": "created",
        "actor": {"type": "user", "id": 1, "name": "Jane Doe"},
        "data": {
            "comment_id": "1234",
            "issue_id": 100,
            "project_slug": "backend",
            "timestamp": "2022-03-02T04:12:59Z",
            "comment": "<!channel> look at a & b",
        },
    }
    event = ADAPTER.normalize(request(json.dumps(body).encode(), resource="comment"))
    assert (event.type, event.threadkey, event.title, event.text, event.actor, event.time) == (
        "sentry.comment.created",
        "sentry:issue:100",
        "[backend] New comment on issue 100",
        "&lt;!channel&gt; look at a &amp; b",
        "Jane Doe",
        datetime(2022, 3, 2, 4, 12, 59, tzinfo=UTC),
    )


def test_uninstalled_integration_is_a_warning() -> None:
    """Uninstalling the integration stops its hooks, so it is a warning."""
    body = payload("installation.created.json", action="deleted")
    event = ADAPTER.normalize(request(body, resource="installation"))
    assert (event.severity, event.state, event.title) == (
        Severity.WARNING,
        "uninstalled",
        "Sentry integration webhooks-galore uninstalled from test-org",
    )


def test_unknown_resource_is_normalized_generically() -> None:
    """A resource hub does not know yet still becomes a routable event."""
    body = json.dumps({"action": "completed", "data": {"project_slug": "backend"}}).encode()
    event = ADAPTER.normalize(request(body, resource="seer"))
    assert (event.type, event.title, event.severity, event.labels) == (
        "sentry.seer.completed",
        "[backend] Sentry seer completed",
        Severity.INFO,
        {"project": "backend"},
    )


_KEYS = (
    "action",
    "data",
    "actor",
    "name",
    "issue",
    "event",
    "error",
    "metric_alert",
    "alert_rule",
    "installation",
    "id",
    "shortId",
    "title",
    "level",
    "status",
    "project",
    "slug",
    "count",
    "assignee",
    "assignedTo",
    "issue_id",
    "issue_url",
    "url",
    "web_url",
    "datetime",
    "timestamp",
    "firstSeen",
    "tags",
    "projects",
    "triggered_rule",
    "description_title",
    "comment",
)
_SCALARS = json_scalars("created", "resolved", "fatal", "2019-08-19T20:58:37Z", "https://x/")
_HOOKS = json_objects(_KEYS, _SCALARS, {"action": _SCALARS})
_RESOURCES = st.sampled_from(
    ["issue", "event_alert", "error", "metric_alert", "installation", "comment"]
) | st.text(max_size=8)


@settings(max_examples=500, deadline=None)
@given(body=_HOOKS, resource=_RESOURCES)
def test_any_json_object_gives_an_event_or_bad_payload(body: dict[str, Any], resource: str) -> None:
    """Normalizing any JSON object under any resource returns an Event or raises BadPayload."""
    raw = json.dumps(body).encode()
    assert_event_or_bad_payload(
        "sentry", lambda: ADAPTER.normalize(request(raw, resource=resource))
    )


def test_ignore_and_its_archive_twin_are_one_event() -> None:
    """Sentry's `issue.ignored` and `issue.archived` for one act get one id and one type."""
    ignored = ADAPTER.normalize(request(payload("issue.created.json", action="ignored")))
    archived = ADAPTER.normalize(
        request(payload("issue.created.json", action="archived"), request_id=REQUEST_ID[::-1])
    )
    assert (archived.id, archived.type, archived.state) == (
        ignored.id,
        "sentry.issue.ignored",
        "ignored",
    )
    assert archived.threadkey == ignored.threadkey


def test_later_ignore_of_the_same_issue_is_a_new_event() -> None:
    """An ignore after the issue saw new events is not taken for the first one's twin."""
    first = ADAPTER.normalize(request(payload("issue.created.json", action="ignored")))
    document = json.loads(payload("issue.created.json", action="ignored"))
    document["data"]["issue"]["lastSeen"] = "2030-01-01T00:00:00Z"
    later = ADAPTER.normalize(request(json.dumps(document).encode()))
    assert later.id != first.id


def test_size_analysis_project_slug_is_the_project_label() -> None:
    """Preprod hooks name the project `projectSlug` (camelCase); it still labels the event."""
    data = {"buildId": "42", "status": "success", "projectSlug": "ios-app", "platform": "apple"}
    body = json.dumps({"action": "completed", "data": data}).encode()
    event = ADAPTER.normalize(request(body, resource="size_analysis"))
    assert (event.type, event.labels, event.title) == (
        "sentry.size_analysis.completed",
        {"project": "ios-app"},
        "[ios-app] Sentry size analysis completed",
    )


def test_seer_event_joins_its_issue_thread() -> None:
    """A Seer hook's `group_id` threads it with the issue it is about."""
    body = json.dumps(
        {"action": "root_cause_completed", "data": {"run_id": 7, "group_id": 1170820242}}
    ).encode()
    event = ADAPTER.normalize(request(body, resource="seer"))
    assert (event.threadkey, event.subject) == ("sentry:issue:1170820242", "issue 1170820242")
