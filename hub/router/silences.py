"""Silences: time-boxed mutes of matching events, kept in the state store for every router."""

from __future__ import annotations

import asyncio
import difflib
import json
import secrets
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.core.event import Event
from hub.core.log import get_logger
from hub.core.state import Announced, StateStore
from hub.routes.matching import (
    MATCH_KEYS,
    Block,
    Condition,
    check_pattern,
    field_condition,
    label_condition,
    severity_condition,
)

log = get_logger("hub.silences")

KEYS = (*(key for key in MATCH_KEYS if key != "labels"), "threadkey")
"""What a matcher may test, besides `labels.<name>`: the routes.yaml match keys and threadkey."""
REFRESH_SECONDS = 2.0
"""A router that missed the announcement of a change still sees it within this long."""
CONFIRM_SECONDS = 2.0
"""How long a change waits for every router to confirm it has read the silences again."""
TOPIC = "silences"
"""What a silence change is announced as (`StateStore.announce`)."""

_PREFIX = "silence:"
_VERSION = "silences-version"
"""Changed on every add and remove, so routers re-read the silences only when they change."""
_EXAMPLE = "e.g. 'source=kapacitor labels.host=web-1'"
EXACT = "="
"""A value starting with this (`threadkey==kapacitor:*`) is matched exactly: no glob, no regex."""


def literal(value: str) -> str:
    """The matcher value that matches exactly `value` and nothing else, as plain as it can be."""
    if "*" in value or "?" in value or value.startswith(("re:", EXACT)):
        return EXACT + value
    return value


def is_literal(value: str) -> bool:
    """Whether a matcher value matches one string only: an exact value or a glob without
    wildcards (a `re:` regex never counts, whatever it says)."""
    if value.startswith(EXACT):
        return len(value) > len(EXACT)
    return not value.startswith("re:") and "*" not in value and "?" not in value


