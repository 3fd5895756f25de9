"""The ops port: /metrics, /healthz, /readyz, the live page and incident pages (never on the
webhook port)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.aiohttp import make_aiohttp_handler

from hub.core.errors import Degraded
from hub.core.health import Check
from hub.history.entries import History
from hub.history.log import LoggedHistory
from hub.ops.incident import add_incident_routes
from hub.ops.live import Explain, Preview, add_live_routes
from hub.receiver.app import healthz
from hub.receiver.workers import METRICS_ENV

__all__ = ["Explain", "Preview", "ops_app"]


def ops_app(
    checks: Mapping[str, Check],
    history: History,
    explain: Explain | None = None,
    tokens: tuple[str, ...] = (),
    timeout: float = 2.0,
    preview: Preview | None = None,
) -> web.Application:
    """The ops application: health, readiness from named checks, metrics, the live page."""

    async def readyz(_request: web.Request) -> web.Response:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except Degraded as exc:
                results[name] = f"degraded: {exc}"
            except Exception as exc:
                results[name] = f"failed: {exc or type(exc).__name__}"
        failed = any(v.startswith("failed") for v in results.values())
        degraded = any(v.startswith("degraded") for v in results.values())
        status = "unavailable" if failed else "degraded" if degraded else "ready"
        return web.json_response(
            {"status": status, "checks": results}, status=503 if failed else 200
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", make_aiohttp_handler(_registry()))
    add_live_routes(app, history, explain, tokens, preview=preview)
    add_incident_routes(app, history.log if isinstance(history, LoggedHistory) else None)
    return app


def _registry() -> CollectorRegistry:
    """This process's metrics, or, with ingest workers, every worker's summed."""
    if METRICS_ENV not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
