"""Dead letters on RabbitMQ: read them all unacked, ack the removed ones, return the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from hub.core.messages import DeadRecord, parse_dead


def _dead_headers(message: AbstractIncomingMessage) -> dict[str, Any]:
    """Our x-hub-* headers, or RabbitMQ's x-death ones for poison messages it dead-lettered."""
    h = message.headers or {}
    if "x-hub-reason" in h:
        return {
            "reason": h.get("x-hub-reason"),
            "attempts": h.get("x-hub-attempts"),
            "first_error": h.get("x-hub-first-error"),
            "last_error": h.get("x-hub-last-error"),
            "dead_at": h.get("x-hub-dead-at"),
        }
    deaths = h.get("x-death") or []
    first = deaths[0] if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict) else {}
    reason = _text(h.get("x-first-death-reason") or first.get("reason"))
    return {
        "reason": reason,
        "attempts": first.get("count"),
        "first_error": f"dead-lettered by RabbitMQ from {_text(h.get('x-first-death-queue'))}",
        "last_error": reason,
        "dead_at": first.get("time"),
    }


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return "unknown" if value is None else str(value)


class AmqpDeadSession:
    def __init__(self, messages: list[AbstractIncomingMessage]) -> None:
        self._by_key: dict[str, list[AbstractIncomingMessage]] = {}
        self.records: list[DeadRecord] = []
        self.removed: set[int] = set()
        for n, message in enumerate(messages):
            key = message.message_id or f"#{n}"
            record = parse_dead(key, message.body, _dead_headers(message))
            self._by_key.setdefault(key, []).append(message)
            self.records.append(record)

    async def remove(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.removed.update(id(m) for m in self._by_key.get(key, []))
