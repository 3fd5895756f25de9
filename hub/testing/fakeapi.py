"""What the fake GitHub and Travis CI API servers share: a local port, recorded calls, and
answers forced on the next calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hub.testing.localserver import LocalServer


@dataclass
class ApiCall:
    """One request as the fake saw it, and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Forced:
    """An answer to give instead of the normal one."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeApi(LocalServer):
    """A JSON API on a local port; subclasses route requests in `answer`."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.base_url = ""
        self._forced: list[Forced] = []

    def force_next(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer the next call (after authentication) with `status`, `body` and `headers`."""
        self._forced.append(Forced(status, body, headers or {}))

    def answered(self, status: int | None = None) -> list[ApiCall]:
        """The calls made, optionally only those answered with `status`."""
        return [c for c in self.calls if status is None or c.status == status]

    async def wait_for_calls(self, count: int, timeout: float = 5.0) -> list[ApiCall]:  # noqa: ASYNC109 - a test helper
        """Wait until `count` calls were made; return them all."""
        await self.wait_until(lambda: len(self.calls) >= count, timeout)
        return self.calls

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on `host:port` (0: any free port) and return the base URL."""
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self.base_url = await self._listen(app, host, port)
        return self.base_url

    def refusal(self, call: ApiCall) -> Forced | None:
        """The answer to a call that is not authenticated as the API wants, if it is not."""
        return None

    def answer(self, call: ApiCall) -> Forced:
        """The API's answer to `call`."""
        raise NotImplementedError

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        call = ApiCall(
            request.method, "/" + request.match_info["path"], dict(request.headers), body
        )
        answer = self.refusal(call) or (self._forced.pop(0) if self._forced else self.answer(call))
        call.status = answer.status
        self.calls.append(call)
        await self._recorded()
        if answer.body is None:
            return web.Response(status=answer.status, headers=answer.headers)
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)
