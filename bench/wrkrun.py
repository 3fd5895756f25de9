"""Drive wrk (Debian's) with bench/wrk.lua over a corpus of signed fixture requests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from bench import corpus

SCRIPT = Path(__file__).with_name("wrk.lua")
THREADS = 2


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency percentiles (ms) and answers by HTTP status."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    socket_errors: int
    signed_skipped: int
    """Turns of a signed sender taken after its pre-signed requests ran out (not sent)."""

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds

    @property
    def accepted(self) -> int:
        """Requests answered 202."""
        return self.statuses.get("202", 0)


def lua_string(data: bytes) -> str:
    """`data` as a Lua string literal (bytes outside printable ASCII as decimal escapes)."""
    out = []
    for byte in data:
        if 32 <= byte < 127 and byte not in (34, 92):
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _part(text: bytes) -> str:
    pre, mark, post = text.partition(corpus.MARK.encode())
    if not mark:
        return "{pre=" + lua_string(pre) + "}"
    return "{pre=" + lua_string(pre) + ",post=" + lua_string(post) + "}"


def write_corpus(
    path: Path,
    signed_pool: int = 0,
    templates: list[corpus.Template] | None = None,
    start: int = 0,
) -> None:
    """Write the Lua corpus (the templates, default every fixture) and `signed_pool` requests
    signed ahead of the run for the senders whose signature covers the body.

    Signed requests go to `<path>.signed`, one `template TAB path TAB headers TAB body` line
    each, the headers as `name US value RS …` (a large Lua literal would exceed LuaJIT's
    constants per function); wrk cannot sign, and hub refuses a signed body it has seen.
    """
    chosen = corpus.templates() if templates is None else templates
    signed_lines = path.with_suffix(".signed")
    lines = [
        "return {",
        f"signed_file = {lua_string(str(signed_lines).encode())},",
        "templates = {",
    ]
    for index, t in enumerate(chosen, start=1):
        if t.signed:
            lines.append(f"{{signed={index}}},")
            continue
        headers = ",".join(
            f"[{lua_string(k.encode())}]={_part(v.encode())}" for k, v in t.headers.items()
        )
        lines.append(f"{{path={lua_string(t.path.encode())},headers={{{headers}}},")
        lines.append(f"body={_part(t.body)}}},")
    lines += ["},", "}"]
    path.write_text("\n".join(lines) + "\n")
    signed = [(i, t) for i, t in enumerate(chosen, start=1) if t.signed]
    with signed_lines.open("wb") as out:
        for n in range(signed_pool if signed else 0):
            index, template = signed[n % len(signed)]
            request = template.render(start + n)
            headers = "\x1e".join(f"{k}\x1f{v}" for k, v in request.headers.items())
            out.write(
                b"%d\t%s\t%s\t%s\n" % (index, request.path.encode(), headers.encode(), request.body)
            )


async def run_wrk(
    url: str,
    corpus_path: Path,
    seconds: float,
    connections: int = 64,
    base: int = 0,
    threads: int = THREADS,
) -> WrkResult:
    """Run wrk against `url` (the hub's base URL) and parse the script's JSON summary."""
    process = await asyncio.create_subprocess_exec(
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        url,
        "--",
        str(corpus_path),
        str(threads),
        str(base),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), seconds + 60)
    for line in out.decode().splitlines():
        if line.startswith("WRK-JSON "):
            doc = json.loads(line.removeprefix("WRK-JSON "))
            return WrkResult(
                requests=doc["requests"],
                seconds=doc["duration_us"] / 1e6,
                p50_ms=doc["p50_us"] / 1000,
                p99_ms=doc["p99_us"] / 1000,
                statuses={str(k): int(v) for k, v in doc["statuses"].items()},
                socket_errors=doc["socket_errors"],
                signed_skipped=doc["signed_skipped"],
            )
    raise RuntimeError(f"wrk printed no summary: {out.decode()[-500:]} {err.decode()[-500:]}")
