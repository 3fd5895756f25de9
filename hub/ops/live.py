"""The live event page on the ops port: the page, its JSON API and a Server-Sent Events stream."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import replace
from importlib import resources
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hub.core import jsonio
from hub.core.event import Event
from hub.core.severity import Severity
from hub.history.entries import Entry, Explanation, Filter, History

Explain = Callable[[Event], list[Explanation]]
"""The routing explanation of an event under the current routes table."""
Preview = Callable[[Event, Sequence[str]], dict[str, Any]]
"""The Slack message (chat.postMessage arguments) an event is shown as, for the routes given."""

KEEPALIVE_SECONDS = 15.0
MAX_LIMIT = 1000
COOKIE = "hub_ops_session"
# Probes and Prometheus scrape without credentials, and these paths reveal no event data:
# only liveness, readiness per dependency and bounded-label counters.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
ASSETS = ("app.js", "incident.js", "slack.js", "style.css", "slack.css", "favicon.svg")
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

STOPPING = web.AppKey("hub_live_stopping", asyncio.Event)


def add_live_routes(
    app: web.Application,
    history: History,
    explain: Explain | None,
    tokens: tuple[str, ...] | None,
    keepalive: float = KEEPALIVE_SECONDS,
    preview: Preview | None = None,
) -> None:
    """Serve the live page, its API and stream on `app`; with tokens, guard all but OPEN_PATHS.

    `tokens`: HUB_OPS_TOKEN and, during a rotation, HUB_OPS_TOKEN_PREVIOUS; any of them opens.
    """
    files = {name: _asset(name) for name in (*ASSETS, "index.html")}

    async def page(_request: web.Request) -> web.Response:
        return _file("index.html", files["index.html"])

    async def static(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ASSETS:
            return _error(404, "not_found", f"no static file {name[:40]!r}")
        return _file(name, files[name])

    async def events(request: web.Request) -> web.Response:
        query = request.query
        try:
            limit = min(max(int(query.get("limit", "100")), 1), MAX_LIMIT)
            severity = query.get("severity") or None
            if severity is not None:
                Severity(severity)
        except ValueError:
            return _error(400, "bad_request", "limit is a number; severity is info..critical")
        where = Filter(
            source=query.get("source") or None, type=query.get("type") or None, severity=severity
        )
        return web.json_response([e.summary() for e in await history.recent(limit, where)])

    async def event(request: web.Request) -> web.Response:
        entry = await history.get(request.match_info["id"])
        if entry is None:
            return _error(404, "not_found", "no such event in this process's history")
        explained_now = not entry.explanation and explain is not None
        if explain is not None and not entry.explanation:
            entry = replace(entry, explanation=tuple(explain(entry.event)))
        detail = {**entry.detail(), "explained_now": explained_now}
        if preview is not None:
            detail["message"] = preview(entry.event, entry.routes)
        return _detail_response(detail)

    async def stream(request: web.Request) -> web.StreamResponse:
        return await _stream(request, history.subscribe(), request.app[STOPPING], keepalive)

    async def stop_streams(app: web.Application) -> None:
        app[STOPPING].set()

    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(stop_streams)
    if tokens:
        app.middlewares.append(_guard(tokens))
    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/api/events", events)
    app.router.add_get("/api/events/{id}", event)
    app.router.add_get("/api/stream", stream)


async def _stream(
    request: web.Request,
    updates: AsyncIterator[Entry],
    stopping: asyncio.Event,
    keepalive: float,
) -> web.StreamResponse:
    """Write each changed entry as an SSE `entry` event until the client leaves or we stop."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # nginx would otherwise hold events back
        }
    )
    pending = asyncio.ensure_future(_next(updates))
    stop = asyncio.ensure_future(stopping.wait())
    # One step for the subscription to register, so nothing between it and `open` is missed.
    await asyncio.sleep(0)
    try:
        await response.prepare(request)
        await response.write(b"retry: 2000\n\n")
        while not stopping.is_set():
            done, _ = await asyncio.wait(
                {pending, stop}, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED
            )
            if pending in done:
                entry = pending.result()
                if entry is None:
                    break
                pending = asyncio.ensure_future(_next(updates))
                data = json.dumps(entry.summary(), separators=(",", ":"))
                await response.write(f"event: entry\ndata: {data}\n\n".encode())
            elif not done:
                await response.write(b": keepalive\n\n")
    except ConnectionError:
        pass  # the client went away; the finally below releases the subscription
    finally:
        pending.cancel()
        stop.cancel()
        await asyncio.wait({pending, stop})
        if isinstance(updates, AsyncGenerator):
            await updates.aclose()
    return response


