"""Property-based fuzzing of every webhook endpoint: never a 5xx, never an unverified publish."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, ClientTimeout
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.registry import SOURCES
from hub.core.event import Event
from hub.receiver.app import Receiver, public_app
from hub.testing import signing

SECRETS = {
    "HUB_GITHUB_SECRET": signing.GITHUB_SECRET,
    "HUB_SENTRY_CLIENT_SECRET": signing.SENTRY_SECRET,
    "HUB_TRAVIS_PUBLIC_KEY": signing.travis_public_pem(),
    "HUB_KAPACITOR_TOKEN": signing.KAPACITOR_TOKEN,
}
HEADER_NAMES = [
    "Content-Type",
    "X-GitHub-Event",
    "X-GitHub-Delivery",
    "X-Hub-Signature-256",
    "Sentry-Hook-Resource",
    "Sentry-Hook-Signature",
    "Sentry-Hook-Timestamp",
    "Signature",
    "Travis-Repo-Slug",
    "Authorization",
    "X-Hub-Token",
]
header_values = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    st.sampled_from(["application/json", "application/x-www-form-urlencoded", "push", "issue"]),
)
bodies = st.one_of(
    st.binary(max_size=2000),
    st.builds(lambda s: s.encode(), st.text(max_size=500)),
    st.just(b'{"action": "opened", "repository": {"full_name": "a/b"}}'),
)


class Recorder:
    """Stands where the broker would: records every event handed over for storing."""

    def __init__(self) -> None:
        self.published: list[Event] = []

    async def publish(self, event: Event, _signed: bytes | None) -> bool:
        self.published.append(event)
        return False


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, Recorder, ClientSession]]:
    """The real receiver app with real adapters and secrets, on a local test server."""
    recorder = Recorder()
    receiver = Receiver(SOURCES, SECRETS.get, recorder.publish, 1_000_000)
    server = TestServer(public_app(receiver, 1_000_000))
    await server.start_server()
    async with ClientSession(timeout=ClientTimeout(total=10)) as http:
        yield str(server.make_url("")), recorder, http
    await server.close()


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(signing.GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from([*SOURCES, "unknown", ""]),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=6),
    body=bodies,
    query=st.dictionaries(st.sampled_from(["token", "x"]), st.text(max_size=20), max_size=2),
    sign=st.booleans(),
)
async def test_random_requests_never_5xx_and_never_publish_unsigned(
    receiver: tuple[str, Recorder, ClientSession],
    source: str,
    headers: dict[str, str],
    body: bytes,
    query: dict[str, str],
    sign: bool,
) -> None:
    """Random headers and bodies: a 2xx/4xx JSON answer, no publish without a valid signature."""
    url, recorder, http = receiver
    before = len(recorder.published)
    if sign:
        headers = {**headers, "X-Hub-Signature-256": _sign(body)}
    async with http.post(f"{url}/hooks/{source}", data=body, headers=headers, params=query) as r:
        status, answer = r.status, await r.json(content_type=None)
    assert status < 500, answer
    assert isinstance(answer, dict)
    if status != 202:
        assert len(recorder.published) == before
        assert "message" in answer
    else:
        # Random signatures never verify; only a correct one may lead to a publish.
        assert source == "github"
        assert headers.get("X-Hub-Signature-256") == _sign(body)
        assert len(recorder.published) == before + 1
