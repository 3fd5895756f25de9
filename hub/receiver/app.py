"""The public webhook endpoint: verify, normalize, store durably, then answer 202."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

from hub.core.errors import (
    HubError,
    PayloadTooLarge,
    Unavailable,
    UnknownSource,
    VerificationError,
    verify_with_any,
)
from hub.core.event import Event
from hub.core.log import get_logger
from hub.core.metrics import EVENTS_PUBLISHED, WEBHOOK_DURATION, WEBHOOKS_RECEIVED
from hub.core.settings import PREVIOUS
from hub.core.sources import SourceAdapter, WebhookRequest, options_env
from hub.receiver.budget import ByteBudget

log = get_logger("hub.receiver")

Publish = Callable[[Event, bytes | None], Awaitable[bool]]
"""Stores an event durably, given what its signature covers when that binds no unique id and
time; returns True when it was a duplicate delivery or a replay (not stored again)."""

SecretLookup = Callable[[str], str | None]
"""A secret by its environment variable's name (`Settings.secret_for`); None when unset."""

INLINE_BODY_BYTES = 64 * 1024
"""Larger bodies are verified and parsed in a thread, so the event loop keeps answering."""

_OUTCOME = {
    401: "bad_signature",
    400: "bad_request",
    413: "too_large",
    415: "unsupported",
    404: "unsupported",
    503: "unavailable",
}


class UploadAborted(Exception):
    """The sender closed the connection before its whole body arrived."""

    def __init__(self, received: int) -> None:
        super().__init__(f"connection closed after {received} bytes of the body")
        self.received = received


