"""`POST /slack/commands` and `/slack/interactions`: verified, answered within Slack's 3 s."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web

from adapters.slack.verify import MAX_AGE_SECONDS, TIMESTAMP_HEADER, verify
from hub.chatops.actions import pressed, run_press_of
from hub.chatops.buttons import click_of, press
from hub.chatops.context import ChatOps, Command
from hub.chatops.reply import Later, Reply, escape
from hub.core.errors import (
    BadPayload,
    ConfigError,
    HubError,
    PayloadTooLarge,
    verify_with_any,
)
from hub.core.log import get_logger

log = get_logger("hub.chatops")

COMMANDS_PATH = "/slack/commands"
INTERACTIONS_PATH = "/slack/interactions"
MAX_BODY_BYTES = 1024 * 1024
"""Interactions carry the whole message back; Slack caps messages well below this."""
SHUTDOWN_GRACE = 5.0
"""How long unfinished background answers may run on shutdown before they are cancelled."""
OFF = "ChatOps is off: set SLACK_SIGNING_SECRET"
FAILED = (
    ":warning: hub could not finish that: its broker or state store did not answer. "
    "Try again, or see hub's log."
)
REPLAYED = "That request was already handled; nothing was done again."
SIGNED_TTL = timedelta(seconds=2 * MAX_AGE_SECONDS + 60)
"""A signature passes from 5 minutes before its timestamp to 5 after; a minute for clocks."""


class Background:
    """Tasks that outlive their request; on close they get a grace period, then are cancelled."""

    def __init__(self, grace: float = SHUTDOWN_GRACE) -> None:
        self.grace = grace
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` without waiting for it."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Wait up to `grace` s for the running tasks, then cancel the rest."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=self.grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


RunCommand = Callable[[ChatOps, Command], Awaitable[Reply | Later]]
"""What answers one slash command: the composition root passes `hub.chatops.commands.run`."""


class ChatOpsEndpoints:
    """The two Slack request URLs of one `ChatOps`, with the session that answers response_urls."""

    def __init__(
        self, ops: ChatOps, run: RunCommand, clock: Callable[[], float] = time.time
    ) -> None:
        self.ops = ops
        self.run = run
        self.clock = clock
        self.background = Background()
        self._http: aiohttp.ClientSession | None = None

    async def lifespan(self, _app: web.Application) -> AsyncIterator[None]:
        """aiohttp cleanup context: the HTTP session, and finishing background work on exit."""
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            yield
        finally:
            await self.background.close()
            await self._http.close()

    async def commands(self, request: web.Request) -> web.Response:
        """A slash command: the answer, or "working…" now and the answer via response_url."""
        try:
            form = await self._verified_form(request)
        except HubError as exc:
            return _error(exc)
        except _NotActed as exc:
            return web.json_response(Reply(exc.answer).to_json())
        command = Command.from_form(form)
        log.info("chatops command", user=command.user_id, command=command.text.split(" ")[0])
        answer = await _guarded(lambda: self.run(self.ops, command))
        if isinstance(answer, Later):
            self.background.spawn(self._finish(answer.work, command.response_url))
            answer = answer.now
        return web.json_response(answer.to_json())

    async def interactions(self, request: web.Request) -> web.Response:
        """A button press: acknowledged at once, acted on in the background."""
        try:
            form = await self._verified_form(request)
            payload = json.loads(form.get("payload", ""))
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except HubError as exc:
            return _error(exc)
        except _NotActed:
            return web.Response(status=200)
        except ValueError:
            return _error(BadPayload("expected a form field payload=<JSON object>, as Slack sends"))
        url = str(payload.get("response_url") or "")
        click = click_of(payload)
        if click is not None:
            self.background.spawn(self._finish(lambda: press(self.ops, click), url))
        elif (run := run_press_of(payload)) is not None:
            self.background.spawn(self._finish(lambda: pressed(self.ops, run), url))
        return web.Response(status=200)

    async def _verified_form(self, request: web.Request) -> dict[str, str]:
        secrets = self.ops.signing_secrets
        if not secrets:
            raise _Off(OFF)
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"Slack requests are under {MAX_BODY_BYTES} bytes")
        body = await request.read()
        now = self.clock()
        verify_with_any(secrets, lambda secret: verify(secret, request.headers, body, now))
        try:
            fields = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            raise BadPayload("expected a form-encoded body, as Slack sends") from None
        await self._first_time(request.headers[TIMESTAMP_HEADER], body)
        return {key: values[0] for key, values in fields.items()}

    async def _first_time(self, timestamp: str, body: bytes) -> None:
        """Return if this signed request was not seen before; else raise `_NotActed`.

        The mark is in the state store, so every receiver process refuses the same replay.
        """
        signed = hashlib.sha256(f"{timestamp}:".encode() + body).hexdigest()
        try:
            first = await self.ops.state.add(f"slack-signed:{signed}", "1", SIGNED_TTL)
        except Exception as exc:
            log.error("chatops: state store did not answer", error=str(exc))
            raise _NotActed(FAILED) from None
        if not first:
            log.warning("chatops: a signed Slack request was replayed; not acted on")
            raise _NotActed(REPLAYED)

    async def _finish(self, work: Callable[[], Awaitable[Reply | None]], url: str) -> None:
        """Run slow work and post its reply (if any) to Slack's response_url."""
        reply = await _guarded(work)
        if reply is None:
            return
        if not url or self._http is None:
            log.warning("no response_url to answer", text=reply.text)
            return
        # A new message, never a replacement of the one whose button was pressed.
        body = {**reply.to_json(), "replace_original": False}
        try:
            async with self._http.post(url, json=body) as response:
                if response.status >= 300:
                    log.warning("response_url refused the answer", status=response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not answer through response_url", error=str(exc))


T = TypeVar("T", Reply | Later, Reply | None)


async def _guarded(work: Callable[[], Awaitable[T]]) -> T | Reply:
    """`work`'s answer, or a short apology when a store, the broker or routes.yaml failed it."""
    try:
        return await work()
    except ConfigError as exc:
        log.error("chatops: routes.yaml does not load", error=str(exc))
        return Reply(f":warning: routes.yaml does not load: {escape(str(exc))}")
    except Exception as exc:
        log.error("chatops work failed", error=str(exc), kind=type(exc).__name__)
        return Reply(FAILED)


class _NotActed(Exception):
    """A verified request hub does not act on: a replay, or one it could not check."""

    def __init__(self, answer: str) -> None:
        super().__init__(answer)
        self.answer = answer


class _Off(HubError):
    status = 404
    code = "not_found"


def _error(exc: HubError) -> web.Response:
    return web.json_response({"error": exc.code, "message": exc.message}, status=exc.status)


def add_chatops_routes(app: web.Application, ops: ChatOps, run: RunCommand) -> None:
    """Serve ChatOps on `app`: its two POST endpoints and the lifespan of their background work;
    `run` answers a slash command (`hub.chatops.commands.run`)."""
    endpoints = ChatOpsEndpoints(ops, run)
    app.router.add_post(COMMANDS_PATH, endpoints.commands)
    app.router.add_post(INTERACTIONS_PATH, endpoints.interactions)
    app.cleanup_ctx.append(endpoints.lifespan)
