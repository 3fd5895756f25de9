"""`DeclaredAdapter`: a declared source served like a built-in sender (`SourceAdapter`)."""

from __future__ import annotations

from adapters.declared import mapping, verify
from adapters.declared.model import DeclaredSource
from adapters.payload import parse_object
from hub.core.errors import UnsupportedMediaType
from hub.core.event import Event
from hub.core.sources import WebhookRequest


class DeclaredAdapter:
    """Verifies and normalizes one declared source's JSON webhooks."""

    def __init__(self, source: DeclaredSource) -> None:
        self.source = source
        self.name = source.name
        self.secret_env = source.verify.secret_env

    def __repr__(self) -> str:
        return f"DeclaredAdapter({self.name!r})"

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless the request carries the declared credentials."""
        verify.verify(self.source.verify, request, secret)

    def signed_content(self, request: WebhookRequest) -> bytes | None:
        """The body for an HMAC source (accepted once per dedup window); None for a token or
        Basic auth, which sign nothing."""
        return request.body if self.source.verify.kind == "hmac" else None

    def normalize(self, request: WebhookRequest) -> Event:
        """The event the declared fields map this JSON body to."""
        # Most tools send application/json; some (Jenkins, a bare curl) send none at all.
        if request.content_type not in ("application/json", "text/plain", ""):
            raise UnsupportedMediaType(
                f"Content-Type {request.content_type!r} is not application/json"
            )
        body = parse_object(request.body, f"{self.name} body")
        return mapping.to_event(self.source, request, body)

    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        """The headers with which this source's sender would send `body` (for samples)."""
        return verify.sign(self.source.verify, body, secret)
