"""Ingest dedup: a delivery id seen in the last 24 h is answered, not routed again."""

from __future__ import annotations

from datetime import timedelta

from hub.core.broker import Broker
from hub.core.event import Event
from hub.core.log import get_logger
from hub.core.metrics import EVENTS_DUPLICATE
from hub.core.state import StateStore
from hub.history.entries import History

log = get_logger("hub.dedup")

DEDUP_WINDOW = timedelta(hours=24)


class DedupPublisher:
    """Publishes an event unless its delivery id was accepted in the last 24 h."""

    def __init__(self, broker: Broker, state: StateStore, history: History) -> None:
        self.broker = broker
        self.state = state
        self.history = history

    async def publish(self, event: Event) -> bool:
        """Store the event durably; True when it is a duplicate and was not stored again.

        The mark is written only after the event is stored, so a crash in between can at
        worst store a repeat (the deliverer's posted marks keep it from reaching Slack
        twice) and never turn a sender's retry of a lost event into a "duplicate".
        """
        key = f"seen:{event.source}:{event.id}"
        try:
            seen = await self.state.get(key) is not None
        except Exception as exc:
            log.warning("state store unavailable; accepting without dedup", error=str(exc))
            seen = False
        if seen:
            EVENTS_DUPLICATE.labels(source=event.source).inc()
            return True
        await self.broker.publish_event(event)
        try:
            # Not fsynced before the 202: lost in a power cut, a retry is stored again.
            await self.state.put(key, "1", DEDUP_WINDOW, durable=False)
        except Exception as exc:
            log.warning("could not record delivery id", error=str(exc))
        try:
            await self.history.record_event(event)
        except Exception as exc:  # stored: the sender must hear 202, not retry into a duplicate
            log.warning("could not record the event in the history", error=str(exc))
        return False
