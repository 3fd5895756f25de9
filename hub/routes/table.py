"""The compiled routing table: which Slack channels an event goes to, and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import reduce
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from hub.core.event import Event
from hub.core.messages import Delivery
from hub.core.severity import Severity
from hub.routes.matching import Admits, Block, FieldIndex, set_bits
from hub.routes.quiet import QuietHours

Digest = Literal["auto", "off"]

UNROUTED = "(unrouted)"
"""The pseudo-route name on the target of an event that no route matched."""

_LOUD = frozenset(s for s in Severity if s.rank >= Severity.ERROR.rank)
_INDEXED = ("source", "type", "repo", "severity")
_CACHE_SIZE = 16384

_Candidate = tuple["Route", Callable[[Event], bool]]


@dataclass(frozen=True, slots=True)
class Route:
    """One entry of `routes:`, compiled; channels are resolved ("#name" or a channel ID)."""

    name: str
    match: tuple[Block, ...]
    channels: tuple[str, ...]
    exclude: tuple[Block, ...] = ()
    mention: tuple[str, ...] = ()
    stop: bool = False
    thread: bool = True
    digest: Digest = "auto"
    line: int = 0
    """The line of routes.yaml where the route starts (0 when built in code)."""
    dedup_window: timedelta | None = None
    """Drop an event whose type, subject and state were sent to the channel this recently."""
    quiet_hours: QuietHours | None = None
    """Hold the channel's events during these hours and post them as one digest after."""
    matches: Callable[[Event], bool] = field(init=False, repr=False, compare=False)
    """Whether any match block holds and no exclude block does."""

    def __post_init__(self) -> None:
        simple = len(self.match) == 1 and not self.exclude
        object.__setattr__(self, "matches", self.match[0].matches if simple else self._matches)

    def _matches(self, event: Event) -> bool:
        for block in self.match:
            if block.matches(event):
                break
        else:
            return False
        return not any(block.matches(event) for block in self.exclude)

    def explain(self, event: Event) -> tuple[bool, str]:
        """Whether the route matches, and the reason in words (every failing block's first miss)."""
        failures = []
        for block in self.match:
            failure = block.failure(event)
            if failure is None:
                break
            failures.append(failure)
        else:
            return False, "; ".join(failures)
        for excluded in self.exclude:
            if excluded.matches(event):
                return False, f"{excluded.path} matched: {excluded.describe(event)}"
        stop = "; stop: later routes are not evaluated" if self.stop else ""
        return True, f"{block.path} matched: {block.describe(event)}{stop}"

    def admits(self, key: str) -> Admits | None:
        """What this route admits of field `key`; None when that is not a set of values/prefixes."""
        admitted = [block.admits(key) for block in self.match]
        if not admitted or None in admitted:
            return None
        return reduce(Admits.union, (a for a in admitted if a is not None))


