"""Which events of a window relate to an incident, and why: the relating rule in one place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.core.event import Event
from hub.incident import kinds
from hub.incident.kinds import CHANGES, PROBLEMS, Kind


@dataclass(frozen=True)
class Scope:
    """What an incident is about: the keys other events relate to it by."""

    threadkey: str
    repos: frozenset[str]
    services: frozenset[str]
    identities: frozenset[tuple[str, str]]
    commits: frozenset[str]

    @classmethod
    def of(cls, threadkey: str, own: Iterable[Event]) -> Scope:
        """The union of the keys of the incident's own events."""
        events = list(own)
        return cls(
            threadkey=threadkey,
            repos=frozenset().union(*(kinds.repos(e) for e in events)),
            services=frozenset().union(*(kinds.services(e) for e in events)),
            identities=frozenset().union(*(kinds.identities(e) for e in events)),
            commits=frozenset(sha for e in events for sha in kinds.commits(e)),
        )


@dataclass(frozen=True)
class Related:
    """One event of the timeline, what it is and why it is there."""

    event: Event
    kind: Kind
    reason: str
    """`incident`, `same commit <sha7>`, `same repo <r>`, `same service <s>`,
    `same labels <k>=<v>` or `same window`."""

    @property
    def commit(self) -> str | None:
        """The commit this event is about, if it knows one."""
        found = kinds.commits(self.event)
        return found[0] if found else None


def relate(scope: Scope, window: Sequence[Event], start: datetime, end: datetime) -> list[Related]:
    """The events of `window` that belong on the incident's timeline, oldest first.

    Kept: the incident's own events from `start` to `end`; changes (deploys, releases, merges,
    pushes, builds) and problems (alerts, errors) that share a commit, repository, service or
    identifying label with the incident; changes sharing a commit with a change kept; problems
    that name no repository or service at all while the incident lasts (`same window`).
    Everything else, and every event of another repository or service, is left out.
    """
    kept: dict[str, Related] = {}
    for event in window:
        if event.threadkey == scope.threadkey:
            if start <= event.receivedat <= end:
                kept[event.id] = Related(event, kinds.kind_of(event), "incident")
            continue
        kind = kinds.kind_of(event)
        if kind not in CHANGES and kind not in PROBLEMS:
            continue
        reason = _reason(scope, event)
        if reason is None and kind in PROBLEMS and start <= event.receivedat <= end:
            reason = None if kinds.services(event) else "same window"
        if reason is not None:
            kept[event.id] = Related(event, kind, reason)
    shipped = {r.commit for r in kept.values() if r.kind in CHANGES and r.commit}
    for event in window:
        if event.id in kept or event.threadkey == scope.threadkey:
            continue
        kind = kinds.kind_of(event)
        shared = next((sha for sha in kinds.commits(event) if sha in shipped), None)
        if shared is not None and (kind in CHANGES or kind in PROBLEMS):
            kept[event.id] = Related(event, kind, f"same commit {shared[:7]}")
    return sorted(kept.values(), key=lambda r: r.event.receivedat)


def _reason(scope: Scope, event: Event) -> str | None:
    """Why `event` relates to the incident by its own keys, or None."""
    shared_commit = next((sha for sha in kinds.commits(event) if sha in scope.commits), None)
    if shared_commit is not None:
        return f"same commit {shared_commit[:7]}"
    repo = min(kinds.repos(event) & scope.repos, default=None)
    if repo is not None:
        return f"same repo {repo}"
    service = min(kinds.services(event) & scope.services, default=None)
    if service is not None:
        return f"same service {service}"
    label = min(kinds.identities(event) & scope.identities, default=None)
    if label is not None:
        return f"same labels {label[0]}={label[1]}"
    return None
