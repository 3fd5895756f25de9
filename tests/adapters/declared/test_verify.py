"""Declared verification: HMAC, token and Basic credentials accepted when right, 401 otherwise."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict

from adapters.declared.model import Verification
from adapters.declared.verify import sign, verify
from hub.core.errors import VerificationError
from hub.core.sources import WebhookRequest

SECRET = "s3cret-value"
BODY = b'{"object_kind": "pipeline"}'


def _request(headers: dict[str, str], query: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest(CIMultiDict(headers), BODY, datetime.now(UTC), query or {})


HMAC_HEX = Verification("hmac", "HUB_X", header="X-Signature", prefix="sha256=")
HMAC_B64 = Verification("hmac", "HUB_X", header="X-Sig", algorithm="sha512", encoding="base64")
TOKEN = Verification("token", "HUB_X")
GITLAB = Verification("token", "HUB_GITLAB_TOKEN", header="X-Gitlab-Token")
BASIC = Verification("basic", "HUB_X", username="jenkins")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("rule", "headers", "query"),
    [
        (
            HMAC_HEX,
            {
                "X-Signature": "sha256="
                + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
            },
            {},
        ),
        (
            HMAC_HEX,
            {
                "X-Signature": "sha256="
                + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest().upper()
            },
            {},
        ),
        (
            HMAC_B64,
            {
                "X-Sig": base64.b64encode(
                    hmac.new(SECRET.encode(), BODY, hashlib.sha512).digest()
                ).decode()
            },
            {},
        ),
        (TOKEN, {"Authorization": f"Bearer {SECRET}"}, {}),
        (TOKEN, {"X-Hub-Token": SECRET}, {}),
        (TOKEN, {}, {"token": SECRET}),
        (GITLAB, {"X-Gitlab-Token": SECRET}, {}),
        (BASIC, {"Authorization": _basic("jenkins", SECRET)}, {}),
    ],
    ids=[
        "hmac-hex",
        "hmac-hex-upper",
        "hmac-base64-sha512",
        "bearer",
        "x-hub-token",
        "query",
        "named-header",
        "basic",
    ],
)
def test_right_credentials_are_accepted(
    rule: Verification, headers: dict[str, str], query: dict[str, str]
) -> None:
    """What the sender computes from the shared secret passes, in every declared form."""
    verify(rule, _request(headers, query), SECRET)


@pytest.mark.parametrize(
    ("rule", "headers", "query", "says"),
    [
        (HMAC_HEX, {"X-Signature": "sha256=" + "0" * 64}, {}, "does not match HMAC-SHA256"),
        (
            HMAC_HEX,
            {"X-Signature": hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()},
            {},
            "must start with 'sha256='",
        ),
        (HMAC_HEX, {}, {}, "missing signature: send the X-Signature header"),
        (TOKEN, {"Authorization": "Bearer wrong"}, {}, "does not match HUB_X"),
        (TOKEN, {}, {"token": ""}, "missing token"),
        (
            GITLAB,
            {"Authorization": f"Bearer {SECRET}"},
            {},
            "missing token: send the X-Gitlab-Token header",
        ),
        (GITLAB, {"X-Gitlab-Token": SECRET + "x"}, {}, "does not match HUB_GITLAB_TOKEN"),
        (BASIC, {"Authorization": _basic("jenkins", "wrong")}, {}, "do not match HUB_X"),
        (BASIC, {"Authorization": _basic("someone", SECRET)}, {}, "do not match HUB_X"),
        (BASIC, {"Authorization": "Basic !!!"}, {}, "not base64"),
        (BASIC, {}, {}, "missing credentials"),
    ],
    ids=[
        "hmac-wrong",
        "hmac-no-prefix",
        "hmac-missing",
        "token-wrong",
        "token-empty",
        "token-other-header",
        "named-header-wrong",
        "basic-wrong-password",
        "basic-wrong-user",
        "basic-garbage",
        "basic-missing",
    ],
)
def test_wrong_or_missing_credentials_are_refused(
    rule: Verification, headers: dict[str, str], query: dict[str, str], says: str
) -> None:
    """A wrong, malformed or absent credential is a VerificationError (401) saying which."""
    with pytest.raises(VerificationError) as caught:
        verify(rule, _request(headers, query), SECRET)
    assert says in caught.value.message
    assert SECRET not in caught.value.message


def test_an_empty_secret_accepts_nothing() -> None:
    """An empty configured secret never matches an empty token."""
    with pytest.raises(VerificationError):
        verify(TOKEN, _request({}, {"token": ""}), "")


@pytest.mark.parametrize("rule", [HMAC_HEX, HMAC_B64, TOKEN, GITLAB, BASIC], ids=str)
def test_signed_samples_verify(rule: Verification) -> None:
    """`sign` (used by send-sample) makes what `verify` accepts."""
    verify(rule, _request(sign(rule, BODY, SECRET)), SECRET)
