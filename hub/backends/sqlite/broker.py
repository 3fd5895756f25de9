"""The embedded broker: a durable SQLite queue with claims, visibility timeouts, channel FIFO."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.backends.sqlite.db import SqliteDb
from hub.backends.sqlite.doorbell import Doorbell
from hub.core.broker import POISON_DELIVERY_LIMIT, DeliveryHandler, EventHandler
from hub.core.errors import EngineUnavailable
from hub.core.event import Event
from hub.core.log import get_logger, log_failure
from hub.core.messages import DeadLetter, DeadLetterSession, DeadRecord, Delivery, parse_dead
from hub.core.metrics import QUEUE_LAG

log = get_logger("hub.sqlite_broker")

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    part TEXT NOT NULL DEFAULT '',
    body BLOB NOT NULL,
    headers TEXT NOT NULL DEFAULT '{}',
    enqueued_at REAL NOT NULL,
    claimed_until REAL,
    claimed_by TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_queue ON messages (queue, seq);
CREATE INDEX IF NOT EXISTS messages_part ON messages (queue, part, seq);
"""

ROUTE, DELIVER, DEAD = "route", "deliver", "dead"
DISK_RETRY_MAX = 5.0
"""Longest wait between tries of a claim or an ack the disk refused (it is full)."""

# A message is claimable when its claim is absent or expired; a delivery only when no older
# message of its channel is held by another process, so one channel is never worked on by two
# processes at once. One process may hold a run of a channel's messages (taken oldest first and
# handed to the deliverer in order): its lane then sees the backlog and can send it as a digest.
_CLAIM = """
UPDATE messages SET claimed_until = ?1, claimed_by = ?2, attempts = attempts + 1
WHERE seq IN (
    SELECT m.seq FROM messages m
    WHERE m.queue = ?3 AND (m.claimed_until IS NULL OR m.claimed_until < ?4)
      AND (?5 = 0 OR NOT EXISTS (
          SELECT 1 FROM messages o WHERE o.queue = m.queue AND o.part = m.part AND o.seq < m.seq
            AND o.claimed_until >= ?4 AND o.claimed_by != ?2))
    ORDER BY m.seq LIMIT ?6)
RETURNING seq, body, enqueued_at, attempts
"""


# Publishes are fsynced before they return (the 202, or the ack of what they came from, rests
# on them). Claims, acks, claim extensions and releases are not (`durable=False`): a power cut
# can take back only the newest of them, which returns those messages to the queue to be
# worked again, and the posted marks keep a delivery from reaching Slack twice.
_ACK = "DELETE FROM messages WHERE seq = ? AND claimed_by = ?"
_RELEASE = "UPDATE messages SET claimed_until = NULL WHERE seq = ?"
_DELETE_MANY = "DELETE FROM messages WHERE seq IN (SELECT value FROM json_each(?))"
_RELEASE_MANY = (
    "UPDATE messages SET claimed_until = NULL WHERE seq IN (SELECT value FROM json_each(?))"
)
_EXTEND = (
    "UPDATE messages SET claimed_until = ? "
    "WHERE claimed_by = ? AND seq IN (SELECT value FROM json_each(?))"
)


