"""HMAC, token and Basic verification of a declared source's requests, and signing samples."""

from __future__ import annotations

import base64
import binascii
import hmac

from adapters.declared.model import Verification
from hub.core.errors import VerificationError
from hub.core.sources import WebhookRequest

ALGORITHMS = ("sha1", "sha256", "sha512")


def verify(rule: Verification, request: WebhookRequest, secret: str) -> None:
    """Raise `VerificationError` unless `request` carries what `rule` asks, made with `secret`."""
    if not secret:
        raise VerificationError(f"{rule.secret_env} is empty: set it to the shared secret")
    if rule.kind == "hmac":
        _hmac(rule, request, secret)
    elif rule.kind == "token":
        _token(rule, request, secret)
    else:
        _basic(rule, request, secret)


def sign(rule: Verification, body: bytes, secret: str) -> dict[str, str]:
    """The headers with which a sender following `rule` would send `body`."""
    if rule.kind == "hmac":
        assert rule.header is not None
        return {rule.header: rule.prefix + _digest(rule, body, secret)}
    if rule.kind == "token":
        return {rule.header: secret} if rule.header else {"Authorization": f"Bearer {secret}"}
    pair = f"{rule.username or 'hub'}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def _digest(rule: Verification, body: bytes, secret: str) -> str:
    mac = hmac.new(secret.encode("utf-8", "surrogatepass"), body, rule.algorithm)
    return mac.hexdigest() if rule.encoding == "hex" else base64.b64encode(mac.digest()).decode()


def _hmac(rule: Verification, request: WebhookRequest, secret: str) -> None:
    assert rule.header is not None
    given = request.headers.get(rule.header, "").strip()
    if not given:
        raise VerificationError(f"missing signature: send the {rule.header} header")
    if not given.startswith(rule.prefix):
        raise VerificationError(f"the {rule.header} header must start with {rule.prefix!r}")
    signature = given.removeprefix(rule.prefix)
    if rule.encoding == "hex":
        signature = signature.lower()  # hex digits in either case are the same digest
    expected = _digest(rule, request.body, secret)
    if not hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode()):
        raise VerificationError(
            f"the {rule.header} signature does not match HMAC-{rule.algorithm.upper()} "
            f"of the body with {rule.secret_env}"
        )


def _token(rule: Verification, request: WebhookRequest, secret: str) -> None:
    if rule.header:
        token = request.headers.get(rule.header, "").strip()
        how = f"the {rule.header} header"
    else:
        token = _bearer_or_hub_token(request)
        how = "`Authorization: Bearer <token>`, `X-Hub-Token: <token>` or `?token=<token>`"
    if not token:
        raise VerificationError(f"missing token: send {how}")
    if not _same(token, secret):
        raise VerificationError(f"the token does not match {rule.secret_env}")


def _bearer_or_hub_token(request: WebhookRequest) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return (request.headers.get("X-Hub-Token") or request.query.get("token") or "").strip()


def _basic(rule: Verification, request: WebhookRequest, secret: str) -> None:
    scheme, _, encoded = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise VerificationError("missing credentials: send `Authorization: Basic <user:password>`")
    try:
        pair = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise VerificationError("the Basic credentials are not base64 of user:password") from None
    user, sep, password = pair.partition(":")
    if not sep:
        raise VerificationError("the Basic credentials are not base64 of user:password")
    # Both compared, always, so the time taken does not tell which one was wrong.
    user_ok = rule.username is None or _same(user, rule.username)
    if not (_same(password, secret) and user_ok):
        raise VerificationError(f"the Basic credentials do not match {rule.secret_env}")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