@dataclass(frozen=True, slots=True)
class Defaults:
    """`defaults:`: what routes that do not say get, and where unmatched events go."""

    thread: bool = True
    unrouted: str | None = None
    """The resolved channel for events no route matches; None drops them."""
    dedup_window: timedelta | None = None
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """One channel an event goes to, with the routes that sent it there."""

    channel: str
    routes: tuple[str, ...]
    mention: tuple[str, ...] = ()
    thread: bool = True
    digest: Digest = "auto"
    dedup_window: timedelta | None = None
    quiet_hours: QuietHours | None = None

    def delivery(self, event: Event) -> Delivery:
        """The message that carries `event` to this target's channel."""
        return Delivery(
            event=event,
            channel=self.channel,
            routes=self.routes,
            mention=self.mention,
            thread=self.thread,
            digest=self.digest,
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of routing one event."""

    targets: tuple[Target, ...]
    matched: tuple[str, ...]
    unrouted: bool

    @property
    def channels(self) -> tuple[str, ...]:
        """The target channels, in order."""
        return tuple(target.channel for target in self.targets)


@dataclass(frozen=True, slots=True)
class RouteExplanation:
    """Whether one route matched an event, and why (or the first reason it did not)."""

    route: str
    matched: bool
    reason: str


class RouteTable:
    """The routes in file order, with an index that skips routes an event cannot match."""

    def __init__(
        self,
        routes: Sequence[Route],
        aliases: Mapping[str, str] | None = None,
        defaults: Defaults | None = None,
        source_path: Path | None = None,
    ) -> None:
        self.routes = tuple(routes)
        self.aliases: Mapping[str, str] = MappingProxyType(dict(aliases or {}))
        self.defaults = defaults or Defaults()
        self.source_path = source_path
        self._index = [FieldIndex([r.admits(key) for r in self.routes]) for key in _INDEXED]
        self._everything = (1 << len(self.routes)) - 1
        self._tests = tuple(_indexed_test(route) for route in self.routes)
        self._candidates: dict[tuple[str | None, ...], tuple[_Candidate, ...]] = {}

    def route(self, event: Event) -> Decision:
        """The channels `event` goes to: every matching route's, in order, until one stops."""
        matched = []
        for route, matches in self._candidates_for(event):
            if matches(event):
                matched.append(route)
                if route.stop:
                    break
        if not matched:
            defaults = self.defaults
            if defaults.unrouted is None:
                return Decision((), (), True)
            target = Target(
                defaults.unrouted,
                (UNROUTED,),
                thread=defaults.thread,
                dedup_window=defaults.dedup_window,
                quiet_hours=defaults.quiet_hours,
            )
            return Decision((target,), (), True)
        loud = event.severity in _LOUD
        by_channel: dict[str, list[Route]] = {}
        for route in matched:
            for channel in route.channels:
                by_channel.setdefault(channel, []).append(route)
        targets = tuple(_target(channel, routes, loud) for channel, routes in by_channel.items())
        return Decision(targets, tuple(route.name for route in matched), False)

    def explain(self, event: Event) -> list[RouteExplanation]:
        """Every route in order: MATCH or NO-MATCH with the reason, as `route` decides."""
        explained = []
        stopped_by = None
        for route in self.routes:
            if stopped_by is not None:
                reason = f"not evaluated: stopped by route {stopped_by!r}"
                explained.append(RouteExplanation(route.name, False, reason))
                continue
            matched, reason = route.explain(event)
            if matched and route.stop:
                stopped_by = route.name
            explained.append(RouteExplanation(route.name, matched, reason))
        return explained

    def describe_channel(self, channel: str) -> list[str]:
        """The routes that send to `channel` (a "#name", an ID or an alias), in order."""
        channel = self.aliases.get(channel, channel)
        names = [route.name for route in self.routes if channel in route.channels]
        if self.defaults.unrouted == channel:
            names.append(UNROUTED)
        return names

    def _candidates_for(self, event: Event) -> tuple[_Candidate, ...]:
        key = (event.source, event.type, event.repo, event.severity)
        found = self._candidates.get(key)
        if found is None:
            bits = self._everything
            for index, value in zip(self._index, key, strict=True):
                bits &= index.bits(value)
            found = tuple((self.routes[i], self._tests[i]) for i in set_bits(bits))
            if len(self._candidates) >= _CACHE_SIZE:
                self._candidates.clear()
            self._candidates[key] = found
        return found


def _indexed_test(route: Route) -> Callable[[Event], bool]:
    """`route.matches` for events the index admitted, skipping the conditions it decided."""
    if len(route.match) != 1 or route.exclude:
        return route.matches
    block = route.match[0]
    rest = tuple(c for c in block.conditions if c.key not in _INDEXED or c.admits is None)
    return Block(block.path, rest).matches


def _target(channel: str, routes: list[Route], loud: bool) -> Target:
    first = routes[0]
    mention = tuple(dict.fromkeys(m for r in routes for m in r.mention)) if loud else ()
    names = tuple(route.name for route in routes)
    return Target(
        channel, names, mention, first.thread, first.digest, first.dedup_window, first.quiet_hours
    )
