"""routes.yaml matchers: globs, `re:` regexes, severity comparisons, labels."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.severity import Severity
from hub.routes.matching import compile_patterns, parse_severity
from tests.routes.helpers import one


@pytest.mark.parametrize(
    ("match", "fields", "expected"),
    [
        ("{repo: 'acme/*'}", {"repo": "acme/api/v2.x"}, True),
        ("{type: 'github.*'}", {"type": "github.pull_request.opened"}, True),
        ("{branch: 'release/*'}", {"branch": "release/1.2/hotfix"}, True),
        ("{branch: 'release/*'}", {"branch": "release"}, False),
        ("{repo: '*/api'}", {"repo": "acme/api"}, True),
        ("{repo: 'acme/*-svc'}", {"repo": "acme/billing-svc"}, True),
        ("{repo: 'acme/*-svc'}", {"repo": "acme/billing-svc2"}, False),
        ("{branch: 'v?'}", {"branch": "v1"}, True),
        ("{branch: 'v?'}", {"branch": "v10"}, False),
        ("{branch: 'v?'}", {"branch": "v"}, False),
        ("{actor: '*[bot]'}", {"actor": "dependabot[bot]"}, True),
        ("{actor: '*[bot]'}", {"actor": "dependabotb"}, False),
        ("{repo: 'acme/api.v2'}", {"repo": "acme/apixv2"}, False),
        ("{subject: 'a+b (c)'}", {"subject": "a+b (c)"}, True),
        ("{branch: main}", {"branch": "Main"}, False),
        ("{repo: 're:acme/(api|web)'}", {"repo": "acme/web"}, True),
        ("{repo: 're:acme/(api|web)'}", {"repo": "acme/api-2"}, False),
        ("{repo: 're:acme/.*'}", {"repo": "xacme/api"}, False),
        ("{branch: [main, 'release/*', 're:hotfix-\\d+']}", {"branch": "hotfix-12"}, True),
        ("{branch: [main, 'release/*']}", {"branch": "dev"}, False),
        ("{source: github, branch: main}", {"branch": "dev"}, False),
        ("{state: '*'}", {"state": "opened"}, True),
        ("{}", {}, True),
    ],
)
def test_patterns(match: str, fields: dict[str, Any], expected: bool) -> None:
    """Globs treat only * and ? as special, re: is a full match, lists are any-of, keys AND."""
    assert one(match, **fields) is expected


@pytest.mark.parametrize(
    ("spec", "admitted"),
    [
        (">=error", "error critical"),
        (">warning", "error critical"),
        ("<=info", "info"),
        ("<warning", "info success"),
        ("==critical", "critical"),
        ("!=info", "success warning error critical"),
        ("warning", "warning"),
        ("> = error", None),
        (">=Error", None),
        ("=error", None),
    ],
)
def test_severity_comparisons(spec: str, admitted: str | None) -> None:
    """Each comparison admits the severities it names on info<success<warning<error<critical."""
    if admitted is None:
        with pytest.raises(ValueError, match="is not a severity"):
            parse_severity(spec)
    else:
        assert parse_severity(spec) == {Severity(s) for s in admitted.split()}


def reference_glob(pattern: str, value: str) -> bool:
    """Glob matching by hand: `*` any run, `?` one character, all else literal."""
    if not pattern:
        return not value
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        return any(reference_glob(rest, value[i:]) for i in range(len(value) + 1))
    if not value:
        return False
    return (head == "?" or head == value[0]) and reference_glob(rest, value[1:])


GLOB_CHARS = st.text(alphabet="ab/.[]*?\\+(", min_size=1, max_size=8)
VALUES = st.text(alphabet="ab/.[]\\+(\n", max_size=10)


@given(patterns=st.lists(GLOB_CHARS, min_size=1, max_size=3), value=VALUES)
def test_glob_matching_agrees_with_reference(patterns: list[str], value: str) -> None:
    """Compiled glob lists match exactly when some pattern matches by the reference rules."""
    expected = any(reference_glob(p, value) for p in patterns)
    assert bool(compile_patterns(patterns)(value)) is expected
