"""Scenario 4: events per second per core through `parse_routes(text).route(event)`.

Route tables of 10, 100 and 1,000 routes in the shapes teams write (repo globs with type lists,
label matches, severity thresholds, branch lists with a bot exclude, `re:` types), and events
normalized from every shared fixture, re-pointed at many repositories and label values.
Baseline, same run: the same table evaluated naively, every route's `matches` in file order.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

from multidict import CIMultiDict

from adapters.registry import SOURCES
from bench import corpus
from hub.core.event import Event
from hub.core.sources import WebhookRequest
from hub.routes.load import RouteTable, parse_routes

SIZES = (10, 100, 1000)


def table_text(size: int) -> str:
    """routes.yaml with `size` routes of five shapes."""
    lines = ["version: 1", 'defaults: {unrouted: "#firehose"}', "routes:"]
    for k in range(size):
        shape = k % 5
        if shape == 0:
            match = f'{{repo: "acme/team{k}-*", type: ["github.pull_request.*", "github.push"]}}'
        elif shape == 1:
            match = f"{{source: kapacitor, labels: {{env: prod, team: t{k}}}}}"
        elif shape == 2:
            match = f'{{source: sentry, severity: ">=error", labels: {{project: p{k}}}}}'
        elif shape == 3:
            match = f'{{source: travis, repo: acme/svc{k}, branch: [main, "release/*"]}}'
        else:
            match = (
                f'{{type: "re:github\\\\.(issues|issue_comment)\\\\..*", repo: "acme/team{k}-*"}}'
            )
        exclude = ', exclude: [{actor: "*[bot]"}]' if shape == 3 else ""
        lines.append(f'  - {{name: r{k}, match: {match}{exclude}, channels: ["#c{k}"]}}')
    return "\n".join(lines) + "\n"


def sample_events(size: int, count: int = 2000, seed: int = 7) -> list[Event]:
    """`count` events from the fixtures, spread over the table's repositories and labels."""
    rng = random.Random(seed)
    base = []
    for signed in corpus.requests(31):
        request = WebhookRequest(CIMultiDict(signed.headers), signed.body, datetime.now(UTC))
        base.append(SOURCES[signed.source].normalize(request))
    found = []
    for n in range(count):
        event = base[n % len(base)]
        k = rng.randrange(size)
        update: dict[str, Any] = {}
        if event.source == "github":
            update["repo"] = f"acme/team{k}-api"
        elif event.source == "travis":
            update["repo"] = f"acme/svc{k}"
        else:
            update["labels"] = {**event.labels, "env": "prod", "team": f"t{k}", "project": f"p{k}"}
        found.append(event.model_copy(update=update))
    return found


def _naive(table: RouteTable, event: Event) -> list[str]:
    matched = []
    for route in table.routes:
        if route.matches(event):
            matched.append(route.name)
            if route.stop:
                break
    return matched


def _rate(fn: Any, events: list[Event], seconds: float) -> float:
    done = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        for event in events:
            fn(event)
        done += len(events)
    return done / (time.perf_counter() - began)


def measure(size: int, seconds: float) -> dict[str, float]:
    """Indexed `route` and the naive baseline, events per second on one core."""
    table = parse_routes(table_text(size))
    events = sample_events(size)
    for event in events:  # the steady state: the candidate cache holds the event shapes
        table.route(event)
    return {
        "routes": size,
        "route_per_s": _rate(table.route, events, seconds),
        "naive_per_s": _rate(lambda e: _naive(table, e), events, seconds),
    }
