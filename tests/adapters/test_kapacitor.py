"""The Kapacitor adapter: shared-token authentication and alert.Data normalization."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.kapacitor import ADAPTER
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
    fixture_names,
    from_signed,
    json_objects,
    json_scalars,
    webhook_request,
)
from tests.paths import FIXTURES

TOKEN = signing.KAPACITOR_TOKEN
SERVER_A = "kapacitor/cpu/serverA"


def request(
    body: bytes,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> WebhookRequest:
    """An alert post with the given content type (None: no header), headers and query."""
    return webhook_request(body, {**(headers or {}), "Content-Type": content_type}, query)


def alert(**changes: Any) -> bytes:
    """A WARNING alert body as Kapacitor encodes it, with some fields changed."""
    data: dict[str, Any] = {
        "id": SERVER_A,
        "message": f"{SERVER_A} is WARNING",
        "details": "details",
        "time": "1971-01-01T00:00:09Z",
        "duration": 1_000_000_000,
        "level": "WARNING",
        "data": {"series": [{"name": "cpu", "tags": {"host": "serverA"}}]},
        "previousLevel": "INFO",
        "recoverable": True,
    }
    data.update(changes)
    return json.dumps(data, separators=(",", ":")).encode() + b"\n"


CASES = [
    pytest.param(
        "alert.critical.json",
        {
            "type": "kapacitor.alert.critical",
            "severity": Severity.CRITICAL,
            "state": "critical",
            "subject": "id",
            "threadkey": "kapacitor:id",
            "title": "CRITICAL: id — message",
            "time": datetime(1970, 1, 1, tzinfo=UTC),
            "text": "message\ndetails\n*alert*\n```\ntime                  value\n"
            "1970-01-01T00:00:00Z  1\n```",
            "labels": {
                "previous_level": "ok",
                "measurement": "alert",
                "recoverable": "true",
                "duration": "0s",
                "duration_seconds": "0",
            },
        },
        id="critical",
    ),
    pytest.param(
        "alert.warning.json",
        {
            "type": "kapacitor.alert.warning",
            "severity": Severity.WARNING,
            "state": "warning",
            "subject": SERVER_A,
            "threadkey": f"kapacitor:{SERVER_A}",
            "title": f"WARNING: {SERVER_A} is WARNING",
            "time": datetime(1971, 1, 1, 0, 0, 9, tzinfo=UTC),
            "labels": {
                "host": "serverA",
                "type": "usage",
                "previous_level": "info",
                "measurement": "cpu",
                "recoverable": "true",
                "duration": "1s",
                "duration_seconds": "1",
            },
        },
        id="warning",
    ),
    pytest.param(
        "alert.ok-recovery.json",
        {
            "type": "kapacitor.alert.ok",
            "severity": Severity.SUCCESS,
            "state": "ok",
            "subject": SERVER_A,
            "threadkey": f"kapacitor:{SERVER_A}",
            "title": f"OK: {SERVER_A} is OK",
            "time": datetime(1971, 1, 1, 0, 0, 11, tzinfo=UTC),
            "text": f"{SERVER_A} is OK\ndetails\n*cpu,host=serverA,type=usage*\n"
            "```\ntime                  value\n1971-01-01T00:00:11Z  29\n```",
            "labels": {
                "host": "serverA",
                "type": "usage",
                "previous_level": "critical",
                "measurement": "cpu",
                "recoverable": "true",
                "duration": "3s",
                "duration_seconds": "3",
            },
        },
        id="ok-recovery",
    ),
]
NAMES = fixture_names(CASES)


def fixture(fixtures_dir: Path, name: str) -> bytes:
    """The bytes of one Kapacitor fixture, trailing newline included."""
    return (fixtures_dir / "kapacitor" / name).read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_fixture_with_token_verifies(fixtures_dir: Path, name: str) -> None:
    """Each sample alert posted with the shared bearer token verifies."""
    ADAPTER.verify(from_signed(signing.kapacitor(fixture(fixtures_dir, name))), TOKEN)


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_fixture_normalizes_to_expected_event(
    fixtures_dir: Path, name: str, expected: dict[str, Any]
) -> None:
    """Each sample alert becomes the documented alert event."""
    assert_fields(ADAPTER.normalize(request(fixture(fixtures_dir, name))), expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_keeps_payload_and_hashes_body_for_the_id(fixtures_dir: Path, name: str) -> None:
    """The event carries the parsed alert untouched and an id hashed from the raw body."""
    body = fixture(fixtures_dir, name)
    event = ADAPTER.normalize(request(body))
    assert_carries_payload(event, body_id("kapacitor", body), body)
    assert (event.repo, event.url) == (None, None)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_event_is_a_cloudevent(fixtures_dir: Path, name: str) -> None:
    """The broker bytes of each normalized alert are a CloudEvent that reads back unchanged."""
    assert_cloudevent(ADAPTER.normalize(request(fixture(fixtures_dir, name))), "kapacitor")


def test_trailing_newline_is_accepted(fixtures_dir: Path) -> None:
    """Kapacitor's json.Encoder newline is part of the body and does not change the event."""
    body = fixture(fixtures_dir, "alert.warning.json")
    assert body.endswith(b"\n")
    with_newline = ADAPTER.normalize(request(body))
    without = ADAPTER.normalize(request(body.rstrip(b"\n")))
    assert with_newline.model_dump(exclude={"id"}) == without.model_dump(exclude={"id"})


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Authorization": f"Bearer {TOKEN}"}, {}),
        ({"authorization": f"bearer {TOKEN}"}, {}),
        ({"X-Hub-Token": TOKEN}, {}),
        ({}, {"token": TOKEN}),
    ],
    ids=["bearer", "bearer-lowercase", "x-hub-token", "query"],
)
def test_token_is_accepted_from_each_place(headers: dict[str, str], query: dict[str, str]) -> None:
    """The token verifies from the Authorization bearer, X-Hub-Token or the ?token= query."""
    ADAPTER.verify(request(alert(), headers=headers, query=query), TOKEN)


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Authorization": "Bearer wrong"}, {}),
        ({"X-Hub-Token": "wrong"}, {}),
        ({}, {"token": "wrong"}),
        ({"X-Hub-Token": TOKEN[:-1] + "ñ"}, {}),
    ],
    ids=["bearer", "x-hub-token", "query", "non-ascii"],
)
def test_wrong_token_is_refused(headers: dict[str, str], query: dict[str, str]) -> None:
    """A token that differs from the configured one does not verify, wherever it is sent."""
    with pytest.raises(VerificationError, match="does not match"):
        ADAPTER.verify(request(alert(), headers=headers, query=query), TOKEN)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer "}],
    ids=["none", "basic-auth", "empty-bearer"],
)
def test_missing_token_is_refused(headers: dict[str, str]) -> None:
    """A post without a bearer token, X-Hub-Token or ?token= does not verify."""
    with pytest.raises(VerificationError, match="missing token"):
        ADAPTER.verify(request(alert(), headers=headers), TOKEN)


