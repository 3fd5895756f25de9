"""Scenario 7: Prometheus Alertmanager (Debian's prometheus-alertmanager) next to hub.

The same Kapacitor alerts go to hub's /hooks/kapacitor and, converted to Alertmanager alerts,
to Alertmanager's POST /api/v2/alerts; Alertmanager notifies the bench's Slack incoming webhook
(`group_wait: 0s`, one group per alert), hub the fake Slack Web API. Both run as one process
(`hub run`, embedded profile: the comparable single-binary deployment). Measured: ingest
requests/s at 64 connections (wrk), and receive → Slack latency at a fixed 50 alerts/s spread
over 100 hosts (one channel per host for hub, so its 1 post/s/channel pacing is not the limit).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench import corpus, loadgen
from bench.procs import CpuMeter, rss_mib, stack, workdir
from bench.slackside import SlackSide
from bench.stats import median, percentile
from bench.wrkrun import run_wrk, write_corpus
from hub.core.sources import body_id
from hub.testing import signing
from hub.testing.harness import free_port

HOSTS = 100
KAPACITOR = sorted((corpus.FIXTURES / "kapacitor").glob("alert.*.json"))
"""The Kapacitor alerts (not its service-test post, which has no series)."""

CONFIG = """\
route:
  receiver: slack
  group_by: ['...']
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 24h
receivers:
  - name: slack
    slack_configs:
      - api_url: {url}
        channel: '#bench'
        send_resolved: false
        title: '{{{{ .CommonLabels.alertname }}}}'
        text: >-
          {{{{ range .Alerts }}}}bench-id={{{{ .Labels.bench_id }}}}
          {{{{ .Annotations.message }}}}{{{{ end }}}}