class SqliteBroker:
    """`Broker` on one SQLite file in HUB_DATA_DIR; safe for several processes on one machine."""

    def __init__(
        self,
        data_dir: Path,
        visibility: float = 30.0,
        poll_interval: float = 0.2,
        batch: int = 64,
    ) -> None:
        self.db = SqliteDb(data_dir / "queue.db", SCHEMA)
        self.visibility = visibility
        self.poll_interval = poll_interval
        self.batch = batch
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake: dict[str, asyncio.Event] = {ROUTE: asyncio.Event(), DELIVER: asyncio.Event()}
        self._doorbells = {queue: Doorbell(data_dir, queue) for queue in self._wake}
        self._loops: list[asyncio.Task[None]] = []
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._stopping = False

    async def start(self) -> None:
        """Open the queue file."""
        await self.db.open()
        self._loops.append(asyncio.create_task(self._extend_claims()))

    async def close(self) -> None:
        """Stop all loops and close the file; unacked claims expire and come back."""
        await self.stop_consuming()
        for doorbell in self._doorbells.values():
            doorbell.close()
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops.clear()
        await self.db.close()

    async def ping(self) -> None:
        """Raise unless the queue file answers."""
        await self.db.run(self.db.query, "SELECT 1")

    def _insert(
        self, queue: str, body: bytes, part: str = "", headers: Any = None
    ) -> tuple[str, tuple[Any, ...]]:
        return (
            "INSERT INTO messages (queue, part, body, headers, enqueued_at) VALUES (?, ?, ?, ?, ?)",
            (queue, part, body, json.dumps(headers) if headers else "{}", time.time()),
        )

    async def publish_event(self, event: Event) -> None:
        """Commit the event (group commit with concurrent publishers)."""
        await self.db.write([self._insert(ROUTE, event.to_json_bytes())])
        self._published(ROUTE)

    async def publish_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Commit all deliveries at once, each in its channel's FIFO."""
        await self.db.write(
            [self._insert(DELIVER, d.to_json_bytes(), d.channel) for d in deliveries]
        )
        self._published(DELIVER)

    def _published(self, queue: str) -> None:
        """Wake the queue's consumer: this process's directly, another process's by doorbell."""
        self._wake[queue].set()
        self._doorbells[queue].ring()

    async def publish_dead_letter(self, dead: DeadLetter) -> None:
        """Commit a dead letter with its reason and history."""
        headers = {
            "reason": dead.reason,
            "attempts": dead.attempts,
            "first_error": dead.first_error,
            "last_error": dead.last_error,
            "channel": dead.delivery.channel,
            "routes": list(dead.delivery.routes),
            "dead_at": datetime.now(UTC).isoformat(),
        }
        await self.db.write([self._insert(DEAD, dead.delivery.to_json_bytes(), headers=headers)])

    async def consume_events(self, handler: EventHandler) -> None:
        """Start the event consumer loop."""
        self._loops.append(
            asyncio.create_task(self._consume(ROUTE, Event.from_json_bytes, handler))
        )

    async def consume_deliveries(self, handler: DeliveryHandler) -> None:
        """Start the delivery consumer loop (FIFO per channel)."""
        self._loops.append(
            asyncio.create_task(self._consume(DELIVER, Delivery.from_json_bytes, handler))
        )

    async def _consume(
        self, queue: str, parse: Callable[[bytes], Any], handler: Callable[[Any], Awaitable[None]]
    ) -> None:
        wake = self._wake[queue]
        self._doorbells[queue].listen(wake.set)  # other processes' publishes ring it
        refused = 0
        while not self._stopping:
            wake.clear()
            room = self.batch - len(self._in_flight)
            try:
                rows = await self._claim(queue, room) if room > 0 else []
            except EngineUnavailable as exc:
                # A claim is a write: with the disk full, wait for space, not for a crash.
                refused += 1
                if refused == 1:
                    log.warning("cannot claim messages; waiting for the disk", error=str(exc))
                await asyncio.sleep(min(DISK_RETRY_MAX, self.poll_interval * 2**refused))
                continue
            if refused:
                log.info("claiming messages again")
                refused = 0
            for seq, body, enqueued_at, attempts in rows:
                QUEUE_LAG.labels(queue=queue).set(max(0.0, time.time() - enqueued_at))
                task = asyncio.create_task(self._handle(queue, seq, body, attempts, parse, handler))
                self._in_flight[seq] = task
                task.add_done_callback(functools.partial(self._done, seq))
            # Woken by a publish (here, or another process's doorbell ring) or a finished
            # handler; polling covers what a doorbell cannot (a second consumer, a lost ring).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await wake.wait()

    def _done(self, seq: int, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(seq, None)
        for event in self._wake.values():
            event.set()

    async def _claim(self, queue: str, limit: int) -> list[tuple[Any, ...]]:
        now = time.time()
        fifo = 1 if queue == DELIVER else 0
        params = (now + self.visibility, self.owner, queue, now, fifo, limit)
        durable = False  # a claim that a power cut takes back: the message is claimed again
        result = await self.db.run(self.db.transact, [(_CLAIM, params)], durable)
        return sorted(result[0])

    async def _handle(
        self,
        queue: str,
        seq: int,
        body: bytes,
        attempts: int,
        parse: Callable[[bytes], Any],
        handler: Callable[[Any], Awaitable[None]],
    ) -> None:
        if attempts > POISON_DELIVERY_LIMIT:
            await self._to_dead(seq, "delivery_limit")
            return
        try:
            item = parse(body)
        except (ValueError, KeyError, TypeError):
            await self._to_dead(seq, "unparsable")
            return
        try:
            await handler(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log_failure(log, "handler failed; message returned to the queue", exc, queue=queue)
            await self._settle(_RELEASE, (seq,))
        else:
            await self._settle(_ACK, (seq, self.owner))

    async def _settle(self, sql: str, params: tuple[Any, ...]) -> None:
        """Ack or release; a disk that refuses is tried again (the claim is kept meanwhile)."""
        refused = 0
        while True:
            try:
                await self.db.write([(sql, params)], durable=False)
                return
            except EngineUnavailable:
                if self._stopping:
                    raise  # the claim expires and the message comes back
                refused += 1
                await asyncio.sleep(min(DISK_RETRY_MAX, self.poll_interval * 2**refused))

    async def _to_dead(self, seq: int, reason: str) -> None:
        log.error("poison message dead-lettered", seq=seq, reason=reason)
        headers = json.dumps({"reason": reason, "dead_at": datetime.now(UTC).isoformat()})
        await self.db.write(
            [
                (
                    "UPDATE messages SET queue = ?, part = '', headers = ?, claimed_until = NULL "
                    "WHERE seq = ?",
                    (DEAD, headers, seq),
                )
            ]
        )

    async def _extend_claims(self) -> None:
        """Keep claims of running handlers alive, so only a dead process's claims expire."""
        while True:
            await asyncio.sleep(self.visibility / 3)
            if self._in_flight:
                until = time.time() + self.visibility
                try:
                    await self.db.write(
                        [(_EXTEND, (until, self.owner, json.dumps(list(self._in_flight))))],
                        durable=False,
                    )
                except EngineUnavailable as exc:
                    log.warning("claims not extended; the disk refused", error=str(exc))

    @contextlib.asynccontextmanager
    async def dead_letters(self) -> AsyncIterator[DeadLetterSession]:
        """Every dead letter, oldest first; removals are committed as they are made."""
        rows = await self.db.run(
            self.db.query,
            "SELECT seq, body, headers FROM messages WHERE queue = ? ORDER BY seq",
            (DEAD,),
        )
        yield _SqliteDeadSession(
            self.db,
            [parse_dead(str(seq), body, json.loads(headers)) for seq, body, headers in rows],
        )

    async def stop_consuming(self) -> None:
        """Stop claiming new messages."""
        self._stopping = True
        for event in self._wake.values():
            event.set()

    async def drain(self, grace: float) -> bool:
        """Wait up to `grace` s for in-flight handlers; cancel and release the rest."""
        pending = set(self._in_flight.values())
        if not pending:
            return True
        _, still = await asyncio.wait(pending, timeout=grace)
        if still:
            seqs = [seq for seq, task in self._in_flight.items() if task in still]
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)
            try:
                await self.db.write([(_RELEASE_MANY, (json.dumps(seqs),))], durable=False)
            except EngineUnavailable as exc:
                # A full disk refused the release: the claims come back by themselves once
                # their visibility timeout passes, so nothing is lost and stopping goes on.
                log.warning(
                    "could not release claimed messages; they return after the visibility timeout",
                    messages=len(seqs),
                    error=str(exc),
                )
        return not still


class _SqliteDeadSession:
    def __init__(self, db: SqliteDb, records: list[DeadRecord]) -> None:
        self.db = db
        self.records = records

    async def remove(self, keys: Sequence[str]) -> None:
        await self.db.write([(_DELETE_MANY, (json.dumps([int(k) for k in keys]),))])
