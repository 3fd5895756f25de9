"""Hostile bodies against a real `hub run` process: memory comes back, the loop keeps answering."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import aiohttp
import pytest

from hub.testing import signing
from hub.testing.harness import HubProcess, hub_settings

ROUTES = """\
version: 1
defaults:
  unrouted: "#firehose"
routes: []
"""
UPLOAD = 24 * 1024 * 1024
RSS_BOUND_MB = 150


def rss_mb(pid: int) -> float:
    """The resident set size of process `pid`, read from /proc, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


async def start_hub(tmp_path: Path) -> HubProcess:
    """`hub run` on the embedded profile in console mode, logging at info to hub.log."""
    settings = hub_settings(
        tmp_path,
        "",
        ROUTES,
        broker_url=None,
        slack_bot_token=None,
        slack_api_url=None,
        log_level="info",
    )
    hub = HubProcess(settings, "run", log_path=tmp_path / "hub.log")
    await hub.start()
    return hub


async def aborted_upload(host: str, port: int) -> None:
    """Send 24 MiB of a declared 24 MiB + 1 body with a bad signature, then close the socket."""
    _, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"POST /hooks/github HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
        b"X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=" + b"0" * 64 + b"\r\n"
        b"Content-Length: %d\r\n\r\n" % (UPLOAD + 1)
    )
    chunk = b"a" * (1024 * 1024)
    for _ in range(UPLOAD // len(chunk)):
        writer.write(chunk)
        await writer.drain()
    await asyncio.sleep(0.3)  # hub reads what the socket buffers still hold
    writer.transport.abort()


@pytest.mark.slow
async def test_aborted_uploads_give_their_memory_back(tmp_path: Path) -> None:
    """Three batches of 30 aborted 24 MiB uploads leave RSS within 150 MB; one log line each."""
    hub = await start_hub(tmp_path)
    try:
        assert hub.process is not None
        pid = hub.process.pid
        host, port = hub.settings.listen.split(":")
        baseline = rss_mb(pid)
        for batch in range(3):
            await asyncio.gather(*(aborted_upload(host, int(port)) for _ in range(30)))
            await asyncio.sleep(0.5)
            grown = rss_mb(pid) - baseline
            assert grown < RSS_BOUND_MB, f"RSS grew {grown:.0f} MB after batch {batch + 1}"
    finally:
        await hub.terminate()
    log = (tmp_path / "hub.log").read_text()
    assert "Traceback" not in log
    aborted = [line for line in log.splitlines() if '"upload aborted"' in line]
    assert len(aborted) == 90
    assert all(len(line) < 300 for line in aborted)


async def test_healthz_answers_while_a_huge_valid_body_is_processed(tmp_path: Path) -> None:
    """While a ~1M-value alert is received, stored, routed and posted, /healthz answers in 1 s."""
    rows = [["2024-01-01T00:00:00Z", n + 0.5] for n in range(330_000)]
    alert = {"id": "cpu:host=big", "level": "CRITICAL", "data": {"series": [{"values": rows}]}}
    big = signing.kapacitor(json.dumps(alert).encode())
    hub = await start_hub(tmp_path)
    url, ops_url = f"http://{hub.settings.listen}", f"http://{hub.settings.ops_listen}"
    probe_timeout = aiohttp.ClientTimeout(total=1.0)
    try:
        async with aiohttp.ClientSession() as http:

            async def post() -> int:
                async with http.post(
                    url + big.path, data=io.BytesIO(big.body), headers=big.headers
                ) as resp:
                    return resp.status

            async def delivered() -> bool:
                async with http.get(ops_url + "/api/events?limit=1") as resp:
                    rows = await resp.json()
                return bool(rows) and rows[0]["status"] == "delivered"

            posting = asyncio.create_task(post())
            answered_in_flight = 0
            while not posting.done() or not await delivered():
                in_flight = not posting.done()
                async with http.get(url + "/healthz", timeout=probe_timeout) as r:
                    assert r.status == 200
                if in_flight and not posting.done():
                    answered_in_flight += 1
                await asyncio.sleep(0.05)
            assert await posting == 202
            assert answered_in_flight > 0
    finally:
        await hub.terminate()
