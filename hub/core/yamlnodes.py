"""Strict YAML config files: read the node tree and name `file:line: key.path:` for every problem.

routes.yaml and sources.yaml are both read this way: one pass that collects every error
before giving up, unknown and duplicate keys refused, scalars kept as written.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hub.core.errors import ConfigError

TAG = "tag:yaml.org,2002:"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_OFF = frozenset({"false", "off", "no"})

T = TypeVar("T")


class ConfigFileError(ConfigError):
    """A config file is invalid; `errors` holds every problem as `file:line: key.path: message`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def read_text(path: str | Path, failure: type[ConfigFileError]) -> str:
    """The UTF-8 text of a config file; `failure` naming the file when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise failure([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise failure([f"{path}: not UTF-8 text: {exc.reason}"]) from None


_UNQUOTED_HASH = re.compile(r"(?:^|[\[,{:]\s*|-\s+)#\w")
_UNQUOTED_STAR = re.compile(r"(?:^|[\[,{:]\s*|-\s+)\*")


def yaml_problem(exc: yaml.MarkedYAMLError, source: str) -> str:
    """What is wrong with a YAML line, in the words of the file's author rather than the
    parser's, with the parser's words after it (`source` is the line the parser stopped on)."""
    problem = str(exc.problem or exc)
    code = source.split(" #", 1)[0] if not source.lstrip().startswith("#") else source
    if _UNQUOTED_HASH.search(code) or ("<stream end>" in problem and "#" in source):
        advice = (
            'a value starting with "#" is a comment in YAML, so the value is lost: quote it, '
            'e.g. channels: ["#ci"]'
        )
    elif _UNQUOTED_STAR.search(code) or "alias" in problem:
        advice = (
            'a value starting with "*" (or "&") is special in YAML: quote it, e.g. actor: "*[bot]"'
        )
    elif "'>'" in problem or "chomping" in problem or "'!'" in problem:
        advice = 'quote values that start with ">" or "!", e.g. severity: ">=error"'
    elif "block end" in problem or "mapping values are not allowed" in problem:
        advice = (
            "the indentation does not line up: keys of one mapping start in the same column, "
            "and a list item's keys line up under its first key"
        )
    elif "tab" in problem:
        advice = "indent with spaces: YAML does not allow tabs"
    else:
        return f"invalid YAML: {problem}"
    return f"{advice} (YAML: {problem})"


def join_path(parent: str, key: str) -> str:
    """The key path of `key` under `parent`: `a.b`, or `a['odd/key']` when `key` is not a word."""
    part = f".{key}" if _IDENTIFIER.fullmatch(key) else f"[{key!r}]"
    return part[1:] if not parent and part[0] == "." else parent + part


class NodeReader:
    """Reads one YAML document's nodes, collecting `(line, message)` errors as it goes."""

    failure: type[ConfigFileError] = ConfigFileError
    """The error raised for this kind of file (a subclass, so callers can tell files apart)."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[tuple[int, str]] = []

    def compose(self, text: str, empty: str) -> Node:
        """The document's root node; raises on invalid YAML, or with `empty` on an empty file."""
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            index = mark.line if mark else 0
            lines = text.splitlines()
            # A "#" that started a comment cuts the document short: the parser stops later
            # than the line that holds it, so name the nearest line above that has one.
            for above in range(min(index, len(lines) - 1), max(index - 3, -1), -1):
                line = lines[above]
                if not line.lstrip().startswith("#") and _UNQUOTED_HASH.search(line):
                    index = above
                    break
            source = lines[index] if index < len(lines) else ""
            problem = yaml_problem(exc, source)
            raise self.failure([f"{self.filename}:{index + 1}: {problem}"]) from None
        except yaml.YAMLError as exc:
            raise self.failure([f"{self.filename}: invalid YAML: {exc}"]) from None
        if root is None:
            raise self.failure([f"{self.filename}:1: empty file: {empty}"])
        return root

    def raise_errors(self) -> None:
        """Raise every error collected so far, in line order; nothing when there are none."""
        if self.errors:
            ordered = sorted(self.errors, key=lambda error: error[0])
            raise self.failure([message for _, message in ordered])

    def error(self, node: Node, path: str, message: str) -> None:
        line = node.start_mark.line + 1
        where = f"{path}: " if path else ""
        self.errors.append((line, f"{self.filename}:{line}: {where}{message}"))

    def parsed(self, node: Node, path: str, parse: Callable[[str], T]) -> T | None:
        """A string converted by `parse`; its ValueError is reported at the node."""
        text = self.text(node, path)
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError as exc:
            self.error(node, path, str(exc))
            return None

    def boolean(self, node: Node, path: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == TAG + "bool":
            return node.value.lower() in ("true", "yes", "on")
        self.error(node, path, f"expected true or false, got {kind(node)}")
        return None

    def text(self, node: Node, path: str) -> str | None:
        """A scalar as written: `off`, `1.10` and `yes` stay strings where strings are expected."""
        if not isinstance(node, ScalarNode) or node.tag == TAG + "null":
            self.error(node, path, f"expected a string, got {kind(node)}")
            return None
        if not node.tag.startswith(TAG):
            self.error(node, path, f"unquoted {node.tag!r} is read as a YAML tag; quote the value")
            return None
        return str(node.value)

    def items(self, node: Node, path: str) -> list[tuple[Node, str]]:
        if not isinstance(node, SequenceNode):
            self.error(node, path, f"expected a list, got {kind(node)}")
            return []
        return [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]

    def fields(
        self,
        node: Node,
        path: str,
        allowed: Sequence[str] | None = None,
        required: Sequence[str] = (),
    ) -> dict[str, Node] | None:
        """A mapping's keys and value nodes; unknown, duplicate and missing keys are errors."""
        if not isinstance(node, MappingNode):
            self.error(node, path, f"expected a mapping, got {kind(node)}")
            return None
        found: dict[str, Node] = {}
        lines: dict[str, int] = {}
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == TAG + "merge":
                self.error(key_node, path, f"{kind(key_node)} is not allowed as a key")
                continue
            key, line = str(key_node.value), key_node.start_mark.line + 1
            where = join_path(path, key)
            if key in lines:
                self.error(key_node, where, f"duplicate key (first at line {lines[key]})")
            elif allowed is not None and key not in allowed:
                self.error(key_node, where, unknown_key(key, allowed))
            else:
                found[key] = value
            lines.setdefault(key, line)
        for key in required:
            if key not in lines:
                self.error(node, join_path(path, key), "required key is missing")
        return found


def is_off(node: Node) -> bool:
    """`off`, `false` or `no`: YAML reads them as false where a value may be switched off."""
    return isinstance(node, ScalarNode) and node.tag == TAG + "bool" and node.value.lower() in _OFF


def unknown_key(key: str, allowed: Sequence[str]) -> str:
    """The message for a key not in `allowed`, suggesting the closest one."""
    close = difflib.get_close_matches(key, allowed, n=1)
    return (
        f"unknown key; did you mean {close[0]!r}?"
        if close
        else f"unknown key; expected one of {', '.join(allowed)}"
    )


def kind(node: Node) -> str:
    """What a node holds, for an error message: `a mapping`, `a list`, or its value."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == TAG + "null":
        return "nothing (null)"
    return repr(node.value) if node.tag == TAG + "str" else str(node.value)
