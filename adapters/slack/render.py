"""Events as chat.postMessage arguments: a header line on top, details in a coloured attachment."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.slack.annotations import annotation_parts
from adapters.slack.blocks import (
    COLOURS,
    EMOJI,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_MENTIONS,
    MAX_SECTION_TEXT,
    actions,
    button,
    button_url,
    context,
    escape,
    fields,
    joined,
    link,
    section,
    slack_date,
    truncate,
)
from adapters.slack.buttons import (
    LINK_ACTION_PREFIX,
    RunButton,
    actionable,
    chatops_buttons,
    run_buttons,
)
from adapters.slack.view import View, ViewFor, generic
from adapters.slack.views import alertmanager as slack_alertmanager
from adapters.slack.views import ansible as slack_ansible
from adapters.slack.views import github as slack_github
from adapters.slack.views import grafana as slack_grafana
from adapters.slack.views import kapacitor as slack_kapacitor
from adapters.slack.views import sentry as slack_sentry
from adapters.slack.views import travis as slack_travis
from hub.core.event import Event
from hub.core.severity import Severity

__all__ = [
    "COLOURS",
    "EMOJI",
    "MAX_BLOCKS",
    "MAX_BUTTON_TEXT",
    "MAX_FALLBACK_TEXT",
    "MAX_FIELDS",
    "MAX_FIELD_TEXT",
    "MAX_HEADER_TEXT",
    "MAX_SECTION_TEXT",
    "escape",
    "metadata",
    "render",
    "render_digest",
    "render_reply",
    "truncate",
]

METADATA_EVENT_TYPE = "hub_event"
MAX_TITLE = 300  # the adapters' titles are one line of at most this much
MAX_REPLY_CHANGE = 1000
MAX_ATTACHMENT_FALLBACK = 300
MAX_LINK_BUTTONS = 3
MAX_DIGEST_LINES = 40
MAX_DIGEST_TITLE = 150
MAX_REASON = 100
DIGEST_BUDGET = 20_000  # characters of event lines, so a digest stays well under 40k


VIEWS: dict[str, ViewFor] = {
    "github": slack_github.view,
    "travis": slack_travis.view,
    "kapacitor": slack_kapacitor.view,
    "sentry": slack_sentry.view,
    "ansible": slack_ansible.view,
    "alertmanager": slack_alertmanager.view,
    "grafana": slack_grafana.view,
}
"""Source name → its view. A new source adds one line here, or nothing and reads generically."""


def view_of(event: Event) -> View:
    """What `event` shows in Slack, chosen by its source."""
    return VIEWS.get(event.source, generic)(event)


def render(
    event: Event,
    routes: Sequence[str],
    mention: Sequence[str] = (),
    *,
    interactive: bool = False,
    annotations: Mapping[str, str] | None = None,
    runs: Sequence[RunButton] = (),
) -> dict[str, Any]:
    """The chat.postMessage arguments (all but `channel`) that show `event`'s current state;
    with `interactive`, the ChatOps buttons and the action buttons `runs` too."""
    shown = view_of(event)
    notes = annotations or {}
    title = truncate(escape(event.title), MAX_TITLE)
    mentions = joined(mention, MAX_MENTIONS)
    header = _line(mentions, EMOJI[event.severity], f"*{link(event.url, title)}*")
    buttons = _link_buttons(shown)
    if interactive and actionable(event, shown.alert):
        buttons += chatops_buttons(event, notes)
    if interactive:
        buttons += run_buttons(event, runs)
    details = [
        section(shown.body) if shown.body.strip() else None,
        fields(shown.fields),
        context(annotation_parts(event, notes)),
        context([*shown.context, slack_date(event.time), f"`{escape(event.type)}`"]),
        actions(buttons, block_id="hub_actions"),
    ]
    return _message(
        event.severity,
        _line(mentions, EMOJI[event.severity], title),
        header,
        [block for block in details if block],
        metadata([event.id], routes),
    )


def render_reply(
    event: Event, routes: Sequence[str], mention: Sequence[str] = ()
) -> dict[str, Any]:
    """A one-line thread reply saying what `event` changed, coloured by its severity."""
    shown = view_of(event)
    change = truncate(shown.change or escape(event.title), MAX_REPLY_CHANGE)
    line = _line(joined(mention, MAX_MENTIONS), EMOJI[event.severity], change)
    details = context([*shown.context, slack_date(event.time)])
    return _message(
        event.severity, line, line, [details] if details else [], metadata([event.id], routes)
    )


def render_digest(
    events: Sequence[Event], routes: Sequence[str], *, reason: str = ""
) -> dict[str, Any]:
    """One message listing `events` in the order given (oldest first), one line each."""
    if not events:
        raise ValueError("a digest needs at least one event")
    worst = max((e.severity for e in events), key=lambda s: s.rank)
    counts = Counter(e.severity for e in events)
    heading = _digest_heading(len(events), truncate(" ".join(reason.split()), MAX_REASON))
    tally = " ".join(f"{EMOJI[s]} {counts[s]}" for s in reversed(Severity) if counts[s])
    lines = _digest_lines(events)
    blocks = [section(text) for text in _packed(lines)]
    if len(lines) < len(events):
        blocks.append(section(f"_… and {len(events) - len(lines)} more_"))
    return _message(
        worst,
        f"{EMOJI[worst]} {heading}",
        f"{EMOJI[worst]} *{heading}* · {tally}",
        blocks,
        metadata([e.id for e in events], routes),
    )


def metadata(event_ids: Sequence[str], routes: Sequence[str]) -> dict[str, Any]:
    """The Slack message metadata naming the events a message shows and the routes that sent it."""
    return {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"event_ids": list(event_ids), "routes": list(routes)},
    }


def _message(
    severity: Severity,
    fallback: str,
    header: str,
    details: list[dict[str, Any]],
    meta: dict[str, Any],
) -> dict[str, Any]:
    # Slack shows top-level `text` only when there are no top-level blocks: it stays the
    # notification text, and the header block is what people read above the colour bar.
    text = truncate(fallback, MAX_FALLBACK_TEXT)
    message: dict[str, Any] = {"text": text, "blocks": [section(header)]}
    if details:
        colour = COLOURS[severity]
        fallback = truncate(text, MAX_ATTACHMENT_FALLBACK)
        message["attachments"] = [{"color": colour, "fallback": fallback, "blocks": details}]
    return message | {"metadata": meta, "unfurl_links": False, "unfurl_media": False}


def _line(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _link_buttons(shown: View) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    for text, url in shown.links:
        target = button_url(url)
        action_id = LINK_ACTION_PREFIX + "_".join(text.lower().split())
        if target and all(b["action_id"] != action_id for b in buttons):
            buttons.append(button(text, action_id, url=target))
    return buttons[:MAX_LINK_BUTTONS]


def _digest_heading(count: int, reason: str) -> str:
    """'12 events (burst digest)', '3 events (digest: quiet hours ended)'."""
    noun = f"{count} event{'' if count == 1 else 's'}"
    if not reason:
        return f"{noun} (digest)"
    return escape(
        f"{noun} ({reason} digest)" if " " not in reason else f"{noun} (digest: {reason})"
    )


def _digest_lines(events: Sequence[Event]) -> list[str]:
    lines: list[str] = []
    size = 0
    for event in events[:MAX_DIGEST_LINES]:
        title = link(event.url, truncate(escape(event.title), MAX_DIGEST_TITLE))
        line = f"{EMOJI[event.severity]} {title} · {slack_date(event.time, '{time}')}"
        size += len(line) + 1
        if size > DIGEST_BUDGET:
            break
        lines.append(line)
    return lines


def _packed(lines: list[str]) -> list[str]:
    """The lines packed into as few section texts as Slack's 3000 characters allow."""
    packs: list[str] = []
    for line in lines:
        if packs and len(packs[-1]) + 1 + len(line) <= MAX_SECTION_TEXT:
            packs[-1] += "\n" + line
        else:
            packs.append(line)
    return packs
