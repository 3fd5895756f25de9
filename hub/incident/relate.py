"""What an event is to an incident (a change or a problem) and which events relate to it, by
what keys: the relating rule in one place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hub.core.event import Event
from hub.core.severity import Severity


class Kind(StrEnum):
    """What an event is, for an incident's timeline."""

    DEPLOY = "deploy"
    RELEASE = "release"
    MERGE = "merge"
    PUSH = "push"
    BUILD = "build"
    ALERT = "alert"
    ERROR = "error"
    OTHER = "other"


CHANGES = frozenset({Kind.DEPLOY, Kind.RELEASE, Kind.MERGE, Kind.PUSH, Kind.BUILD})
"""What may have caused an incident: it changed code or what runs."""
SHIPPED = frozenset({Kind.DEPLOY, Kind.RELEASE})
"""Changes to what runs; the last one before an incident is named as the last change."""
PROBLEMS = frozenset({Kind.ALERT, Kind.ERROR})

# Event type prefixes, first match wins; types are `<source>.<kind>[.<action>]`.
_BY_TYPE: tuple[tuple[str, Kind], ...] = (
    ("github.deployment", Kind.DEPLOY),
    ("ansible.playbook.", Kind.DEPLOY),
    ("github.release.", Kind.RELEASE),
    ("github.push", Kind.PUSH),
    ("travis.build.", Kind.BUILD),
    ("github.workflow_run.", Kind.BUILD),
    ("github.workflow_job.", Kind.BUILD),
    ("github.check_run.", Kind.BUILD),
    ("github.check_suite.", Kind.BUILD),
    ("github.status", Kind.BUILD),
    ("sentry.issue.", Kind.ERROR),
    ("sentry.error.", Kind.ERROR),
    ("sentry.event_alert.", Kind.ERROR),
    ("sentry.metric_alert.", Kind.ALERT),
    ("kapacitor.alert.", Kind.ALERT),
    ("alertmanager.", Kind.ALERT),
    ("grafana.", Kind.ALERT),
)
RESOLVED_STATES = frozenset({"ok", "resolved", "fixed"})
REPO_LABELS = ("repo", "repository")
SERVICE_LABELS = ("service", "app", "application", "project", "component")
"""Labels (or tags) that name the service an alert or error is about; a Sentry event's
`project` is one. A repository `owner/name` is service `name` too."""
IDENTITY_LABELS = ("host", "instance", "pod", "container", "deployment", "job", "namespace")
"""Labels naming the machine or unit an alert is about: two alerts sharing one are related."""
COMMIT_LABELS = ("commit", "merge_commit")


def kind_of(event: Event) -> Kind:
    """The kind of `event`: by its type; a merged pull request is a merge; any other event of
    severity warning or worse from a sender without a known kind counts as an alert."""
    if event.type == "github.pull_request.closed" and event.labels.get("merged") == "true":
        return Kind.MERGE
    for prefix, kind in _BY_TYPE:
        if event.type.startswith(prefix):
            return kind
    if event.source not in ("github", "travis", "sentry") and event.severity.rank >= (
        Severity.WARNING.rank
    ):
        return Kind.ALERT
    return Kind.OTHER


def resolves(event: Event) -> bool:
    """Whether `event` ends a problem: a recovery (success), or a state such as ok or resolved."""
    return event.severity is Severity.SUCCESS or (event.state or "") in RESOLVED_STATES


def commits(event: Event) -> tuple[str, ...]:
    """The full commit SHAs `event` carries (`labels.commit`, then `labels.merge_commit`)."""
    return tuple(sha for name in COMMIT_LABELS if (sha := event.labels.get(name)))


def repos(event: Event) -> frozenset[str]:
    """The repositories `event` is about: its `repo`, or a `repo` label or tag (lowercase)."""
    found = {event.repo} if event.repo else set()
    found |= {event.labels[name] for name in REPO_LABELS if event.labels.get(name)}
    return frozenset(repo.lower() for repo in found)


def services(event: Event) -> frozenset[str]:
    """The services `event` is about: service-naming labels, and each repository's name."""
    found = {event.labels[name] for name in SERVICE_LABELS if event.labels.get(name)}
    found |= {repo.rsplit("/", 1)[-1] for repo in repos(event)}
    return frozenset(name.lower() for name in found)


def identities(event: Event) -> frozenset[tuple[str, str]]:
    """The (label, value) pairs naming the machine or unit `event` is about."""
    return frozenset((name, value) for name in IDENTITY_LABELS if (value := event.labels.get(name)))


def phrase(event: Event, kind: Kind) -> str:
    """A few words for one step of a commit's story: `merged #42`, `build #812 passed`,
    `deployed to production by octocat`."""
    number = (event.subject or "").rpartition("#")[2] if "#" in (event.subject or "") else ""
    by = f" by {event.actor}" if event.actor else ""
    state = event.state or "?"
    if kind is Kind.PUSH:
        return f"pushed to {event.branch or '?'}{by}"
    if kind is Kind.MERGE:
        return f"merged #{number}{by}" if number else f"merged{by}"
    if kind is Kind.BUILD:
        thing = (event.subject or "build").removeprefix(f"{event.repo} ")
        return f"{thing} {state}"
    if kind is Kind.DEPLOY:
        where = event.labels.get("environment") or "?"
        if state in ("success", "passed"):
            return f"deployed to {where}{by}"
        return f"deploy to {where} {state}{by}"
    if kind is Kind.RELEASE:
        return f"released {event.labels.get('tag') or event.subject or '?'}"
    if kind in PROBLEMS:
        return f"{event.source} {kind}: {event.subject or event.title}"
    return event.title


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
            repos=frozenset().union(*(repos(e) for e in events)),
            services=frozenset().union(*(services(e) for e in events)),
            identities=frozenset().union(*(identities(e) for e in events)),
            commits=frozenset(sha for e in events for sha in commits(e)),
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
        found = commits(self.event)
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
                kept[event.id] = Related(event, kind_of(event), "incident")
            continue
        kind = kind_of(event)
        if kind not in CHANGES and kind not in PROBLEMS:
            continue
        reason = _reason(scope, event)
        if reason is None and kind in PROBLEMS and start <= event.receivedat <= end:
            reason = None if services(event) else "same window"
        if reason is not None:
            kept[event.id] = Related(event, kind, reason)
    shipped = {r.commit for r in kept.values() if r.kind in CHANGES and r.commit}
    for event in window:
        if event.id in kept or event.threadkey == scope.threadkey:
            continue
        kind = kind_of(event)
        shared = next((sha for sha in commits(event) if sha in shipped), None)
        if shared is not None and (kind in CHANGES or kind in PROBLEMS):
            kept[event.id] = Related(event, kind, f"same commit {shared[:7]}")
    return sorted(kept.values(), key=lambda r: r.event.receivedat)


def _reason(scope: Scope, event: Event) -> str | None:
    """Why `event` relates to the incident by its own keys, or None."""
    shared_commit = next((sha for sha in commits(event) if sha in scope.commits), None)
    if shared_commit is not None:
        return f"same commit {shared_commit[:7]}"
    repo = min(repos(event) & scope.repos, default=None)
    if repo is not None:
        return f"same repo {repo}"
    service = min(services(event) & scope.services, default=None)
    if service is not None:
        return f"same service {service}"
    label = min(identities(event) & scope.identities, default=None)
    if label is not None:
        return f"same labels {label[0]}={label[1]}"
    return None
