"""Every action request as an event of hub's own (`hub.action.<name>`) for the stream."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hub.actions.request import Outcome, Request
from hub.core.event import Event
from hub.core.severity import Severity

SOURCE = "hub"
_SEVERITY = {
    "done": Severity.SUCCESS,
    "failed": Severity.ERROR,
    "refused": Severity.WARNING,
    "limited": Severity.WARNING,
    "repeat": Severity.INFO,
}
_VERB = {
    "done": "ran",
    "failed": "ran, and it failed:",
    "refused": "was refused",
    "limited": "was held back by the rate limit of",
    "repeat": "repeated a press of",
}


def action_event(request: Request, outcome: Outcome, via: str) -> Event:
    """The `hub.action.<name>` event recording who asked for what, and what came of it.

    It names the event it acted on in `labels.event` and `labels.threadkey` but is not in that
    thread itself: as a thread's latest event it would replace the parent message.
    """
    now = datetime.now(UTC)
    action = outcome.action
    params = dict(outcome.params or request.found)
    name = action.name if action is not None else request.name
    target = params.get("repo") or ""
    what = f"{name} on {target}" if target else name
    title = f"{request.user_id} {_VERB[outcome.result]} {what}"
    labels = {
        "action": name,
        "kind": action.kind if action is not None else "",
        "outcome": outcome.result,
        "user": request.user_id,
        "via": via,
        "event": params.get("event", ""),
        "threadkey": str((request.event.threadkey if request.event else None) or ""),
    }
    return Event(
        id=f"hub-action-{uuid.uuid4().hex}",
        source=SOURCE,
        type=f"hub.action.{name}",
        time=now,
        receivedat=now,
        severity=_SEVERITY[outcome.result],
        state=outcome.result,
        subject=what,
        title=title,
        text=outcome.text,
        url=outcome.url,
        actor=request.user_id,
        repo=params.get("repo"),
        labels={k: v for k, v in labels.items() if v},
        data={
            "action": name,
            "outcome": outcome.result,
            "message": outcome.text,
            "url": outcome.url,
            "user": request.user_id,
            "params": params,
            "given": dict(request.given),
            "via": via,
        },
    )
