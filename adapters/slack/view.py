"""What one event shows in Slack, source by source, before layout: the `View` and its fallback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from adapters.slack.blocks import escape, link
from hub.core.event import Event


@dataclass
class View:
    """The mrkdwn a source renderer picks for one event; layout and limits come later."""

    body: str = ""
    """Detail under the header line: a commit message, a culprit, the series values."""
    fields: list[tuple[str, str]] = field(default_factory=list)
    """(plain name, mrkdwn value) facts, most telling first; only the first ten are shown."""
    links: list[tuple[str, str | None]] = field(default_factory=list)
    """(button text, url) link buttons, the main one first; a None url is left out."""
    context: list[str] = field(default_factory=list)
    """Short mrkdwn facts for the grey line under the message (the sender, a build type)."""
    change: str = ""
    """What this event changed, as one mrkdwn phrase for a thread reply."""
    alert: bool = False
    """An alert or error tracker: its warnings, not only its errors, want someone to act."""


ViewFor = Callable[[Event], View]
"""A per-source renderer: picks what to show of an event from its fields, labels and data."""


def generic(event: Event) -> View:
    """Any event: its text, its where/who/state and every label as fields, one Open button."""
    named = [
        ("Repo", code(event.repo)),
        ("Branch", code(event.branch)),
        ("Actor", escape(event.actor or "")),
        ("State", escape(words(event.state))),
        *((words(name).capitalize(), escape(value)) for name, value in event.labels.items()),
    ]
    return View(
        body=event.text,
        fields=[(name, value) for name, value in named if value],
        links=[("Open", event.url)],
        context=[escape(event.source)],
        change=f"*{escape(words(event.state or event.type.rsplit('.', 1)[-1]))}*"
        + (f" · {subject(event)}" if event.subject else ""),
    )


def subject(event: Event) -> str:
    """The event's subject (else its title), linked to its URL."""
    return link(event.url, escape(event.subject or event.title))


def code(value: str | None) -> str:
    """`value` as inline code, or empty; backticks inside would end the code early."""
    return "`" + escape(value.replace("`", "'")) + "`" if value else ""


def words(token: str | None) -> str:
    """A snake_case token as words: 'still_failing' -> 'still failing'."""
    return (token or "").replace("_", " ")


def label_fields(labels: Mapping[str, str], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """The labels named in `names` (label → field name) that are present, as escaped fields."""
    return [(name, escape(labels[key])) for key, name in names.items() if labels.get(key)]
