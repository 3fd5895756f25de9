"""Load sources.yaml strictly: every problem named by file, line and key, expressions compiled."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from adapters.declared.expressions import Expression
from adapters.declared.mapping import SEVERITIES
from adapters.declared.model import (
    EVENT_FIELDS,
    DeclaredSource,
    Encoding,
    Rule,
    Sample,
    Verification,
    VerifyKind,
)
from adapters.declared.verify import ALGORITHMS
from hub.core.yamlnodes import TAG, ConfigFileError, NodeReader, join_path, kind, read_text

__all__ = ["SourcesError", "load_sources", "parse_sources"]

_TOP_KEYS = ("version", "sources")
_SOURCE_KEYS = ("verify", "fields", "sample")
_FIELD_KEYS = (*EVENT_FIELDS, "labels")
_RULE_KEYS = ("value", "map", "default")
_SAMPLE_KEYS = ("body", "headers")
_VERIFY_KEYS: dict[str, tuple[str, ...]] = {
    "hmac": ("kind", "secret", "header", "algorithm", "prefix", "encoding"),
    "token": ("kind", "secret", "header"),
    "basic": ("kind", "secret", "username"),
}
_ENCODINGS: tuple[Encoding, ...] = ("hex", "base64")
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}")
_ENV = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
_HEADER = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_NOT_SECRETS = frozenset({"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HUB_OPS_TOKEN"})


class SourcesError(ConfigFileError):
    """sources.yaml is invalid; `errors` holds every problem as `file:line: key.path: message`."""


def load_sources(path: Path, builtin: Collection[str]) -> dict[str, DeclaredSource]:
    """Read and compile the sources file at `path`; SourcesError lists everything wrong with it."""
    text = read_text(path, SourcesError)
    return _Loader(str(path), path.parent, builtin).load(text)


def parse_sources(
    text: str, builtin: Collection[str], filename: str = "sources.yaml", base: Path = Path()
) -> dict[str, DeclaredSource]:
    """Compile sources.yaml `text`, naming `filename` in errors; sample paths are under `base`."""
    return _Loader(filename, base, builtin).load(text)


class _Loader(NodeReader):
    failure = SourcesError

    def __init__(self, filename: str, base: Path, builtin: Collection[str]) -> None:
        super().__init__(filename)
        self.base = base
        self.builtin = builtin

    def load(self, text: str) -> dict[str, DeclaredSource]:
        root = self.compose(text, "expected version: 1 and sources")
        top = self.fields(root, "", _TOP_KEYS, required=("version", "sources"))
        sources: dict[str, DeclaredSource] = {}
        if top is not None:
            if "version" in top:
                self.version(top["version"])
            declared = self.fields(top["sources"], "sources") if "sources" in top else None
            for name, node in (declared or {}).items():
                source = self.source(name, node, join_path("sources", name))
                if source is not None:
                    sources[name] = source
        self.raise_errors()
        return sources

    def version(self, node: Node) -> None:
        if not (isinstance(node, ScalarNode) and node.tag == TAG + "int" and node.value == "1"):
            self.error(node, "version", f"unsupported version {kind(node)}; expected 1")

    def source(self, name: str, node: Node, path: str) -> DeclaredSource | None:
        before = len(self.errors)
        if not _NAME.fullmatch(name):
            rule = "lowercase letters, digits, '-' and '_', starting with a letter, at most 40"
            self.error(node, path, f"{name!r} is not a source name ({rule})")
        elif name in self.builtin:
            self.error(node, path, f"{name!r} is a built-in sender; choose another name")
        fields = self.fields(node, path, _SOURCE_KEYS, required=("verify", "fields"))
        if fields is None:
            return None
        verify = self.verify(fields["verify"], f"{path}.verify") if "verify" in fields else None
        rules, labels = (
            self.mapping(fields["fields"], f"{path}.fields") if "fields" in fields else ({}, {})
        )
        sample = self.sample(fields["sample"], f"{path}.sample") if "sample" in fields else None
        if len(self.errors) > before or verify is None:
            return None
        return DeclaredSource(name, verify, rules, labels, sample)

    def verify(self, node: Node, path: str) -> Verification | None:
        fields = self.fields(node, path)
        if fields is None:
            return None
        if "kind" not in fields:
            self.error(node, f"{path}.kind", "required key is missing: hmac, token or basic")
            return None
        verify_kind = self.text(fields["kind"], f"{path}.kind")
        if verify_kind not in _VERIFY_KEYS:
            if verify_kind is not None:
                message = f"{verify_kind!r} is not a verification kind: use hmac, token or basic"
                self.error(fields["kind"], f"{path}.kind", message)
            return None
        allowed = _VERIFY_KEYS[verify_kind]
        required = ("kind", "secret", "header") if verify_kind == "hmac" else ("kind", "secret")
        before = len(self.errors)
        fields = self.fields(node, path, allowed, required) or {}
        texts = {key: self.text(value, join_path(path, key)) for key, value in fields.items()}
        secret, header = texts.get("secret"), texts.get("header")
        if secret is not None and not _ENV.fullmatch(secret):
            self.error(
                fields["secret"],
                f"{path}.secret",
                f"{secret!r} is not an environment variable name (e.g. HUB_GITLAB_TOKEN)",
            )
        elif secret in _NOT_SECRETS:
            self.error(
                fields["secret"],
                f"{path}.secret",
                f"{secret} is hub's own credential; give this source its own",
            )
        if header is not None and not _HEADER.fullmatch(header):
            self.error(fields["header"], f"{path}.header", f"{header!r} is not an HTTP header name")
        algorithm = texts.get("algorithm") or "sha256"
        if algorithm not in ALGORITHMS:
            self.error(
                fields["algorithm"],
                f"{path}.algorithm",
                f"{algorithm!r} is not one of {', '.join(ALGORITHMS)}",
            )
        encoding = texts.get("encoding") or "hex"
        if encoding not in _ENCODINGS:
            self.error(fields["encoding"], f"{path}.encoding", f"{encoding!r} is not hex or base64")
        if len(self.errors) > before or secret is None:
            return None
        return Verification(
            kind=_verify_kind(verify_kind),
            secret_env=secret,
            header=header,
            algorithm=algorithm,
            prefix=texts.get("prefix") or "",
            encoding="hex" if encoding == "hex" else "base64",
            username=texts.get("username"),
        )

    def mapping(self, node: Node, path: str) -> tuple[dict[str, Rule], dict[str, Rule]]:
        fields = self.fields(node, path, _FIELD_KEYS, required=("type", "title")) or {}
        rules = {
            name: rule
            for name, value in fields.items()
            if name != "labels"
            and (rule := self.rule(value, join_path(path, name), name)) is not None
        }
        labels: dict[str, Rule] = {}
        if "labels" in fields:
            label_path = f"{path}.labels"
            for label, value in (self.fields(fields["labels"], label_path) or {}).items():
                where = join_path(label_path, label)
                if not _LABEL.fullmatch(label):
                    self.error(value, where, f"{label!r} is not a label name")
                elif (rule := self.rule(value, where, "label")) is not None:
                    labels[label] = rule
        return rules, labels

    def rule(self, node: Node, path: str, field: str) -> Rule | None:
        """An expression, or `{value: <expression>, map: {found: value}, default: value}`."""
        if not isinstance(node, MappingNode):
            expression = self.expression(node, path)
            return Rule(expression) if expression is not None else None
        fields = self.fields(node, path, _RULE_KEYS, required=("value",))
        if fields is None or "value" not in fields:
            return None
        expression = self.expression(fields["value"], f"{path}.value")
        values = self.values(fields["map"], f"{path}.map", field) if "map" in fields else {}
        default = (
            self.literal(fields["default"], f"{path}.default", field)
            if "default" in fields
            else None
        )
        if expression is None or values is None:
            return None
        return Rule(expression, values, default)

    def expression(self, node: Node, path: str) -> Expression | None:
        return self.parsed(node, path, Expression)

    def values(self, node: Node, path: str, field: str) -> dict[str, str] | None:
        fields = self.fields(node, path)
        if fields is None:
            return None
        if not fields:
            self.error(node, path, "must map at least one value")
        mapped = {
            found: self.literal(value, join_path(path, found), field)
            for found, value in fields.items()
        }
        return {found: value for found, value in mapped.items() if value is not None}

    def literal(self, node: Node, path: str, field: str) -> str | None:
        value = self.text(node, path)
        if value is not None and field == "severity" and value not in SEVERITIES:
            names = ", ".join(sorted(SEVERITIES))
            self.error(node, path, f"{value!r} is not a severity: use one of {names}")
            return None
        return value

    def sample(self, node: Node, path: str) -> Sample | None:
        if isinstance(node, ScalarNode):
            body = self.sample_body(node, path)
            return Sample(body) if body is not None else None
        fields = self.fields(node, path, _SAMPLE_KEYS, required=("body",))
        if fields is None or "body" not in fields:
            return None
        body = self.sample_body(fields["body"], f"{path}.body")
        headers: dict[str, str] = {}
        if "headers" in fields:
            header_path = f"{path}.headers"
            for name, value in (self.fields(fields["headers"], header_path) or {}).items():
                text = self.text(value, join_path(header_path, name))
                if text is not None:
                    headers[name] = text
        return Sample(body, headers) if body is not None else None

    def sample_body(self, node: Node, path: str) -> Path | None:
        text = self.text(node, path)
        if text is None:
            return None
        body = self.base / text
        if not body.is_file():
            self.error(node, path, f"no file at {body}")
            return None
        return body


def _verify_kind(text: str) -> VerifyKind:
    return "hmac" if text == "hmac" else "token" if text == "token" else "basic"
