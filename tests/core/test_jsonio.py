"""The hot path's fast parsers agree with the standard library they replace."""

from __future__ import annotations

import json
from urllib.parse import quote_from_bytes, quote_plus, unquote_to_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.payload import form_unquote, parse_object
from hub.core import jsonio
from hub.core.errors import BadPayload

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@given(st.binary())
def test_form_unquote_decodes_like_unquote_to_bytes(raw: bytes) -> None:
    encoded = quote_from_bytes(raw).encode()
    assert form_unquote(encoded) == raw


@given(st.binary())
def test_form_unquote_matches_the_stdlib_on_arbitrary_bytes(raw: bytes) -> None:
    # Malformed escapes ("%zz", a trailing "%"), literal backslashes and plus signs included.
    assert form_unquote(raw) == unquote_to_bytes(raw.replace(b"+", b" "))


def test_form_unquote_reads_plus_as_space_and_keeps_backslashes() -> None:
    assert form_unquote(quote_plus('{"a": "x\\\\n y"}').encode()) == b'{"a": "x\\\\n y"}'
    assert form_unquote(b"100%25+sure%") == b"100% sure%"


@given(_JSON)
def test_jsonio_round_trips_what_json_round_trips(value: object) -> None:
    assert jsonio.loads(jsonio.dumps(value)) == json.loads(json.dumps(value))


def test_jsonio_takes_what_orjson_refuses() -> None:
    big = {"n": 2**80, "s": "\ud800"}
    assert jsonio.loads(jsonio.dumps(big)) == big
    assert jsonio.dumps_sorted({"b": 1, "a": 2}) == '{"a":2,"b":1}'


def test_parse_object_keeps_64_bit_integers_exact() -> None:
    # Beyond 64 bits orjson reads a number as a float, as RFC 8259 section 6 allows; every id
    # the senders use fits in 64 bits and must come through exactly.
    body = b'{"a": 18446744073709551615, "b": -9223372036854775808, "c": 9007199254740993}'
    assert parse_object(body, "body") == {"a": 2**64 - 1, "b": -(2**63), "c": 2**53 + 1}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": NaN}', "the body is not valid JSON: NaN is not a JSON value"),
        (b'{"a": 1', "the body is not valid JSON: Expecting ',' delimiter"),
        (b"\xff{}", "the body is not valid UTF-8 (byte 0)"),
        (b"[1]", "the body is a JSON list; expected an object"),
        (b"null", "the body is a JSON null; expected an object"),
    ],
)
def test_parse_object_names_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(BadPayload) as caught:
        parse_object(body, "body")
    assert caught.value.message.startswith(message)
