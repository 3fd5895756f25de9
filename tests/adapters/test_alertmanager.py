"""The Alertmanager adapter: token checks and one event per group notification."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.alertmanager import ADAPTER
from hub.core.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.core.severity import Severity
from hub.testing import signing
from tests.adapter_support import RECEIVED, assert_cloudevent, assert_fields, from_signed
from tests.paths import FIXTURES

TOKEN = signing.ALERTMANAGER_TOKEN


def body_of(name: str) -> bytes:
    """The bytes of one Alertmanager fixture."""
    return (FIXTURES / "alertmanager" / name).read_bytes()


def edited(name: str, **changes: Any) -> bytes:
    """A fixture with some top-level fields changed, encoded compactly as Alertmanager does."""
    body = json.loads(body_of(name)) | changes
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"


def normalize(body: bytes) -> Any:
    """The event of a signed post of `body`."""
    return ADAPTER.normalize(from_signed(signing.alertmanager(body)))


def test_firing_group_is_one_event_with_the_worst_severity_and_its_alerts() -> None:
    """A group of two firing alerts is one critical `alertmanager.alert.firing` event."""
    event = normalize(body_of("firing.json"))
    assert_fields(
        event,
        {
            "source": "alertmanager",
            "type": "alertmanager.alert.firing",
            "severity": Severity.CRITICAL,
            "state": "firing",
            "subject": "HighRequestLatency",
            "title": "FIRING (2): HighRequestLatency",
            "time": datetime(2024, 5, 1, 11, 53, tzinfo=UTC),
            "receivedat": RECEIVED,
        },
    )
    assert event.labels == {
        "receiver": "team-api",
        "notification_reason": "first notification",
        "alertname": "HighRequestLatency",
        "env": "prod",
        "job": "api",
    }
    assert event.url is not None
    assert event.url.startswith("http://prometheus.example.com:9090/")
    assert event.text.splitlines() == [
        "*Firing (2)*",
        "• `instance=web-1:8080, severity=critical` — High request latency on web-1:8080",
        "• `instance=web-2:8080, severity=warning` — High request latency on web-2:8080",
    ]
    assert_cloudevent(event, "alertmanager")


def test_group_notifications_share_one_thread_and_say_their_state() -> None:
    """Firing, partly resolved and resolved notifications of a group thread together."""
    events = [
        normalize(body_of(name))
        for name in ("firing.json", "firing.some-resolved.json", "resolved.json")
    ]
    assert len({event.threadkey for event in events}) == 1
    assert events[0].threadkey is not None
    assert events[0].threadkey.startswith("alertmanager:team-api:")
    assert [event.title for event in events] == [
        "FIRING (2): HighRequestLatency",
        "FIRING: HighRequestLatency · 1 resolved",
        "RESOLVED: HighRequestLatency",
    ]
    assert [(e.type, e.severity) for e in events][1:] == [
        ("alertmanager.alert.firing", Severity.CRITICAL),
        ("alertmanager.alert.resolved", Severity.SUCCESS),
    ]
    assert "*Firing (1)*" in events[1].text
    assert "*Resolved (1)*" in events[1].text
    assert len({event.id for event in events}) == 3


def test_unchanged_repeat_has_the_same_id() -> None:
    """A repeat (new reason, route labels, endsAt of firing alerts) is the same event id."""
    body = json.loads(body_of("firing.json"))
    for alert in body["alerts"]:
        alert["endsAt"] = "2024-05-01T16:04:30Z"
    repeat = (
        json.dumps(
            body
            | {"notification_reason": "repeat interval elapsed", "routeLabels": {"team": "api"}}
        ).encode()
        + b"\n"
    )
    assert normalize(repeat).id == normalize(body_of("firing.json")).id


def test_alert_firing_again_after_resolving_is_a_new_id() -> None:
    """The same alerts firing again start anew, so they are not taken for a repeat."""
    body = json.loads(body_of("firing.json"))
    for alert in body["alerts"]:
        alert["startsAt"] = "2024-05-01T14:00:00Z"
    again = json.dumps(body).encode()
    assert normalize(again).id != normalize(body_of("firing.json")).id


def test_one_group_key_under_two_receivers_is_two_threads() -> None:
    """The threadkey holds the receiver, so two receivers of one group thread apart."""
    ops = normalize(edited("firing.json", receiver="team-ops"))
    api = normalize(body_of("firing.json"))
    assert ops.threadkey != api.threadkey
    assert ops.id != api.id


def test_another_alertmanager_with_the_same_group_key_is_another_thread() -> None:
    """The threadkey holds the external URL, so two Alertmanagers' groups thread apart."""
    other = normalize(edited("firing.json", externalURL="http://am-2.example.com:9093"))
    assert other.threadkey != normalize(body_of("firing.json")).threadkey


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        (["page", "info"], Severity.CRITICAL),
        (["Critical"], Severity.CRITICAL),
        (["high", "warning"], Severity.ERROR),
        (["error"], Severity.ERROR),
        (["warning", "none"], Severity.WARNING),
        (["info", "none"], Severity.INFO),
        ([None], Severity.WARNING),
        (["info", None], Severity.WARNING),
        (["whatever"], Severity.WARNING),
    ],
)
def test_severity_is_the_highest_of_the_firing_alerts(
    severities: list[str | None], expected: Severity
) -> None:
    """critical/page, error/high, warning, info/none; absent or unknown reads as warning."""
    body = json.loads(body_of("firing.json"))
    template = body["alerts"][0]
    body["alerts"] = []
    for n, level in enumerate(severities):
        labels = {"alertname": "A", "instance": f"i{n}"} | ({"severity": level} if level else {})
        body["alerts"].append(template | {"labels": labels, "fingerprint": f"f{n}"})
    assert normalize(json.dumps(body).encode()).severity == expected


