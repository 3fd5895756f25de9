"""Errors as values: each carries what went wrong and what to do, and maps to one HTTP status."""

from __future__ import annotations

from collections.abc import Callable, Sequence


class HubError(Exception):
    """Base of hub's own errors; `str()` is the message a user reads."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VerificationError(HubError):
    """The request's signature or token is missing, wrong, or stale (401)."""

    status = 401
    code = "unauthorized"


class BadPayload(HubError):
    """The body does not parse or lacks what the sender always sends (400)."""

    status = 400
    code = "bad_request"


class UnsupportedMediaType(HubError):
    """The content type is not one the sender uses (415)."""

    status = 415
    code = "unsupported_media_type"


class PayloadTooLarge(HubError):
    """The body is over HUB_MAX_BODY_BYTES (413)."""

    status = 413
    code = "payload_too_large"


class UnknownSource(HubError):
    """No adapter has this name (404)."""

    status = 404
    code = "unknown_source"


class Unavailable(HubError):
    """The event could not be stored durably; the sender should retry (503)."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineUnavailable(ConnectionError):
    """An engine hub stands on (broker, state store, data disk) failed the call, not the
    message: the work waits for the engine and is tried again, spending none of the message's
    delivery attempts. A ConnectionError, so callers that only report (the CLI) need not know it."""

    def __init__(self, engine: str, detail: str) -> None:
        super().__init__(f"{engine} unavailable: {detail}")
        self.engine = engine
        self.detail = detail


class Degraded(Exception):
    """A readiness check that still serves but wants attention (e.g. events spooled)."""


class DeliveryError(Exception):
    """A Slack call failed; subclasses say whether trying again can help."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class TemporaryDeliveryError(DeliveryError):
    """Worth retrying: rate limits, 5xx, timeouts, connection errors."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(reason, detail)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (channel_not_found, invalid_auth, …): dead-letter at once."""


class ConfigError(Exception):
    """Configuration is invalid; the message names the file, line and key where it can."""


def verify_with_any(secrets: Sequence[str], check: Callable[[str], None]) -> None:
    """Return if `check` passes with any of `secrets` (the current one, then the previous one
    while it is rotated); else raise the first secret's `VerificationError`."""
    refusal: VerificationError | None = None
    for secret in secrets:
        try:
            check(secret)
        except VerificationError as exc:
            refusal = refusal or exc
        else:
            return
    if refusal is not None:
        raise refusal
