"""Slack request signatures: v0 HMAC-SHA256 over the timestamp and raw body, 5 minutes at most."""

from __future__ import annotations

import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.slack.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, verify
from hub.core.errors import VerificationError

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BODY = b"token=x&team_id=T1&command=%2Fhub&text=status&user_id=U1&response_url=https%3A%2F%2Fx"
NOW = 1_700_000_000.0


def headers(timestamp: str, sig: str) -> dict[str, str]:
    """The two headers Slack signs its requests with."""
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sig}


def test_signature_is_the_one_slack_sdk_computes() -> None:
    """Our v0 signature equals slack_sdk's reference implementation for the same input."""
    expected = SignatureVerifier(SECRET).generate_signature(timestamp=str(int(NOW)), body=BODY)
    assert signature(SECRET, str(int(NOW)), BODY) == expected


def test_a_correctly_signed_fresh_request_passes() -> None:
    """A request signed with the secret a minute ago is accepted."""
    stamp = str(int(NOW) - 60)
    verify(SECRET, headers(stamp, signature(SECRET, stamp, BODY)), BODY, NOW)


def test_a_request_exactly_five_minutes_old_passes() -> None:
    """The 5-minute window includes its edge."""
    stamp = str(int(NOW) - 300)
    verify(SECRET, headers(stamp, signature(SECRET, stamp, BODY)), BODY, NOW)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    """A forged signature is a VerificationError that points at SLACK_SIGNING_SECRET."""
    stamp = str(int(NOW))
    with pytest.raises(VerificationError, match="SLACK_SIGNING_SECRET"):
        verify(SECRET, headers(stamp, signature("forged", stamp, BODY)), BODY, NOW)


def test_a_changed_body_is_refused() -> None:
    """The signature covers the raw body: one changed byte fails it."""
    stamp = str(int(NOW))
    sig = signature(SECRET, stamp, BODY)
    with pytest.raises(VerificationError, match="does not match"):
        verify(SECRET, headers(stamp, sig), BODY.replace(b"status", b"replay"), NOW)


def test_a_stale_timestamp_is_refused_even_with_a_good_signature() -> None:
    """A correctly signed request from more than 5 minutes ago cannot be replayed."""
    stamp = str(int(NOW) - 301)
    with pytest.raises(VerificationError, match="more than 5 minutes"):
        verify(SECRET, headers(stamp, signature(SECRET, stamp, BODY)), BODY, NOW)


def test_a_timestamp_from_the_future_is_refused() -> None:
    """A timestamp more than 5 minutes ahead is refused like a stale one."""
    stamp = str(int(NOW) + 301)
    with pytest.raises(VerificationError, match="more than 5 minutes"):
        verify(SECRET, headers(stamp, signature(SECRET, stamp, BODY)), BODY, NOW)


@pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, SIGNATURE_HEADER])
def test_a_missing_header_is_refused(missing: str) -> None:
    """Without either header there is nothing to verify."""
    stamp = str(int(NOW))
    given = headers(stamp, signature(SECRET, stamp, BODY))
    del given[missing]
    with pytest.raises(VerificationError, match="missing"):
        verify(SECRET, given, BODY, NOW)


def test_a_timestamp_that_is_not_a_number_is_refused() -> None:
    """The timestamp must be Unix seconds."""
    with pytest.raises(VerificationError, match="Unix time"):
        verify(SECRET, headers("yesterday", "v0=00"), BODY, NOW)
