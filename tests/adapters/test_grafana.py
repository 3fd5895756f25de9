"""The Grafana adapter: token and HMAC checks, and one event per contact-point notification."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from adapters.grafana import ADAPTER, SIGNING_SECRET_ENV, TIMESTAMP_HEADER_ENV
from hub.core.errors import VerificationError
from hub.core.event import Event
from hub.core.severity import Severity
from hub.core.sources import WebhookRequest
from hub.testing import signing
from tests.adapter_support import RECEIVED, assert_cloudevent, assert_fields, from_signed
from tests.paths import FIXTURES

TOKEN = signing.GRAFANA_TOKEN
SECRET = signing.GRAFANA_SIGNING_SECRET
STAMP = "X-Grafana-Alerting-Signature-Timestamp"


def body_of(name: str) -> bytes:
    """The bytes of one Grafana fixture."""
    return (FIXTURES / "grafana" / name).read_bytes()


def configured(request: WebhookRequest, secret: str | None, header: str | None) -> WebhookRequest:
    """The request as the receiver hands it over with hub's Grafana signing settings."""
    options = {SIGNING_SECRET_ENV: secret, TIMESTAMP_HEADER_ENV: header}
    return dataclasses.replace(request, options={k: v for k, v in options.items() if v is not None})


def normalize(name: str) -> Event:
    """The event of a signed post of one fixture."""
    return ADAPTER.normalize(from_signed(signing.grafana(body_of(name))))


def test_docs_example_is_one_firing_event_with_values() -> None:
    """Grafana's documented example: two firing alerts, their values, org and team labels."""
    event = normalize("firing.json")
    assert_fields(
        event,
        {
            "source": "grafana",
            "type": "grafana.alert.firing",
            "severity": Severity.WARNING,
            "state": "firing",
            "subject": "High memory usage, High CPU usage",
            "url": "https://play.grafana.org/alerting/1afz29v7z/edit",
            "time": datetime(2021, 10, 12, 7, 56, 3, 157076, tzinfo=UTC),
        },
    )
    assert event.labels == {
        "receiver": "My Super Webhook",
        "org": "1",
        "team": "blue",
        "alertname": "High memory usage,High CPU usage",
    }
    assert event.text.splitlines()[1] == (
        "• `alertname=High memory usage, zone=us-1` — This alert was triggered for zone us-1"
        " — B=44.239, C=1"
    )
    assert_cloudevent(event, "grafana")


def test_firing_and_resolved_share_a_thread_per_org() -> None:
    """The resolution threads under its firing; the same group in another org does not."""
    firing, resolved = normalize("firing.json"), normalize("resolved.json")
    assert firing.threadkey == resolved.threadkey
    assert firing.threadkey is not None
    assert (resolved.type, resolved.severity, resolved.title) == (
        "grafana.alert.resolved",
        Severity.SUCCESS,
        "RESOLVED: High memory usage, High CPU usage",
    )
    other_org = json.loads(body_of("firing.json")) | {"orgId": 2}
    moved = ADAPTER.normalize(from_signed(signing.grafana(json.dumps(other_org).encode())))
    assert moved.threadkey != firing.threadkey
    assert moved.id != firing.id


def test_zero_times_fall_back_to_the_receive_time() -> None:
    """Grafana's test alert has Go's zero startsAt; the event time is when hub received it."""
    event = normalize("firing.panel.json")
    assert (event.time, event.subject, event.labels["lbl1"]) == (RECEIVED, "alert1", "val1")


def test_token_alone_passes_when_no_signing_secret_is_set() -> None:
    """Without HUB_GRAFANA_SIGNING_SECRET the token is the whole check."""
    request = from_signed(signing.grafana(body_of("firing.json")))
    ADAPTER.verify(configured(request, None, None), TOKEN)


def test_body_signature_passes() -> None:
    """Grafana's hex HMAC-SHA256 of the body, with the token, passes."""
    request = from_signed(signing.grafana(body_of("firing.json")))
    ADAPTER.verify(configured(request, SECRET, None), TOKEN)


def test_timestamped_signature_passes() -> None:
    """With a timestamp header, the HMAC of `<timestamp>:<body>` passes."""
    sent = int(RECEIVED.timestamp()) - 5
    request = from_signed(signing.grafana(body_of("firing.json"), STAMP, sent))
    ADAPTER.verify(configured(request, SECRET, STAMP), TOKEN)


@pytest.mark.parametrize(
    ("changes", "header", "message"),
    [
        ({"X-Grafana-Alerting-Signature": None}, None, "missing X-Grafana-Alerting-Signature"),
        ({"X-Grafana-Alerting-Signature": "0" * 64}, None, "does not match"),
        ({STAMP: None}, STAMP, "missing or non-integer"),
        ({STAMP: "soon"}, STAMP, "missing or non-integer"),
        ({STAMP: str(int(RECEIVED.timestamp()) - 301)}, STAMP, "301 s away"),
        ({STAMP: str(int(RECEIVED.timestamp()) - 1)}, STAMP, "does not match"),
    ],
    ids=["no-signature", "wrong-signature", "no-stamp", "bad-stamp", "stale", "other-stamp"],
)
def test_bad_signature_is_refused(
    changes: dict[str, str | None], header: str | None, message: str
) -> None:
    """A missing or wrong signature, or a missing, stale or altered timestamp, is refused."""
    sent = int(RECEIVED.timestamp())
    signed = signing.grafana(body_of("firing.json"), header, sent)
    request = configured(from_signed(signed, changes), SECRET, header)
    with pytest.raises(VerificationError, match=message):
        ADAPTER.verify(request, TOKEN)


def test_body_signature_is_refused_when_timestamps_are_expected() -> None:
    """A body-only signature does not pass when hub expects Grafana's timestamp scheme."""
    signed = signing.grafana(body_of("firing.json"))
    request = configured(
        from_signed(signed, {STAMP: str(int(RECEIVED.timestamp()))}), SECRET, STAMP
    )
    with pytest.raises(VerificationError, match="does not match"):
        ADAPTER.verify(request, TOKEN)


def test_signed_post_with_a_wrong_token_is_refused() -> None:
    """A good signature does not stand in for the token."""
    request = configured(from_signed(signing.grafana(body_of("firing.json"))), SECRET, None)
    with pytest.raises(VerificationError, match="HUB_GRAFANA_TOKEN"):
        ADAPTER.verify(request, "another-token")


def test_missing_authorization_is_refused() -> None:
    """A post without the Authorization header is refused even when signed."""
    signed = signing.grafana(body_of("firing.json"))
    request = configured(from_signed(signed, {"Authorization": None}), SECRET, None)
    with pytest.raises(VerificationError, match="missing credentials"):
        ADAPTER.verify(request, TOKEN)


def test_a_previous_signing_secret_passes_while_it_is_rotated() -> None:
    """With HUB_GRAFANA_SIGNING_SECRET_PREVIOUS set, a post signed with the old secret passes;
    without it, the same post is refused."""
    request = from_signed(signing.grafana(body_of("firing.json")))
    rotated = configured(request, "the-new-secret", None)
    with pytest.raises(VerificationError):
        ADAPTER.verify(rotated, TOKEN)
    options = {**rotated.options, SIGNING_SECRET_ENV + "_PREVIOUS": SECRET}
    ADAPTER.verify(dataclasses.replace(rotated, options=options), TOKEN)
