"""A declared source's body and headers to one `Event`, field by field, by its expressions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.declared.model import DeclaredSource, Rule
from adapters.payload import clip, escape, labels, one_line, slug, string, timestamp, web_url
from hub.core.errors import BadPayload
from hub.core.event import Event
from hub.core.severity import Severity
from hub.core.sources import WebhookRequest, body_id

SEVERITIES = frozenset(s.value for s in Severity)
_SHORT = 200  # subject, state, actor, repo, branch, label values: one line each
_TITLE = 250
_TEXT = 3000
_EPOCH_MS = 100_000_000_000  # an epoch number above this is in milliseconds (year 5138 in s)


def to_event(source: DeclaredSource, request: WebhookRequest, body: Any) -> Event:
    """The event `source` maps `body` (the parsed JSON) and the request's headers to."""
    values = {name: _value(rule, body, request.headers) for name, rule in source.fields.items()}
    name = source.name
    kind = ".".join(part for part in map(slug, (values.get("type") or "").split(".")) if part)
    if not kind:
        expression = source.fields["type"].expression.text
        raise BadPayload(f"the {name} type expression {expression!r} gave no value for this body")
    event_id = values.get("id")
    threadkey = _short(values.get("threadkey"))
    event_type = f"{name}.{kind}"
    text = values.get("text")
    return Event(
        id=f"{name}:{clip(one_line(event_id), _SHORT)}"
        if event_id
        else body_id(name, request.body),
        source=name,
        type=event_type,
        time=_time(values.get("time")) or request.received_at,
        receivedat=request.received_at,
        severity=_severity(values.get("severity")),
        state=_short(values.get("state")),
        subject=_short(values.get("subject")),
        threadkey=f"{name}:{threadkey}" if threadkey else None,
        title=clip(one_line(values.get("title") or event_type), _TITLE),
        text=escape(clip(text.strip(), _TEXT)) if text else "",
        url=web_url(values.get("url")),
        actor=_short(values.get("actor")),
        repo=_short(values.get("repo")),
        branch=_short(values.get("branch")),
        labels=labels(
            {
                label: _short(_value(rule, body, request.headers))
                for label, rule in source.labels.items()
            }
        ),
        data=body,
    )


def _value(rule: Rule, body: Any, headers: Mapping[str, str]) -> str | None:
    """The rule's value as text: mapped when it has a map, else as found, else its default."""
    found = _text(rule.expression.search(body, headers))
    if found is not None and rule.values:
        return rule.values.get(found, rule.default if rule.default is not None else found)
    return found if found is not None else rule.default


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [text for text in map(_text, value) if text]
        return ",".join(items) if items else None
    return string(value)


def _short(value: str | None) -> str | None:
    return clip(one_line(value), _SHORT) or None if value else None


def _severity(value: str | None) -> Severity:
    text = (value or "").strip().lower()
    return Severity(text) if text in SEVERITIES else Severity.INFO


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        # GitLab writes `2016-08-12 15:26:29 UTC`; RFC 3339 and ISO 8601 parse as they are.
        text = value.strip()
        return timestamp(text[:-4] + "+00:00" if text.endswith(" UTC") else text)
    if number > _EPOCH_MS:
        number /= 1000
    return timestamp(number) if number > 0 else None
