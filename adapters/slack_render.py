"""Render an `Event` as chat.postMessage arguments: Block Kit in a severity-coloured attachment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from hub.event import Event, Severity

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_URL = 3000
MAX_FALLBACK_TEXT = 4000
ELLIPSIS = "…"
MAX_FIELD_NAME = 100  # ours, so that a long label name leaves room for its value

METADATA_EVENT_TYPE = "hub_event"

COLOURS = {
    Severity.INFO: "#7B8FA6",
    Severity.SUCCESS: "#2EB67D",
    Severity.WARNING: "#ECB22E",
    Severity.ERROR: "#E01E5A",
    Severity.CRITICAL: "#8B0000",
}

EMOJI = {
    Severity.INFO: ":information_source:",
    Severity.SUCCESS: ":white_check_mark:",
    Severity.WARNING: ":warning:",
    Severity.ERROR: ":x:",
    Severity.CRITICAL: ":rotating_light:",
}


def render(event: Event, routes: Sequence[str], mention: Sequence[str] = ()) -> dict[str, Any]:
    """The chat.postMessage arguments (all but `channel`) that show `event` in Slack."""
    title = escape(event.title)
    fallback = " ".join([*mention, EMOJI[event.severity], title])
    blocks: list[dict[str, Any]] = [
        _section(f"*{truncate(f'{EMOJI[event.severity]} {title}', MAX_HEADER_TEXT - 2)}*")
    ]
    if event.text.strip():
        blocks.append(_section(truncate(event.text, MAX_SECTION_TEXT)))
    if fields := _fields(event):
        blocks.append({"type": "section", "fields": fields})
    blocks.append({"type": "context", "elements": [_mrkdwn(_context(event))]})
    if event.url and len(event.url) <= MAX_URL:
        # A cut URL would lead somewhere wrong, so an overlong one gets no button at all.
        button = {"type": "button", "text": _plain("Open"), "url": event.url, "action_id": "open"}
        blocks.append({"type": "actions", "elements": [button]})
    return {
        "text": truncate(fallback, MAX_FALLBACK_TEXT),
        "attachments": [{"color": COLOURS[event.severity], "blocks": blocks[:MAX_BLOCKS]}],
        "metadata": metadata([event.id], routes),
        "unfurl_links": False,
    }


def metadata(event_ids: Sequence[str], routes: Sequence[str]) -> dict[str, Any]:
    """The Slack message metadata naming the events a message shows and the routes that sent it."""
    return {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"event_ids": list(event_ids), "routes": list(routes)},
    }


def escape(text: str) -> str:
    """Plain text made safe for mrkdwn: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters with an ellipsis, never inside `<…>` or `&…;`."""
    if len(text) <= limit:
        return text
    kept = text[: limit - len(ELLIPSIS)]
    # Cutting a link or an entity in half leaves broken mrkdwn: drop the unclosed tail instead.
    for opener, closer in (("<", ">"), ("&", ";")):
        start = kept.rfind(opener)
        if start > kept.rfind(closer):
            kept = kept[:start]
    return kept + ELLIPSIS


def _fields(event: Event) -> list[dict[str, Any]]:
    named = [
        ("Repo", event.repo),
        ("Branch", event.branch),
        ("Actor", event.actor),
        ("State", event.state),
        ("Severity", event.severity.value),
        *event.labels.items(),
    ]
    fields = []
    for name, value in named:
        if value:
            head = f"*{truncate(escape(name), MAX_FIELD_NAME)}*\n"
            fields.append(_mrkdwn(head + truncate(escape(value), MAX_FIELD_TEXT - len(head))))
    return fields[:MAX_FIELDS]


def _context(event: Event) -> str:
    time = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    epoch = int(time.timestamp())
    iso = time.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    # Slack shows <!date^…> in each reader's own time zone, falling back to the ISO text.
    when = f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{iso}>"
    return truncate(f"{escape(event.source)} · `{escape(event.type)}` · {when}", MAX_SECTION_TEXT)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, MAX_BUTTON_TEXT), "emoji": True}
