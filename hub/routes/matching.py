"""Compiled matchers for routes.yaml: globs, `re:` regexes, severity comparisons, match blocks."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hub.core.event import Event
from hub.core.severity import Severity
from hub.core.yamlnodes import join_path

Test = Callable[[Any], object]
"""A compiled predicate on one event value; its truthiness is the answer."""

# Evaluation order: the cheap, selective keys first.
MATCH_KEYS = ("source", "type", "severity", "repo", "branch", "actor", "state", "subject", "labels")

_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_COMPARISON = re.compile(r"(==|!=|>=|<=|>|<)?\s*([a-z]+)")
_SEVERITY_NAMES = frozenset(s.value for s in Severity)


def glob_regex(glob: str) -> str:
    """The regex source matching what `glob` matches: `*` any run, `?` one character."""
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)


def check_pattern(pattern: str) -> None:
    """Raise ValueError naming the problem unless `pattern` is a usable glob or `re:` regex."""
    if not pattern:
        raise ValueError("'' is an empty pattern")
    if pattern.startswith("re:"):
        try:
            re.compile(pattern[3:])
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a valid regex: {exc}") from None


def compile_patterns(patterns: Sequence[str]) -> Test:
    """One predicate true when a string value fully matches any of `patterns`."""
    if "*" in patterns:
        return _anything
    regexes = [re.compile(p[3:]).fullmatch for p in patterns if p.startswith("re:")]
    globs = [p for p in patterns if not p.startswith("re:")]
    tests: list[Test] = [*_glob_test(globs), *regexes]
    if len(tests) == 1:
        return tests[0]

    def any_test(value: str) -> bool:
        return any(test(value) for test in tests)

    return any_test


def _glob_test(globs: list[str]) -> list[Test]:
    """The fastest single predicate for `globs`: equality, a prefix check, or one regex."""
    if not globs:
        return []
    if not any(_is_wild(g) for g in globs):
        return [globs[0].__eq__ if len(globs) == 1 else frozenset(globs).__contains__]
    if all(g.endswith("*") and not _is_wild(g[:-1]) for g in globs):
        prefixes = tuple(g[:-1] for g in globs)
        return [lambda value: value.startswith(prefixes)]
    return [re.compile("|".join(map(glob_regex, globs)), re.DOTALL).fullmatch]


def _anything(value: object) -> bool:
    return True


def parse_severity(spec: str) -> frozenset[Severity]:
    """The severities that `spec` (`>=error`, `!=info`, `warning`, …) admits; ValueError if none."""
    found = _COMPARISON.fullmatch(spec.strip())
    if found is None or found[2] not in _SEVERITY_NAMES:
        raise ValueError(f"{spec!r} is not a severity")
    compare = _OPERATORS[found[1] or "=="]
    rank = Severity(found[2]).rank
    return frozenset(s for s in Severity if compare(s.rank, rank))


class Admits(NamedTuple):
    """What a condition admits, for indexing: these exact values and values with these prefixes."""

    values: frozenset[str]
    prefixes: frozenset[str] = frozenset()

    def union(self, other: Admits) -> Admits:
        """What either admits."""
        return Admits(self.values | other.values, self.prefixes | other.prefixes)


class Condition(NamedTuple):
    """One key of a match block: where to read the event's value and how to test it."""

    key: str
    """`branch`, `severity`, `labels.env`, …"""
    expected: str
    """The patterns as a reader sees them: `'main' or 'release/*'`."""
    get: Callable[[Event], Any]
    test: Test
    admits: Admits | None
    """All the condition admits, when exact values and prefixes say it; None otherwise."""


def field_condition(key: str, patterns: Sequence[str]) -> Condition:
    """The condition that event field `key` matches any of `patterns`."""
    exact = frozenset(p for p in patterns if not _is_wild(p))
    prefixes = frozenset(p[:-1] for p in patterns if p.endswith("*") and not _is_wild(p[:-1]))
    admits = Admits(exact, prefixes) if len(exact) + len(prefixes) == len(patterns) else None
    test = compile_patterns(patterns)
    return Condition(key, _quoted(patterns), operator.attrgetter(key), test, admits)


