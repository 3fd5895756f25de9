"""GitHub webhooks: X-Hub-Signature-256 verification and normalization of every event kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from adapters.github.ci import (
    check_run,
    check_suite,
    deployment,
    status,
    workflow_job,
    workflow_run,
)
from adapters.github.delivery import Delivery, Node
from adapters.github.repo import create_or_delete, generic, ping, push, release, star
from adapters.github.review import (
    issue_comment,
    issues,
    pull_request,
    pull_request_review,
    pull_request_review_comment,
)
from adapters.payload import (
    Summary,
    check_hub_signature,
    clip,
    one_line,
    parse_object,
    require_secret,
    slug,
)
from hub.core.errors import BadPayload, UnsupportedMediaType
from hub.core.event import Event
from hub.core.sources import WebhookRequest, body_id

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


KINDS: dict[str, Callable[[Delivery], Summary]] = {
    "ping": ping,
    "push": push,
    "create": create_or_delete,
    "delete": create_or_delete,
    "pull_request": pull_request,
    "pull_request_review": pull_request_review,
    "pull_request_review_comment": pull_request_review_comment,
    "issues": issues,
    "issue_comment": issue_comment,
    "release": release,
    "workflow_run": workflow_run,
    "workflow_job": workflow_job,
    "check_run": check_run,
    "check_suite": check_suite,
    "deployment": deployment,
    "deployment_status": deployment,
    "status": status,
    "star": star,
}
"""The event kinds hub knows by `X-GitHub-Event`; any other goes to `generic`."""


def summarize(delivery: Delivery) -> Summary:
    """The summary of a delivery by its event's own rule, or by `generic` for any other event."""
    return KINDS.get(delivery.event, generic)(delivery)


class GitHubAdapter:
    """GitHub repository, organization and App webhooks."""

    name = "github"
    secret_env = "HUB_GITHUB_SECRET"  # noqa: S105 - the variable's name, not a secret

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless X-Hub-Signature-256 is the body's HMAC with `secret`."""
        require_secret(secret, self.secret_env, "the webhook's secret")
        check_hub_signature(
            request.headers,
            request.body,
            secret,
            f"give the GitHub webhook a secret equal to {self.secret_env}",
            f"check that the webhook's secret equals {self.secret_env} and that nothing "
            "rewrites the body in transit",
        )

    def signed_content(self, request: WebhookRequest) -> bytes:
        """The body: GitHub signs neither X-GitHub-Delivery nor X-GitHub-Event."""
        return request.body

    def normalize(self, request: WebhookRequest) -> Event:
        """Turn a GitHub delivery into an `Event`; raise `BadPayload`/`UnsupportedMediaType`."""
        event = slug(_header(request.headers, "X-GitHub-Event"))
        if not event:
            raise BadPayload(
                "missing X-GitHub-Event header: GitHub names the event in it on every delivery"
            )
        payload = _payload(request)
        body = Node(payload)
        action = slug(body["action"].value) or None
        delivery = Delivery(event=event, action=action, body=body)
        summary = summarize(delivery)
        return Event(
            id=_header(request.headers, "X-GitHub-Delivery") or body_id(self.name, request.body),
            source=self.name,
            type=".".join(part for part in (self.name, event, action) if part),
            time=summary.time or request.received_at,
            receivedat=request.received_at,
            severity=summary.severity,
            state=summary.state,
            subject=summary.subject or None,
            threadkey=summary.threadkey,
            title=clip(one_line(summary.title), 300),
            text=summary.text,
            url=summary.url,
            actor=delivery.actor,
            repo=delivery.repo,
            branch=summary.branch,
            labels={k: v for k, v in summary.labels.items() if v},
            data=payload,
        )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's non-blank value, found case-insensitively even in a plain dict."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return (value.strip() or None) if isinstance(value, str) else None


def _payload(request: WebhookRequest) -> dict[str, Any]:
    """The JSON object from a JSON body or from a form body's `payload` field."""
    if request.content_type == _JSON:
        return parse_object(request.body, "request body")
    if request.content_type == _FORM:
        return parse_object(_form_field(request.body), "form field 'payload'")
    raise UnsupportedMediaType(
        f"content type {request.content_type or 'none'!r} is not supported: set the GitHub "
        f"webhook's content type to {_JSON} (or {_FORM})"
    )


def _form_field(body: bytes) -> bytes:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadPayload(f"the form body is not valid UTF-8 (byte {exc.start})") from None
    values = fields.get("payload")
    if not values:
        raise BadPayload("the form body has no 'payload' field; GitHub sends the event JSON in it")
    return values[0].encode()


ADAPTER = GitHubAdapter()