def test_resolved_alerts_do_not_raise_the_severity() -> None:
    """A resolved critical alert beside a firing warning leaves the group at warning."""
    body = json.loads(body_of("firing.some-resolved.json"))
    body["alerts"][0]["labels"]["severity"] = "warning"
    body["alerts"][1]["labels"]["severity"] = "critical"
    assert normalize(json.dumps(body).encode()).severity == Severity.WARNING


def test_upstream_test_payloads_are_accepted() -> None:
    """Bodies built from Alertmanager's own tests: zero times and no alertname read sensibly."""
    data = normalize(body_of("firing.template-data.json"))
    assert (data.subject, data.severity, data.time) == ('{job="foo"}', Severity.WARNING, RECEIVED)
    assert data.url == "http://example.com/"
    default = normalize(body_of("resolved.default-payload.json"))
    assert (default.type, default.title, default.url) == (
        "alertmanager.alert.resolved",
        "RESOLVED: TestAlert — Test summary",
        "http://generator.url",
    )


def test_body_before_notification_reason_and_route_labels_is_accepted() -> None:
    """An Alertmanager older than 0.32 sends neither field; the event is the same but a label."""
    body = json.loads(body_of("firing.json"))
    del body["notification_reason"], body["routeLabels"]
    old = normalize(json.dumps(body).encode())
    new = normalize(body_of("firing.json"))
    assert (old.id, old.threadkey, old.title) == (new.id, new.threadkey, new.title)
    assert "notification_reason" not in old.labels


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"status": "firing"}', id="no-alerts"),
        pytest.param(b'{"status": "pending", "alerts": []}', id="unknown-status"),
        pytest.param(b'{"text": "a custom payload"}', id="custom-payload"),
        pytest.param(b"[]", id="array"),
    ],
)
def test_body_that_is_not_a_notification_is_a_bad_payload(body: bytes) -> None:
    """Without `status` and `alerts` (a custom `payload` template) the body is refused."""
    with pytest.raises(BadPayload):
        normalize(body)


def test_other_content_type_is_unsupported() -> None:
    """Alertmanager posts JSON; a form body is refused as unsupported."""
    request = from_signed(
        signing.alertmanager(body_of("firing.json")), {"Content-Type": "text/plain"}
    )
    with pytest.raises(UnsupportedMediaType):
        ADAPTER.normalize(request)


def basic(user: str, password: str) -> str:
    """An Authorization header value for Basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(f"Bearer {TOKEN}", id="bearer"),
        pytest.param(f"bearer  {TOKEN} ", id="bearer-lowercase-spaced"),
        pytest.param(basic("alertmanager", TOKEN), id="basic-password"),
        pytest.param(basic("", TOKEN), id="basic-no-user"),
    ],
)
def test_token_as_bearer_or_basic_password_is_accepted(authorization: str) -> None:
    """http_config authorization (Bearer) or basic_auth with the token as password passes."""
    signed = signing.alertmanager(body_of("firing.json"))
    ADAPTER.verify(from_signed(signed, {"Authorization": authorization}), TOKEN)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        pytest.param(None, "missing credentials", id="missing"),
        pytest.param("Bearer wrong-token", "does not match", id="wrong-bearer"),
        pytest.param(basic(TOKEN, "wrong"), "does not match", id="token-as-user"),
        pytest.param("Basic not-base64!", "missing credentials", id="bad-basic"),
        pytest.param(f"Token {TOKEN}", "missing credentials", id="other-scheme"),
        pytest.param("Bearer ", "missing credentials", id="empty-bearer"),
    ],
)
def test_wrong_or_missing_credentials_are_refused(authorization: str | None, message: str) -> None:
    """Anything but the right token as Bearer or Basic password is a verification error."""
    signed = signing.alertmanager(body_of("firing.json"))
    with pytest.raises(VerificationError, match=message):
        ADAPTER.verify(from_signed(signed, {"Authorization": authorization}), TOKEN)


def test_token_in_query_or_custom_header_is_not_enough() -> None:
    """Only the Authorization header carries the token; `?token=` or X-Hub-Token do not."""
    signed = signing.alertmanager(body_of("firing.json"))
    request = from_signed(signed, {"Authorization": None, "X-Hub-Token": TOKEN})
    with pytest.raises(VerificationError):
        ADAPTER.verify(request, TOKEN)