def test_empty_configured_token_is_refused() -> None:
    """An empty configured token never matches, not even an empty one."""
    with pytest.raises(VerificationError):
        ADAPTER.verify(request(alert(), query={"token": ""}), "")


def test_missing_content_type_is_parsed_as_json() -> None:
    """An alert-template post, which has no Content-Type, is still read as JSON."""
    assert ADAPTER.normalize(request(alert(), content_type=None)).type == "kapacitor.alert.warning"


def test_other_content_type_is_unsupported() -> None:
    """A content type other than application/json is refused as unsupported."""
    with pytest.raises(UnsupportedMediaType, match="text/plain"):
        ADAPTER.normalize(request(alert(), content_type="text/plain"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        *NOT_JSON_OBJECTS,
        pytest.param(b'{"id": "x"}', "`id` and `level`", id="no-level"),
        pytest.param(b'{"id": 7, "level": "OK"}', "`id` and `level`", id="int-id"),
    ],
)
def test_bad_body_is_a_bad_payload(body: bytes, message: str) -> None:
    """A body that is not a JSON alert object with an id and a level is a bad payload."""
    with pytest.raises(BadPayload, match=message):
        ADAPTER.normalize(request(body))


def test_unknown_level_is_kept_as_unknown_info() -> None:
    """A level Kapacitor does not define is routed as `unknown` at info, not rejected."""
    event = ADAPTER.normalize(request(alert(level="unknown")))
    assert (event.type, event.state, event.severity) == (
        "kapacitor.alert.unknown",
        "unknown",
        Severity.INFO,
    )


def test_duration_is_humanized() -> None:
    """The nanosecond duration becomes readable text and exact seconds."""
    labels = ADAPTER.normalize(request(alert(duration=5_430_500_000_000))).labels
    assert (labels["duration"], labels["duration_seconds"]) == ("1h 30m", "5430.5")


