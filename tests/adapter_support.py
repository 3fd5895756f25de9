"""What the adapter tests share: requests as the receiver builds them, bad bodies, properties."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudevents.v1.http import from_json
from hypothesis import strategies as st
from multidict import CIMultiDict

from hub.core.errors import BadPayload
from hub.core.event import Event
from hub.core.sources import WebhookRequest
from hub.testing.signing import Signed

RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

NOT_JSON_OBJECTS = [
    pytest.param(b"", "empty", id="empty"),
    pytest.param(b"  \n", "empty", id="blank"),
    pytest.param(b"\n", "empty", id="newline"),
    pytest.param(b'{"a": "\xff"}', "UTF-8", id="invalid-utf8"),
    pytest.param(b'{"id": "\xff"}', "UTF-8", id="invalid-utf8-id"),
    pytest.param(b"\xff\xfe{}", "UTF-8", id="utf16-bom"),
    pytest.param(b'{"action": "\xc3"}', "UTF-8", id="cut-utf8-sequence"),
    pytest.param(b'{"a": ', "not valid JSON", id="truncated"),
    pytest.param(b'{"id": ', "not valid JSON", id="truncated-id"),
    pytest.param(b"{not json", "not valid JSON", id="invalid-json"),
    pytest.param(b'{"action": created}', "not valid JSON", id="bare-word"),
    pytest.param(b'{"a": NaN}', "not valid JSON", id="nan"),
    pytest.param(b'{"id": NaN}', "not valid JSON", id="nan-id"),
    pytest.param(b"[1, 2]", "JSON list", id="array"),
    pytest.param(b"[]", "JSON list", id="empty-array"),
    pytest.param(b'[{"action": "created"}]', "JSON list", id="array-of-objects"),
    pytest.param(b'"push"', "JSON str", id="string"),
    pytest.param(b"null", "JSON null", id="null"),
    pytest.param(b'{"id": ' * 100_000, "nested deeper than 128 levels", id="deep"),
]
"""Bodies that are not one JSON object, each with what the `BadPayload` message must say."""


def webhook_request(
    body: bytes, headers: Mapping[str, str | None], query: Mapping[str, str] | None = None
) -> WebhookRequest:
    """A request as the receiver hands it over: case-insensitive headers, None ones left out."""
    present = CIMultiDict({name: value for name, value in headers.items() if value is not None})
    return WebhookRequest(headers=present, body=body, received_at=RECEIVED, query=query or {})


def from_signed(signed: Signed, changes: Mapping[str, str | None] | None = None) -> WebhookRequest:
    """A sender's signed post as received, with some headers changed or (None) left out."""
    return webhook_request(signed.body, {**signed.headers, **(changes or {})})


def digest(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `body`: what GitHub and Sentry would send if `secret` were theirs."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def fixture_names(cases: Sequence[pytest.ParameterSet]) -> list[pytest.ParameterSet]:
    """The fixture names of an expectation table, with the table's ids."""
    return [pytest.param(case.values[0], id=case.id) for case in cases]


def assert_fields(event: Event, expected: Mapping[str, Any]) -> None:
    """The event's fields named in `expected` hold exactly those values."""
    assert {name: getattr(event, name) for name in expected} == expected


def assert_carries_payload(event: Event, event_id: str, body: bytes) -> None:
    """The event has id `event_id` and carries `body` parsed and untouched, received at RECEIVED."""
    assert (event.id, event.data, event.receivedat) == (event_id, json.loads(body), RECEIVED)


def assert_cloudevent(event: Event, source: str) -> None:
    """The event's broker bytes parse with the CloudEvents SDK and read back as the same event."""
    wire = event.to_json_bytes()
    parsed = from_json(wire)
    assert parsed["specversion"] == "1.0"
    assert (parsed["id"], parsed["source"], parsed["type"]) == (event.id, source, event.type)
    assert parsed["severity"] == event.severity.value
    assert parsed.data == event.data
    assert Event.from_json_bytes(wire) == event


def assert_serializable(event: Event, source: str) -> None:
    """`event` is an Event of `source` whose broker bytes parse as a CloudEvent of its type."""
    assert isinstance(event, Event)
    assert (event.source, event.type.split(".", 1)[0]) == (source, source)
    assert from_json(event.to_json_bytes())["type"] == event.type


def assert_event_or_bad_payload(source: str, normalize: Callable[[], Event]) -> None:
    """`normalize()` raises `BadPayload` or returns a serializable Event of `source`."""
    try:
        event = normalize()
    except BadPayload:
        return
    assert_serializable(event, source)


def json_scalars(*samples: str) -> st.SearchStrategy[Any]:
    """Any JSON scalar, short strings, and values the sender really sends."""
    return (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=12)
        | st.sampled_from(samples)
    )


def json_objects(
    keys: Sequence[str],
    scalars: st.SearchStrategy[Any],
    required: Mapping[str, st.SearchStrategy[Any]],
) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects keyed mostly by the sender's field names, some sure to carry `required`."""
    names = st.sampled_from(keys)
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names | st.text(), inner),
        max_leaves=20,
    )
    objects = st.dictionaries(names | st.text(max_size=6), values, max_size=10)
    with_required = st.builds(
        lambda extra, fixed: extra | fixed, objects, st.fixed_dictionaries(dict(required))
    )
    return objects | with_required
