"""Shared-token checks for senders that cannot sign: `Authorization: Bearer` or Basic auth."""

from __future__ import annotations

import base64
import binascii
import hmac

from hub.core.errors import VerificationError
from hub.core.sources import WebhookRequest


def authorization_token(request: WebhookRequest) -> str | None:
    """The token in `Authorization: Bearer <t>`, or the password of Basic auth; None otherwise."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    credentials = credentials.strip()
    if not credentials:
        return None
    if scheme.lower() == "bearer":
        return credentials
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _user, colon, password = decoded.partition(":")
        return password if colon and password else None
    return None


def check_token(request: WebhookRequest, secret: str, secret_env: str, hint: str) -> None:
    """Raise `VerificationError` unless the request's Bearer token or Basic password is `secret`.

    `hint` says where the sender is configured, for the missing-credentials message.
    """
    if not secret:
        raise VerificationError(f"{secret_env} is empty: set it to the token the sender sends")
    token = authorization_token(request)
    if token is None:
        raise VerificationError(
            "missing credentials: send `Authorization: Bearer <token>` or Basic auth whose"
            f" password is the token ({hint})"
        )
    given = token.encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(given, secret.encode("utf-8", "surrogatepass")):
        raise VerificationError(f"the token does not match {secret_env}")
