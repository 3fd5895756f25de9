"""What the deliverer knows about a thread (acknowledged, muted, since when) as context facts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from adapters.slack.blocks import escape, slack_date
from adapters.slack.view import words
from hub.core.event import Event

ANNOTATION_KEYS = (
    "acknowledged_by",
    "acknowledged_at",
    "muted_until",
    "previous_state",
    "since",
    "updates",
)
"""The keys `render(annotations=…)` reads; any other key is ignored."""

# Only a real user or user-group mention is passed through; anything else is shown as text.
_MENTION = re.compile(r"<(?:@[UW][A-Z0-9]{2,30}|!subteam\^[A-Z0-9]{2,30})>")


def annotation_parts(event: Event, notes: Mapping[str, str]) -> list[str]:
    """'*failed* since …', 'was passed', 'Acknowledged by <@U1> …', 'Muted until …', 'N updates'."""
    parts: list[str] = []
    if since := notes.get("since"):
        state = f"*{escape(words(event.state))}* since" if event.state else "since"
        parts.append(f"{state} {_when(since)}")
    if previous := notes.get("previous_state"):
        parts.append(f"was {escape(words(previous))}")
    if by := notes.get("acknowledged_by"):
        who = by if _MENTION.fullmatch(by) else escape(by)
        at = notes.get("acknowledged_at")
        parts.append(f":eyes: Acknowledged by {who}" + (f" {_when(at)}" if at else ""))
    if until := notes.get("muted_until"):
        parts.append(f":mute: Muted until {_when(until)}")
    if updates := notes.get("updates"):
        parts.append(_updates(updates))
    return [part for part in parts if part]


def _updates(value: str) -> str:
    try:
        count = int(value)
    except ValueError:
        return f":speech_balloon: {escape(value)} updates in thread"
    return (
        f":speech_balloon: {count} update{'' if count == 1 else 's'} in thread" if count > 0 else ""
    )


def _when(value: str) -> str:
    """An ISO time in each reader's time zone; text that is not one is shown as given."""
    try:
        return slack_date(datetime.fromisoformat(value.strip()))
    except ValueError:
        return escape(value)
