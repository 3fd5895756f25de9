"""Profile hub under load with py-spy; print where the time goes.

`python -m bench.profile [distributed|embedded] [seconds]` samples the receiver process while
wrk drives it at 64 connections; `python -m bench.profile pipeline [rate] [seconds] [profile]`
samples every hub process (the distributed receiver, router and deliverer, or the embedded
`hub run`) while end-to-end traffic flows at `rate`. Collapsed
stacks go to bench/results/profile-*.txt; the functions with the most inclusive and self time
are printed (asyncio tasks resumed from C show up as separate stack roots, so inclusive shares
of coroutines are lower bounds).
"""

from __future__ import annotations

import asyncio
import collections
import sys
from pathlib import Path

from bench.procs import stack, workdir
from bench.stats import RESULTS
from bench.wrkrun import run_wrk, write_corpus


def summarize(collapsed: Path, top: int = 25) -> str:
    """Inclusive and self sample shares per function from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [_short(f) for f in stack_text.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    lines = [f"{total} samples", "inclusive:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    # py-spy frames read "function (path/to/module.py:line)"; keep the function and file name.
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    short = "/".join(parts[-2:]) if "site-packages" not in path else parts[-1]
    return f"{name} ({short})"


async def profile(profile_name: str, seconds: float) -> str:
    """Run wrk against a fresh receiver while py-spy samples it; the summary text."""
    RESULTS.mkdir(exist_ok=True)
    async with workdir() as tmp:
        corpus_path = tmp / "corpus.lua"
        write_corpus(corpus_path, signed_pool=int(3000 * seconds))
        async with stack(profile_name, ["receiver"]) as (settings, procs):
            assert procs[0].process is not None
            collapsed = RESULTS / f"profile-{profile_name}.txt"
            spy = await _spy(procs[0].process.pid, seconds, collapsed, rate=250)
            await run_wrk(f"http://{settings.listen}", corpus_path, seconds + 1, 64)
            await spy.wait()
    return summarize(collapsed)


async def _spy(pid: int, seconds: float, out: Path, rate: int = 100) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--output",
        str(out),
        "--nonblocking",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def profile_pipeline(rate: float, seconds: float, profile_name: str = "distributed") -> str:
    """Sample every hub process (receiver, router and deliverer, or `hub run`) while
    end-to-end traffic flows at `rate`."""
    from bench import e2e, loadgen
    from bench.slackside import SlackSide

    RESULTS.mkdir(exist_ok=True)
    slack = SlackSide()
    slack_url = await slack.start()
    summaries = []
    try:
        commands = e2e.commands(profile_name)
        async with stack(profile_name, commands, slack_url, e2e.routes()) as (settings, procs):
            requests = e2e.events(int(rate * seconds), start=0)
            outputs = []
            spies = []
            for proc in procs:
                assert proc.process is not None
                outputs.append(RESULTS / f"profile-pipeline-{profile_name}-{proc.command}.txt")
                spies.append(await _spy(proc.process.pid, seconds, outputs[-1]))
            await loadgen.open_loop(f"http://{settings.listen}", requests, rate)
            for spy in spies:
                await spy.wait()
        for out in outputs:
            summaries.append(f"== {out.name}\n{summarize(out, top=20)}")
    finally:
        await slack.stop()
    return "\n".join(summaries)


def main() -> None:
    """`[distributed|embedded] [seconds]` profiles a receiver;
    `pipeline [rate] [seconds] [distributed|embedded]` every process of the pipeline."""
    name = sys.argv[1] if len(sys.argv) > 1 else "distributed"
    if name == "pipeline":
        rate = float(sys.argv[2]) if len(sys.argv) > 2 else 100.0
        seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
        which = sys.argv[4] if len(sys.argv) > 4 else "distributed"
        print(asyncio.run(profile_pipeline(rate, seconds, which)))
        return
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
    print(asyncio.run(profile(name, seconds)))


if __name__ == "__main__":
    main()
