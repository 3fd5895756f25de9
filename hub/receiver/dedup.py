"""Ingest dedup: a delivery id, or signed content, seen in the last 24 h is not routed again."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from hub.core.broker import Broker
from hub.core.errors import Unavailable
from hub.core.event import Event
from hub.core.log import get_logger
from hub.core.metrics import EVENTS_DUPLICATE
from hub.core.state import StateStore
from hub.history.entries import History

log = get_logger("hub.dedup")

DEDUP_WINDOW = timedelta(hours=24)
STORING = "storing"
"""The signed-content mark while its event is being stored; "1" once it is."""
STORING_TTL = timedelta(minutes=1)
"""How long a claim outlives a receiver that died while storing its event."""


def signed_key(source: str, content: bytes) -> str:
    """The state key that marks `content`, signed by `source`, as accepted."""
    return f"signed:{source}:{hashlib.sha256(content).hexdigest()}"


class DedupPublisher:
    """Publishes an event unless its delivery id, or what its signature covers, was accepted
    in the last 24 h."""

    def __init__(self, broker: Broker, state: StateStore, history: History) -> None:
        self.broker = broker
        self.state = state
        self.history = history

    async def publish(self, event: Event, signed: bytes | None = None) -> bool:
        """Store the event durably; True when it is a duplicate or a replay, not stored again.

        `signed` is what the request's signature covers when that binds no unique id and time
        (`SourceAdapter.signed_content`): its first acceptance claims it atomically, so
        concurrent copies of one captured request cannot all pass.

        The marks are final only after the event is stored, so a crash in between can at
        worst store a repeat (the deliverer's posted marks keep it from reaching Slack
        twice) and never turn a sender's retry of a lost event into a "duplicate".
        """
        seen_key = f"seen:{event.source}:{event.id}"
        claim = None if signed is None else signed_key(event.source, signed)
        seen, claimed = await self._check(seen_key, claim)
        if seen or not claimed:
            EVENTS_DUPLICATE.labels(source=event.source).inc()
            if claim is not None and claimed:
                # Stored under this delivery id before its content was marked (an upgrade).
                await self._mark(claim)
            return True
        try:
            await self.broker.publish_event(event)
        except BaseException:
            if claim is not None:
                await self._release(claim)
            raise
        # Not fsynced before the 202: lost in a power cut, a retry is stored again.
        await asyncio.gather(self._mark(seen_key), *([self._mark(claim)] if claim else []))
        try:
            await self.history.record_event(event)
        except Exception as exc:  # stored: the sender must hear 202, not retry into a duplicate
            log.warning("could not record the event in the history", error=str(exc))
        return False

    async def _check(self, seen_key: str, claim: str | None) -> tuple[bool, bool]:
        """(delivery id seen, signed content claimed by this call) in one round trip."""
        try:
            if claim is None:
                return await self.state.get(seen_key) is not None, True
            seen, claimed = await asyncio.gather(
                self.state.get(seen_key),
                self.state.add(claim, STORING, STORING_TTL, durable=False),
            )
            if claimed or seen is not None:
                return seen is not None, claimed
            mark = await self.state.get(claim)
        except Exception as exc:
            log.warning("state store unavailable; accepting without dedup", error=str(exc))
            return False, True
        if mark is not None and mark != STORING:
            return False, False
        raise Unavailable(
            "an identical signed request is being stored right now; retry in a minute",
            retry_after=int(STORING_TTL.total_seconds()),
        )

    async def _mark(self, key: str) -> None:
        try:
            await self.state.put(key, "1", DEDUP_WINDOW, durable=False)
        except Exception as exc:
            log.warning("could not record an accepted delivery", error=str(exc))

    async def _release(self, claim: str) -> None:
        try:
            await self.state.delete(claim)
        except Exception as exc:
            log.warning("could not release a signed-content claim", error=str(exc))
