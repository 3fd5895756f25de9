"""Sentry integration-platform webhooks: HMAC-signed, shaped by `Sentry-Hook-Resource`."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any

from adapters.payload import (
    labels,
    obj,
    one_line,
    parse_object,
    require_secret,
    slug,
    string,
    timestamp,
)
from adapters.sentry.resources import summarize
from hub.core.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.core.event import Event
from hub.core.sources import WebhookRequest, body_id

MAX_CLOCK_SKEW_SECONDS = 300
# Since Sentry renamed "ignore" to "archive" it sends both actions for one act.
_IGNORE_TWINS = frozenset({"ignored", "archived"})
_EPOCH_SECONDS = re.compile(r"[0-9]{1,12}")


class SentryAdapter:
    """Verifies Sentry's HMAC and freshness, and normalizes each resource's payload."""

    name = "sentry"
    secret_env = "HUB_SENTRY_CLIENT_SECRET"  # noqa: S105 - the name of the variable holding the secret

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless the body's HMAC matches and the timestamp is fresh."""
        require_secret(secret, self.secret_env, "the Client Secret")
        sent_at = _hook_timestamp(request)
        if sent_at is None:
            raise VerificationError("missing or non-integer Sentry-Hook-Timestamp header")
        skew = abs(_aware(request.received_at).timestamp() - sent_at)
        if skew > MAX_CLOCK_SKEW_SECONDS:
            raise VerificationError(
                f"Sentry-Hook-Timestamp is {int(skew)} s away from now (limit"
                f" {MAX_CLOCK_SKEW_SECONDS} s): a replayed delivery or a wrong clock"
            )
        given = request.headers.get("Sentry-Hook-Signature", "").strip().lower()
        if not given:
            raise VerificationError("missing Sentry-Hook-Signature header")
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass")):
            raise VerificationError(
                "Sentry-Hook-Signature does not match: check HUB_SENTRY_CLIENT_SECRET is the"
                " integration's Client Secret"
            )

    def signed_content(self, request: WebhookRequest) -> bytes:
        """The body: Sentry signs neither Sentry-Hook-Timestamp nor Request-ID."""
        return request.body

    def normalize(self, request: WebhookRequest) -> Event:
        """The `sentry.<resource>.<action>` event of one integration webhook."""
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                f"Content-Type {request.content_type or '(none)'!r} is not application/json"
            )
        resource = slug(request.headers.get("Sentry-Hook-Resource"))
        if not resource:
            raise BadPayload("missing Sentry-Hook-Resource header: Sentry sends it on every hook")
        body = parse_object(request.body, "Sentry payload")
        action = slug(body.get("action"))
        if not action:
            raise BadPayload("the Sentry payload has no `action`")
        data = obj(body.get("data"))
        twin_id = None
        if resource == "issue" and action in _IGNORE_TWINS:
            action, twin_id = "ignored", _ignore_id(body, data)
        summary = summarize(resource, action, data)
        hook_time = _hook_timestamp(request)
        return Event(
            id=twin_id
            or (request.headers.get("Request-ID") or "").strip()
            or body_id(self.name, request.body),
            source=self.name,
            type=f"sentry.{resource}.{action}",
            time=summary.time or timestamp(hook_time) or request.received_at,
            receivedat=request.received_at,
            severity=summary.severity,
            state=summary.state,
            subject=summary.subject,
            threadkey=summary.threadkey,
            title=one_line(summary.title),
            text=summary.text,
            url=summary.url,
            actor=string(obj(body.get("actor")).get("name")),
            labels=labels(summary.labels),
            data=body,
        )


def _ignore_id(body: dict[str, Any], data: dict[str, Any]) -> str:
    """One id for the `issue.ignored` and `issue.archived` that Sentry sends for one act.

    Both carry the same issue state and actor, so the one that arrives second is answered as a
    duplicate; a later ignore of the same issue follows new events or an unresolve, and differs.
    """
    issue = obj(data.get("issue"))
    act = [
        string(obj(body.get("installation")).get("uuid")),
        string(issue.get("id")),
        string(issue.get("status")),
        string(issue.get("substatus")),
        issue.get("statusDetails"),
        string(issue.get("lastSeen")),
        string(obj(body.get("actor")).get("id")),
    ]
    return body_id("sentry:issue.ignored", json.dumps(act, sort_keys=True, default=str).encode())


def _hook_timestamp(request: WebhookRequest) -> int | None:
    value = request.headers.get("Sentry-Hook-Timestamp", "").strip()
    return int(value) if _EPOCH_SECONDS.fullmatch(value) else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


ADAPTER = SentryAdapter()
