"""The contract between the core and the per-sender adapters in `adapters/`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hub.core.event import Event


@dataclass(frozen=True)
class WebhookRequest:
    """What an adapter sees of one HTTP request: no I/O, no clock but `received_at`."""

    headers: Mapping[str, str]  # case-insensitive (multidict.CIMultiDict)
    body: bytes
    received_at: datetime
    query: Mapping[str, str] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Scratch space for what an adapter's verify and normalize both derive from the body."""
    options: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The adapter's optional settings that are set, by variable name (see `options_env`)."""

    @property
    def content_type(self) -> str:
        """The media type without parameters, lowercase ('' when absent)."""
        raw = self.headers.get("Content-Type", "")
        return raw.split(";", 1)[0].strip().lower()


class SourceAdapter(Protocol):
    """One sender: how it signs, and how its payloads become `Event`s."""

    name: str
    """The path segment of `POST /hooks/<name>` and the event's `source`."""

    secret_env: str
    """The environment variable holding this sender's secret, e.g. `HUB_GITHUB_SECRET`.

    An adapter may also have `options_env: tuple[str, ...]`: further settings its `verify`
    reads only when they are set (Grafana's optional HMAC secret), handed over in
    `WebhookRequest.options`.
    """

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless the request was signed with `secret`."""

    def normalize(self, request: WebhookRequest) -> Event:
        """Turn a verified request into an `Event`; raise `BadPayload`/`UnsupportedMediaType`."""

    def signed_content(self, request: WebhookRequest) -> bytes | None:
        """What a verified signature covers, when it binds no unique id and time; else None.

        The receiver accepts these bytes once per dedup window, so a captured request cannot be
        posted again under a fresh delivery id, timestamp or event header. None when a replay
        cannot post again (the sender signs an id and a time), or when nothing is signed.
        """


def options_env(adapter: SourceAdapter) -> tuple[str, ...]:
    """The optional settings `adapter` names beside its secret; none for most adapters."""
    names = getattr(adapter, "options_env", ())
    return tuple(name for name in names if isinstance(name, str))


def body_id(source: str, body: bytes) -> str:
    """A stable event id for senders without a delivery id: a hash of source and body."""
    return hashlib.sha256(source.encode() + b"\0" + body).hexdigest()[:32]
