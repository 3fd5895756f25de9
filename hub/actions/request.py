"""A request to run an action, what came of it, and what ChatOps needs of a runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from hub.actions.model import Action, ActionTable
from hub.core.event import Event

Result = Literal["done", "failed", "refused", "limited", "repeat"]


@dataclass(frozen=True)
class Request:
    """Someone asked to run an action: from a button on `event`, or `/hub run`."""

    name: str
    user_id: str
    press: str
    """What identifies this press or command (Slack's trigger id and action time)."""
    found: Mapping[str, str] = field(default_factory=dict)
    """What the event (or the button's value) tells the action."""
    given: Mapping[str, str] = field(default_factory=dict)
    """`key=value`s typed after `/hub run <action>`."""
    event: Event | None = None


@dataclass(frozen=True)
class Outcome:
    """What came of a request, in words for Slack, with the link to what it started."""

    result: Result
    text: str
    """Slack mrkdwn: anything from outside in it is escaped."""
    action: Action | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None


class ActionRunner(Protocol):
    """Runs the actions of the live table (`hub.actions.runner.Runner` is one)."""

    table: Callable[[], ActionTable]

    async def check(self, request: Request) -> Action | Outcome:
        """The action, if it exists and the user may run it; else the refusal."""

    async def run(self, request: Request) -> Outcome:
        """Check, claim, limit and call: the outcome of `request`, never an exception."""

    async def close(self) -> None:
        """Release connections."""