def test_absurd_duration_is_dropped() -> None:
    """A duration too large for a float is left out instead of failing the alert."""
    labels = ADAPTER.normalize(request(alert(duration=10**400))).labels
    assert "duration" not in labels


def test_own_labels_win_over_series_tags() -> None:
    """A series tag named like one of hub's labels does not override it."""
    series = [{"name": "cpu", "tags": {"measurement": "spoof", "env": "prod"}}]
    labels = ADAPTER.normalize(request(alert(data={"series": series}))).labels
    assert (labels["measurement"], labels["env"]) == ("cpu", "prod")


def test_details_html_is_stripped_and_text_escaped() -> None:
    """HTML details become plain text, and user text is escaped for mrkdwn."""
    details = "<html><style>p {}</style><p>Load &gt; 9 on <b>web-1</b></p>\n<p>a & b</p></html>"
    event = ADAPTER.normalize(request(alert(message="<!here> cpu high", details=details)))
    assert event.text.splitlines()[:3] == [
        "&lt;!here&gt; cpu high",
        "Load &gt; 9 on web-1",
        "a &amp; b",
    ]


def test_series_values_render_as_a_table() -> None:
    """Series values render as a header of columns over rows of values, in a code block."""
    series = [
        {
            "name": "cpu",
            "tags": {"host": "web-1"},
            "columns": ["time", "usage_idle", "ok"],
            "values": [["2024-05-01T12:00:00Z", 3.5, True], ["2024-05-01T12:01:00Z", None, False]],
        }
    ]
    text = ADAPTER.normalize(request(alert(data={"series": series}))).text
    assert text.split("\n", 2)[2] == (
        "*cpu,host=web-1*\n```\n"
        "time                  usage_idle  ok\n"
        "2024-05-01T12:00:00Z  3.5         true\n"
        "2024-05-01T12:01:00Z  -           false\n```"
    )


_KEYS = (
    "id",
    "message",
    "details",
    "time",
    "duration",
    "level",
    "data",
    "series",
    "name",
    "tags",
    "columns",
    "values",
    "previousLevel",
    "recoverable",
)
_SCALARS = json_scalars("OK", "CRITICAL", "warning", "1971-01-01T00:00:09Z", "<b>x</b>")
_ALERTS = json_objects(_KEYS, _SCALARS, {"id": st.text(max_size=12), "level": _SCALARS})


@settings(max_examples=300, deadline=None)
@given(payload=_ALERTS)
def test_any_json_object_gives_an_event_or_bad_payload(payload: dict[str, Any]) -> None:
    """Normalizing any JSON object returns a serializable Event or raises BadPayload."""
    assert_event_or_bad_payload(
        "kapacitor", lambda: ADAPTER.normalize(request(json.dumps(payload).encode()))
    )


def test_service_test_post_is_a_test_at_the_receive_time() -> None:
    """Kapacitor's service test (no id, Go's zero time) is said to be a test, timed on receipt."""
    body = (FIXTURES / "kapacitor" / "service-test.json").read_bytes()
    event = ADAPTER.normalize(request(body))
    assert (event.time, event.severity, event.subject, event.threadkey) == (
        RECEIVED,
        Severity.INFO,
        None,
        None,
    )
    assert event.title.startswith("Kapacitor test post")
    assert event.labels["test"] == "true"


def test_alert_template_body_is_taken_as_the_message() -> None:
    """A body rendered by the docs' alert-template (not JSON, no Content-Type) is the message."""
    body = (FIXTURES / "kapacitor" / "alert.template-docs.txt").read_bytes()
    event = ADAPTER.normalize(request(body, content_type=None))
    assert (event.type, event.severity, event.labels, event.data) == (
        "kapacitor.alert.unknown",
        Severity.INFO,
        {"format": "text"},
        body.decode(),
    )
    assert event.title == f"Kapacitor alert: {body.decode()}"
    assert event.text == body.decode()


def test_templated_body_is_escaped_and_json_bodies_stay_strict() -> None:
    """Template text is escaped for mrkdwn; a JSON post that is not an alert is still refused."""
    event = ADAPTER.normalize(request(b"<!channel> cpu & disk", content_type=None))
    assert event.text == "&lt;!channel&gt; cpu &amp; disk"
    with pytest.raises(BadPayload):
        ADAPTER.normalize(request(b"<!channel> cpu", content_type="application/json"))
    with pytest.raises(BadPayload):
        ADAPTER.normalize(request(b"  \n", content_type=None))
