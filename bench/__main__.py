"""`python -m bench [--smoke] [--only NAME,...] [--soak MINUTES]`: run the scenarios.

Full runs (`make bench`, several minutes) take medians of 3 runs and write bench/results/*.json,
docs/img/bench-latency.png and a results table on stdout. `--smoke` (`make bench-smoke`, CI)
runs every scenario once, tiny, to keep the harness working; it asserts nothing about speed.
`--soak` (`make bench-soak`) runs only the memory soak.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench import burst, e2e, incident, ingest, memory, peer, report, routing, scaleout
from bench.stats import medians, save


@dataclass(frozen=True)
class Plan:
    """How big each scenario runs."""

    seconds: float
    runs: int
    e2e_rates: tuple[float, ...]
    e2e_profiles: tuple[str, ...]
    burst_events: int
    burst_limit: float
    burst_profiles: tuple[str, ...]
    scale_counts: tuple[int, ...]
    scale_events: int
    scale_channels: int
    peer_rate: float
    routing_seconds: float
    half_rate: bool
    incident_events: int


FULL = Plan(
    10,
    3,
    (25, 50, 100, 200),
    ("embedded", "distributed"),
    1000,
    180,
    ("embedded", "distributed"),
    (1, 2, 4),
    1500,
    300,
    50,
    2,
    True,
    70_000,
)
SMOKE = Plan(1, 1, (20,), ("embedded",), 30, 15, ("embedded",), (1,), 40, 10, 20, 0.05, False, 2000)


async def _routing(plan: Plan) -> dict[str, Any]:
    per_size = []
    for size in routing.SIZES:
        runs = [routing.measure(size, plan.routing_seconds) for _ in range(plan.runs)]
        per_size.append(medians(runs))
        print(
            f"  {size} routes: {per_size[-1]['route_per_s']:.0f} events/s "
            f"(naive {per_size[-1]['naive_per_s']:.0f})",
            flush=True,
        )
    return {"runs": plan.runs, "sizes": per_size}


def scenarios(plan: Plan) -> dict[str, Callable[[], Awaitable[dict[str, Any]]]]:
    """Each scenario's name and how to run it under `plan`."""
    return {
        "ingest-distributed": lambda: ingest.run(
            "distributed", plan.seconds, plan.runs, plan.half_rate
        ),
        "ingest-embedded": lambda: ingest.run("embedded", plan.seconds, plan.runs, plan.half_rate),
        "e2e": lambda: e2e.run(
            list(plan.e2e_profiles), list(plan.e2e_rates), plan.seconds, plan.runs
        ),
        "routing": lambda: _routing(plan),
        "burst": lambda: _bursts(plan),
        "scaleout": lambda: scaleout.run(
            list(plan.scale_counts), plan.scale_events, plan.scale_channels, plan.runs
        ),
        "peer": lambda: peer.run(plan.seconds, plan.runs, plan.peer_rate),
        "incident": lambda: incident.run(
            plan.incident_events, max(plan.runs, 5) if plan.runs > 1 else 1
        ),
    }


async def _bursts(plan: Plan) -> dict[str, Any]:
    found = {}
    for profile in plan.burst_profiles:
        found[profile] = await burst.run(profile, plan.burst_events, plan.burst_limit)
        b = found[profile]
        print(
            f"  {profile}: {b['visible']}/{b['events']} visible after "
            f"{b['seconds_elapsed']:.1f} s, {b['posts']} posts",
            flush=True,
        )
    return found


async def main(args: argparse.Namespace) -> None:
    """Run the chosen scenarios in order, saving each result as it completes."""
    if args.soak:
        result = await memory.soak("distributed", args.soak, args.soak_rate)
        print(save("soak", result, smoke=False))
        print(f"max RSS growth after warm-up: {result['max_growth']:+.1%}")
        return
    plan = SMOKE if args.smoke else FULL
    chosen = scenarios(plan)
    names = args.only.split(",") if args.only else list(chosen)
    began = time.monotonic()
    for name in names:
        print(f"{name}:", flush=True)
        started = time.monotonic()
        result = await chosen[name]()
        save(name, {**result, "took_s": time.monotonic() - started}, args.smoke)
    print(f"done in {time.monotonic() - began:.0f} s")
    if not args.smoke:
        report.write_plot()
        print(report.table())


def cli() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny runs, for CI (< 60 s)")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--soak", type=float, metavar="MINUTES", help="run only the memory soak")
    parser.add_argument("--soak-rate", type=float, default=100.0, help="events/s during the soak")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
