"""Scenario 8: RSS of each process idle and under load, and the soak.

The idle and loaded figures come from the end-to-end runs (bench/e2e.py records both). The
soak (`make bench-soak`, 10 minutes by default) sends end-to-end traffic at a steady rate
through the distributed processes and samples each one's RSS every 10 s; growth is the last
sample against the one after the first minute (imports, caches and pools warmed up).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench import e2e, loadgen
from bench.procs import rss_mib, stack
from bench.slackside import SlackSide

SAMPLE_EVERY = 10.0
WARM_UP = 60.0


async def soak(profile: str, minutes: float, rate: float) -> dict[str, Any]:
    """Steady `rate` for `minutes`; RSS samples per process and growth after warm-up."""
    slack = SlackSide()
    slack_url = await slack.start()
    samples: list[dict[str, Any]] = []
    sent = 0
    try:
        routes = e2e.routes()
        async with stack(profile, e2e.commands(profile), slack_url, routes) as (settings, procs):
            began = time.monotonic()
            chunk = int(rate * SAMPLE_EVERY)
            while time.monotonic() - began < minutes * 60:
                requests = e2e.events(chunk, start=sent)
                await loadgen.open_loop(f"http://{settings.listen}", requests, rate)
                sent += chunk
                slack.forget_calls()
                samples.append({"t": round(time.monotonic() - began), **rss_mib(procs)})
                print(f"  soak {samples[-1]}", flush=True)
            await asyncio.sleep(5)
    finally:
        await slack.stop()
    warm = next((s for s in samples if s["t"] >= WARM_UP), samples[0])
    last = samples[-1]
    growth = {k: (last[k] - warm[k]) / warm[k] for k in last if k != "t"}
    return {
        "profile": profile,
        "minutes": minutes,
        "rate": rate,
        "sent": sent,
        "visible": len(slack.seen),
        "rss_after_warmup_mib": {k: v for k, v in warm.items() if k != "t"},
        "rss_end_mib": {k: v for k, v in last.items() if k != "t"},
        "growth": growth,
        "max_growth": max(growth.values()),
        "samples": samples,
    }
