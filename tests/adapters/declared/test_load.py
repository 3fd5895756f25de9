"""sources.yaml loading: every mistake refused with file:line: key, expressions compiled at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.declared.load import SourcesError, load_sources, parse_sources
from adapters.registry import SOURCES
from tests.paths import REPO

EXAMPLES = REPO / "examples" / "sources"

GOOD = """\
version: 1
sources:
  ci:
    verify: {kind: token, secret: HUB_CI_TOKEN}
    fields:
      type: "join('.', ['build', status])"
      title: "name"
"""


def _errors(text: str) -> list[str]:
    with pytest.raises(SourcesError) as caught:
        parse_sources(text, SOURCES)
    return caught.value.errors


def test_a_minimal_source_loads() -> None:
    """A source with a verification, a type and a title is declared under its name."""
    sources = parse_sources(GOOD, SOURCES)
    assert list(sources) == ["ci"]
    assert sources["ci"].verify.secret_env == "HUB_CI_TOKEN"
    assert sources["ci"].fields["type"].expression.text == "join('.', ['build', status])"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_example_loads(path: Path) -> None:
    """Each file in examples/sources is a valid sources file with a sample that exists."""
    sources = load_sources(path, SOURCES)
    assert sources
    for source in sources.values():
        assert source.sample is not None
        assert source.sample.body.is_file()


def test_a_typo_in_a_key_is_refused_with_its_line_and_a_suggestion() -> None:
    """`titel` is an unknown key at its own line, with the key it probably meant."""
    errors = _errors(GOOD.replace("      title:", "      titel:"))
    assert "sources.yaml:7: sources.ci.fields.titel: unknown key; did you mean 'title'?" in errors


def test_a_bad_expression_is_refused_at_load_with_its_line() -> None:
    """A JMESPath syntax error names file, line and key, not a failure at the first webhook."""
    errors = _errors(GOOD.replace('title: "name"', 'title: "name.["'))
    assert len(errors) == 1
    assert errors[0].startswith("sources.yaml:7: sources.ci.fields.title: invalid JMESPath")


def test_an_unknown_function_is_refused_at_load() -> None:
    """A misspelt function is caught when the file loads, listing the functions there are."""
    errors = _errors(GOOD.replace('title: "name"', 'title: "lower(name)"'))
    assert errors[0].startswith("sources.yaml:7: sources.ci.fields.title: unknown function lower()")
    assert "header" in errors[0]


def test_a_declared_source_cannot_shadow_a_built_in_sender() -> None:
    """A source named `github` is refused: /hooks/github stays GitHub's."""
    errors = _errors(GOOD.replace("  ci:", "  github:"))
    assert errors == [
        "sources.yaml:4: sources.github: 'github' is a built-in sender; choose another name"
    ]


@pytest.mark.parametrize(
    ("verify", "message"),
    [
        (
            "{kind: none, secret: X}",
            "sources.ci.verify.kind: 'none' is not a verification kind: use hmac, token or basic",
        ),
        (
            "{kind: hmac, secret: HUB_X}",
            "sources.ci.verify.header: required key is missing",
        ),
        (
            "{kind: hmac, secret: HUB_X, header: X-Sig, algorithm: md5}",
            "sources.ci.verify.algorithm: 'md5' is not one of sha1, sha256, sha512",
        ),
        (
            "{kind: token, secret: my-token}",
            "sources.ci.verify.secret: 'my-token' is not an environment variable name",
        ),
        (
            "{kind: token, secret: SLACK_BOT_TOKEN}",
            "sources.ci.verify.secret: SLACK_BOT_TOKEN is hub's own credential",
        ),
        (
            "{kind: basic, secret: HUB_X, prefix: x}",
            "sources.ci.verify.prefix: unknown key; expected one of kind, secret, username",
        ),
        (
            "{secret: HUB_X}",
            "sources.ci.verify.kind: required key is missing: hmac, token or basic",
        ),
    ],
)
def test_a_bad_verification_is_refused(verify: str, message: str) -> None:
    """Verification is required, of a known kind, and names a secret by its variable."""
    errors = _errors(GOOD.replace("{kind: token, secret: HUB_CI_TOKEN}", verify))
    assert any(error.startswith("sources.yaml:4: " + message) for error in errors), errors


def test_a_source_without_verification_is_refused() -> None:
    """There is no unverified source: `verify` is required (HUB_ALLOW_UNSIGNED is for demos)."""
    errors = _errors(GOOD.replace("    verify: {kind: token, secret: HUB_CI_TOKEN}\n", ""))
    assert errors == ["sources.yaml:4: sources.ci.verify: required key is missing"]


def test_a_severity_map_may_only_name_severities() -> None:
    """A mapped severity that hub does not know is refused at its line."""
    text = GOOD + "      severity:\n        value: status\n        map: {failed: bad}\n"
    assert _errors(text) == [
        "sources.yaml:10: sources.ci.fields.severity.map.failed: 'bad' is not a severity:"
        " use one of critical, error, info, success, warning"
    ]


def test_a_missing_sample_file_is_refused(tmp_path: Path) -> None:
    """A `sample:` path is read relative to the sources file and must exist."""
    path = tmp_path / "sources.yaml"
    path.write_text(GOOD + "    sample: samples/ci.json\n")
    with pytest.raises(SourcesError) as caught:
        load_sources(path, SOURCES)
    assert caught.value.errors == [
        f"{path}:8: sources.ci.sample: no file at {tmp_path / 'samples/ci.json'}"
    ]


def test_every_problem_is_reported_at_once() -> None:
    """Two mistakes in two sources are both listed, in line order."""
    text = GOOD + GOOD.split("sources:\n", 1)[1].replace("  ci:", "  cd:").replace("status", "[")
    errors = _errors(text.replace("HUB_CI_TOKEN", "bad name", 1))
    assert [error.split(":")[1] for error in errors] == ["4", "11"]
