"""The bench's Slack side: when each event became visible, by event id.

Wraps the test suite's fake Slack Web API (hub posts there) and adds a tiny Slack
incoming-webhook endpoint for the peer (Alertmanager's slack_configs post there).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from typing import Any

from aiohttp import web

from hub.testing.fakeslack import Call, FakeSlack
from hub.testing.harness import SLACK_TOKEN

BENCH_ID = re.compile(r"bench-id=([0-9a-z-]+)")


class SlackSide:
    """A fake Slack that notes the first time each event id shows up in an accepted post."""

    def __init__(self, latency: float = 0.0) -> None:
        self.fake = FakeSlack(token=SLACK_TOKEN, latency=latency, on_call=self._record)
        self.seen: dict[str, float] = {}
        self.posts = 0
        self.calls: Counter[str] = Counter()
        self._hook_runner: web.AppRunner | None = None
        self.hook_url = ""

    async def start(self) -> str:
        """Start the Web API (and the incoming webhook); the Web API base URL."""
        url = await self.fake.start()
        app = web.Application()
        app.router.add_post("/services/{path:.*}", self._incoming)
        self._hook_runner = web.AppRunner(app, access_log=None)
        await self._hook_runner.setup()
        await web.TCPSite(self._hook_runner, "127.0.0.1", 0).start()
        host, port = self._hook_runner.addresses[0][:2]
        self.hook_url = f"http://{host}:{port}/services/T000/B000/bench"
        return url

    async def stop(self) -> None:
        """Stop both endpoints."""
        await self.fake.stop()
        if self._hook_runner is not None:
            await self._hook_runner.cleanup()

    def forget_calls(self) -> None:
        """Drop the fake's call log (long runs), keeping the visibility times."""
        self.fake.calls.clear()

    def _record(self, call: Call) -> None:
        now = time.time()
        self.calls[f"{call.method}:{call.status}"] += 1
        if call.method != "chat.postMessage" or not call.ok:
            return
        self.posts += 1
        payload = (call.metadata or {}).get("event_payload") or {}
        for event_id in payload.get("event_ids") or []:
            self.seen.setdefault(str(event_id), now)

    async def _incoming(self, request: web.Request) -> web.Response:
        # Incoming webhooks answer a plain "ok"; the ids come from the message text.
        now = time.time()
        body: dict[str, Any] = json.loads(await request.read())
        text = json.dumps(body)
        self.posts += 1
        self.calls["incoming-webhook:200"] += 1
        for found in BENCH_ID.findall(text):
            self.seen.setdefault(found, now)
        return web.Response(text="ok")

    def visible(self, ids: list[str]) -> int:
        """How many of `ids` are visible in Slack."""
        return sum(1 for i in ids if i in self.seen)

    async def wait_visible(self, ids: list[str], limit: float) -> None:
        """Return once every one of `ids` is visible, or after `limit` seconds."""
        deadline = time.monotonic() + limit
        # Polling: visibility is a count over thousands of ids, not one event to signal.
        while self.visible(ids) < len(ids) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
