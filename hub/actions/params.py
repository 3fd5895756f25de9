"""An action's parameters: from the event a button sits on, actions.yaml, and `key=value`s."""

from __future__ import annotations

from collections.abc import Mapping

from adapters import travis_api
from adapters.github import api as github_api
from hub.actions.model import TARGETS, Action
from hub.core.event import Event


class BadParams(Exception):
    """The parameters do not fit the action; the message says which and how to give them."""


def from_event(event: Event) -> dict[str, str]:
    """What an event tells any action: its repo, branch, run or build, and its own id."""
    found = {"event": event.id}
    if event.repo:
        found["repo"] = event.repo
    if event.branch:
        found["ref"] = event.branch
    return found | github_api.targets(event) | travis_api.targets(event)


def resolve(action: Action, found: Mapping[str, str], given: Mapping[str, str]) -> dict[str, str]:
    """The parameters `action` runs with: `given` over actions.yaml's over the event's."""
    unknown = sorted(set(given) - set(action.accepts))
    if unknown:
        accepted = ", ".join(f"{k}=" for k in action.accepts)
        named = ", ".join(_escape(k) for k in unknown)
        raise BadParams(f"`{action.name}` takes no {named}; it takes {accepted}")
    params = {**found, **given}
    if action.repo is not None:
        if params.get("repo", action.repo) != action.repo and "repo" in given:
            raise BadParams(f"`{action.name}` acts only on {action.repo}")
        params["repo"] = action.repo
    if action.ref is not None and "ref" not in given:
        params["ref"] = action.ref
    for name, default in action.inputs.items():
        if name not in params and default is not None:
            params[name] = default
    missing = [k for k in (*TARGETS[action.kind], *action.inputs) if not params.get(k)]
    if missing:
        wanted = " ".join(f"{k}=…" for k in missing)
        raise BadParams(
            f"`{action.name}` needs {wanted} "
            "(a button takes repo, ref, run and build from its event)"
        )
    return params


def inputs_of(action: Action, params: Mapping[str, str]) -> dict[str, str]:
    """The declared inputs' values, as a workflow's `inputs` or a dispatch's client_payload."""
    return {name: params[name] for name in action.inputs if name in params}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