"""


def kapacitor_alert(n: int) -> bytes:
    """Kapacitor alert `n`: a fixture with a series tag host=h<n % HOSTS> and a unique detail."""
    alert = json.loads(KAPACITOR[n % len(KAPACITOR)].read_bytes())
    alert["details"] = f"bench-id={n:012d}"
    series = alert.setdefault("data", {}).setdefault("series", [{}])
    series[0]["tags"] = {**series[0].get("tags", {}), "host": f"h{n % HOSTS}"}
    return (json.dumps(alert, separators=(",", ":")) + "\n").encode()


def alertmanager_alert(kapacitor: bytes, bench_id: str) -> bytes:
    """The Kapacitor alert as an Alertmanager v2 alert list (labels: id, level, tags)."""
    alert = json.loads(kapacitor)
    tags = (alert.get("data", {}).get("series") or [{}])[0].get("tags", {})
    labels = {
        "alertname": str(alert["id"]).replace("/", "_"),
        "level": str(alert["level"]).lower(),
        "bench_id": bench_id,
        **{str(k): str(v) for k, v in tags.items()},
    }
    doc = [
        {
            "labels": labels,
            "annotations": {
                "message": alert.get("message", ""),
                "details": alert.get("details", ""),
            },
            "startsAt": datetime.now(UTC).isoformat(),
        }
    ]
    return json.dumps(doc).encode()


def _am_templates() -> list[corpus.Template]:
    found = []
    for n in range(len(KAPACITOR)):
        body = alertmanager_alert(kapacitor_alert(n), corpus.MARK)
        found.append(
            corpus.Template(f"am-{n}", "/api/v2/alerts", {"Content-Type": "application/json"}, body)
        )
    return found


def _hub_templates() -> list[corpus.Template]:
    found = []
    for n in range(len(KAPACITOR)):
        body = kapacitor_alert(n).replace(
            f"bench-id={n:012d}".encode(), f"bench-id={corpus.MARK}".encode()
        )
        headers = dict(signing.kapacitor(body).headers)
        found.append(corpus.Template(f"kapacitor-{n}", "/hooks/kapacitor", headers, body))
    return found


def hub_routes() -> str:
    """One route per host label, to its own channel."""
    lines = ["version: 1", "routes:"]
    for k in range(HOSTS):
        match = f"{{source: kapacitor, labels: {{host: h{k}}}}}"
        lines.append(f'  - {{name: h{k}, match: {match}, channels: ["#h{k}"]}}')
    return "\n".join(lines) + "\n"


class Alertmanager:
    """One prometheus-alertmanager process on loopback ports, no clustering, its own storage."""

    def __init__(self, tmp: Path, hook_url: str) -> None:
        self.tmp = tmp
        self.port = free_port()
        (tmp / "am.yml").write_text(CONFIG.format(url=hook_url))
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Alertmanager:
        binary = shutil.which("prometheus-alertmanager") or "alertmanager"
        self.process = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={self.tmp / 'am.yml'}",
            f"--storage.path={self.tmp / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
            "--log.level=warn",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=(self.tmp / "am.log").open("wb"),
        )
        await loadgen.wait_port(self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _latency(
    url: str, requests: list[tuple[str, bytes, dict[str, str]]], slack: SlackSide, rate: float
) -> dict[str, float]:
    """Send (id, body, headers) to `url` open loop at `rate`; Slack latency percentiles."""
    sent: dict[str, float] = {}
    async with aiohttp.ClientSession() as http:

        async def one(bench_id: str, body: bytes, headers: dict[str, str]) -> None:
            sent[bench_id] = time.time()
            async with http.post(url, data=body, headers=headers) as resp:
                await resp.read()

        tasks = []
        began = time.time()
        for n, (bench_id, body, headers) in enumerate(requests):
            await asyncio.sleep(max(0.0, began + n / rate - time.time()))
            tasks.append(asyncio.create_task(one(bench_id, body, headers)))
        await asyncio.gather(*tasks)
    await slack.wait_visible(list(sent), 20.0)
    trips = [slack.seen[i] - t for i, t in sent.items() if i in slack.seen]
    return {
        "p50_ms": percentile(trips, 50) * 1000,
        "p99_ms": percentile(trips, 99) * 1000,
        "visible": len(trips),
        "sent": len(sent),
    }


async def run(seconds: float, runs: int, rate: float = 50.0) -> dict[str, Any]:
    """Ingest (medians of `runs`) and latency at `rate` for Alertmanager and hub."""
    am_ingest, hub_ingest = [], []
    async with workdir() as tmp:
        am_corpus, hub_corpus = tmp / "am.lua", tmp / "hub.lua"
        write_corpus(am_corpus, templates=_am_templates())
        write_corpus(hub_corpus, templates=_hub_templates())
        slack = SlackSide()
        slack_url = await slack.start()
        try:
            for _ in range(runs):
                async with Alertmanager(tmp, slack.hook_url) as am:
                    result = await run_wrk(am.url, am_corpus, seconds, 64)
                    am_ingest.append(
                        {
                            "rate": result.rate,
                            "p50_ms": result.p50_ms,
                            "p99_ms": result.p99_ms,
                            "ok": result.statuses.get("200", 0) / max(1, result.requests),
                        }
                    )
                async with stack("embedded", ["run"], slack_url, hub_routes()) as (settings, procs):
                    result = await run_wrk(f"http://{settings.listen}", hub_corpus, seconds, 64)
                    hub_ingest.append(
                        {
                            "rate": result.rate,
                            "p50_ms": result.p50_ms,
                            "p99_ms": result.p99_ms,
                            "ok": result.accepted / max(1, result.requests),
                        }
                    )
                print(
                    f"  ingest: alertmanager {am_ingest[-1]['rate']:.0f}/s, "
                    f"hub {hub_ingest[-1]['rate']:.0f}/s",
                    flush=True,
                )
            count = int(rate * seconds)
            alerts = [kapacitor_alert(10**6 + n) for n in range(count)]
            ids = [f"{10**6 + n:012d}" for n in range(count)]
            async with Alertmanager(tmp, slack.hook_url) as am:
                am_requests = [
                    (i, alertmanager_alert(a, i), {"Content-Type": "application/json"})
                    for i, a in zip(ids, alerts, strict=True)
                ]
                cpu = CpuMeter()
                cpu.start()
                am_latency = await _latency(am.url + "/api/v2/alerts", am_requests, slack, rate)
                am_latency["rss_mib"] = _rss(am.process)
            async with stack("embedded", ["run"], slack_url, hub_routes()) as (settings, procs):
                # hub names a Kapacitor event by a hash of its body: that is the id Slack shows.
                hub_requests = [
                    (body_id("kapacitor", a), a, dict(signing.kapacitor(a).headers)) for a in alerts
                ]
                slack.seen.clear()
                hub_latency = await _latency(
                    f"http://{settings.listen}/hooks/kapacitor", hub_requests, slack, rate
                )
                hub_latency["rss_mib"] = max(rss_mib(procs).values())
        finally:
            await slack.stop()
    return {
        "seconds": seconds,
        "runs": runs,
        "latency_rate": rate,
        "alertmanager": {"ingest": _med(am_ingest), "latency": am_latency, "all": am_ingest},
        "hub": {"ingest": _med(hub_ingest), "latency": hub_latency, "all": hub_ingest},
    }


def _med(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: median([r[k] for r in runs]) for k in runs[0]}


def _rss(process: asyncio.subprocess.Process | None) -> float:
    import psutil

    assert process is not None
    return float(psutil.Process(process.pid).memory_info().rss) / 2**20
