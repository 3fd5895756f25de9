"""The compiled actions table: each action, its button, who may run it and how often."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from hub.core.event import Event

Kind = Literal[
    "github_rerun_failed",
    "github_workflow_dispatch",
    "github_repository_dispatch",
    "travis_restart",
    "http",
]
KINDS: tuple[Kind, ...] = (
    "github_rerun_failed",
    "github_workflow_dispatch",
    "github_repository_dispatch",
    "travis_restart",
    "http",
)
TARGETS: Mapping[Kind, tuple[str, ...]] = {
    "github_rerun_failed": ("repo", "run_id"),
    "github_workflow_dispatch": ("repo", "ref"),
    "github_repository_dispatch": ("repo",),
    "travis_restart": ("build_id",),
    "http": (),
}
"""The parameters each kind needs; a button takes them from its event, `/hub run` from `k=v`."""
OPTIONAL_TARGETS = ("repo", "run_id", "build_id", "ref", "event")
"""The parameter names every action accepts besides its declared inputs."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `count` runs of the action per `per`, across every process of one hub."""

    count: int
    per: timedelta

    def __str__(self) -> str:
        seconds = int(self.per.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return f"{self.count}/{seconds // size}{unit}"
        return f"{self.count}/{seconds}s"


class Matcher(Protocol):
    """One compiled match block (`hub.routes.matching.Block`), as routes.yaml has them."""

    def matches(self, event: Event) -> bool:
        """Whether every condition of the block holds for `event`."""


@dataclass(frozen=True, slots=True)
class ActionButton:
    """The button an action puts on the messages of the events its `match` blocks admit."""

    label: str
    match: tuple[Matcher, ...]
    style: str | None = None

    def matches(self, event: Event) -> bool:
        """Whether any match block holds for `event`."""
        return any(block.matches(event) for block in self.match)


@dataclass(frozen=True, slots=True)
class HttpCall:
    """What an `http` action sends: a JSON body from a template, signed with a secret."""

    url: str
    method: str = "POST"
    body: Any = None
    """JSON with `${name}` placeholders in its strings, filled when the action runs."""
    secret_env: str | None = None
    """The environment variable holding the HMAC-SHA256 secret for `X-Hub-Signature-256`."""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Action:
    """One entry of `actions:`, compiled."""

    name: str
    kind: Kind
    allow: frozenset[str]
    """Slack user IDs (U…, W…) and user-group IDs (S…) that may run it."""
    confirm: bool = False
    button: ActionButton | None = None
    limit: RateLimit | None = None
    repo: str | None = None
    """The only repository the action acts on, when set (else the event's or `repo=`)."""
    ref: str | None = None
    """The default ref of a workflow dispatch (else the event's branch or `ref=`)."""
    workflow: str | None = None
    event_type: str | None = None
    inputs: Mapping[str, str | None] = field(default_factory=dict)
    """Declared inputs and their defaults (None: the caller must give one)."""
    http: HttpCall | None = None
    description: str = ""
    line: int = 0

    @property
    def users(self) -> frozenset[str]:
        """The user IDs named in `allow`."""
        return frozenset(who for who in self.allow if not who.startswith("S"))

    @property
    def groups(self) -> frozenset[str]:
        """The user-group IDs named in `allow`."""
        return frozenset(who for who in self.allow if who.startswith("S"))

    @property
    def accepts(self) -> tuple[str, ...]:
        """Every `key=` that `/hub run` takes for this action."""
        return (*OPTIONAL_TARGETS, *self.inputs)


class ActionTable:
    """The actions in file order, by name."""

    def __init__(self, actions: Sequence[Action] = (), source_path: Path | None = None) -> None:
        self.actions = tuple(actions)
        self.source_path = source_path
        self._by_name = {action.name: action for action in self.actions}

    def get(self, name: str) -> Action | None:
        """The action called `name`, if declared."""
        return self._by_name.get(name)

    def buttons_for(self, event: Event) -> list[Action]:
        """The actions whose button belongs on `event`'s message, in file order."""
        return [a for a in self.actions if a.button is not None and a.button.matches(event)]

    def __len__(self) -> int:
        return len(self.actions)
