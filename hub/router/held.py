"""Deliveries held through a route's quiet hours, released as digests when the window ends."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from hub.core.log import get_logger
from hub.core.messages import Delivery
from hub.core.state import StateStore

log = get_logger("hub.quiet")

HELD_PER_DIGEST = 50
"""At most this many held events in one digest delivery (Slack allows 50 blocks a message)."""
LEASE = timedelta(minutes=2)
"""How long one router may own the release of a window before another may take over."""

_VERSION = "held-version"
"""Changed whenever a window is added to the index, so routers know to read it again."""

Publish = Callable[[Sequence[Delivery]], Awaitable[None]]


class HeldDeliveries:
    """Deliveries held in the state store until their window ends, then released as digests.

    Each held delivery is its own key, so a redelivered event is held once. Releasing takes a
    lease, publishes, then deletes what it published: a router that dies half-way leaves the
    window for another to release again (the deliverer's posted marks drop the repeats). The
    index of windows is read again only when a new window appears or one was released, since
    a scan walks the whole store.
    """

    def __init__(self, state: StateStore) -> None:
        self.state = state
        self._known: list[tuple[str, datetime]] | None = None
        self._version: str | None = None

    async def hold(self, delivery: Delivery, until: datetime) -> None:
        """Keep `delivery` until `until`, when `release` posts it with the channel's others."""
        window = _window(delivery.channel, until)
        body = delivery.to_json_bytes().decode()
        await self.state.put(f"held:{window}:{delivery.event.source}:{delivery.event.id}", body)
        await self._index(delivery.channel, until)

    async def windows(self) -> list[tuple[str, datetime]]:
        """Every (channel, end) that has deliveries held, soonest end first."""
        version = await self.state.get(_VERSION)
        if self._known is None or version != self._version:
            self._known = await self._scan()
            self._version = version
        return self._known

    async def release(self, channel: str, until: datetime, publish: Publish) -> int:
        """Publish the window's held deliveries as digests; the number of events released."""
        window = _window(channel, until)
        lease = f"releasing:{window}"
        if not await self.state.add(lease, secrets.token_hex(8), LEASE):
            return 0
        self._known = None
        try:
            held = await self.state.scan(f"held:{window}:")
            deliveries = sorted(_readable(held), key=lambda d: (d.event.receivedat, d.event.id))
            if deliveries:
                await publish(digests(channel, deliveries))
            for key in held:
                await self.state.delete(key)
            await self.state.delete(f"held-until:{window}")
            # A hold that raced the delete above stays indexed for the next round.
            if await self.state.scan(f"held:{window}:"):
                await self._index(channel, until)
        finally:
            await self.state.delete(lease)
        return len(deliveries)

    async def _index(self, channel: str, until: datetime) -> None:
        """Add the window to the index unless it is there, and then have routers re-read it."""
        key = f"held-until:{_window(channel, until)}"
        entry = json.dumps({"channel": channel, "until": until.astimezone(UTC).isoformat()})
        if await self.state.add(key, entry):
            await self.state.put(_VERSION, secrets.token_hex(8))

    async def _scan(self) -> list[tuple[str, datetime]]:
        found = []
        for key, value in (await self.state.scan("held-until:")).items():
            try:
                doc = json.loads(value)
                found.append((str(doc["channel"]), datetime.fromisoformat(doc["until"])))
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable held-until entry; ignored", key=key)
        return sorted(found, key=lambda item: item[1])


def digests(channel: str, deliveries: Sequence[Delivery]) -> list[Delivery]:
    """Held deliveries to one channel as digest deliveries of up to HELD_PER_DIGEST events each."""
    out = []
    for i in range(0, len(deliveries), HELD_PER_DIGEST):
        chunk = deliveries[i : i + HELD_PER_DIGEST]
        out.append(
            Delivery(
                event=chunk[0].event,
                channel=channel,
                routes=tuple(dict.fromkeys(r for d in chunk for r in d.routes)),
                mention=tuple(dict.fromkeys(m for d in chunk for m in d.mention)),
                thread=False,
                digest="auto",
                held=tuple(d.event for d in chunk),
            )
        )
    return out


def _readable(held: dict[str, str]) -> list[Delivery]:
    deliveries = []
    for key, body in held.items():
        try:
            deliveries.append(Delivery.from_json_bytes(body.encode()))
        except (ValueError, KeyError, TypeError) as exc:
            log.error("unreadable held delivery dropped", key=key, error=str(exc))
    return deliveries


def _window(channel: str, until: datetime) -> str:
    return f"{channel}:{until.astimezone(UTC):%Y%m%dT%H%M%SZ}"
