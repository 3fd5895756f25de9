"""Grafana alerting's webhook contact point: a token, and Grafana's HMAC signature when set."""

from __future__ import annotations

import hashlib
import hmac
import re

from adapters import alertgroup
from adapters.credentials import check_token
from adapters.payload import escape, labels, parse_object, string
from hub.core.errors import UnsupportedMediaType, VerificationError, verify_with_any
from hub.core.event import Event
from hub.core.sources import WebhookRequest

SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
SIGNING_SECRET_ENV = "HUB_GRAFANA_SIGNING_SECRET"  # noqa: S105 - the name of the variable
TIMESTAMP_HEADER_ENV = "HUB_GRAFANA_SIGNING_TIMESTAMP_HEADER"
MAX_CLOCK_SKEW_SECONDS = 300
_EPOCH_SECONDS = re.compile(r"[0-9]{1,12}")


class GrafanaAdapter:
    """Checks the token (and HMAC), and turns one notification into `grafana.alert.<status>`."""

    name = "grafana"
    secret_env = "HUB_GRAFANA_TOKEN"  # noqa: S105 - the name of the variable holding the secret
    options_env = (SIGNING_SECRET_ENV, SIGNING_SECRET_ENV + "_PREVIOUS", TIMESTAMP_HEADER_ENV)

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless the token matches and, when configured, the HMAC."""
        check_token(
            request,
            secret,
            self.secret_env,
            "the contact point's Authorization header credentials or basic auth",
        )
        current = request.options.get(SIGNING_SECRET_ENV)
        if current is None:
            return
        header = request.options.get(TIMESTAMP_HEADER_ENV)
        # While the secret is rotated, Grafana may still sign with the previous one.
        previous = request.options.get(SIGNING_SECRET_ENV + "_PREVIOUS")
        secrets = [current] if previous is None else [current, previous]
        verify_with_any(secrets, lambda secret: _check_signature(request, secret, header))

    def signed_content(self, request: WebhookRequest) -> bytes | None:
        """With the HMAC on, the body (accepted once per dedup window: the signature binds no
        delivery id); with the token alone, nothing is signed and the event id dedups."""
        return request.body if request.options.get(SIGNING_SECRET_ENV) else None

    def normalize(self, request: WebhookRequest) -> Event:
        """The `grafana.alert.firing|resolved` event of one notification."""
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                f"Content-Type {request.content_type or '(none)'!r} is not application/json"
            )
        body = parse_object(request.body, "Grafana notification")
        group = alertgroup.parse_group(body, "Grafana notification")
        org = string(body.get("orgId"))
        scope = (org or "",)
        return Event(
            id=alertgroup.content_id(self.name, group, *scope),
            source=self.name,
            type=f"grafana.alert.{group.status}",
            time=alertgroup.event_time(group) or request.received_at,
            receivedat=request.received_at,
            severity=alertgroup.severity(group),
            state=group.status,
            subject=alertgroup.subject(group),
            threadkey=alertgroup.thread_key(self.name, group, *scope),
            title=alertgroup.title(group),
            text=alertgroup.text(
                group, {alert.fingerprint: values_text(alert) for alert in group.alerts}
            ),
            url=alertgroup.url(group),
            labels=labels(
                {"receiver": group.receiver, "org": org} | alertgroup.route_labels(group)
            ),
            data=body,
        )


def values_text(alert: alertgroup.Alert) -> str:
    """'B=44.2394, C=1' in mrkdwn, or empty."""
    return ", ".join(f"{escape(ref)}={number}" for ref, number in alertgroup.values(alert))


def _check_signature(request: WebhookRequest, secret: str, timestamp_header: str | None) -> None:
    """Grafana's scheme: hex HMAC-SHA256 of the body, or of `<timestamp>:<body>`."""
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not given:
        raise VerificationError(
            f"missing {SIGNATURE_HEADER} header: {SIGNING_SECRET_ENV} is set, so the contact"
            " point must have HMAC signing on with the same secret"
        )
    signed = request.body
    if timestamp_header:
        sent = request.headers.get(timestamp_header, "").strip()
        if not _EPOCH_SECONDS.fullmatch(sent):
            raise VerificationError(
                f"missing or non-integer {timestamp_header} header ({TIMESTAMP_HEADER_ENV}):"
                " set the contact point's HMAC timestamp header to that name"
            )
        skew = abs(request.received_at.timestamp() - int(sent))
        if skew > MAX_CLOCK_SKEW_SECONDS:
            raise VerificationError(
                f"{timestamp_header} is {int(skew)} s away from now (limit"
                f" {MAX_CLOCK_SKEW_SECONDS} s): a replayed delivery or a wrong clock"
            )
        signed = sent.encode() + b":" + request.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass")):
        raise VerificationError(
            f"{SIGNATURE_HEADER} does not match: check {SIGNING_SECRET_ENV} is the contact"
            " point's HMAC secret"
            + (f" and that Grafana sends the {timestamp_header} header" if timestamp_header else "")
        )


ADAPTER = GrafanaAdapter()
