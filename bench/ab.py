"""Before/after for an optimization: the same run on two copies of the tree, alternated.

`python -m bench.ab --ref <commit> [--profile embedded] [--runs 5] [--e2e RATE] FILE...` copies
the working tree twice, puts FILE... as they were at <commit> into the "before" copy, and runs
scenario 1/2's hub measurement (or, with --e2e, scenario 3 at RATE events/s) on each copy in
turn (ABAB…, so drift on the shared machine hits both alike). The hub processes import the copy
through PYTHONPATH, which comes before the editable install.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
from pathlib import Path

from bench import e2e
from bench.corpus import ROOT
from bench.ingest import _hub
from bench.procs import workdir
from bench.stats import median
from bench.wrkrun import write_corpus

_COPIED = ("hub", "adapters")


def _tree(dest: Path, ref: str | None, files: list[str]) -> Path:
    for name in _COPIED:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for file in files if ref else []:
        old = subprocess.run(
            ["git", "show", f"{ref}:{file}"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        (dest / file).write_bytes(old)
    return dest


async def _measure(
    profile: str, corpus_path: Path, seconds: float, rate: float
) -> dict[str, float]:
    if not rate:
        result = await _hub(profile, corpus_path, seconds)
        return {"rate": result["rate"], "p99_ms": result["p99_ms"]}
    point = await e2e.point(profile, rate, seconds)
    return {"e2e_p50_ms": point["e2e_p50_ms"], "e2e_p99_ms": point["e2e_p99_ms"]}


async def compare(
    ref: str, files: list[str], profile: str, runs: int, seconds: float, rate: float = 0.0
) -> None:
    """Print each run's figures for before and after, and their medians."""
    async with workdir() as tmp:
        trees = {
            "before": _tree(tmp / "before", ref, files),
            "after": _tree(tmp / "after", None, files),
        }
        corpus_path = tmp / "corpus.lua"
        write_corpus(corpus_path, signed_pool=int(3000 * seconds))
        seen: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        saved = os.environ.get("PYTHONPATH")
        try:
            for n in range(runs):
                for name in ("before", "after") if n % 2 == 0 else ("after", "before"):
                    os.environ["PYTHONPATH"] = str(trees[name])
                    seen[name].append(await _measure(profile, corpus_path, seconds, rate))
                    print(f"  {name:6s} {_show(seen[name][-1])}", flush=True)
        finally:
            if saved is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = saved
    for name, results in seen.items():
        middle = {key: median([r[key] for r in results]) for key in results[0]}
        print(f"{profile} {name}: medians {_show(middle)}")


def _show(figures: dict[str, float]) -> str:
    return "  ".join(
        f"{key} {value:.0f}/s" if key == "rate" else f"{key} {value:.1f}"
        for key, value in figures.items()
    )


def main() -> None:
    """Parse the command line and compare."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ref", required=True, help="the commit holding the 'before' files")
    parser.add_argument("--profile", default="embedded", choices=("embedded", "distributed"))
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--e2e", type=float, default=0.0, metavar="RATE", help="scenario 3 at RATE events/s"
    )
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    asyncio.run(compare(args.ref, args.files, args.profile, args.runs, args.seconds, args.e2e))


if __name__ == "__main__":
    main()
