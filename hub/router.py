"""The router stage: each event through routes.yaml, one delivery per (event, channel)."""

from __future__ import annotations

from collections.abc import Callable

from hub.broker import Broker, Delivery
from hub.event import Event
from hub.history import History
from hub.log import get_logger
from hub.metrics import EVENTS_ROUTED, EVENTS_UNROUTED
from hub.routing import RouteTable

log = get_logger("hub.router")


class Router:
    """Consumes events, publishes deliveries; acks only after the deliveries are confirmed."""

    def __init__(self, broker: Broker, table: Callable[[], RouteTable], history: History) -> None:
        self.broker = broker
        self.table = table
        self.history = history

    async def start(self) -> None:
        """Begin consuming events."""
        await self.broker.consume_events(self.handle)

    def plan(self, event: Event) -> list[Delivery]:
        """The deliveries one event fans out to under the current table."""
        return self._plan(self.table(), event)

    def _plan(self, table: RouteTable, event: Event) -> list[Delivery]:
        decision = table.route(event)
        for name in decision.matched:
            EVENTS_ROUTED.labels(route=name).inc()
        if decision.unrouted:
            EVENTS_UNROUTED.labels(source=event.source).inc()
        return [
            Delivery(
                event=event,
                channel=t.channel,
                routes=t.routes,
                mention=t.mention,
                thread=t.thread,
                digest=t.digest,
            )
            for t in decision.targets
        ]

    async def handle(self, event: Event) -> None:
        """Route one event; raising returns it to the queue."""
        table = self.table()
        deliveries = self._plan(table, event)
        if deliveries:
            await self.broker.publish_deliveries(deliveries)
        await self.history.record_routing(
            event,
            routes=sorted({r for d in deliveries for r in d.routes}),
            channels=[d.channel for d in deliveries],
            explanation=(),
        )
        log.info(
            "event routed",
            event_id=event.id,
            type=event.type,
            routes=sorted({r for d in deliveries for r in d.routes}),
            channels=[d.channel for d in deliveries],
        )
