"""Scenario 5: 1,000 events to one channel while Slack allows 1 post/s (burst 3).

Measures the seconds from the first request until every event is visible in the channel (alone
or in a digest), the posts that took, and the 429s hub drew. Bounded: after `limit` seconds it
reports how many were visible and extrapolates. The baseline is the ideal paced poster: one post
a second with no digests needs (events − burst) seconds.
"""

from __future__ import annotations

import time
from typing import Any

from bench import e2e, loadgen
from bench.procs import stack
from bench.slackside import SlackSide

ROUTES = """\
version: 1
routes:
  - {name: all, match: {repo: "acme/*"}, channels: ["#burst"]}
"""


async def run(profile: str, events: int = 1000, limit: float = 180.0) -> dict[str, Any]:
    """Send `events` at once (500/s) to one channel; time until all are visible."""
    slack = SlackSide()
    slack_url = await slack.start()
    slack.fake.limit_channel_rate(1.0, burst=3)
    try:
        async with stack(profile, e2e.commands(profile), slack_url, ROUTES) as (settings, _):
            requests = e2e.events(events, start=0, channels=1)
            began = time.time()
            samples = await loadgen.open_loop(f"http://{settings.listen}", requests, 500.0)
            ids = [s.event_id for s in samples if s.status == 202]
            await slack.wait_visible(ids, limit - (time.time() - began))
            elapsed = (max(slack.seen.values()) if slack.seen else time.time()) - began
    finally:
        await slack.stop()
    visible = slack.visible(ids)
    return {
        "profile": profile,
        "events": events,
        "accepted": len(ids),
        "visible": visible,
        "seconds_to_all_visible": elapsed if visible == len(ids) else None,
        "seconds_elapsed": elapsed,
        "posts": slack.posts,
        "rate_limited_429": slack.calls.get("chat.postMessage:429", 0),
        "calls": dict(slack.calls),
        "baseline_one_post_per_event_s": max(0, events - 3) / 1.0,
    }
