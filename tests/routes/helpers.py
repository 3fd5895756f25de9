"""Events and tables for the routing tests."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import Any

from hub.core.event import Event
from hub.routes.load import parse_routes
from hub.routes.table import RouteTable

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def event(**fields: Any) -> Event:
    """A GitHub push to acme/api main by octocat, with `fields` overriding."""
    base: dict[str, Any] = {
        "id": "e1",
        "source": "github",
        "type": "github.push",
        "time": WHEN,
        "receivedat": WHEN,
        "title": "pushed",
        "repo": "acme/api",
        "branch": "main",
        "actor": "octocat",
    }
    return Event(**(base | fields))


def table(routes: str, head: str = "") -> RouteTable:
    """A table of the given `routes:` entries (YAML, dedented) after `head`."""
    body = textwrap.indent(textwrap.dedent(routes).strip("\n"), "  ")
    return parse_routes(f"version: 1\n{textwrap.dedent(head)}routes:\n{body}\n")


def one(match: str, **fields: Any) -> bool:
    """Whether a single route with this flow-style match block matches the event."""
    routes = table(f"- name: r\n  match: {match}\n  channels: ['#a']")
    return routes.route(event(**fields)).matched == ("r",)
