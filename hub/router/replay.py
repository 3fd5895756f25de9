"""Dead letters routed again through the current routes table (`hub dead-letters replay`,
`/hub replay`): each one's event fans out afresh, and the dead letter is removed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from hub.core.broker import Broker
from hub.core.messages import UNREADABLE, DeadLetterSession, DeadRecord
from hub.routes.table import RouteTable


@dataclass(frozen=True)
class Replayed:
    """What became of one dead letter: the channels it went to (none: it matches no route now),
    or `unreadable` when there is no event to route (it stays; purge it)."""

    record: DeadRecord
    channels: tuple[str, ...] = ()
    unreadable: bool = False


async def replay(
    broker: Broker,
    session: DeadLetterSession,
    records: Iterable[DeadRecord],
    table: RouteTable,
    *,
    dry_run: bool = False,
) -> AsyncIterator[Replayed]:
    """Route each record through `table`, publish its deliveries and remove it from `session`
    (with `dry_run`, only say where each would go); one `Replayed` per record, in order."""
    for record in records:
        if record.delivery is None and record.event.type == UNREADABLE:
            yield Replayed(record, unreadable=True)
            continue
        deliveries = [target.delivery(record.event) for target in table.route(record.event).targets]
        if not dry_run:
            if deliveries:
                await broker.publish_deliveries(deliveries)
            await session.remove([record.key])
        yield Replayed(record, tuple(d.channel for d in deliveries))
