"""What every adapter shares: strict JSON bodies, loosely typed fields, mrkdwn, `Summary`."""

from __future__ import annotations

import codecs
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import unquote_to_bytes

import orjson

from hub.core.errors import BadPayload, PayloadTooLarge, VerificationError
from hub.core.severity import Severity

MAX_JSON_DEPTH = 128
"""Deepest nesting a body may have: values inside 128 levels of arrays and objects at most.

Real webhooks nest a dozen levels; the limit keeps every stored event within what each of
hub's JSON writers (orjson's own limit is 255 levels) and the live page can write back out.
"""
MAX_JSON_VALUES = 1_000_000
"""Most JSON values (scalars, arrays and objects) a body may hold; parsed, each costs memory
and every stage that reads the event again costs time."""

_SLUG_JUNK = re.compile(r"[^a-z0-9_]+")
_UNSAFE_URL = re.compile(r"[\s<>|]")
_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


@dataclass
class Summary:
    """The Event fields one kind of payload decides; the adapter adds id, type, times and actor."""

    title: str
    severity: Severity = Severity.INFO
    state: str | None = None
    subject: str | None = None
    threadkey: str | None = None
    text: str = ""
    url: str | None = None
    branch: str | None = None
    time: datetime | None = None
    labels: dict[str, str | None] = field(default_factory=dict)


def require_secret(secret: str, secret_env: str, what: str) -> None:
    """Raise `VerificationError` when the configured secret is empty, naming what belongs there."""
    if not secret:
        raise VerificationError(f"{secret_env} is empty: set it to {what}")


def parse_object(body: bytes, what: str) -> dict[str, Any]:
    """Parse `body` as one strict JSON object, or raise `BadPayload` saying what was wrong."""
    if not body.strip():
        raise BadPayload(f"the {what} is empty; expected a JSON object")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = _parse_strictly(body, what)
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        raise BadPayload(f"the {what} is a JSON {kind}; expected an object")
    check_bounds(value, what)
    return value


def check_bounds(value: Any, what: str) -> None:
    """Raise unless `value` nests at most MAX_JSON_DEPTH levels and holds MAX_JSON_VALUES values.

    Walks one level at a time, without recursion, so its own depth is never the limit.
    """
    level: list[Any] = [value]
    depth = count = 0
    while level:
        depth += 1
        count += len(level)
        if depth > MAX_JSON_DEPTH:
            raise BadPayload(_too_deep(what))
        if count > MAX_JSON_VALUES:
            raise PayloadTooLarge(
                f"the {what} holds more than {MAX_JSON_VALUES:,} JSON values; "
                "send fewer array elements or fields"
            )
        inner: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                inner.extend(item.values())
            elif isinstance(item, list):
                inner.extend(item)
        level = inner


def _too_deep(what: str) -> str:
    return f"the {what} is JSON nested deeper than {MAX_JSON_DEPTH} levels"


def _parse_strictly(body: bytes, what: str) -> Any:
    # The standard library's parser, for what orjson refuses: it says what is wrong, and it takes
    # the valid JSON orjson does not (lone surrogates in strings).
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadPayload(f"the {what} is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadPayload(_too_deep(what)) from None
    except ValueError as exc:
        raise BadPayload(f"the {what} is not valid JSON: {exc}") from None
    return value


def form_unquote(value: bytes) -> bytes:
    """One url-encoded form value decoded (`+` is a space, `%XX` a byte)."""
    value = value.replace(b"+", b" ")
    if b"%" not in value:
        return value
    # codecs.escape_decode reads `\xXX` in C, ten times faster than unquote_to_bytes on a
    # payload where every quote and brace is escaped; backslashes are doubled first so only our
    # escapes are read. A malformed `%` (not two hex digits) is left as unquote_to_bytes leaves it.
    try:
        escaped = value.replace(b"\\", b"\\\\").replace(b"%", b"\\x")
        decoded: bytes = codecs.escape_decode(escaped)[0]
    except ValueError:
        return unquote_to_bytes(value)
    return decoded


def _reject_constant(name: str) -> NoReturn:
    # NaN and Infinity are not JSON; letting them through would put them on the wire.
    raise ValueError(f"{name} is not a JSON value")


def obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def seq(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def string(value: Any) -> str | None:
    """A non-blank string or number as text; None for anything else (null, bool, object…)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 string or Unix epoch number as an aware UTC datetime; None if unreadable.

    A time in the year 1 is None too: Go's zero time, which Go senders write for "no time".
    """
    try:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parsed = datetime.fromtimestamp(value, UTC)
        else:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None if parsed.year == 1 else parsed


def web_url(value: Any) -> str | None:
    """An http(s) URL that is safe inside a Slack link; None for anything else."""
    url = string(value)
    if url is None or not url.startswith(("https://", "http://")) or _UNSAFE_URL.search(url):
        return None
    return url


def slug(value: Any) -> str:
    """Lowercase snake case for event type segments: 'Still Failing' -> 'still_failing'."""
    text = string(value) or ""
    return _SLUG_JUNK.sub("_", text.lower()).strip("_")


def escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    """A mrkdwn link to `url` labelled `label` (escaped), or just the label without a URL."""
    return f"<{url}|{escape(label)}>" if url else escape(label)


def one_line(text: str) -> str:
    """`text` with all whitespace runs (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def first_line(text: str) -> str:
    """The first non-blank line of `text`, stripped."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def seconds(value: Any, per_second: int = 1) -> float | None:
    """A non-negative duration counted in 1/`per_second` units as seconds; None if unreadable."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        return None
    try:
        return value / per_second
    except OverflowError:
        return None


def human_duration(seconds: float) -> str:
    """A short human duration: 0.25 -> '250ms', 3 -> '3s', 1023 -> '17m 3s', 90061 -> '1d 1h'."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts[:2])


def number_text(value: float) -> str:
    """A number without float noise: 3.0 -> '3', 1.5 -> '1.5'."""
    return str(int(value)) if value.is_integer() else f"{value:.3f}".rstrip("0")


_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_NO_COMMIT = frozenset({"0" * 40, "0" * 64})


def commit_sha(value: Any) -> str | None:
    """A full git commit SHA (40 or 64 hex digits) in lowercase; None for anything else,
    including a short SHA and the all-zero SHA GitHub sends for a deleted ref."""
    text = (string(value) or "").strip().lower()
    return text if _COMMIT.fullmatch(text) and text not in _NO_COMMIT else None


def labels(pairs: dict[str, str | None]) -> dict[str, str]:
    """The label map without absent or blank values."""
    return {key: value for key, value in pairs.items() if value is not None and value.strip()}


_HUB_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")


def check_hub_signature(
    headers: Mapping[str, str], body: bytes, secret: str, missing: str, mismatch: str
) -> None:
    """Raise `VerificationError` unless `X-Hub-Signature-256` is `sha256=` and the hex
    HMAC-SHA256 of `body` with `secret` (GitHub's scheme); `missing` and `mismatch` say
    what to check when the header is absent or does not match."""
    header = next((v for k, v in headers.items() if k.lower() == "x-hub-signature-256"), "").strip()
    if not header:
        raise VerificationError(f"missing X-Hub-Signature-256 header: {missing}")
    match = _HUB_SIGNATURE.fullmatch(header)
    if match is None:
        raise VerificationError(
            "malformed X-Hub-Signature-256 header: expected 'sha256=' and 64 hex digits"
        )
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match.group(1).lower()):
        raise VerificationError(f"X-Hub-Signature-256 does not match the body: {mismatch}")
