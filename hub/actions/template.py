"""`${name}` placeholders in an http action's URL and JSON body, filled when it runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from hub.core.event import Event

EVENT_FIELDS = (
    "id",
    "source",
    "type",
    "severity",
    "state",
    "subject",
    "threadkey",
    "title",
    "url",
    "actor",
    "repo",
    "branch",
)
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")


def placeholders(text: str) -> list[str]:
    """The names of the `${name}` placeholders in `text`; ValueError for a malformed one."""
    names = _PLACEHOLDER.findall(text)
    if text.count("${") != len(names):
        raise ValueError(f"{text!r} has a '${{' that is not a ${{name}} placeholder")
    return names


def context_of(
    event: Event | None, params: Mapping[str, str], user: str, action: str
) -> dict[str, str]:
    """Every value a placeholder may name: the parameters, `user`, `action` and `event.*`."""
    values = {**params, "user": user, "action": action}
    if event is not None:
        for name in EVENT_FIELDS:
            value = getattr(event, name)
            if value is not None:
                values[f"event.{name}"] = str(value)
        values.update({f"event.labels.{k}": v for k, v in event.labels.items()})
    return values


def fill(template: Any, values: Mapping[str, str]) -> Any:
    """`template` with each placeholder in its strings replaced (a missing value: empty)."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m[1], ""), template)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    return template


def fill_url(template: str, values: Mapping[str, str]) -> str:
    """A URL template filled with each value percent-encoded, so a value cannot add a path."""
    return _PLACEHOLDER.sub(lambda m: quote(values.get(m[1], ""), safe=""), template)