class Receiver:
    """Handles `POST /hooks/{source}` for the registered adapters."""

    def __init__(
        self,
        adapters: Mapping[str, SourceAdapter],
        secret_for: SecretLookup,
        publish: Publish,
        max_body_bytes: int,
        allow_unsigned: frozenset[str] = frozenset(),
        max_inflight_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.adapters = adapters
        self.secret_for = secret_for
        self.publish = publish
        self.max_body_bytes = max_body_bytes
        self.allow_unsigned = allow_unsigned
        self.budget = ByteBudget(max_inflight_bytes)
        # A source that has a secret is verified even when HUB_ALLOW_UNSIGNED names it.
        for name in sorted(
            n for n in allow_unsigned & set(adapters) if not self._secrets(adapters[n])
        ):
            log.warning(
                "UNSIGNED WEBHOOKS ACCEPTED: anyone who can reach this port can post events; "
                "for local demos only",
                source=name,
            )

    def _secrets(self, adapter: SourceAdapter) -> tuple[str, ...]:
        """The secrets a source's requests may be signed with: the current one, then the
        previous one while it is rotated (a declared source may appear at any reload)."""
        return _accepted(self.secret_for, adapter.secret_env)

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one webhook; never raises, every failure is a JSON error body."""
        started = time.perf_counter()
        name = request.match_info.get("source", "")
        source = name if name in self.adapters else "unknown"
        try:
            event, duplicate = await self._accept(name, request)
        except HubError as exc:
            WEBHOOKS_RECEIVED.labels(
                source=source, outcome=_OUTCOME.get(exc.status, "bad_request")
            ).inc()
            log.info("webhook refused", source=source, status=exc.status, reason=exc.message)
            return error_response(exc)
        except UploadAborted as exc:
            WEBHOOKS_RECEIVED.labels(source=source, outcome="aborted").inc()
            log.info("upload aborted", source=source, received_bytes=exc.received)
            return web.Response(status=400)  # nobody reads it; aiohttp drops it quietly
        finally:
            WEBHOOK_DURATION.labels(source=source).observe(time.perf_counter() - started)
        WEBHOOKS_RECEIVED.labels(
            source=source, outcome="duplicate" if duplicate else "accepted"
        ).inc()
        if not duplicate:
            EVENTS_PUBLISHED.labels(source=source).inc()
        log.info("webhook accepted", event_id=event.id, type=event.type, duplicate=duplicate)
        return web.json_response(
            {"id": event.id, "type": event.type, "duplicate": duplicate}, status=202
        )

    async def _accept(self, name: str, request: web.Request) -> tuple[Event, bool]:
        adapter = self.adapters.get(name)
        if adapter is None:
            known = ", ".join(sorted(self.adapters))
            raise UnknownSource(f"unknown source {name[:40]!r}; POST to /hooks/<{known}>")
        limit = self.max_body_bytes
        declared = request.content_length
        if declared is not None and declared > limit:
            raise PayloadTooLarge(f"body is {declared} bytes; the limit is {limit}")
        # Held until the answer: the body, and what is parsed from it, live that long.
        async with self.budget.reserve(limit if declared is None else declared):
            webhook = WebhookRequest(
                headers=CIMultiDict(request.headers),
                body=await self._read_body(request),
                received_at=datetime.now(UTC),
                query=dict(request.query),
                options={
                    env: value
                    for env in options_env(adapter)
                    if (value := self.secret_for(env)) is not None
                },
            )
            if len(webhook.body) > INLINE_BODY_BYTES:
                verified = await asyncio.to_thread(self._verified_event, name, adapter, webhook)
            else:
                verified = self._verified_event(name, adapter, webhook)
            event, signed = verified
            # Everything that can refuse the input has run: from here on the only failure is
            # storage being away, and a 503 then always means "not stored".
            try:
                duplicate = await self.publish(event, signed)
            except HubError:
                raise
            except Exception as exc:
                log.error("could not store event", event_id=event.id, error=str(exc))
                raise Unavailable("the event could not be stored durably; retry later") from exc
        return event, duplicate

    def _verified_event(
        self, name: str, adapter: SourceAdapter, webhook: WebhookRequest
    ) -> tuple[Event, bytes | None]:
        """The verified request's event, and what its signature covers (for replay checks)."""
        secrets = self._secrets(adapter)
        signed = None
        if secrets:
            verify_with_any(secrets, lambda secret: adapter.verify(webhook, secret))
            signed = adapter.signed_content(webhook)
        elif name not in self.allow_unsigned:
            raise VerificationError(
                f"no secret is configured for {name}: set {adapter.secret_env} "
                f"(or HUB_ALLOW_UNSIGNED={name} for a local demo)"
            )
        return adapter.normalize(webhook), signed

    async def _read_body(self, request: web.Request) -> bytes:
        limit = self.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.content.iter_any():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"body is over the limit of {limit} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
        except ConnectionError:
            raise UploadAborted(size) from None
        finally:
            # Not left to the garbage collector: an exception's traceback keeps this frame,
            # and with it every chunk, alive until a full collection.
            chunks.clear()


def _accepted(secret_for: SecretLookup, env: str) -> tuple[str, ...]:
    return tuple(s for s in (secret_for(env), secret_for(env + PREVIOUS)) if s)


def error_response(exc: HubError) -> web.Response:
    """The one place where hub errors become HTTP answers."""
    headers = {}
    if isinstance(exc, Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    return web.json_response(
        {"error": exc.code, "message": exc.message}, status=exc.status, headers=headers
    )


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown paths and wrong methods answer JSON too, like every other error."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        hint = "webhooks go to POST /hooks/<source>" if exc.status in (404, 405) else exc.reason
        return web.json_response(
            {"error": exc.reason.lower().replace(" ", "_"), "message": hint},
            status=exc.status,
            headers={k: v for k, v in exc.headers.items() if k == "Allow"},
        )


def public_app(receiver: Receiver, max_body_bytes: int) -> web.Application:
    """The public webhook port: /hooks/* and /healthz (the composition root may add /slack/*)."""
    app = web.Application(client_max_size=max_body_bytes + 1, middlewares=[json_errors])
    app.router.add_post("/hooks/{source}", receiver.handle)
    app.router.add_get("/healthz", healthz)
    return app
