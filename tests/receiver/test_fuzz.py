"""Property-based fuzzing of every webhook endpoint: never a 5xx, never an unverified publish."""

from __future__ import annotations

import asyncio
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


async def _raw_post(url: str, path: str, headers: dict[str, bytes], body: bytes) -> int:
    """POST with header values sent as the exact bytes given; the answer's status code."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = b"POST %s HTTP/1.1\r\nHost: hub\r\nConnection: close\r\nContent-Length: %d\r\n" % (
        path.encode(),
        len(body),
    )
    for name, value in headers.items():
        head += name.encode() + b": " + value + b"\r\n"
    writer.write(head + b"\r\n" + body)
    try:
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    return int(answer.split(b" ", 2)[1])


header_bytes = st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from([*SOURCES, "unknown"]),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_bytes, max_size=8),
    body=bodies,
)
async def test_arbitrary_header_bytes_never_5xx_and_never_publish(
    receiver: tuple[str, Recorder, ClientSession],
    source: str,
    headers: dict[str, bytes],
    body: bytes,
) -> None:
    """Any bytes in any header hub reads (non-UTF-8, control, Unicode digits): a 4xx, no publish."""
    url, recorder, _ = receiver
    before = len(recorder.published)
    status = await _raw_post(url, f"/hooks/{source}", headers, body)
    assert 400 <= status < 500
    assert len(recorder.published) == before


def _nested(kinds: list[bool]) -> str:
    """A JSON value inside one container per kind (True an array, False an object), outside in."""
    text = "1"
    for is_array in reversed(kinds):
        text = f"[{text}]" if is_array else f'{{"k": {text}}}'
    return text


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(depth=st.integers(0, 1500), pattern=st.integers(0, 0xFFFF))
async def test_nesting_depth_is_stored_up_to_the_limit_and_refused_past_it(
    receiver: tuple[str, Recorder, ClientSession], depth: int, pattern: int
) -> None:
    """A signed body nested up to 128 levels is stored; deeper is a 400 that says so, not stored."""
    url, recorder, http = receiver
    before = len(recorder.published)
    kinds = [bool(pattern >> (level % 16) & 1) for level in range(depth)]
    body = ('{"zen": "z", "hook_id": 1, "deep": ' + _nested(kinds) + "}").encode()
    levels = len(kinds) + 2  # the body object, the containers, the innermost 1
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "ping",
        "X-Hub-Signature-256": _sign(body),
    }
    async with http.post(f"{url}/hooks/github", data=body, headers=headers) as r:
        status, answer = r.status, await r.json(content_type=None)
    if levels <= 128:
        assert status == 202, answer
        assert len(recorder.published) == before + 1
    else:
        assert status == 400, answer
        assert answer["message"] == "the request body is JSON nested deeper than 128 levels"
        assert len(recorder.published) == before
