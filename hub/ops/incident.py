"""The incident page on the ops port: the timeline drawn on a time axis, and the AAR draft."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from hub.core.settings import parse_duration
from hub.history.log import RecordLog
from hub.incident.gather import IncidentNotFound, gather
from hub.incident.markdown import markdown
from hub.ops.live import page_file, problem

MAX_BEFORE = timedelta(days=7)
MAX_KEY = 500


def add_incident_routes(app: web.Application, log: RecordLog | None) -> None:
    """Serve `/incident?key=…` and its data, `/api/incident?key=…` (404 without a history)."""

    async def page(_request: web.Request) -> web.Response:
        return page_file("incident.html")

    async def report(request: web.Request) -> web.Response:
        if log is None:
            return problem(404, "not_found", "this process keeps no event history")
        key = request.query.get("key", "").strip()
        if not key or len(key) > MAX_KEY:
            return problem(400, "bad_request", f"key: an event id or threadkey, {MAX_KEY} at most")
        try:
            before = parse_duration(request.query.get("before") or "2h")
        except ValueError as exc:
            return problem(400, "bad_request", f"before: {exc}")
        if not timedelta(0) < before <= MAX_BEFORE:
            return problem(400, "bad_request", "before: more than 0 and at most 7d")
        try:
            found = await gather(log, key, before)
        except IncidentNotFound as exc:
            return problem(404, "not_found", str(exc))
        return web.json_response({**found.to_json(), "markdown": markdown(found)})

    app.router.add_get("/incident", page)
    app.router.add_get("/api/incident", report)
