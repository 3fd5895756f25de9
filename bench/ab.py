"""Before/after for an optimization: the same ingest run on two copies of the tree, alternated.

`python -m bench.ab --ref <commit> [--profile embedded] [--runs 5] FILE...` copies the working
tree twice, puts FILE... as they were at <commit> into the "before" copy, and runs scenario 1/2's
hub measurement on each copy in turn (ABAB…, so drift on the shared machine hits both alike).
The hub processes import the copy through PYTHONPATH, which comes before the editable install.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
from pathlib import Path

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


async def compare(ref: str, files: list[str], profile: str, runs: int, seconds: float) -> None:
    """Print each run's rate for before and after, and the medians."""
    async with workdir() as tmp:
        trees = {
            "before": _tree(tmp / "before", ref, files),
            "after": _tree(tmp / "after", None, files),
        }
        corpus_path = tmp / "corpus.lua"
        write_corpus(corpus_path, travis_pool=int(1000 * seconds))
        rates: dict[str, list[float]] = {"before": [], "after": []}
        saved = os.environ.get("PYTHONPATH")
        try:
            for n in range(runs):
                for name in ("before", "after") if n % 2 == 0 else ("after", "before"):
                    os.environ["PYTHONPATH"] = str(trees[name])
                    result = await _hub(profile, corpus_path, seconds)
                    rates[name].append(result["rate"])
                    print(f"  {name:6s} {result['rate']:7.0f}/s  p99 {result['p99_ms']:.0f} ms")
        finally:
            if saved is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = saved
    before, after = median(rates["before"]), median(rates["after"])
    print(f"{profile}: before {before:.0f}/s, after {after:.0f}/s ({after / before - 1:+.0%})")


def main() -> None:
    """Parse the command line and compare."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ref", required=True, help="the commit holding the 'before' files")
    parser.add_argument("--profile", default="embedded", choices=("embedded", "distributed"))
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    asyncio.run(compare(args.ref, args.files, args.profile, args.runs, args.seconds))


if __name__ == "__main__":
    main()
