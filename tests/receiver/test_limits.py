"""The receiver's bounds: nesting depth, value count, body bytes held at once, 503 only unstored."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.registry import SOURCES
from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.state import SqliteState
from hub.core.event import Event
from hub.history.entries import MemoryHistory
from hub.receiver.app import Receiver, public_app
from hub.receiver.dedup import DedupPublisher
from hub.testing import signing
from tests.receiver.test_fuzz import SECRETS, Recorder

MAX_BODY = 30_000_000
MAX_JSON_DEPTH = 128
MAX_JSON_VALUES = 1_000_000
"""The documented limits (adapters/payload.py), spelled out so the test reads on its own."""


@dataclass
class Served:
    """A receiver on a local test server, the events it stored, and a client."""

    receiver: Receiver
    recorder: Recorder
    url: str
    http: aiohttp.ClientSession

    async def post(self, signed: signing.Signed) -> tuple[int, dict[str, Any], str | None]:
        """POST `signed`; the status, the JSON answer and any Retry-After."""
        async with self.http.post(
            self.url + signed.path, data=io.BytesIO(signed.body), headers=signed.headers
        ) as resp:
            return resp.status, await resp.json(), resp.headers.get("Retry-After")


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    """The real receiver with real adapters and secrets; events stored in a recorder."""
    recorder = Recorder()
    receiver = Receiver(SOURCES, SECRETS.get, recorder.publish, MAX_BODY)
    async with (
        TestServer(public_app(receiver, MAX_BODY)) as server,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
    ):
        yield Served(receiver, recorder, str(server.make_url("")), http)


def nested_ping(levels: int) -> signing.Signed:
    """A signed GitHub ping whose `deep` field brings the document to `levels` levels."""
    deep = "[" * (levels - 1) + "]" * (levels - 1)  # the object is level 1, `deep` level 2
    body = '{"zen": "z", "hook_id": 1, "repository": {"full_name": "a/b"}, "deep": ' + deep + "}"
    return signing.github(body.encode(), "ping")


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 500, 968, 1023, 5000])
async def test_json_nested_past_the_limit_is_400_and_never_stored(
    served: Served, levels: int
) -> None:
    """A signed body nested past 128 levels is a 400 naming the limit; nothing is stored."""
    status, answer, _ = await served.post(nested_ping(levels))
    assert status == 400, answer
    assert answer["message"] == "the request body is JSON nested deeper than 128 levels"
    assert served.recorder.published == []


async def test_json_nested_to_the_limit_is_stored(served: Served) -> None:
    """A body of exactly 128 levels is accepted and stored with its payload intact."""
    status, answer, _ = await served.post(nested_ping(MAX_JSON_DEPTH))
    assert status == 202, answer
    [event] = served.recorder.published
    assert (
        json.loads(event.to_json_bytes())["data"]["deep"]
        == json.loads(nested_ping(MAX_JSON_DEPTH).body)["deep"]
    )


async def test_more_json_values_than_the_limit_is_413_and_never_stored(served: Served) -> None:
    """An alert holding over a million JSON values is a 413 that says so; nothing is stored."""
    values = b",".join([b"1"] * MAX_JSON_VALUES)
    body = b'{"id": "cpu", "level": "CRITICAL", "data": {"series": [{"values": [%s]}]}}' % values
    status, answer, _ = await served.post(signing.kapacitor(body))
    assert status == 413, answer
    assert "more than 1,000,000 JSON values" in answer["message"]
    assert served.recorder.published == []


async def test_requests_past_the_inflight_cap_wait_then_get_503(served: Served) -> None:
    """While one upload holds every byte of the cap, the next waits, then gets 503 + Retry-After."""
    served.receiver.budget.capacity = 1000
    served.receiver.budget.wait = 0.5
    host, port = served.url.removeprefix("http://").split(":")
    _, holder = await asyncio.open_connection(host, int(port))
    holder.write(
        b"POST /hooks/github HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
        b"X-GitHub-Event: ping\r\nContent-Length: 1000\r\n\r\n{"
    )
    await holder.drain()
    await asyncio.sleep(0.1)  # the holder's handler has reserved its 1000 bytes
    ping = signing.github(b'{"zen": "z", "hook_id": 2}', "ping")
    status, answer, retry_after = await served.post(ping)
    assert status == 503, answer
    assert "HUB_MAX_INFLIGHT_BYTES" in answer["message"]
    assert retry_after is not None
    assert int(retry_after) > 0
    assert served.recorder.published == []
    holder.close()
    await asyncio.sleep(0.1)  # its abort gives the bytes back
    assert (await served.post(ping))[0] == 202


class BrokenHistory(MemoryHistory):
    """A live history that cannot record events (its log is unwritable)."""

    async def record_event(self, event: Event) -> None:
        raise RecursionError("maximum recursion depth exceeded while encoding a JSON object")


async def test_event_stored_before_a_history_failure_is_answered_202(
    tmp_path: Path, state: SqliteState
) -> None:
    """A failure after the event is durably stored still answers 202: a 503 would mean a retry."""
    broker = SqliteBroker(tmp_path, poll_interval=0.05)
    await broker.start()
    stored: asyncio.Queue[Event] = asyncio.Queue()

    async def collect(event: Event) -> None:
        await stored.put(event)

    publish = DedupPublisher(broker, state, BrokenHistory()).publish
    receiver = Receiver(SOURCES, SECRETS.get, publish, MAX_BODY)
    try:
        await broker.consume_events(collect)
        async with (
            TestServer(public_app(receiver, MAX_BODY)) as server,
            aiohttp.ClientSession() as http,
        ):
            ping = signing.github(b'{"zen": "z", "hook_id": 3}', "ping", delivery="d-3")
            async with http.post(
                server.make_url(ping.path), data=ping.body, headers=ping.headers
            ) as resp:
                assert resp.status == 202, await resp.text()
        assert (await asyncio.wait_for(stored.get(), 5)).id == "d-3"
    finally:
        await broker.close()