def parse_matchers(text: str) -> dict[str, str]:
    """`key=glob` (or `key==exact value`) pairs separated by spaces (quote a value with spaces)
    as a dict; ValueError."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot read {text!r}: {exc}") from None
    if not tokens:
        raise ValueError(f"no matchers: write key=glob pairs, {_EXAMPLE}")
    matchers: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep:
            raise ValueError(f"{token!r} is not key=glob ({_EXAMPLE})")
        if key in matchers:
            raise ValueError(f"{key}: given twice")
        _condition(key, value)
        matchers[key] = value
    return matchers


def _condition(key: str, value: str) -> Condition:
    """The compiled test of one matcher; ValueError naming the key when it is not usable."""
    name = key.removeprefix("labels.")
    if key not in KEYS and not (key.startswith("labels.") and name):
        close = difflib.get_close_matches(key, [*KEYS, "labels.<name>"], n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use {', '.join(KEYS)} or labels.<name>"
        raise ValueError(f"{key!r} is not a matcher key; {hint}")
    try:
        check_pattern(value)
        if key == "severity":
            return severity_condition([value])
        if value.startswith(EXACT):
            return _exact_condition(key, name, value[len(EXACT) :])
        if name != key:
            return label_condition(name, [value])
        return field_condition(key, [value])
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


def _exact_condition(key: str, name: str, exact: str) -> Condition:
    """The condition that field `key` (or label `name`) is `exact`, character for character."""
    if not exact:
        raise ValueError(f"{EXACT!r} is an empty exact value")
    condition = label_condition(name, [exact]) if name != key else field_condition(key, [exact])
    return condition._replace(test=exact.__eq__, expected=f"exactly {exact!r}", admits=None)


def format_matchers(matchers: Mapping[str, str]) -> str:
    """The matchers as `hub silence add --match` takes them."""
    return " ".join(f"{key}={shlex.quote(value)}" for key, value in matchers.items())


@dataclass(frozen=True)
class Silence:
    """Events matching every matcher are not delivered from `starts_at` until `ends_at`."""

    id: str
    matchers: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime
    reason: str = ""
    created_by: str = ""
    _block: Block = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        conditions = tuple(_condition(key, value) for key, value in self.matchers.items())
        object.__setattr__(self, "_block", Block("silence", conditions))

    def matches(self, event: Event) -> bool:
        """Whether every matcher holds for `event` (a key the event lacks never matches)."""
        return self._block.matches(event)

    def active(self, at: datetime) -> bool:
        """Whether the silence is in force at `at`."""
        return self.starts_at <= at < self.ends_at

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form stored in the state store and printed by `list --json`."""
        return {
            "id": self.id,
            "matchers": dict(self.matchers),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "reason": self.reason,
            "created_by": self.created_by,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Silence:
        """Rebuild a silence from `to_dict`; ValueError, KeyError or TypeError when malformed."""
        return cls(
            id=str(doc["id"]),
            matchers={str(k): str(v) for k, v in doc["matchers"].items()},
            starts_at=datetime.fromisoformat(doc["starts_at"]),
            ends_at=datetime.fromisoformat(doc["ends_at"]),
            reason=str(doc.get("reason", "")),
            created_by=str(doc.get("created_by", "")),
        )


def _now() -> datetime:
    return datetime.now(UTC)


class SilenceStore:
    """Silences in the state store (`silence:<id>`, expiring at their end), cached per process.

    A change is in force on every router when `add` or `remove` returns: it is announced to the
    routers (`load` listens), and each one confirms once it has read the silences again. A
    router that misses an announcement still sees the change within `refresh` seconds.
    """

    def __init__(
        self,
        state: StateStore,
        refresh: float = REFRESH_SECONDS,
        clock: Callable[[], datetime] = _now,
        confirm_within: float = CONFIRM_SECONDS,
    ) -> None:
        self.state = state
        self.refresh = refresh
        self.clock = clock
        self.confirm_within = confirm_within
        self._cache: tuple[Silence, ...] = ()
        self._version: str | None = None
        self._loaded = False
        self._listening = False
        self._next_check = 0.0
        self._reading = asyncio.Lock()

    async def add(
        self,
        matchers: Mapping[str, str],
        duration: timedelta,
        reason: str,
        created_by: str,
        starts_at: datetime | None = None,
    ) -> tuple[Silence, Announced]:
        """Store a silence from `starts_at` (default now) for `duration`, and tell the routers;
        ValueError if invalid."""
        if not matchers:
            raise ValueError(f"a silence needs at least one matcher, {_EXAMPLE}")
        if duration <= timedelta(0):
            raise ValueError("the duration must be longer than 0")
        start = starts_at or self.clock()
        while True:
            silence = Silence(
                secrets.token_hex(4), dict(matchers), start, start + duration, reason, created_by
            )
            ttl = max(silence.ends_at - self.clock(), timedelta(seconds=1))
            body = json.dumps(silence.to_dict())
            if await self.state.add(_PREFIX + silence.id, body, ttl):
                break
        return silence, await self._changed()

    async def list(self) -> tuple[Silence, ...]:
        """Every silence that has not ended (active or starting later), soonest end first."""
        now = self.clock()
        silences = []
        for key, body in (await self.state.scan(_PREFIX)).items():
            try:
                silence = Silence.from_dict(json.loads(body))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("unreadable silence ignored", key=key, error=str(exc))
                continue
            if silence.ends_at > now:
                silences.append(silence)
        return tuple(sorted(silences, key=lambda s: (s.ends_at, s.id)))

    async def remove(self, silence_id: str) -> Announced | None:
        """End the silence `silence_id` now and tell the routers; None when there is none."""
        if await self.state.get(_PREFIX + silence_id) is None:
            return None
        await self.state.delete(_PREFIX + silence_id)
        return await self._changed()

    async def load(self) -> None:
        """Read the silences now and again on every change (a router does this before it routes)."""
        if not self._listening:
            self._listening = True
            await self.state.listen(TOPIC, self._read)  # first: no change can fall in between
        await self._read()

    async def matching(self, event: Event) -> Silence | None:
        """The first silence in force that `event` matches, from the cache.

        Until the silences have been read once this waits for them, and raises when the store
        does; after that a failed refresh keeps the last silences known.
        """
        await self._refresh()
        now = self.clock()
        for silence in self._cache:
            if silence.active(now) and silence.matches(event):
                return silence
        return None

    async def _refresh(self) -> None:
        """Read the silences the first time, and look for a change every `refresh` seconds."""
        if not self._loaded:
            await self._read(only_if_changed=True)
            return
        now = time.monotonic()
        if now < self._next_check:
            return
        # Set first: events routed while this refresh runs use the silences known so far.
        self._next_check = now + self.refresh
        try:
            await self._read(only_if_changed=True)
        except Exception as exc:
            log.warning("could not refresh silences; using the last known", error=str(exc))

    async def _read(self, only_if_changed: bool = False) -> None:
        """Read the silences into the cache (with `only_if_changed`, if any were added or
        removed since the last read). One read at a time: an older one must not finish last."""
        async with self._reading:
            version = await self.state.get(_VERSION)
            if not (only_if_changed and self._loaded and version == self._version):
                self._cache = await self.list()
                self._version, self._loaded = version, True
            self._next_check = time.monotonic() + self.refresh

    async def _changed(self) -> Announced:
        """Mark the change for polling routers, announce it, and wait for the routers."""
        await self.state.put(_VERSION, secrets.token_hex(8))
        announced = await self.state.announce(TOPIC, self.confirm_within)
        if not announced.complete:
            log.warning(
                "not every router confirmed a silence change",
                listeners=announced.listeners,
                confirmed=announced.confirmed,
                error=announced.error,
            )
        return announced


def unconfirmed(announced: Announced) -> str | None:
    """What to tell whoever changed a silence when not every router confirmed it; else None."""
    if announced.error:
        return (
            f"could not tell the routers ({announced.error}); "
            f"they see the change within {REFRESH_SECONDS:g} s"
        )
    missing = announced.listeners - announced.confirmed
    if missing <= 0:
        return None
    return (
        f"{missing} of {announced.listeners} routers did not confirm the change within "
        f"{CONFIRM_SECONDS:g} s; events they route may be posted for a few more seconds"
    )
