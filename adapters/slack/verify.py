"""Slack request signatures: `v0=` HMAC-SHA256 over `v0:{timestamp}:{raw body}`, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from hub.core.errors import VerificationError

VERSION = "v0"
MAX_AGE_SECONDS = 300
"""Slack's advice: refuse requests more than five minutes old, so a captured one cannot replay."""

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
"""ASCII digits only: `str.isdigit` and `int` also take '١٢٣' and '²' (the latter raises)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `v0=<hex>` signature Slack sends for `body` at `timestamp`."""
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Return if `headers` sign `body` with `secret` less than 5 minutes before `now`; else raise.

    Raises `VerificationError` (401) naming what was wrong: a missing or malformed header, a
    stale or future timestamp, or a signature that does not match.
    """
    timestamp = headers.get(TIMESTAMP_HEADER)
    given = headers.get(SIGNATURE_HEADER)
    if not timestamp or not given:
        raise VerificationError(
            f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}: only Slack may call this URL"
        )
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise VerificationError(f"{TIMESTAMP_HEADER} is not a Unix time in seconds")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise VerificationError(
            f"{TIMESTAMP_HEADER} is more than {MAX_AGE_SECONDS // 60} minutes from now: "
            "a replayed request, or a clock out of sync"
        )
    # Header bytes that are not UTF-8 arrive as surrogates: compare them, never fail on them.
    expected = signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass")):
        raise VerificationError(
            f"{SIGNATURE_HEADER} does not match: check SLACK_SIGNING_SECRET "
            "(the app's Basic Information page)"
        )