async def _next(updates: AsyncIterator[Entry]) -> Entry | None:
    try:
        return await anext(updates)
    except StopAsyncIteration:
        return None


def _guard(tokens: tuple[str, ...]) -> Middleware:
    """Bearer header or session cookie on every path but OPEN_PATHS; `/?token=` sets the cookie."""
    # One session cookie per token: when a rotated-out token is removed, its sessions end too.
    sessions = {
        token: hmac.new(token.encode(), b"hub ops page session", hashlib.sha256).hexdigest()
        for token in tokens
    }

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS:
            return await handler(request)
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and _one_of(given.strip(), tokens):
            return await handler(request)
        if _one_of(request.cookies.get(COOKIE, ""), sessions.values()):
            return await handler(request)
        token = _one_of(request.query.get("token", ""), tokens) if request.path == "/" else None
        if token is not None:
            # Trade the token in the URL for a cookie and drop it from the address bar.
            rest = {k: v for k, v in request.query.items() if k != "token"}
            response = web.Response(
                status=303, headers={"Location": str(request.rel_url.with_query(rest))}
            )
            response.set_cookie(
                COOKIE,
                sessions[token],
                httponly=True,
                samesite="Strict",
                secure=request.secure,
                path="/",
            )
            return response
        return _error(
            401,
            "unauthorized",
            "the ops port needs HUB_OPS_TOKEN: send 'Authorization: Bearer <token>', "
            "or open /?token=<token> once in the browser",
            {"WWW-Authenticate": 'Bearer realm="hub-ops"'},
        )

    return guard


def _detail_response(detail: dict[str, Any]) -> web.Response:
    """The detail as JSON; a payload too deep to write out is replaced by a note, never a 500.

    The receiver refuses such payloads, but the history may hold events stored before it did.
    """
    try:
        body = jsonio.dumps(detail)
    except (RecursionError, ValueError, TypeError):
        event = {**detail["event"], "data": "(payload not shown: nested too deeply to write out)"}
        body = jsonio.dumps({**detail, "event": event})
    return web.Response(body=body, content_type="application/json")


def _one_of(given: str, expected: Iterable[str]) -> str | None:
    """The expected value `given` equals, compared in constant time; None if none or empty."""
    # Header bytes that are not UTF-8 arrive as surrogates: compare them, never fail on them.
    raw = given.encode("utf-8", "surrogatepass")
    found = None
    for value in expected:
        if raw and hmac.compare_digest(raw, value.encode("utf-8", "surrogatepass")):
            found = value
    return found


def page_file(name: str) -> web.Response:
    """A page of web/ as served, with the security headers."""
    return _file(name, _asset(name))


def problem(status: int, code: str, message: str) -> web.Response:
    """A JSON error body, as every ops API answers."""
    return _error(status, code, message)


def _asset(name: str) -> bytes:
    return resources.files("hub.ops").joinpath("web", name).read_bytes()


def _file(name: str, body: bytes) -> web.Response:
    content_type = _TYPES[name[name.rindex(".") :]]
    return web.Response(
        body=body,
        content_type=content_type,
        charset="utf-8",
        headers=_SECURITY_HEADERS,
    )


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)
