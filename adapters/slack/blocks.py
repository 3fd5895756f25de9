"""Block Kit pieces that keep Slack's limits: escaping, safe truncation, blocks, dates, colours."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from hub.core.severity import Severity

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_URL = 3000
MAX_ACTION_VALUE = 2000
MAX_FALLBACK_TEXT = 4000
# Ours, so that a message with every part at its cap stays well under Slack's 40k characters.
MAX_INLINE_URL = 1000  # a longer URL is not linked inside text: a cut URL would lead elsewhere
MAX_FIELD_NAME = 40
MAX_FIELD_VALUE = 600
MAX_CONTEXT_TEXT = 1000
MAX_CONTEXT_PART = 300
MAX_MENTIONS = 1000
ELLIPSIS = "…"
FENCE = "```"

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

_SAFE_URL = re.compile(r"https?://[^\s<>|]+")


def escape(text: str) -> str:
    """Plain text made safe for mrkdwn: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters with an ellipsis, never inside `<…>` or `&…;`."""
    if len(text) <= limit:
        return text
    kept = _cut(text, limit - len(ELLIPSIS))
    if kept.count(FENCE) % 2 == 0:
        return kept + ELLIPSIS
    # A cut inside a code block would leave the rest of the message as code: close it.
    kept = _cut(kept, limit - len(ELLIPSIS) - len(FENCE) - 1)
    return kept + ELLIPSIS + (f"\n{FENCE}" if kept.count(FENCE) % 2 else "")


def _cut(text: str, limit: int) -> str:
    kept = text[: max(limit, 0)]
    # Cutting a link or an entity in half leaves broken mrkdwn: drop the unclosed tail instead.
    for opener, closer in (("<", ">"), ("&", ";")):
        start = kept.rfind(opener)
        if start > kept.rfind(closer):
            kept = kept[:start]
    return kept


def link(url: str | None, label: str) -> str:
    """`label` (mrkdwn) linked to `url`, or the label alone when the URL is missing or unsafe."""
    if url is None or len(url) > MAX_INLINE_URL or not _SAFE_URL.fullmatch(url):
        return label
    return f"<{url}|{label}>"


def button_url(url: str | None) -> str | None:
    """`url` if a link button may carry it (a safe http(s) URL within Slack's length)."""
    if url is None or len(url) > MAX_URL or not _SAFE_URL.fullmatch(url):
        return None
    return url


def joined(parts: Iterable[str], limit: int, separator: str = " ") -> str:
    """Whole `parts` joined while they fit in `limit` characters; never half a mention or link."""
    kept: list[str] = []
    size = 0
    for part in parts:
        size += len(part) + (len(separator) if kept else 0)
        if size > limit:
            break
        kept.append(part)
    return separator.join(kept)


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int = MAX_BUTTON_TEXT) -> dict[str, Any]:
    """A plain_text object cut to `limit` characters."""
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def section(text: str) -> dict[str, Any]:
    """A section block of mrkdwn, cut to Slack's 3000 characters."""
    return {"type": "section", "text": mrkdwn(truncate(text, MAX_SECTION_TEXT))}


def fields(pairs: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """A section of `*name*\\nvalue` fields (the first ten), or None when there are none."""
    shown = [
        mrkdwn(f"*{truncate(escape(name), MAX_FIELD_NAME)}*\n{truncate(value, MAX_FIELD_VALUE)}")
        for name, value in pairs
        if name.strip() and value.strip()
    ]
    return {"type": "section", "fields": shown[:MAX_FIELDS]} if shown else None


def context(parts: Iterable[str], separator: str = " · ") -> dict[str, Any] | None:
    """A context block of one mrkdwn element joining the non-empty `parts`, or None."""
    shown = (truncate(part, MAX_CONTEXT_PART) for part in parts if part)
    text = joined(shown, MAX_CONTEXT_TEXT, separator)
    return {"type": "context", "elements": [mrkdwn(text)]} if text else None


def button(
    text: str,
    action_id: str,
    *,
    url: str | None = None,
    value: str | None = None,
    style: str | None = None,
) -> dict[str, Any]:
    """A button: a link when `url` is given, else an interaction carrying `value`."""
    element: dict[str, Any] = {"type": "button", "text": plain(text), "action_id": action_id}
    if url is not None:
        element["url"] = url
    if value is not None:
        element["value"] = value
    if style is not None:
        element["style"] = style
    return element


def actions(elements: Sequence[dict[str, Any]], block_id: str) -> dict[str, Any] | None:
    """An actions block of up to 25 elements, or None when there are none."""
    if not elements:
        return None
    return {"type": "actions", "block_id": block_id, "elements": list(elements[:MAX_ACTIONS])}


def aware(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time is taken to be UTC already."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def slack_date(moment: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A time Slack shows in each reader's own time zone, with an ISO fallback."""
    moment = aware(moment)
    iso = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{iso}>"
