"""Scenario 6: distributed delivery throughput with 1, 2 and 4 routers and deliverers.

A receiver takes a backlog of events spread over many channels while no worker runs; then
`n` routers and `n` deliverers start together against a fake Slack that takes 50 ms per call,
and the figure is events made visible per second, from the workers being ready to the last
event visible. The baseline is n = 1 in the same run: the question is whether more workers add
throughput on this machine.
"""

from __future__ import annotations

import time
from typing import Any

from bench import e2e, loadgen
from bench.procs import CpuMeter, hub_processes, stack, with_ports
from bench.slackside import SlackSide


async def run_one(workers: int, events: int, channels: int, limit: float) -> dict[str, Any]:
    """One worker count: the backlog's delivery rate."""
    slack = SlackSide(latency=0.05)
    slack_url = await slack.start()
    try:
        routes = e2e.routes(channels)
        async with stack("distributed", ["receiver"], slack_url, routes) as (settings, procs):
            requests = e2e.events(events, start=0, channels=channels)
            samples = await loadgen.open_loop(f"http://{settings.listen}", requests, 1000.0)
            ids = [s.event_id for s in samples if s.status == 202]
            commands = ["router"] * workers + ["deliverer"] * workers
            async with hub_processes(with_ports(settings), commands, settings.data_dir) as more:
                cpu = CpuMeter([*procs, *more])
                cpu.start()
                began = time.time()
                await slack.wait_visible(ids, limit)
                cores = cpu.stop()
    finally:
        await slack.stop()
    visible = slack.visible(ids)
    last = max((slack.seen[i] for i in ids if i in slack.seen), default=time.time())
    return {
        "workers": workers,
        "events": len(ids),
        "visible": visible,
        "seconds": last - began,
        "events_per_s": visible / max(1e-9, last - began),
        "posts": slack.posts,
        "cores": cores,
    }


async def run(
    counts: list[int], events: int, channels: int, runs: int, limit: float = 120.0
) -> dict[str, Any]:
    """Every worker count `runs` times; medians of events/s per count."""
    from bench.stats import median

    results: dict[str, list[dict[str, Any]]] = {str(n): [] for n in counts}
    for _ in range(runs):
        for n in counts:
            try:
                one = await run_one(n, events, channels, limit)
            except (AssertionError, TimeoutError) as exc:  # a worker that failed to start
                print(f"  {n} router(s) + {n} deliverer(s): run failed: {exc}", flush=True)
                continue
            results[str(n)].append(one)
            print(
                f"  {n} router(s) + {n} deliverer(s): {one['events_per_s']:.0f} events/s "
                f"({one['visible']}/{one['events']} in {one['seconds']:.1f} s, "
                f"{one['posts']} posts)",
                flush=True,
            )
    summary = {n: median([r["events_per_s"] for r in rs]) for n, rs in results.items() if rs}
    return {
        "events": events,
        "channels": channels,
        "slack_latency_ms": 50,
        "median_events_per_s": summary,
        "runs": results,
    }
