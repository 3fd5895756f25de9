"""The router stage: each event through the silences and routes.yaml, one delivery per channel."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from hub.core.broker import Broker
from hub.core.event import Event
from hub.core.log import get_logger
from hub.core.messages import Delivery
from hub.core.metrics import EVENTS_ROUTED, EVENTS_SILENCED, EVENTS_SUPPRESSED, EVENTS_UNROUTED
from hub.core.outage import EngineGate
from hub.core.state import StateStore
from hub.history.entries import History
from hub.router.held import HeldDeliveries
from hub.router.silences import SilenceStore, format_matchers
from hub.routes.table import RouteTable, Target

log = get_logger("hub.router")

RELEASE_SECONDS = 15.0
"""How often a router looks for quiet hours that ended (and sooner when it knows one ends)."""
RETRY_SECONDS = 5.0
"""How soon a release that failed (state store or broker unavailable) is tried again."""


class Router:
    """Consumes events, publishes deliveries; acks only after the deliveries are confirmed.

    With a state store it also honours silences, `dedup_window` and `quiet_hours`, and releases
    held deliveries when their quiet hours end; without one, routes' noise control is off.
    """

    def __init__(
        self,
        broker: Broker,
        table: Callable[[], RouteTable],
        history: History,
        *,
        state: StateStore | None = None,
        silences: SilenceStore | None = None,
        release_every: float = RELEASE_SECONDS,
        gate: EngineGate | None = None,
    ) -> None:
        self.broker = broker
        self.gate = gate or EngineGate()
        self.table = table
        self.history = history
        self.state = state
        self.silences = silences or (SilenceStore(state) if state is not None else None)
        self.held = HeldDeliveries(state) if state is not None else None
        self.release_every = release_every
        self._wake = asyncio.Event()
        self._stopping = False
        self._releaser: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin consuming events, and releasing held deliveries (once now, then periodically)."""
        if self.silences is not None:
            await self.silences.load()
        if self.held is not None:
            self._releaser = asyncio.create_task(self._release_loop())
        await self.broker.consume_events(self.handle)

    async def stop(self) -> None:
        """Stop releasing held deliveries (what is held stays held for the next router)."""
        if self._releaser is not None:
            # The flag too: a client library that swallows the cancel must not keep it looping.
            self._stopping = True
            self._wake.set()
            self._releaser.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._releaser
            self._releaser = None

    def _route(self, table: RouteTable, event: Event) -> tuple[Target, ...]:
        decision = table.route(event)
        for name in decision.matched:
            EVENTS_ROUTED.labels(route=name).inc()
        if decision.unrouted:
            EVENTS_UNROUTED.labels(source=event.source).inc()
        return decision.targets

    async def handle(self, event: Event) -> None:
        """Route one event; raising returns it to the queue. While the state store or the broker
        is unavailable the event waits (unsettled, its delivery attempts unspent)."""
        await self.gate.run(lambda: self._handle(event))

    async def _handle(self, event: Event) -> None:
        silence = await self.silences.matching(event) if self.silences is not None else None
        if silence is not None:
            EVENTS_SILENCED.labels(source=event.source).inc()
            EVENTS_SUPPRESSED.labels(reason="silence").inc()
            held_by = f"{silence.id} ({format_matchers(silence.matchers)})"
            await self.history.record_routing(event, (), (), silenced=held_by)
            log.info("event silenced", event_id=event.id, type=event.type, silence=silence.id)
            return
        targets = self._route(self.table(), event)
        deliveries: list[Delivery] = []
        held: list[Delivery] = []
        for target in targets:
            delivery = target.delivery(event)
            if not await self._first_in_window(delivery, target):
                continue
            until = self._quiet_until(event, target)
            if until is None:
                deliveries.append(delivery)
                continue
            assert self.held is not None  # _quiet_until is None without a state store
            await self.held.hold(delivery, until)
            held.append(delivery)
            log.info(
                "delivery held for quiet hours",
                event_id=event.id,
                channel=target.channel,
                until=until.isoformat(),
            )
        if held:
            self._wake.set()
        if deliveries:
            await self.broker.publish_deliveries(deliveries)
        routes = sorted({r for d in (*deliveries, *held) for r in d.routes})
        channels = [d.channel for d in (*deliveries, *held)]
        await self.history.record_routing(event, routes=routes, channels=channels)
        log.info(
            "event routed", event_id=event.id, type=event.type, routes=routes, channels=channels
        )

    async def _first_in_window(self, delivery: Delivery, target: Target) -> bool:
        """False when the target's dedup_window already saw this type, subject and state."""
        event = delivery.event
        if target.dedup_window is None or self.state is None or event.subject is None:
            return True
        digest = hashlib.sha256(f"{event.type}|{event.subject}|{event.state or ''}".encode())
        key = f"dedup:{target.channel}:{digest.hexdigest()}"
        if await self.state.add(key, event.id, target.dedup_window):
            return True
        # A redelivered event finds its own mark: it is not a repeat of itself.
        if await self.state.get(key) == event.id:
            return True
        EVENTS_SUPPRESSED.labels(reason="dedup_window").inc()
        log.info(
            "delivery dropped as a repeat",
            event_id=event.id,
            channel=target.channel,
            window_seconds=target.dedup_window.total_seconds(),
        )
        return False

    def _quiet_until(self, event: Event, target: Target) -> datetime | None:
        """When the quiet hours the event arrived in end (a backlog's may have ended already)."""
        quiet = target.quiet_hours
        if quiet is None or self.held is None or not quiet.active(event.receivedat):
            return None
        return quiet.ends_after(event.receivedat)

    async def release_due(self) -> float:
        """Release every held window that has ended; the seconds until the next one ends."""
        assert self.held is not None
        now = datetime.now(UTC)
        wait = self.release_every
        for channel, until in await self.held.windows():
            if until > now:
                wait = min(wait, (until - now).total_seconds())
                continue
            try:
                released = await self.held.release(channel, until, self.broker.publish_deliveries)
            except Exception as exc:
                log.warning("releasing held deliveries failed; will retry", error=str(exc))
                wait = min(wait, RETRY_SECONDS)
                continue
            if released:
                log.info("held deliveries released", channel=channel, events=released)
        return wait

    async def _release_loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                wait = await self.release_due()
            except Exception as exc:
                log.warning("looking for held deliveries failed; will retry", error=str(exc))
                wait = RETRY_SECONDS
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
