"""One GitHub delivery read defensively, and the text helpers every event kind shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from adapters.payload import clip, escape, one_line, string, timestamp, web_url


class Node:
    """A defensive view of parsed JSON: missing keys and values of the wrong type read as absent."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __getitem__(self, key: str) -> Node:
        return Node(self.value.get(key) if isinstance(self.value, dict) else None)

    def as_str(self) -> str | None:
        """A non-blank string, or a number (ids) as text."""
        return string(self.value)

    def as_int(self) -> int | None:
        """An integer."""
        value = self.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def as_bool(self) -> bool | None:
        """A boolean."""
        return self.value if isinstance(self.value, bool) else None

    def as_time(self) -> datetime | None:
        """An ISO 8601 string or Unix seconds, as an aware UTC time."""
        return timestamp(self.value)

    def as_url(self) -> str | None:
        """An http(s) URL that is safe inside a Slack link."""
        return web_url(self.value)

    def items(self) -> list[Node]:
        """The elements of a list; none for anything else."""
        return [Node(item) for item in self.value] if isinstance(self.value, list) else []


@dataclass(frozen=True)
class Delivery:
    """One parsed GitHub delivery: event name, action and payload."""

    event: str
    action: str | None
    body: Node

    @property
    def repo(self) -> str | None:
        return self.body["repository"]["full_name"].as_str()

    @property
    def actor(self) -> str | None:
        return self.body["sender"]["login"].as_str() or self.body["pusher"]["name"].as_str()

    @property
    def who(self) -> str:
        return self.actor or "Someone"

    @property
    def where(self) -> str:
        return self.repo or self.body["organization"]["login"].as_str() or "GitHub"

    @property
    def repo_url(self) -> str | None:
        return self.body["repository"]["html_url"].as_url()

    def key(self, kind: str, ident: object) -> str | None:
        """The threadkey `github:<repo>:<kind>:<ident>`, or None without a repo or an id."""
        return None if self.repo is None or ident is None else f"github:{self.repo}:{kind}:{ident}"

    def numbered(self, number: int | None) -> str | None:
        """`owner/repo#n`, or the repo alone when the number is unknown."""
        return f"{self.repo}#{number}" if self.repo and number is not None else self.repo

    def titled(self, verb_phrase: str, name: str | None = None) -> str:
        """'<who> <verb phrase> in <where>[: <name>]'."""
        suffix = f": {short(name)}" if name else ""
        return f"{self.who} {verb_phrase} in {self.where}{suffix}"


def excerpt(text: str | None, limit: int = 500, max_lines: int = 8) -> str:
    """An escaped mrkdwn quote of the start of user-written text."""
    whole = (text or "").replace("\r\n", "\n").strip()
    cut = clip("\n".join(whole.split("\n")[:max_lines]), limit)
    if cut and len(cut) < len(whole) and not cut.endswith("…"):
        cut += "…"
    return "\n".join("> " + escape(line) for line in cut.split("\n")) if cut else ""


def short(text: str, limit: int = 200) -> str:
    """`text` on one line, cut to `limit` characters."""
    return clip(one_line(text), limit)


def lines(*parts: str | None) -> str:
    """The non-empty parts, one per line."""
    return "\n".join(part for part in parts if part)


def flag(value: bool | None) -> str | None:
    """A boolean as a label value."""
    return None if value is None else str(value).lower()


def label_names(item: Node) -> str | None:
    """The comma-joined names of an issue's or pull request's labels."""
    return ",".join(n for label in item["labels"].items() if (n := label["name"].as_str())) or None


def phrase(action: str | None, noun: str, templates: dict[str, str]) -> str:
    """'<verb> <noun>' for an action, e.g. 'opened pull request #2'."""
    template = templates.get(action or "")
    return template.format(noun) if template else f"{words(action or 'updated')} {noun}"


def words(token: str) -> str:
    """A snake_case token as words."""
    return token.replace("_", " ")


def first_time(*candidates: Node) -> datetime | None:
    """The first of the candidates that holds a usable timestamp."""
    return next((t for node in candidates if (t := node.as_time()) is not None), None)


_OUTCOMES = {
    "success": "succeeded",
    "failure": "failed",
    "error": "errored",
    "cancelled": "was cancelled",
    "timed_out": "timed out",
    "startup_failure": "failed to start",
    "action_required": "needs action",
    "stale": "went stale",
    "skipped": "was skipped",
    "neutral": "finished neutral",
    "in_progress": "is in progress",
}


def outcome(state: str | None) -> str:
    """How a run, check, deployment or status ended or stands, e.g. 'failed', 'is queued'."""
    return _OUTCOMES.get(state or "", f"is {words(state or 'updated')}")
