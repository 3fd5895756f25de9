"""Hub's Slack messages drawn for a terminal: what Slack would show, readable in a console.

The header line, the attachment's colour bar as a coloured `▌` before each of its lines,
sections, fields, context, buttons; mrkdwn turned into plain text (links show their label,
dates the reader's local time, `*bold*` bold when colours are on). Console mode and
`hub routes explain` print this; `--json` / HUB_CONSOLE_FORMAT=json keep the raw form.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Mapping
from datetime import datetime
from typing import Any

EMOJI = {
    "information_source": "ℹ️ ",
    "white_check_mark": "✅",
    "warning": "⚠️ ",
    "x": "❌",
    "rotating_light": "🚨",
    "speech_balloon": "💬",
}
"""The emoji codes hub's messages use, as characters; others are left as `:code:`."""

WIDTH = 100
_BOLD, _DIM, _ITALIC, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[3m", "\x1b[0m"
_ANGLE = re.compile(r"<([^<>]*)>")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_BOLD_SPAN = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC_SPAN = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")


def draw(
    message: Mapping[str, Any],
    channel: str | None = None,
    *,
    note: str = "",
    colour: bool = False,
    width: int = WIDTH,
) -> str:
    """`message` (chat.postMessage arguments) as terminal lines, under a `── #channel` rule."""
    style = _Style(colour)
    lines: list[str] = []
    if channel is not None:
        title = f"── {channel}" + (f"  ({note})" if note else "") + " "
        lines.append(style.dim(title + "─" * max(width - len(title), 3)))
    blocks = message.get("blocks") or []
    if not blocks and message.get("text"):
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": message["text"]}}]
    for block in blocks:
        lines.extend(_block(block, style, width))
    for attachment in message.get("attachments") or []:
        bar = style.bar(str(attachment.get("color") or "#DDDDDD"))
        body: list[str] = []
        for block in attachment.get("blocks") or []:
            body.extend(_block(block, style, width - 2))
        lines.extend(f"{bar} {line}".rstrip() for line in body)
    return "\n".join(lines)


class _Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def bold(self, text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if self.colour else text

    def dim(self, text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if self.colour else text

    def italic(self, text: str) -> str:
        return f"{_ITALIC}{text}{_RESET}" if self.colour else text

    def bar(self, hex_colour: str) -> str:
        if not self.colour or not re.fullmatch(r"#[0-9A-Fa-f]{6}", hex_colour):
            return "▌"
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return f"\x1b[38;2;{r};{g};{b}m▌{_RESET}"


def _block(block: Mapping[str, Any], style: _Style, width: int) -> list[str]:
    kind = block.get("type")
    if kind == "section":
        lines: list[str] = []
        text = block.get("text")
        if isinstance(text, Mapping):
            lines.extend(_wrap(plain_text(str(text.get("text", "")), style), width))
        fields = [f for f in block.get("fields") or [] if isinstance(f, Mapping)]
        if fields:
            lines.extend(_fields([str(f.get("text", "")) for f in fields], style, width))
        return lines
    if kind == "header":
        return [style.bold(plain_text(str(block.get("text", {}).get("text", "")), style))]
    if kind == "context":
        parts = [plain_text(str(e.get("text", "")), style) for e in block.get("elements") or []]
        return [style.dim(line) for line in _wrap(" ".join(parts), width)]
    if kind == "actions":
        buttons = []
        for element in block.get("elements") or []:
            label = str(element.get("text", {}).get("text", ""))
            buttons.append(f"[ {label} ]")
        return _wrap("  ".join(buttons), width)
    if kind == "divider":
        return [style.dim("─" * min(width, 40))]
    return []


def _fields(texts: list[str], style: _Style, width: int) -> list[str]:
    """Fields as `name  value` lines; a value of several lines continues under the value."""
    pairs = []
    for text in texts:
        name, _, value = text.partition("\n")
        pairs.append((plain_text(name.strip("*"), _Style(False)), value))
    label = min(max((len(name) for name, _ in pairs), default=0), 24)
    lines: list[str] = []
    for name, value in pairs:
        shown = _wrap(plain_text(value, style), max(width - label - 2, 20)) or [""]
        lines.append(f"{style.bold(name.ljust(label))}  {shown[0]}")
        lines.extend(f"{' ' * label}  {more}" for more in shown[1:])
    return lines


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.strip() == "```":
            fenced = not fenced
            continue
        if fenced or len(line) <= width:
            lines.append(("  " + line) if fenced else line)
        else:
            lines.extend(textwrap.wrap(line, width, break_on_hyphens=False) or [""])
    return lines


def plain_text(mrkdwn: str, style: _Style | None = None) -> str:
    """Slack mrkdwn as terminal text: links by label, dates local, mentions with @, no escapes."""
    style = style or _Style(False)
    text = mrkdwn.replace("```", "\n```\n") if "```" in mrkdwn else mrkdwn
    text = _ANGLE.sub(_angle, text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    text = _BOLD_SPAN.sub(lambda m: style.bold(m.group(1)), text)
    text = _ITALIC_SPAN.sub(lambda m: style.italic(m.group(1)), text)
    text = re.sub(r"\n{2,}```\n", "\n```\n", text).strip("\n")
    return html.unescape(text)


def _angle(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("!date^"):
        parts = target.split("^")
        try:
            stamp = datetime.fromtimestamp(int(parts[1])).astimezone()
        except (IndexError, ValueError, OverflowError, OSError):
            return label or inner
        has_date = len(parts) < 3 or "{date" in parts[2]
        return stamp.strftime("%Y-%m-%d %H:%M %Z" if has_date else "%H:%M")
    if target.startswith("!subteam^"):
        return "@" + (label or target.split("^", 1)[1])
    if target.startswith("!"):
        return "@" + target[1:]
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    return label or target
