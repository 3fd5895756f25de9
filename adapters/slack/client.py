"""Post and update Slack messages, and decide once whether a Slack failure is worth retrying."""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TextIO

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.terminal import draw
from hub.core import jsonio
from hub.core.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from hub.core.notify import Posted

SLACK_API_URL = "https://slack.com/api/"

# Slack's `ok: false` error codes that say "try again later"; every other code is permanent.
TEMPORARY_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
RATE_LIMITED_ERRORS = frozenset({"ratelimited", "rate_limited"})

# slack_sdk formats a debug line with the whole request (every block) whenever its logger's own
# level is <= DEBUG, and a fresh logger's level is NOTSET (0): that was a fifth of the CPU of each
# Slack call, for lines nobody sees (hub logs through structlog; the stdlib root logger only
# prints warnings). A level of its own set once keeps them unformatted.
SDK_LOG = logging.getLogger("slack_sdk.web.async_client")
if SDK_LOG.level == logging.NOTSET:
    SDK_LOG.setLevel(logging.INFO)

# What chat.update takes of a rendered message; posting-only options would be rejected or ignored.
_UPDATE_KEYS = frozenset({"text", "attachments", "blocks", "metadata", "parse", "link_names"})


class SlackNotifier:
    """The Slack Web API through slack_sdk, with retries left to the caller."""

    def __init__(self, token: str, base_url: str | None = None, timeout: float = 10) -> None:
        base = base_url or SLACK_API_URL
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # No built-in retry handlers: the deliverer owns the retry policy, and must see every 429.
        self._client = AsyncWebClient(
            token=token,
            base_url=base if base.endswith("/") else base + "/",
            retry_handlers=[],
            logger=SDK_LOG,
        )
        # chat.update takes only channel IDs; chat.postMessage answers with the ID of a #name.
        self._channel_ids: dict[str, str] = {}

    async def post(self, channel: str, message: Mapping[str, Any]) -> Posted:
        """Post `message` (chat.postMessage arguments, e.g. `thread_ts`); say where it landed."""
        response = await self._call(self._client.chat_postMessage, channel=channel, **message)
        self._channel_ids[channel] = str(response["channel"])
        return Posted(str(response["channel"]), str(response["ts"]))

    async def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None:
        """Replace the message `ts` in `channel` with `message` (chat.update)."""
        fields = {key: value for key, value in message.items() if key in _UPDATE_KEYS}
        channel_id = await self._channel_id(channel)
        await self._call(self._client.chat_update, channel=channel_id, ts=ts, **fields)

    async def find(self, channel: str, event_id: str, thread_ts: str | None = None) -> str | None:
        """The ts of a recent message (in thread `thread_ts`, if given) whose metadata names it."""
        channel_id = await self._channel_id(channel)
        if thread_ts:
            page = await self._call(
                self._client.conversations_replies,
                channel=channel_id,
                ts=thread_ts,
                limit=200,
                include_all_metadata=True,
            )
        else:
            page = await self._call(
                self._client.conversations_history,
                channel=channel_id,
                limit=100,
                include_all_metadata=True,
            )
        for message in page.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if event_id in (payload.get("event_ids") or []):
                return str(message["ts"])
        return None

    async def usergroup_members(self, group: str) -> frozenset[str]:
        """The user IDs in user group `group` (usergroups.users.list; needs usergroups:read)."""
        response = await self._call(self._client.usergroups_users_list, usergroup=group)
        return frozenset(str(user) for user in response.get("users") or [])

    async def check(self) -> str:
        """Call auth.test and describe the workspace and bot the token belongs to."""
        response = await self._call(self._client.auth_test)
        return f"team {response['team']} ({response['team_id']}) as {response['user']}"

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._client.session is not None:
            await self._client.session.close()
            self._client.session = None

    async def _channel_id(self, channel: str) -> str:
        if not channel.startswith("#") or channel in self._channel_ids:
            return self._channel_ids.get(channel, channel)
        # The message was posted before a restart or by another deliverer: look the name up once.
        cursor = ""
        while True:
            page = await self._call(
                self._client.conversations_list,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=1000,
                cursor=cursor or None,
            )
            for conversation in page["channels"]:
                self._channel_ids[f"#{conversation['name']}"] = str(conversation["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor", "")
            if channel in self._channel_ids or not cursor:
                break
        if channel not in self._channel_ids:
            raise PermanentDeliveryError("channel_not_found", f"no channel named {channel}")
        return self._channel_ids[channel]

    async def _call(
        self, method: Callable[..., Awaitable[AsyncSlackResponse]], **kwargs: Any
    ) -> AsyncSlackResponse:
        if self._client.session is None or self._client.session.closed:
            # One session for the notifier's life keeps connections alive between messages.
            self._client.session = aiohttp.ClientSession(
                timeout=self._timeout, json_serialize=jsonio.dumps_text
            )
        try:
            return await method(**kwargs)
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise classify(exc) from exc


def classify(exc: BaseException) -> DeliveryError:
    """Whether a failed Slack call is worth retrying, as a `hub.errors` delivery error."""
    if isinstance(exc, SlackApiError):
        return _classify_response(exc.response)
    if isinstance(exc, TimeoutError):  # includes aiohttp's ServerTimeoutError
        return TemporaryDeliveryError("timeout", str(exc) or "Slack did not answer in time")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return TemporaryDeliveryError("connection_error", str(exc) or type(exc).__name__)
    return PermanentDeliveryError("unexpected_error", f"{type(exc).__name__}: {exc}")


def _classify_response(response: Any) -> DeliveryError:
    # slack_sdk raises with its AsyncSlackResponse, or with aiohttp's response for a non-JSON body.
    status: int = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
    headers = getattr(response, "headers", None) or {}
    body = getattr(response, "data", None)
    body = body if isinstance(body, dict) else {}
    error = str(body.get("error") or "")
    messages = (body.get("response_metadata") or {}).get("messages") or []
    detail = "; ".join(str(m) for m in messages) or f"HTTP {status}"
    if status == 429 or error in RATE_LIMITED_ERRORS:
        return TemporaryDeliveryError("rate_limited", detail, _retry_after(headers))
    if status >= 500:
        return TemporaryDeliveryError("http_5xx", error or detail)
    if error in TEMPORARY_ERRORS:
        return TemporaryDeliveryError(error, detail)
    if error:
        return PermanentDeliveryError(error, detail)
    if status == 200:
        # 200 without `ok`: a proxy or an outage page answered, not Slack.
        return TemporaryDeliveryError("bad_response", "HTTP 200 without a Slack API body")
    return PermanentDeliveryError(f"http_{status}", "check HUB_SLACK_API_URL")


def _retry_after(headers: Mapping[str, str]) -> int | None:
    try:
        return max(0, int(headers.get("Retry-After", "")))
    except ValueError:
        return None


class ConsoleNotifier:
    """Console mode: each message printed on `stream` (stdout by default), nothing sent.

    As text (`text=True`, what `hub run` does unless HUB_CONSOLE_FORMAT=json): drawn the way
    Slack would show it, under a `── #channel` rule, coloured on a terminal; log lines go to
    stderr. Otherwise one JSON line per post or update.
    """

    def __init__(
        self, stream: TextIO | None = None, *, text: bool = False, colour: bool | None = None
    ) -> None:
        self._stream = stream
        self._text = text
        self._colour = colour
        self._start = int(time.time())
        self._counter = itertools.count(1)

    async def post(self, channel: str, message: Mapping[str, Any]) -> Posted:
        """Print the message; answer a made-up ts, increasing like Slack's."""
        ts = f"{self._start}.{next(self._counter):06d}"
        thread = message.get("thread_ts")
        note = f"reply in thread {thread}" if thread else f"message {ts}"
        self._write({"channel": channel, "ts": ts, "message": dict(message)}, note)
        return Posted(channel, ts)

    async def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None:
        """Print the update of message `ts`."""
        note = f"message {ts} edited"
        self._write({"channel": channel, "update": ts, "message": dict(message)}, note)

    async def find(self, channel: str, event_id: str, thread_ts: str | None = None) -> str | None:
        """The console keeps no history to look in."""
        return None

    async def check(self) -> str:
        """Say that messages go to the console."""
        shape = "drawn as Slack shows them" if self._text else "as JSON lines"
        return f"console mode: no SLACK_BOT_TOKEN, messages are printed on stdout, {shape}"

    async def close(self) -> None:
        """Flush the stream."""
        (self._stream or sys.stdout).flush()

    def _write(self, line: dict[str, Any], note: str) -> None:
        # Resolved per write so that a replaced sys.stdout (tests, daemons) is honoured.
        stream = self._stream or sys.stdout
        if self._text:
            colour = self._colour
            if colour is None:
                colour = stream.isatty() and not os.environ.get("NO_COLOR")
            drawn = draw(line["message"], line["channel"], note=note, colour=colour)
            stream.write(f"\n{drawn}\n\n")
        else:
            stream.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")
        stream.flush()
