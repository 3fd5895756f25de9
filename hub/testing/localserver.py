"""What hub's fake servers (Slack, GitHub, Travis CI) share: an aiohttp app on a local port, and
a condition their handlers signal after recording a request, for tests to wait on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web


class LocalServer:
    """Listening on a local port between `_listen` and `stop`; `wait_until` what it recorded."""

    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition | None = None

    async def _listen(self, app: web.Application, host: str, port: int) -> str:
        """Serve `app` on `host:port` (0: any free port); its `http://host:port`."""
        self._changed = asyncio.Condition()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        return f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Stop listening; further calls get connection refused."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 -- tests read better with a number than a `with`
    ) -> None:
        """Wait until `predicate()` holds after some recorded request; TimeoutError otherwise."""
        assert self._changed is not None, "start() the fake first"
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def _recorded(self) -> None:
        """Wake whoever waits in `wait_until`: a request was recorded."""
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()
