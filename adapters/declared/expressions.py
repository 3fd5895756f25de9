"""JMESPath expressions over a webhook body, with `header('Name')` for the request's headers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import jmespath
from jmespath import functions
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult


class _Functions(functions.Functions):
    """JMESPath's functions plus `header(name)`: one request header, case-insensitive, or null."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__()
        self.headers = headers

    @functions.signature({"types": ["string"]})
    def _func_header(self, name: str) -> str | None:
        return self.headers.get(name)


FUNCTIONS = frozenset(_Functions.FUNCTION_TABLE)
"""Every function an expression may call."""


class Expression:
    """One compiled expression and the text it was written as."""

    def __init__(self, text: str) -> None:
        """Compile `text`; ValueError says what is wrong with it."""
        try:
            self.parsed: ParsedResult = jmespath.compile(text)
        except JMESPathError as exc:
            reason = " ".join(str(exc).split())
            raise ValueError(f"invalid JMESPath expression {text!r}: {reason}") from None
        unknown = sorted(set(_function_names(self.parsed.parsed)) - FUNCTIONS)
        if unknown:
            known = ", ".join(sorted(FUNCTIONS))
            raise ValueError(f"unknown function {unknown[0]}() in {text!r}; known: {known}")
        self.text = text

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def search(self, body: Any, headers: Mapping[str, str]) -> Any:
        """The expression's value over `body`; None when it has none or fails on this body."""
        options = jmespath.Options(custom_functions=_Functions(headers))
        try:
            return self.parsed.search(body, options=options)
        except JMESPathError:
            # A type error on this body (join over a null, say) means "no value", as a
            # missing key does; the mapping decides whether the field may be empty.
            return None


def _function_names(node: Mapping[str, Any]) -> Iterator[str]:
    if node.get("type") == "function_expression":
        yield str(node["value"])
    for child in node.get("children", ()):
        if isinstance(child, Mapping):
            yield from _function_names(child)
