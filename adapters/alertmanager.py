"""Prometheus Alertmanager's `webhook_config` posts (version 4), authenticated by a shared token."""

from __future__ import annotations

from adapters import alertgroup
from adapters.credentials import check_token
from adapters.payload import labels, parse_object, string
from hub.core.errors import UnsupportedMediaType
from hub.core.event import Event
from hub.core.sources import WebhookRequest


class AlertmanagerAdapter:
    """Checks the token and turns one group notification into `alertmanager.alert.<status>`."""

    name = "alertmanager"
    secret_env = "HUB_ALERTMANAGER_TOKEN"  # noqa: S105 - the name of the variable holding the secret

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless the Bearer token or Basic password is `secret`."""
        check_token(
            request,
            secret,
            self.secret_env,
            "Alertmanager's http_config authorization or basic_auth",
        )

    def signed_content(self, request: WebhookRequest) -> bytes | None:
        """None: a token signs nothing; the event id (a hash of the group's state) dedups."""
        return None

    def normalize(self, request: WebhookRequest) -> Event:
        """The `alertmanager.alert.firing|resolved` event of one notification."""
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                f"Content-Type {request.content_type or '(none)'!r} is not application/json"
            )
        body = parse_object(request.body, "Alertmanager notification")
        group = alertgroup.parse_group(body, "Alertmanager notification")
        return Event(
            id=alertgroup.content_id(self.name, group),
            source=self.name,
            type=f"alertmanager.alert.{group.status}",
            time=alertgroup.event_time(group) or request.received_at,
            receivedat=request.received_at,
            severity=alertgroup.severity(group),
            state=group.status,
            subject=alertgroup.subject(group),
            threadkey=alertgroup.thread_key(self.name, group),
            title=alertgroup.title(group),
            text=alertgroup.text(group),
            url=alertgroup.url(group),
            labels=labels(
                {
                    "receiver": group.receiver,
                    "notification_reason": string(body.get("notification_reason")),
                }
                | alertgroup.route_labels(group)
            ),
            data=body,
        )


ADAPTER = AlertmanagerAdapter()
