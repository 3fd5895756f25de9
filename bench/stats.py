"""Percentiles, medians of runs, and the results file every scenario appends to."""

from __future__ import annotations

import json
import math
import platform
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SMOKE_RESULTS = Path(tempfile.gettempdir()) / "hub-bench-smoke"
"""Smoke runs (CI) leave the checkout clean."""


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q`-th percentile (0–100) of `values`; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median of the runs' figures."""
    return statistics.median(values) if values else math.nan


def medians(runs: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per key, the median over runs (each run a dict of figures)."""
    keys = runs[0].keys() if runs else []
    return {key: median([run[key] for run in runs]) for key in keys}


def ratio(value: float, baseline: float) -> float:
    """`value` as a fraction of `baseline`."""
    return value / baseline if baseline else math.nan


def save(name: str, result: dict[str, Any], smoke: bool) -> Path:
    """Write one scenario's result to bench/results/<name>.json (smoke runs: to a temp dir)."""
    folder = SMOKE_RESULTS if smoke else RESULTS
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.json"
    doc = {
        "scenario": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        **result,
    }
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return path