def label_condition(name: str, patterns: Sequence[str]) -> Condition:
    """The condition that label `name` is present and matches any of `patterns`."""

    def get(event: Event) -> str | None:
        return event.labels.get(name)

    key = join_path("labels", name)
    return Condition(key, _quoted(patterns), get, compile_patterns(patterns), None)


def severity_condition(specs: Sequence[str]) -> Condition:
    """The condition that the event's severity satisfies any of the comparisons `specs`."""
    admitted = frozenset().union(*(parse_severity(spec) for spec in specs))
    get = operator.attrgetter("severity")
    admits = Admits(frozenset(admitted))
    return Condition("severity", " or ".join(specs), get, admitted.__contains__, admits)


def _is_wild(pattern: str) -> bool:
    return pattern.startswith("re:") or "*" in pattern or "?" in pattern


def _quoted(patterns: Sequence[str]) -> str:
    return " or ".join(repr(p) for p in patterns)


@dataclass(frozen=True, slots=True)
class Block:
    """One match block: true when every condition holds (an empty block matches everything)."""

    path: str
    """Where the block sits in its route: `match`, `match[1]`, `exclude[0]`."""
    conditions: tuple[Condition, ...]
    _checks: tuple[tuple[Callable[[Event], Any], Test], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        checks = tuple((c.get, c.test) for c in self.conditions)
        object.__setattr__(self, "_checks", checks)

    def matches(self, event: Event) -> bool:
        """Whether every condition holds; a key the event lacks never matches."""
        for get, test in self._checks:
            value = get(event)
            if value is None or not test(value):
                return False
        return True

    def failure(self, event: Event) -> str | None:
        """The first condition that does not hold, as a sentence; None when the block matches."""
        for key, expected, get, test, _ in self.conditions:
            value = get(event)
            where = f"{self.path}.{key}"
            if value is None:
                label = key.removeprefix("labels.")
                missing = f"label {label!r}" if label != key else key
                return f"{where}: event has no {missing}"
            if not test(value):
                verb = "is not" if key == "severity" else "does not match"
                return f"{where}: {str(value)!r} {verb} {expected}"
        return None

    def describe(self, event: Event) -> str:
        """Why a matching block matches: `actor 'dependabot[bot]' matches '*[bot]'`."""
        parts = []
        for key, expected, get, _, _ in self.conditions:
            verb = "is" if key == "severity" else "matches"
            parts.append(f"{key} {str(get(event))!r} {verb} {expected}")
        return ", ".join(parts) or "no conditions, so every event"

    def admits(self, key: str) -> Admits | None:
        """What this block admits of field `key`; None when that is not a set of values/prefixes."""
        for condition in self.conditions:
            if condition.key == key:
                return condition.admits
        return None


class FieldIndex:
    """For one event field, bitsets of the routes that may match each value (bit i: route i)."""

    def __init__(self, admits: Sequence[Admits | None]) -> None:
        self._free = 0
        self._exact: dict[str, int] = {}
        self._prefix: dict[str, int] = {}
        for i, admitted in enumerate(admits):
            if admitted is None:
                self._free |= 1 << i
                continue
            for value in admitted.values:
                self._exact[value] = self._exact.get(value, 0) | 1 << i
            for prefix in admitted.prefixes:
                self._prefix[prefix] = self._prefix.get(prefix, 0) | 1 << i
        self._lengths = sorted({len(prefix) for prefix in self._prefix})

    def bits(self, value: str | None) -> int:
        """The routes that may match `value`; a constrained route never matches a missing one."""
        if value is None:
            return self._free
        bits = self._free | self._exact.get(value, 0)
        for length in self._lengths:
            if length > len(value):
                break
            bits |= self._prefix.get(value[:length], 0)
        return bits


def set_bits(bits: int) -> Iterator[int]:
    """The positions of the 1 bits of `bits`, lowest first."""
    while bits:
        lowest = bits & -bits
        yield lowest.bit_length() - 1
        bits ^= lowest
