"""What an event is to an incident: a change or a problem, and the keys it relates by."""

from __future__ import annotations

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
