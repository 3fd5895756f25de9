"""The receiver's disk spool: accept webhooks while the broker is away, forward them in order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from hub.backends.sqlite.db import SqliteDb, connect
from hub.core.broker import Broker, DeliveryHandler, EventHandler
from hub.core.errors import Degraded, Unavailable
from hub.core.event import Event
from hub.core.log import get_logger
from hub.core.messages import DeadLetter, DeadLetterSession, Delivery
from hub.core.metrics import SPOOL_DEPTH, WEBHOOKS_RECEIVED

log = get_logger("hub.spool")

SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    body BLOB NOT NULL
);
"""


class SpooledBroker:
    """A `Broker` whose event publishes fall back to a local durable spool when it is away."""

    def __init__(
        self,
        broker: Broker,
        data_dir: Path,
        max_bytes: int,
        publish_timeout: float = 5.0,
        retry_interval: float = 1.0,
        name: str = "spool.db",
        adopt: Sequence[Path] = (),
    ) -> None:
        self.broker = broker
        self.db = SqliteDb(data_dir / name, SCHEMA)
        self.adopt = adopt
        self.max_bytes = max_bytes
        self.publish_timeout = publish_timeout
        self.retry_interval = retry_interval
        self._count = 0
        self._bytes = 0
        self._drainer: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the spool, start the broker, and forward anything left from a previous run."""
        for orphan in self.adopt:
            moved = await asyncio.to_thread(adopt_spool, self.db.path, orphan)
            log.warning(
                "took over the spool of an ingest worker no longer run",
                file=str(orphan),
                events=moved,
            )
        await self.db.open()
        rows = await self.db.run(
            self.db.query, "SELECT count(*), coalesce(sum(length(body)), 0) FROM spool"
        )
        self._count, self._bytes = int(rows[0][0]), int(rows[0][1])
        SPOOL_DEPTH.set(self._count)
        await self.broker.start()
        if self._count:
            log.warning("spooled events from a previous run; forwarding", count=self._count)
            self._start_drain()

    async def close(self) -> None:
        """Try to forward what is spooled, then close; what remains waits on disk."""
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
        if self._count:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._forward_all(), self.publish_timeout)
        if self._count:
            log.warning("spool not empty at shutdown; forwarded at next start", count=self._count)
        await self.broker.close()
        await self.db.close()

    async def ping(self) -> None:
        """Degraded while the broker is away but the spool has room, or events wait in it."""
        try:
            await self.broker.ping()
        except Exception as exc:
            if self._bytes >= self.max_bytes:
                raise
            raise Degraded(
                f"broker unreachable ({exc}); accepting into the spool ({self._count} events)"
            ) from exc
        if self._count:
            raise Degraded(f"{self._count} events spooled, forwarding to the broker")

    async def publish_event(self, event: Event) -> None:
        """Publish to the broker; when it is away (or events already wait), spool instead."""
        if not self._count:
            try:
                async with asyncio.timeout(self.publish_timeout):  # no task, unlike wait_for
                    await self.broker.publish_event(event)
                return
            except Exception as exc:
                log.warning("broker unavailable; spooling", error=str(exc) or type(exc).__name__)
        await self._spool(event)

    async def _spool(self, event: Event) -> None:
        body = event.to_json_bytes()
        if self._bytes + len(body) > self.max_bytes:
            raise Unavailable(
                "the broker is unreachable and the local spool is full; retry later",
                retry_after=30,
            )
        await self.db.write([("INSERT INTO spool (body) VALUES (?)", (body,))])
        self._count += 1
        self._bytes += len(body)
        SPOOL_DEPTH.set(self._count)
        # Counted as accepted by the receiver too: "spooled" is the part accepted while away.
        WEBHOOKS_RECEIVED.labels(source=event.source, outcome="spooled").inc()
        self._start_drain()

    def _start_drain(self) -> None:
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._count:
            try:
                await self._forward_all()
            except Exception as exc:
                log.debug("spool forward failed; retrying", error=str(exc) or type(exc).__name__)
                await asyncio.sleep(self.retry_interval)
        log.info("spool drained")

    async def _forward_all(self) -> None:
        """Forward spooled events oldest first, deleting each batch once confirmed."""
        while True:
            rows = await self.db.run(
                self.db.query, "SELECT seq, body FROM spool ORDER BY seq LIMIT 100"
            )
            if not rows:
                return
            for seq, body in rows:
                await asyncio.wait_for(
                    self.broker.publish_event(Event.from_json_bytes(body)), self.publish_timeout
                )
                await self.db.write([("DELETE FROM spool WHERE seq = ?", (seq,))])
                self._count -= 1
                self._bytes -= len(body)
                SPOOL_DEPTH.set(self._count)

    async def publish_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Delegated."""
        await self.broker.publish_deliveries(deliveries)

    async def publish_dead_letter(self, dead: DeadLetter) -> None:
        """Delegated."""
        await self.broker.publish_dead_letter(dead)

    async def consume_events(self, handler: EventHandler) -> None:
        """Delegated."""
        await self.broker.consume_events(handler)

    async def consume_deliveries(self, handler: DeliveryHandler) -> None:
        """Delegated."""
        await self.broker.consume_deliveries(handler)

    def dead_letters(self) -> AbstractAsyncContextManager[DeadLetterSession]:
        """Delegated."""
        return self.broker.dead_letters()

    async def stop_consuming(self) -> None:
        """Delegated."""
        await self.broker.stop_consuming()

    async def drain(self, grace: float) -> bool:
        """Delegated."""
        return await self.broker.drain(grace)


def worker_spool(index: int) -> str:
    """The spool file of ingest worker `index` (0 is the first process)."""
    return "spool.db" if index == 0 else f"spool-{index}.db"


def orphan_spools(data_dir: Path, workers: int) -> list[Path]:
    """Spools of worker indexes this run does not have (HUB_WORKERS was lowered)."""
    found = []
    for path in sorted(data_dir.glob("spool-*.db")):
        index = path.stem.removeprefix("spool-")
        if index.isdigit() and int(index) >= workers:
            found.append(path)
    return found


def adopt_spool(own: Path, orphan: Path) -> int:
    """Move the events of `orphan` into the spool `own` (in order, one transaction); how many.

    Runs before either file is opened by anyone else. A crash between the commit and the
    removal of `orphan` moves its events twice; the deliverer's posted marks keep Slack from
    seeing them twice.
    """
    conn = connect(own)
    try:
        conn.executescript(SCHEMA)
        conn.execute("ATTACH DATABASE ? AS orphan", (str(orphan),))
        conn.executescript(SCHEMA.replace("EXISTS spool", "EXISTS orphan.spool"))
        conn.execute("BEGIN IMMEDIATE")
        moved = conn.execute(
            "INSERT INTO main.spool (body) SELECT body FROM orphan.spool ORDER BY seq"
        ).rowcount
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE orphan")
    finally:
        conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{orphan}{suffix}").unlink(missing_ok=True)
    return int(moved)
