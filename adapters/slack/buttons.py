"""The ChatOps buttons on messages that call for action, and the value they carry back to hub."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from adapters.slack.blocks import MAX_ACTION_VALUE, button, plain
from hub.core.event import Event
from hub.core.severity import Severity

ACK_ACTION = "hub_ack"
MUTE_ACTION = "hub_mute_1h"
RUN_ACTION_PREFIX = "hub_run_"
"""A button that runs an action of actions.yaml: `hub_run_<name>`."""
LINK_ACTION_PREFIX = "hub_link_"
"""Link buttons open a page; Slack still reports their clicks, which hub acks and ignores."""


def actionable(event: Event, alert: bool) -> bool:
    """Whether someone should act: an error or worse, or an alert source's warning or worse."""
    floor = Severity.WARNING if alert else Severity.ERROR
    return event.severity.rank >= floor.rank


def action_value(event: Event) -> str | None:
    """`{"k": threadkey or id, "e": id}` as compact JSON within Slack's 2000 characters."""
    for key in (event.threadkey or event.id, event.id):
        value = json.dumps({"k": key, "e": event.id}, separators=(",", ":"))
        if len(value) <= MAX_ACTION_VALUE:
            return value
    return None


def parse_action_value(value: str) -> tuple[str, str]:
    """(threadkey or event id, event id) from a hub button's value; ValueError if it is not one."""
    try:
        data = json.loads(value)
    except ValueError:
        raise ValueError("the button value is not JSON") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "ke"):
        raise ValueError('the button value is not {"k": …, "e": …}')
    return data["k"], data["e"]


def chatops_buttons(event: Event, annotations: Mapping[str, str]) -> list[dict[str, Any]]:
    """Acknowledge (until someone has) and Mute 1h, each naming the thread and the event."""
    value = action_value(event)
    if value is None:
        return []
    shown: list[tuple[str, str, str | None]] = [("Mute 1h", MUTE_ACTION, None)]
    if not annotations.get("acknowledged_by"):
        shown.insert(0, ("Acknowledge", ACK_ACTION, "primary"))
    return [button(text, action_id, value=value, style=style) for text, action_id, style in shown]


@dataclass(frozen=True)
class RunButton:
    """An action's button on one event's message: what it runs, with what, and how it asks."""

    name: str
    label: str
    params: Mapping[str, str] = field(default_factory=dict)
    confirm: bool = False
    style: str | None = None


@dataclass(frozen=True)
class RunValue:
    """What a pressed run button carries back: the action, the thread, the event, the params."""

    name: str
    key: str
    event_id: str
    params: dict[str, str]


def run_buttons(event: Event, buttons: Sequence[RunButton]) -> list[dict[str, Any]]:
    """One button per action, each naming the action and the event (with a confirm dialog for
    actions marked `confirm`); one whose value would pass Slack's 2000 characters is left out."""
    shown = []
    for wanted in buttons:
        value = run_value(wanted.name, event.threadkey or event.id, event.id, wanted.params)
        if value is None:
            continue
        element = button(
            wanted.label, RUN_ACTION_PREFIX + wanted.name, value=value, style=wanted.style
        )
        if wanted.confirm:
            element["confirm"] = confirm_dialog(wanted.label, event.title)
        shown.append(element)
    return shown


def run_value(name: str, key: str, event_id: str, params: Mapping[str, str]) -> str | None:
    """`{"a": action, "k": threadkey, "e": event id, "p": params}` within 2000 characters."""
    data = {"a": name, "k": key, "e": event_id, "p": dict(params)}
    value = json.dumps(data, separators=(",", ":"))
    return value if len(value) <= MAX_ACTION_VALUE else None


def parse_run_value(value: str) -> RunValue:
    """A run button's value; ValueError when it is not one."""
    try:
        data = json.loads(value)
    except ValueError:
        raise ValueError("the button value is not JSON") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "ake"):
        raise ValueError('the button value is not {"a": …, "k": …, "e": …, "p": {…}}')
    params = data.get("p") or {}
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise ValueError("the button's parameters are not strings")
    return RunValue(data["a"], data["k"], data["e"], {str(k): v for k, v in params.items()})


def confirm_dialog(label: str, about: str) -> dict[str, Any]:
    """Slack's confirmation dialog: title, text, and the confirm and deny buttons."""
    return {
        "title": plain(f"{label}?", 100),
        "text": plain(f"{label}: {about}", 300),
        "confirm": plain(label, 30),
        "deny": plain("Cancel", 30),
        "style": "danger",
    }


class WherePressed(TypedDict):
    """Who pressed a button, and on which message."""

    user_id: str
    channel_id: str
    channel_name: str
    message_ts: str


def where_pressed(payload: Mapping[str, Any]) -> WherePressed:
    """Who pressed and where, from Slack's `block_actions` payload (channel and message ts from
    `channel`/`message`, else from `container`, which is all an ephemeral message has)."""
    channel = payload.get("channel") or {}
    container = payload.get("container") or {}
    message = payload.get("message") or {}
    return WherePressed(
        user_id=str((payload.get("user") or {}).get("id", "")),
        channel_id=str(channel.get("id") or container.get("channel_id", "")),
        channel_name=str(channel.get("name", "")),
        message_ts=str(message.get("ts") or container.get("message_ts", "")),
    )
