"""ChatOps answers as Slack response JSON (Block Kit within limits), and the usage error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_BLOCKS = 50
MAX_FALLBACK_TEXT = 3000
ELLIPSIS = "…"


@dataclass(frozen=True)
class Reply:
    """One answer: ephemeral (only the caller sees it) unless `in_channel`."""

    text: str
    """The mrkdwn headline; also the notification and fallback text."""
    lines: tuple[str, ...] = ()
    """Further mrkdwn lines, packed into as few sections as Slack's limits allow."""
    note: str = ""
    """A grey context line under the answer."""
    in_channel: bool = False
    buttons: tuple[dict[str, Any], ...] = ()
    """Block Kit buttons under the answer (e.g. a confirmed action's Run)."""

    def to_json(self) -> dict[str, Any]:
        """The slash-command / response_url body: response_type, text and blocks."""
        blocks = [section(self.text), *(section(chunk) for chunk in packed(self.lines))]
        if self.note:
            blocks.append(
                {"type": "context", "elements": [mrkdwn(cut(self.note, MAX_CONTEXT_TEXT))]}
            )
        if self.buttons:
            blocks.append({"type": "actions", "elements": list(self.buttons)})
        return {
            "response_type": "in_channel" if self.in_channel else "ephemeral",
            "text": cut(self.text, MAX_FALLBACK_TEXT),
            "blocks": blocks[:MAX_BLOCKS],
        }


class UsageError(Exception):
    """The arguments do not fit the command; the message (if any) says which part."""


@dataclass(frozen=True)
class Later:
    """Work that may take longer than Slack's 3 s: answer `now`, post `work`'s reply afterwards."""

    now: Reply
    work: Callable[[], Awaitable[Reply]]


def usage(command: str, spec: str) -> Reply:
    """The short usage line a bad or unknown command gets."""
    return Reply(f"Usage: `{command} {spec}`", note=f"`{command} help` lists every command.")


def escape(text: str) -> str:
    """Plain text made safe for mrkdwn: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """`text` as inline code (a backtick inside would end it early)."""
    quoted = escape(text.replace("`", "'"))
    return f"`{quoted}`"


def when(moment: datetime) -> str:
    """A time each reader sees in their own time zone, with an ISO fallback."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    iso = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{iso}>"


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending in an ellipsis when cut (never inside `<…>`)."""
    if len(text) <= limit:
        return text
    kept = text[: limit - len(ELLIPSIS)]
    start = kept.rfind("<")
    if start > kept.rfind(">"):
        kept = kept[:start]
    return kept + ELLIPSIS


def packed(lines: Iterable[str]) -> list[str]:
    """Lines joined into chunks that each fit one section; an overlong line is cut."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = cut(line, MAX_SECTION_TEXT)
        if current and len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> dict[str, Any]:
    """A section of mrkdwn within Slack's 3000 characters."""
    return {"type": "section", "text": mrkdwn(cut(text, MAX_SECTION_TEXT))}
