"""A small JSON client for the vendor APIs actions call, and their errors told in words."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from hub.core import jsonio

MAX_MESSAGE = 300
MAX_ANSWER_BYTES = 1024 * 1024
TIMEOUT = 10.0


class ApiError(Exception):
    """A vendor API refused or failed a call; the message is what the presser reads."""

    def __init__(self, words: str, status: int = 0, retry_after: int | None = None) -> None:
        super().__init__(words)
        self.words = words
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Done:
    """What a successful call did, in words, and the link to what it started (if known)."""

    text: str
    url: str | None = None
    status: int = 0


@dataclass(frozen=True)
class Answer:
    """A 2xx answer: its status and JSON body (None when it had none)."""

    status: int
    body: Any


class JsonApi:
    """Calls one vendor's API with a token; every failure raises ApiError in words."""

    vendor = "the API"
    token_env = ""
    message_key = "message"

    def __init__(self, base_url: str, token: str, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def headers(self, token: str) -> dict[str, str]:
        """The headers of every call, the credentials among them."""
        raise NotImplementedError

    async def call(self, method: str, path: str, body: Any = None) -> Answer:
        """`method path` with a JSON `body`; the 2xx answer, else ApiError in words."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        data = None if body is None else jsonio.dumps(body)
        headers = self.headers(self._token)
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method, self.base_url + path, data=data, headers=headers, allow_redirects=False
            ) as response:
                raw = await response.content.read(MAX_ANSWER_BYTES)
                status, answer_headers = response.status, response.headers
        except TimeoutError:
            raise ApiError(
                f"{self.vendor} did not answer in {self._timeout.total:g} s; try again"
            ) from None
        except aiohttp.ClientError as exc:
            raise ApiError(
                f"could not reach {self.vendor} ({type(exc).__name__}); try again"
            ) from None
        parsed = _json(raw)
        if 200 <= status < 300:
            return Answer(status, parsed)
        message = parsed.get(self.message_key) if isinstance(parsed, dict) else None
        raise explain(self.vendor, self.token_env, status, str(message or ""), answer_headers)

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def explain(
    vendor: str,
    token_env: str,
    status: int,
    message: str,
    headers: Mapping[str, str],
    now: float | None = None,
) -> ApiError:
    """A refusal as the presser should read it: what went wrong and what to do."""
    said = " ".join(message.split())[:MAX_MESSAGE]
    said = f": {said}" if said else ""
    wait = _retry_after(headers, time.time() if now is None else now)
    if status == 429 or (
        status == 403 and (wait is not None or headers.get("x-ratelimit-remaining") == "0")
    ):
        when = f"try again in {wait} s" if wait is not None else "try again later"
        words = f"{vendor}'s rate limit for hub's token is used up ({status}{said}); {when}."
        return ApiError(words, status, wait)
    if status == 401:
        return ApiError(
            f"{vendor} did not accept hub's token ({status}{said}): check {token_env}.", status
        )
    if status == 403:
        words = (
            f"{vendor} refused ({status}{said}): hub's token ({token_env}) lacks the permission."
        )
        return ApiError(words, status)
    if status == 404:
        words = f"{vendor} found no such thing, or hub's token cannot see it ({status}{said})."
        return ApiError(words, status)
    if status in (409, 422):
        return ApiError(f"{vendor} would not do it ({status}{said}).", status)
    if status >= 500:
        return ApiError(f"{vendor} failed (HTTP {status}{said}); try again later.", status)
    return ApiError(f"{vendor} answered HTTP {status}{said}.", status)


def _retry_after(headers: Mapping[str, str], now: float) -> int | None:
    """Seconds until the limit resets: `retry-after`, else `x-ratelimit-reset` (epoch seconds)."""
    try:
        return max(0, int(headers.get("retry-after", "")))
    except ValueError:
        pass
    if headers.get("x-ratelimit-remaining") != "0":
        return None
    try:
        return max(0, int(headers.get("x-ratelimit-reset", "")) - int(now))
    except ValueError:
        return None


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return jsonio.loads(raw)
    except ValueError:
        return None
