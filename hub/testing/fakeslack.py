"""A fake Slack Web API server that answers like Slack, records every call, and fails on demand.

Run standalone for demos and benchmarks: `python -m hub.testing.fakeslack --port 8099`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hub.testing.localserver import LocalServer

CHANNEL_NAME = re.compile(r"#[a-z0-9][a-z0-9._-]{0,79}")
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{8,}")
MAX_BLOCKS = 50
MAX_TEXT = 40_000


@dataclass
class Call:
    """One request as the fake saw it, and how it answered."""

    method: str
    args: dict[str, Any]
    received: float
    status: int = 200
    error: str | None = None
    channel_id: str | None = None
    ts: str | None = None

    @property
    def ok(self) -> bool:
        """Whether Slack would have accepted this call."""
        return self.status == 200 and self.error is None

    @property
    def channel(self) -> str | None:
        """The channel as the caller named it."""
        return self.args.get("channel")

    @property
    def thread_ts(self) -> str | None:
        """The parent message of a threaded reply."""
        return self.args.get("thread_ts")

    @property
    def text(self) -> str:
        """The top-level `text`."""
        return str(self.args.get("text") or "")

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """The message's attachments."""
        return list(self.args.get("attachments") or [])

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """Every block: top-level ones, then those inside attachments."""
        nested = [b for a in self.attachments for b in a.get("blocks", [])]
        return [*(self.args.get("blocks") or []), *nested]

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The message metadata."""
        return self.args.get("metadata")


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class FakeSlack(LocalServer):
    """A Slack Web API on a local port, with switches to make it fail the ways Slack fails."""

    token: str | None = "xoxb-fake-token"  # None accepts any token
    unknown_channels: set[str] = field(default_factory=set)
    channel_errors: dict[str, str] = field(default_factory=dict)
    latency: float = 0.0
    on_call: Callable[[Call], None] | None = None
    calls: list[Call] = field(default_factory=list)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """JSON bodies posted to each `response_url(name)`, in order (as Slack's response URLs take)."""
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    """User group ID → member user IDs, answered by usergroups.users.list."""

    def __post_init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._messages: dict[tuple[str, str], Call] = {}
        self._ts_counter = 0
        self._rate_limit_next = (0, 1)
        self._fail_next = (0, 500)
        self._fail_until = (0.0, 500)
        self._channel_rate: tuple[float, int] | None = None
        self._update_rate: tuple[float, int] | None = None
        self._buckets: dict[str, _Bucket] = {}
        self.base_url = ""

    def rate_limit_next(self, count: int, retry_after: int = 1) -> None:
        """Answer the next `count` calls with 429 and `Retry-After: retry_after`."""
        self._rate_limit_next = (count, retry_after)

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` calls with HTTP `status`."""
        self._fail_next = (count, status)

    def fail_for(self, seconds: float, status: int = 500) -> None:
        """Answer every call with HTTP `status` for the next `seconds`."""
        self._fail_until = (time.monotonic() + seconds, status)

    def limit_channel_rate(self, per_second: float, burst: int = 1) -> None:
        """Answer 429 to posts beyond `per_second` per channel after a burst, like Slack's ~1/s."""
        self._channel_rate = (per_second, burst)

    def limit_update_rate(self, per_second: float, burst: int = 1) -> None:
        """Answer 429 to chat.update calls beyond `per_second` (workspace-wide) after a burst,
        like Slack's Tier 3 limit for the method."""
        self._update_rate = (per_second, burst)

    def posts(self, channel: str | None = None) -> list[Call]:
        """Accepted chat.postMessage calls, optionally to one channel (by name or ID)."""
        return self._accepted("chat.postMessage", channel)

    def updates(self, channel: str | None = None) -> list[Call]:
        """Accepted chat.update calls, optionally in one channel (by name or ID)."""
        return self._accepted("chat.update", channel)

    def channel_id(self, name: str) -> str:
        """The ID the fake gives channel `name`, as chat.postMessage answers it."""
        if CHANNEL_ID.fullmatch(name):
            return name
        return self._ids.setdefault(name, f"C{len(self._ids) + 1:08d}")

    async def wait_for(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 -- tests read better with a number than a `with`
        channel: str | None = None,
    ) -> None:
        """Wait until at least `count` posts were accepted; TimeoutError after `timeout` s."""
        await self.wait_until(lambda: len(self.posts(channel)) >= count, timeout)

    def event_ids(self, channel: str | None = None) -> list[str]:
        """Event ids named by the metadata of accepted posts (a digest names several), in order."""
        return [
            event_id
            for call in self.posts(channel)
            for event_id in ((call.metadata or {}).get("event_payload") or {}).get("event_ids", [])
        ]

    async def wait_for_events(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 -- tests read better with a number than a `with`
        channel: str | None = None,
    ) -> None:
        """Wait until posts name `count` distinct events; TimeoutError after `timeout` s."""
        await self.wait_until(lambda: len(set(self.event_ids(channel))) >= count, timeout)

    def response_url(self, name: str) -> str:
        """A response_url for a slash command or interaction; its posts land in `responses`."""
        return self.base_url.removesuffix("api/") + f"response/{name}"

    async def wait_for_response(
        self,
        name: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 -- tests read better with a number than a `with`
    ) -> list[dict[str, Any]]:
        """Wait until `response_url(name)` got `count` posts; return them all."""
        await self.wait_until(lambda: len(self.responses.get(name, [])) >= count, timeout)
        return self.responses[name]

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on `host:port` (0: any free port) and return the base URL, ending in /api/."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/response/{name}", self._respond)
        self.base_url = await self._listen(app, host, port) + "/api/"
        return self.base_url

    async def _handle(self, request: web.Request) -> web.Response:
        args = await _arguments(request)
        token = args.pop("token", None)
        call = Call(request.match_info["method"], args, time.time())
        if self.latency:
            await asyncio.sleep(self.latency)
        body, retry_after = self._answer(call, token)
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        await self._recorded()
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return web.json_response(body, status=call.status, headers=headers)

    async def _respond(self, request: web.Request) -> web.Response:
        """A post to a response_url: recorded; Slack answers such posts with a plain `ok`."""
        self.responses.setdefault(request.match_info["name"], []).append(await request.json())
        await self._recorded()
        return web.Response(text="ok")

    def _accepted(self, method: str, channel: str | None) -> list[Call]:
        wanted = {channel, self._ids.get(channel, channel)} if channel else set()
        return [
            c
            for c in self.calls
            if c.method == method and c.ok and (not wanted or c.channel_id in wanted)
        ]

    def _next_ts(self) -> str:
        self._ts_counter += 1
        n = self._ts_counter
        return f"{1_700_000_000 + n // 10_000}.{(n % 10_000) * 100:06d}"

    def _injected_failure(self) -> tuple[int, int | None] | None:
        """An HTTP status (and Retry-After) that a switch forces on this call, if any."""
        count, retry_after = self._rate_limit_next
        if count > 0:
            self._rate_limit_next = (count - 1, retry_after)
            return 429, retry_after
        count, status = self._fail_next
        if count > 0:
            self._fail_next = (count - 1, status)
            return status, None
        until, status = self._fail_until
        if time.monotonic() < until:
            return status, None
        return None

    def _over_rate(self, key: str, rate: tuple[float, int] | None) -> int | None:
        """Seconds to wait if `key` is over `rate`, else None (spending a token)."""
        if rate is None:
            return None
        per_second, burst = rate
        now = time.monotonic()
        bucket = self._buckets.setdefault(key, _Bucket(float(burst), now))
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / per_second))

    def _answer(self, call: Call, token: str | None) -> tuple[dict[str, Any], int | None]:
        """Slack's JSON answer to `call` and a Retry-After, recording the outcome on `call`."""
        if not token:
            call.error = "not_authed"
        elif self.token is not None and token != self.token:
            call.error = "invalid_auth"
        elif forced := self._injected_failure():
            call.status, retry_after = forced
            call.error = "ratelimited" if call.status == 429 else "internal_error"
            return {"ok": False, "error": call.error}, retry_after
        if call.error:
            return {"ok": False, "error": call.error}, None
        if call.method == "auth.test":
            return _AUTH_TEST, None
        if call.method == "conversations.list":
            channels = [{"id": i, "name": n.lstrip("#")} for n, i in self._ids.items()]
            return {
                "ok": True,
                "channels": channels,
                "response_metadata": {"next_cursor": ""},
            }, None
        if call.method in ("conversations.history", "conversations.replies"):
            return self._history(call), None
        if call.method == "usergroups.users.list":
            return self._usergroup(call), None
        if call.method not in ("chat.postMessage", "chat.update"):
            call.error = "unknown_method"
            return {"ok": False, "error": call.error}, None
        return self._message(call)

    def _history(self, call: Call) -> dict[str, Any]:
        """The channel's newest messages first, with metadata when include_all_metadata is set."""
        channel = str(call.channel or "")
        if not CHANNEL_ID.fullmatch(channel) or channel not in self._ids.values():
            call.error = "channel_not_found"
            return {"ok": False, "error": call.error}
        limit = int(call.args.get("limit") or 100)
        with_metadata = str(call.args.get("include_all_metadata")).lower() in ("1", "true")
        if call.method == "conversations.replies":
            parent = str(call.args.get("ts"))
            in_thread = [c for c in self.posts(channel) if parent in (c.ts, c.thread_ts)]
            posts = in_thread[:limit]
        else:
            posts = [c for c in reversed(self.posts(channel)) if c.thread_ts is None][:limit]
        messages = [
            {"ts": c.ts, "text": c.text, **({"metadata": c.metadata} if with_metadata else {})}
            for c in posts
        ]
        return {"ok": True, "messages": messages, "has_more": False}

    def _usergroup(self, call: Call) -> dict[str, Any]:
        """The group's members, or Slack's `no_such_subteam` for a group it does not know."""
        group = str(call.args.get("usergroup") or "")
        if group not in self.usergroups:
            call.error = "no_such_subteam"
            return {"ok": False, "error": call.error}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _message(self, call: Call) -> tuple[dict[str, Any], int | None]:
        channel = str(call.channel or "")
        if call.method == "chat.update" and not CHANNEL_ID.fullmatch(channel):
            call.error = "channel_not_found"  # like Slack, chat.update takes only channel IDs
        elif channel in self.unknown_channels or not (
            CHANNEL_NAME.fullmatch(channel) or CHANNEL_ID.fullmatch(channel)
        ):
            call.error = "channel_not_found"
        elif channel in self.channel_errors:
            call.error = self.channel_errors[channel]
        elif not (call.text or call.blocks or call.attachments):
            call.error = "no_text"
        elif len(call.text) > MAX_TEXT:
            call.error = "msg_too_long"
        elif len(call.args.get("blocks") or []) > MAX_BLOCKS or any(
            len(a.get("blocks", [])) > MAX_BLOCKS for a in call.attachments
        ):
            call.error = "invalid_blocks"
        if call.error:
            return {"ok": False, "error": call.error}, None
        call.channel_id = self.channel_id(channel)
        updating = call.method == "chat.update"
        if updating:
            call.ts = ts = str(call.args.get("ts"))
            if (call.channel_id, ts) not in self._messages:
                call.error = "message_not_found"
                return {"ok": False, "error": call.error}, None
        # Updates are limited per workspace (Tier 3), posts per channel.
        limit = (
            ("chat.update", self._update_rate)
            if updating
            else (call.channel_id, self._channel_rate)
        )
        if (retry_after := self._over_rate(*limit)) is not None:
            call.status, call.error = 429, "ratelimited"
            return {"ok": False, "error": call.error}, retry_after
        if not updating:
            call.ts = ts = self._next_ts()
        self._messages[(call.channel_id, ts)] = call
        return {"ok": True, "channel": call.channel_id, "ts": call.ts, "message": call.args}, None


_AUTH_TEST = {
    "ok": True,
    "url": "https://fake.slack.com/",
    "team": "Fake Workspace",
    "user": "hub",
    "team_id": "T00000FAKE",
    "user_id": "U00000HUB",
    "bot_id": "B00000HUB",
}


async def _arguments(request: web.Request) -> dict[str, Any]:
    """The call's arguments from query, JSON or form body, JSON-in-form values decoded."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        args.update(await request.json())
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            args[key] = _maybe_json(value) if isinstance(value, str) else value
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        args["token"] = auth.removeprefix("Bearer ").strip()
    return args


def _maybe_json(value: str) -> Any:
    if value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _print_call(call: Call) -> None:
    outcome = "ok" if call.ok else f"{call.status} {call.error}"
    thread = f" thread={call.thread_ts}" if call.thread_ts else ""
    ts = f" ts={call.ts}" if call.ts else ""
    print(f"{call.method} {call.channel or '-'}{ts}{thread} {outcome}: {call.text[:100]}")


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeSlack(token=args.token, latency=args.latency, on_call=_print_call)
    if args.rate:
        fake.limit_channel_rate(args.rate, args.burst)
    base_url = await fake.start(args.host, args.port)
    print(f"fake Slack listening: HUB_SLACK_API_URL={base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    """Run the fake Slack until interrupted, printing each call."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--token", default=None, help="the only token accepted (default: any)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--rate", type=float, default=0.0, help="posts per second per channel")
    parser.add_argument("--burst", type=int, default=3, help="posts allowed at once per channel")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
