"""How a Kapacitor alert reads in Slack: level and previous level, duration, tags, the values."""

from __future__ import annotations

import html

from adapters.slack.blocks import escape
from adapters.slack.view import View, code
from hub.core.event import Event

# Labels the adapter adds itself; every other label is a tag of the alert's series.
_OWN = ("previous_level", "measurement", "recoverable", "duration", "duration_seconds")
_MAX_TAGS = 5


def view(event: Event) -> View:
    """An alert: the level change at a glance, then the series values as the adapter tabled them."""
    level = (event.state or "unknown").upper()
    previous = event.labels.get("previous_level", "").upper()
    duration = event.labels.get("duration", "")
    tags = [(k, escape(v)) for k, v in event.labels.items() if k not in _OWN][:_MAX_TAGS]
    return View(
        body=_body(event),
        fields=[
            ("Level", f"*{escape(level)}*"),
            ("Previous level", escape(previous) if previous != level else ""),
            ("Duration", escape(duration) if duration != "0s" else ""),
            ("Alert", code(event.subject)),
            ("Measurement", code(event.labels.get("measurement"))),
            *tags,
            ("Recoverable", "no" if event.labels.get("recoverable") == "false" else ""),
        ],
        context=["Kapacitor"],
        change=" · ".join(
            p for p in (_change(level, previous, duration), code(event.subject)) if p
        ),
        alert=True,
    )


def _change(level: str, previous: str, duration: str) -> str:
    """'*CRITICAL → OK* after 3s'; a level that did not change reads alone."""
    moved = f"*{escape(previous)} → {escape(level)}*" if previous and previous != level else ""
    head = moved or f"*{escape(level)}*"
    if not duration or duration == "0s":
        return head
    # Kapacitor's duration is how long the alert has been away from OK.
    return (
        f"{head} after {escape(duration)}" if level == "OK" else f"{head} · for {escape(duration)}"
    )


def _body(event: Event) -> str:
    """The adapter's text without its first line when that only repeats the title's message."""
    first, _, rest = event.text.partition("\n")
    return rest if first and html.unescape(first) in event.title else event.text
