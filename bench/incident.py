"""`hub incident` over a week of history: 70,000 events (10,000 a day), the report timed.

The history is an embedded hub's SQLite history file, written as hub writes it: each event
record with its payload (the shared fixtures, normalized by their adapters), a routing and a
delivery record after it. A scripted incident sits in the middle of the week. Timed, in the
same run: the report by threadkey and by event id, and the baseline every reader of the
history would otherwise pay, a plain scan that parses each record once (`hub tail --since 7d`).
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from multidict import CIMultiDict

from adapters.registry import SOURCES
from bench.corpus import templates
from bench.stats import median
from hub.backends.sqlite.history import EVENT_PREFIX, SqliteRecordLog
from hub.core import jsonio
from hub.core.event import Event
from hub.core.sources import WebhookRequest
from hub.incident.gather import gather
from hub.incident.markdown import markdown

REPOS = [f"acme/service-{n}" for n in range(40)]
HOSTS = [f"node-{n}" for n in range(120)]
INCIDENT = "kapacitor:cpu:service=service-7,host=web-7"


def _samples() -> list[Event]:
    """One normalized event per shared fixture."""
    found = []
    for n, template in enumerate(templates()):
        signed = template.render(n)
        request = WebhookRequest(
            headers=CIMultiDict(signed.headers), body=signed.body, received_at=datetime.now(UTC)
        )
        found.append(SOURCES[signed.source].normalize(request))
    return found


def _event(sample: Event, n: int, at: datetime, rng: random.Random) -> Event:
    """Sample `sample` as event `n` of the week: its own id, time, repo or host."""
    update: dict[str, Any] = {"id": f"bench-{n:08d}", "receivedat": at, "time": at}
    if sample.source == "kapacitor":
        host = rng.choice(HOSTS)
        key = f"cpu:service=service-{rng.randrange(40)},host={host}"  # never the incident's
        update |= {"threadkey": f"kapacitor:{key}", "subject": key, "labels": {"host": host}}
    elif sample.repo:
        repo = rng.choice(REPOS)
        labels = sample.labels | {"commit": f"{rng.getrandbits(160):040x}"}
        update |= {"repo": repo, "threadkey": f"{sample.source}:{repo}:{n}", "labels": labels}
    return sample.model_copy(update=update)


def build(path: Path, events: int, days: float) -> datetime:
    """Write `events` events over `days` into `path`/history.db; when the incident's alert fired."""
    rng = random.Random(7)
    samples = _samples()
    now = datetime.now(UTC)
    first = now - timedelta(days=days)
    step = timedelta(days=days) / events
    alert_at = first + timedelta(days=days / 2)
    rows: list[tuple[float, str]] = []
    with sqlite3.connect(path / "history.db") as db:
        for n in range(events):
            at = first + step * n
            event = _event(rng.choice(samples), n, at, rng)
            for level, fired in (("critical", alert_at), ("ok", alert_at + timedelta(minutes=9))):
                if at <= fired < at + step:
                    event = event.model_copy(
                        update={
                            "source": "kapacitor",
                            "type": f"kapacitor.alert.{level}",
                            "severity": "success" if level == "ok" else "critical",
                            "state": level,
                            "threadkey": INCIDENT,
                            "title": f"{level.upper()}: cpu is {level.upper()}",
                            "labels": {"host": "web-7", "service": "service-7"},
                        }
                    )
            body = EVENT_PREFIX + event.to_json_bytes().decode() + "}"
            rows.append((at.timestamp(), body))
            routing = {"kind": "routing", "id": event.id, "routes": ["r"], "channels": ["#c"]}
            delivery = {"kind": "delivery", "id": event.id, "channel": "#c", "outcome": "posted"}
            rows.append((at.timestamp(), jsonio.dumps(routing).decode()))
            rows.append((at.timestamp(), jsonio.dumps(delivery).decode()))
            if len(rows) >= 30_000:
                db.executemany("INSERT INTO history (at, body) VALUES (?, ?)", rows)
                rows.clear()
        db.executemany("INSERT INTO history (at, body) VALUES (?, ?)", rows)
    return alert_at


async def _timed_report(log: SqliteRecordLog, key: str) -> tuple[float, int]:
    started = time.perf_counter()
    report = await gather(log, key)
    markdown(report)
    return time.perf_counter() - started, len(report.timeline)


async def _timed_scan(log: SqliteRecordLog) -> tuple[float, int]:
    started = time.perf_counter()
    records = 0
    async for _record in log.read(None, follow=False):
        records += 1
    return time.perf_counter() - started, records


async def run(events: int, runs: int, days: float = 7.0) -> dict[str, Any]:
    """Build the history, then time the reports and the plain scan `runs` times each."""
    with tempfile.TemporaryDirectory(prefix="hub-bench-incident-") as folder:
        path = Path(folder)
        log = SqliteRecordLog(path, timedelta(days=days + 1))
        await log.start()  # creates the schema
        started = time.perf_counter()
        build(path, events, days)
        built_s = time.perf_counter() - started
        size = (path / "history.db").stat().st_size
        by_key, by_id, scans = [], [], []
        listed = records = 0
        incident_id = ""
        async for event in log.events(None, datetime.now(UTC), INCIDENT):
            incident_id = incident_id or event.id  # the alert, not its recovery
        for _ in range(runs):
            seconds, listed = await _timed_report(log, INCIDENT)
            by_key.append(seconds)
            by_id.append((await _timed_report(log, incident_id))[0])
            seconds, records = await _timed_scan(log)
            scans.append(seconds)
        await log.close()
    result = {
        "events": events,
        "days": days,
        "records": records,
        "history_mb": size / 1e6,
        "build_s": built_s,
        "runs": runs,
        "timeline_events": listed,
        "report_by_threadkey_s": median(by_key),
        "report_by_event_id_s": median(by_id),
        "full_scan_s": median(scans),
    }
    print(
        f"  {events} events ({size / 1e6:.0f} MB): report by threadkey "
        f"{result['report_by_threadkey_s']:.2f} s, "
        f"by event id {result['report_by_event_id_s']:.2f} s; "
        f"plain full scan {result['full_scan_s']:.2f} s (medians of {runs})",
        flush=True,
    )
    return result
