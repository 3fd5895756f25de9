"""The ChatOps buttons on messages that call for action, and the value they carry back to hub."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.slack.blocks import MAX_ACTION_VALUE, button
from hub.core.event import Event
from hub.core.severity import Severity

ACK_ACTION = "hub_ack"
MUTE_ACTION = "hub_mute_1h"
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
