"""Scenarios 1 and 2: receiver throughput at 64 connections next to its two ceilings.

Each run measures, back to back on the same machine: the hub receiver (a fresh one, a fresh
queue), the bare aiohttp handler (framework ceiling) and the broker alone (RabbitMQ publishing
confirmed, or SQLite committing durably). The order rotates between runs so drift in the shared
machine's load does not always fall on the same contender. Medians over the runs are reported.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from bench import corpus, loadgen
from bench.ceilings import amqp_ceiling, amqp_topology, sqlite_ceiling
from bench.procs import CpuMeter, metrics, rss_mib, stack, workdir
from bench.stats import medians, ratio
from bench.wrkrun import run_wrk, write_corpus
from hub.testing.harness import free_port

CONNECTIONS = 64
WORKERS = 2
"""The second hub contender: `hub receiver --workers 2`, one process per core of this machine."""

"""Travis fixtures in the mix; each Travis post needs its own signature, made ahead."""


def broker_bodies() -> list[bytes]:
    """The CloudEvents bytes hub publishes for each fixture (what the broker ceiling publishes)."""
    from datetime import UTC, datetime

    from multidict import CIMultiDict

    from adapters.registry import SOURCES
    from hub.core.sources import WebhookRequest

    bodies = []
    for signed in corpus.requests(31):
        request = WebhookRequest(CIMultiDict(signed.headers), signed.body, datetime.now(UTC))
        bodies.append(SOURCES[signed.source].normalize(request).to_json_bytes())
    return bodies


async def _framework(
    corpus_path: Path, seconds: float, publish: str | None = None, processes: int = 1
) -> dict[str, float]:
    """The bare handler under wrk; with `publish` (a topology prefix) framework + broker, in
    `processes` processes sharing the port."""
    port = free_port()
    args = ["-m", "bench.ceilings", "--listen", f"127.0.0.1:{port}"]
    if publish:
        args += ["--publish", publish, "--reuse-port"]
    started = [
        await asyncio.create_subprocess_exec(
            sys.executable, *args, stderr=asyncio.subprocess.DEVNULL
        )
        for _ in range(processes)
    ]
    try:
        await loadgen.wait_port(port)
        await asyncio.sleep(0.5 if processes > 1 else 0)  # the others bind a moment later
        result = await run_wrk(f"http://127.0.0.1:{port}", corpus_path, seconds, CONNECTIONS)
    finally:
        for process in started:
            process.terminate()
        for process in started:
            await process.wait()
    refused = sum(n for status, n in result.statuses.items() if status != "202")
    if refused:
        raise RuntimeError(f"the ceiling refused {refused} requests: {result.statuses}")
    return {"rate": result.rate, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms}


async def _combined(corpus_path: Path, seconds: float, processes: int) -> dict[str, float]:
    async with amqp_topology() as prefix:
        return await _framework(corpus_path, seconds, prefix, processes)


async def _hub(
    profile: str, corpus_path: Path, seconds: float, workers: int = 1
) -> dict[str, float]:
    async with stack(profile, ["receiver"], workers=workers) as (settings, procs):
        cpu = CpuMeter(procs)
        cpu.start()
        result = await run_wrk(f"http://{settings.listen}", corpus_path, seconds, CONNECTIONS)
        cores = cpu.stop()
        counted = await metrics(settings)
        rss = rss_mib(procs)
    duplicates = counted.get("hub_webhooks_received_total:duplicate", 0)
    refused = sum(n for status, n in result.statuses.items() if status != "202")
    if duplicates or refused or result.socket_errors:
        raise RuntimeError(
            f"hub refused {refused} ({result.statuses}), {duplicates} duplicates, "
            f"{result.socket_errors} socket errors: the load is not what it claims"
        )
    return {
        "rate": result.rate,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "rss_mib": max(rss.values()),
        "signed_skipped": result.signed_skipped,
        **{f"cores_{k}": v for k, v in cores.items()},
    }


async def _broker(profile: str, bodies: list[bytes], seconds: float) -> dict[str, float]:
    if profile == "distributed":
        return await amqp_ceiling(bodies, seconds, CONNECTIONS)
    async with workdir() as tmp:
        return await asyncio.to_thread(sqlite_ceiling, bodies, seconds, tmp / "ceiling.db")


async def _half_rate_latency(
    profile: str, rate: float, seconds: float, workers: int = 1
) -> dict[str, float]:
    """p50/p99 of the receiver's answers at a fixed `rate` (an open loop, not wrk's closed one)."""
    async with stack(profile, ["receiver"], workers=workers) as (settings, _):
        requests = list(corpus.requests(int(rate * seconds)))
        samples = await loadgen.open_loop(f"http://{settings.listen}", requests, rate)
    return loadgen.summarize(samples)


async def run(profile: str, seconds: float, runs: int, half_rate: bool = True) -> dict[str, Any]:
    """Medians over `runs` of hub, framework ceiling and broker ceiling; ratios to the lower."""
    bodies = broker_bodies()
    async with workdir() as tmp:
        corpus_path = tmp / "corpus.lua"
        started = time.perf_counter()
        chosen = corpus.templates()
        signed_share = sum(t.signed for t in chosen) / len(chosen)
        write_corpus(corpus_path, signed_pool=int(3000 * seconds * signed_share))
        print(f"  corpus written in {time.perf_counter() - started:.1f}s", flush=True)
        hub_runs, workers_runs, framework_runs, broker_runs = [], [], [], []
        combined_runs: list[dict[str, float]] = []
        combined_workers_runs: list[dict[str, float]] = []
        contenders = ["hub", "workers", "framework", "broker"]
        if profile == "distributed":
            contenders += ["combined", "combined-workers"]
        for n in range(runs):
            order = contenders[n % len(contenders) :] + contenders[: n % len(contenders)]
            for contender in order:
                if contender == "hub":
                    hub_runs.append(await _hub(profile, corpus_path, seconds))
                elif contender == "workers":
                    workers_runs.append(await _hub(profile, corpus_path, seconds, WORKERS))
                elif contender == "framework":
                    framework_runs.append(await _framework(corpus_path, seconds))
                elif contender == "combined":
                    combined_runs.append(await _combined(corpus_path, seconds, 1))
                elif contender == "combined-workers":
                    combined_workers_runs.append(await _combined(corpus_path, seconds, WORKERS))
                else:
                    broker_runs.append(await _broker(profile, bodies, seconds))
            combined_text = (
                f", framework+broker {combined_runs[-1]['rate']:.0f}/s "
                f"(x{WORKERS} {combined_workers_runs[-1]['rate']:.0f}/s)"
                if combined_runs
                else ""
            )
            print(
                f"  run {n + 1}: hub {hub_runs[-1]['rate']:.0f}/s, --workers {WORKERS} "
                f"{workers_runs[-1]['rate']:.0f}/s, framework "
                f"{framework_runs[-1]['rate']:.0f}/s, broker {broker_runs[-1]['rate']:.0f}/s"
                f"{combined_text}",
                flush=True,
            )
    hub, framework, broker = medians(hub_runs), medians(framework_runs), medians(broker_runs)
    workers = medians(workers_runs)
    lower = min(framework["rate"], broker["rate"])
    result: dict[str, Any] = {
        "profile": profile,
        "seconds": seconds,
        "runs": runs,
        "connections": CONNECTIONS,
        "hub": hub,
        "framework_ceiling": framework,
        "broker_ceiling": broker,
        "ratio_to_lower_ceiling": ratio(hub["rate"], lower),
        "workers": {"count": WORKERS, **workers},
        "workers_ratio_to_lower_ceiling": ratio(workers["rate"], lower),
        "all_runs": {
            "hub": hub_runs,
            "workers": workers_runs,
            "framework": framework_runs,
            "broker": broker_runs,
        },
    }
    if combined_runs:
        combined, combined_workers = medians(combined_runs), medians(combined_workers_runs)
        result["combined_ceiling"] = combined
        result["combined_workers_ceiling"] = combined_workers
        result["ratio_to_combined_ceiling"] = ratio(hub["rate"], combined["rate"])
        result["workers_ratio_to_combined_ceiling"] = ratio(
            workers["rate"], combined_workers["rate"]
        )
        result["all_runs"]["combined"] = combined_runs
        result["all_runs"]["combined_workers"] = combined_workers_runs
    if half_rate:
        # Embedded: half the 2,000/s target, as the issue asks; distributed: half of its own rate.
        half = hub["rate"] / 2 if profile == "distributed" else 1000.0
        result["half_rate"] = {"rate": half, **await _half_rate_latency(profile, half, seconds)}
        result["workers_half_rate"] = {
            "rate": half,
            **await _half_rate_latency(profile, half, seconds, WORKERS),
        }
    return result
