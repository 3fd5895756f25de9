"""Turn bench/results/*.json into the results table and the latency-vs-load plot for the docs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.corpus import ROOT
from bench.e2e import CHANNELS
from bench.stats import RESULTS, median

PLOT = ROOT / "docs" / "img" / "bench-latency.png"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _e2e_by_rate(
    doc: dict[str, Any], profile: str, workers: int = 1
) -> dict[float, list[dict[str, Any]]]:
    by_rate: dict[float, list[dict[str, Any]]] = {}
    for p in doc["points"]:
        if p["profile"] == profile and p.get("workers", 1) == workers:
            by_rate.setdefault(float(p["rate"]), []).append(p)
    return by_rate


def write_plot(path: Path = PLOT) -> Path | None:
    """Ingest (202) and end-to-end p50/p99 against offered load, per profile (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    doc = _load("e2e")
    if doc is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, profile in zip(axes, ("embedded", "distributed"), strict=True):
        by_rate = _e2e_by_rate(doc, profile)
        rates = sorted(by_rate)
        if not rates:
            continue
        for key, label, style in (
            ("e2e_p50_ms", "receive → Slack p50", "o-"),
            ("e2e_p99_ms", "receive → Slack p99", "o--"),
        ):
            ax.plot(
                rates, [median([p[key] for p in by_rate[r]]) for r in rates], style, label=label
            )
        for key, label, style in (
            ("p50_ms", "202 answer p50", "s-"),
            ("p99_ms", "202 answer p99", "s--"),
        ):
            values = [median([p["ingest"][key] for p in by_rate[r]]) for r in rates]
            ax.plot(rates, values, style, label=label, alpha=0.7)
        ax.axhline(15, color="grey", lw=0.8, ls=":")
        ax.axhline(100, color="grey", lw=0.8, ls=":")
        ax.set_yscale("log")
        ax.set_xlabel(f"offered load, events/s ({CHANNELS} channels)")
        ax.set_title(f"{profile} profile")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency, ms (targets 15 / 100 ms dotted)")
    axes[0].legend(fontsize=8)
    fig.suptitle("hub latency against load (2-core shared VM; medians of runs)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def table() -> str:
    """The results table in Markdown, each figure beside its same-run baseline."""
    rows = ["| scenario | hub | baseline (same run) | ratio / target |", "|---|---|---|---|"]
    for profile in ("distributed", "embedded"):
        doc = _load(f"ingest-{profile}")
        if doc is None:
            continue
        hub, fw, br = doc["hub"], doc["framework_ceiling"], doc["broker_ceiling"]
        broker = "RabbitMQ confirmed" if profile == "distributed" else "SQLite durable"
        rows.append(
            f"| ingest {profile}, 64 conns | {hub['rate']:.0f}/s, p50 {hub['p50_ms']:.0f} ms, "
            f"p99 {hub['p99_ms']:.0f} ms | bare aiohttp {fw['rate']:.0f}/s; {broker} "
            f"{br['rate']:.0f}/s | {doc['ratio_to_lower_ceiling']:.0%} of lower |"
        )
        if "combined_ceiling" in doc:
            rows.append(
                f"| (same run) | | bare aiohttp + aio-pika confirmed publish, one process: "
                f"{doc['combined_ceiling']['rate']:.0f}/s | hub "
                f"{doc['ratio_to_combined_ceiling']:.0%} of it |"
            )
        if "workers" in doc:
            w = doc["workers"]
            rows.append(
                f"| ingest {profile}, `--workers {w['count']}`, 64 conns | {w['rate']:.0f}/s, "
                f"p50 {w['p50_ms']:.0f} ms, p99 {w['p99_ms']:.0f} ms | (same ceilings) "
                f"| {doc['workers_ratio_to_lower_ceiling']:.0%} of lower |"
            )
        if "combined_workers_ceiling" in doc:
            rows.append(
                f"| (same run) | | the same, {doc['workers']['count']} processes: "
                f"{doc['combined_workers_ceiling']['rate']:.0f}/s | `--workers "
                f"{doc['workers']['count']}` {doc['workers_ratio_to_combined_ceiling']:.0%} of it |"
            )
        if "half_rate" in doc:
            h = doc["half_rate"]
            rows.append(
                f"| ingest {profile} at {h['rate']:.0f}/s (open loop) | p50 {h['p50_ms']:.1f} ms, "
                f"p99 {h['p99_ms']:.1f} ms | | |"
            )
        if "workers_half_rate" in doc:
            h = doc["workers_half_rate"]
            rows.append(
                f"| ingest {profile} `--workers {doc['workers']['count']}` at {h['rate']:.0f}/s "
                f"(open loop) | p50 {h['p50_ms']:.1f} ms, p99 {h['p99_ms']:.1f} ms | | |"
            )
    doc = _load("e2e")
    if doc is not None:
        for profile, workers in (("embedded", 1), ("embedded", 2), ("distributed", 1)):
            by_rate = _e2e_by_rate(doc, profile, workers)
            if not by_rate:
                continue
            top = max(by_rate)
            pts = by_rate[top]
            how = profile if workers == 1 else f"{profile} `--workers {workers}`"
            rows.append(
                f"| receive → Slack {how}, {top:.0f}/s, {pts[0]['channels']} channels | p50 "
                f"{median([p['e2e_p50_ms'] for p in pts]):.1f} ms, p99 "
                f"{median([p['e2e_p99_ms'] for p in pts]):.0f} ms | 202 answer p50 "
                f"{median([p['ingest']['p50_ms'] for p in pts]):.1f} ms, p99 "
                f"{median([p['ingest']['p99_ms'] for p in pts]):.0f} ms | ≤ 15 / ≤ 100 ms |"
            )
    doc = _load("routing")
    if doc is not None:
        for size in doc["sizes"]:
            rows.append(
                f"| routing, {size['routes']:.0f} routes | {size['route_per_s']:.0f} events/s/core "
                f"| naive scan {size['naive_per_s']:.0f}/s | "
                f"{size['route_per_s'] / size['naive_per_s']:.1f}× |"
            )
    doc = _load("burst")
    if doc is not None:
        for profile, b in doc.items():
            if not isinstance(b, dict) or "events" not in b:
                continue
            done = b["seconds_to_all_visible"]
            what = (
                f"{done:.0f} s"
                if done is not None
                else f"{b['visible']} visible after {b['seconds_elapsed']:.0f} s"
            )
            rows.append(
                f"| burst {profile}: {b['events']} events, 1 channel, Slack 1 post/s | {what}, "
                f"{b['posts']} posts, {b['rate_limited_429']}×429 | one post per event: "
                f"{b['baseline_one_post_per_event_s']:.0f} s | |"
            )
    doc = _load("scaleout")
    if doc is not None:
        rates = doc["median_events_per_s"]
        base = rates.get("1") or 1.0
        cells = ", ".join(f"{n}: {r:.0f}/s ({r / base:.2f}×)" for n, r in rates.items())
        rows.append(f"| scale-out (routers = deliverers = n), Slack 50 ms | {cells} | n = 1 | |")
    doc = _load("peer")
    if doc is not None:
        am, hub = doc["alertmanager"], doc["hub"]
        rows.append(
            f"| Kapacitor alerts ingest, 64 conns | hub {hub['ingest']['rate']:.0f}/s "
            f"| Alertmanager {am['ingest']['rate']:.0f}/s "
            f"| {hub['ingest']['rate'] / am['ingest']['rate']:.2f}× |"
        )
        rows.append(
            f"| alert → Slack at {doc['latency_rate']:.0f}/s "
            f"| hub p50 {hub['latency']['p50_ms']:.1f} ms,"
            f" p99 {hub['latency']['p99_ms']:.1f} ms | Alertmanager p50 "
            f"{am['latency']['p50_ms']:.1f} ms, p99 {am['latency']['p99_ms']:.1f} ms | |"
        )
    doc = _load("soak")
    if doc is not None:
        rows.append(
            f"| soak {doc['minutes']:.0f} min at {doc['rate']:.0f}/s ({doc['profile']}) "
            f"| max RSS growth {doc['max_growth']:+.1%} | after 1 min warm-up | < 10 % |"
        )
    return "\n".join(rows)
