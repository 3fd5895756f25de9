"""Load actions.yaml strictly: every problem named by file, line and key, then compiled."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hub.actions.model import (
    KINDS,
    OPTIONAL_TARGETS,
    Action,
    ActionButton,
    ActionTable,
    HttpCall,
    Kind,
    RateLimit,
)
from hub.actions.template import EVENT_FIELDS, placeholders
from hub.core.settings import parse_duration
from hub.core.yamlnodes import TAG, ConfigFileError, NodeReader, join_path, kind, read_text
from hub.routes.load import read_match

__all__ = ["ActionTable", "ActionsError", "load_actions", "parse_actions"]

_TOP_KEYS = ("version", "actions")
_COMMON_KEYS = ("name", "kind", "description", "button", "allow", "confirm", "rate_limit")
_KIND_KEYS: Mapping[Kind, tuple[str, ...]] = {
    "github_rerun_failed": ("repo",),
    "github_workflow_dispatch": ("repo", "workflow", "ref", "inputs"),
    "github_repository_dispatch": ("repo", "event_type", "inputs"),
    "travis_restart": (),
    "http": ("http", "inputs"),
}
_REQUIRED: Mapping[Kind, tuple[str, ...]] = {
    "github_workflow_dispatch": ("workflow",),
    "github_repository_dispatch": ("event_type",),
    "http": ("http",),
}
_BUTTON_KEYS = ("label", "match", "style")
_HTTP_KEYS = ("url", "method", "body", "secret_env", "headers")
_METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE")
_STYLES = ("primary", "danger")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_INPUT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_SLACK_ID = re.compile(r"[UWS][A-Z0-9]{2,}")
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\S+)\s*")
_MAX_LABEL = 75
DEFAULT_PATH = Path("actions.yaml")
"""Read when HUB_ACTIONS is unset, if it exists."""
DEFAULT_LIMIT = RateLimit(10, parse_duration("1h"))
"""How often an action may run when actions.yaml does not say."""


class ActionsError(ConfigFileError):
    """actions.yaml is invalid; `errors` holds every problem as `file:line: key.path: message`."""


def load_actions(path: str | Path) -> ActionTable:
    """Read and compile the actions file at `path`; ActionsError lists everything wrong."""
    text = read_text(path, ActionsError)
    return _Loader(str(path)).load(text, Path(path))


def parse_actions(text: str, filename: str = "actions.yaml") -> ActionTable:
    """Compile actions.yaml `text`, naming `filename` in errors."""
    return _Loader(filename).load(text, None)


class _Loader(NodeReader):
    failure = ActionsError

    def load(self, text: str, source_path: Path | None) -> ActionTable:
        root = self.compose(text, "expected version: 1 and actions")
        top = self.fields(root, "", _TOP_KEYS, required=("version", "actions"))
        actions: list[Action] = []
        if top is not None:
            if "version" in top:
                self.version(top["version"])
            if "actions" in top:
                seen: dict[str, int] = {}
                found = (
                    self.action(item, path, seen)
                    for item, path in self.items(top["actions"], "actions")
                )
                actions = [action for action in found if action is not None]
        self.raise_errors()
        return ActionTable(actions, source_path)

    def version(self, node: Node) -> None:
        if not (isinstance(node, ScalarNode) and node.tag == TAG + "int" and node.value == "1"):
            self.error(node, "version", f"unsupported version {kind(node)}; expected 1")

    def action(self, node: Node, path: str, seen: dict[str, int]) -> Action | None:
        before = len(self.errors)
        every = tuple(dict.fromkeys(k for keys in _KIND_KEYS.values() for k in keys))
        fields = self.fields(node, path, (*_COMMON_KEYS, *every), ("name", "kind", "allow"))
        if fields is None:
            return None
        name = self.name(fields["name"], f"{path}.name", seen) if "name" in fields else None
        action_kind = self.kind(fields["kind"], f"{path}.kind") if "kind" in fields else None
        if action_kind is not None:
            self.kind_keys(node, fields, path, action_kind)
        allow = self.allow(fields["allow"], f"{path}.allow") if "allow" in fields else frozenset()
        confirm = (
            self.boolean(fields["confirm"], f"{path}.confirm") if "confirm" in fields else False
        )
        button = self.button(fields["button"], f"{path}.button") if "button" in fields else None
        limit = (
            self.rate(fields["rate_limit"], f"{path}.rate_limit")
            if "rate_limit" in fields
            else DEFAULT_LIMIT
        )
        repo = self.matching(fields, "repo", path, _REPO, "is not owner/name")
        inputs = self.inputs(fields["inputs"], f"{path}.inputs") if "inputs" in fields else {}
        http = self.http(fields["http"], f"{path}.http", inputs) if "http" in fields else None
        optional = {
            key: self.text(fields[key], join_path(path, key))
            for key in ("description", "workflow", "event_type", "ref")
            if key in fields
        }
        if len(self.errors) > before or name is None or action_kind is None or confirm is None:
            return None
        return Action(
            name=name,
            kind=action_kind,
            allow=allow,
            confirm=confirm,
            button=button,
            limit=limit,
            repo=repo,
            ref=optional.get("ref"),
            workflow=optional.get("workflow"),
            event_type=optional.get("event_type"),
            inputs=inputs,
            http=http,
            description=optional.get("description") or "",
            line=node.start_mark.line + 1,
        )

    def name(self, node: Node, path: str, seen: dict[str, int]) -> str | None:
        name = self.text(node, path)
        if name is None:
            return None
        if not _NAME.fullmatch(name):
            self.error(
                node,
                path,
                f"{name!r} is not an action name "
                "(lowercase letters, digits, '-' and '_', at most 64)",
            )
            return None
        if name in seen:
            self.error(node, path, f"duplicate action name {name!r} (first at line {seen[name]})")
            return None
        seen[name] = node.start_mark.line + 1
        return name

    def kind(self, node: Node, path: str) -> Kind | None:
        text = self.text(node, path)
        for known in KINDS:
            if text == known:
                return known
        if text is not None:
            self.error(node, path, f"{text!r} is not an action kind: use one of {', '.join(KINDS)}")
        return None

    def kind_keys(self, node: Node, fields: dict[str, Node], path: str, action_kind: Kind) -> None:
        """Keys that belong to other kinds are errors; keys this kind needs must be there."""
        allowed = _KIND_KEYS[action_kind]
        for key, value in fields.items():
            if key not in _COMMON_KEYS and key not in allowed:
                self.error(value, join_path(path, key), f"not a key of kind {action_kind}")
        for key in _REQUIRED.get(action_kind, ()):
            if key not in fields:
                self.error(node, join_path(path, key), f"required for kind {action_kind}")

    def allow(self, node: Node, path: str) -> frozenset[str]:
        items = self.items(node, path)
        if isinstance(node, SequenceNode) and not items:
            self.error(node, path, "must name at least one Slack user or user-group ID")
        allowed = set()
        for item, where in items:
            text = self.text(item, where)
            if text is None:
                continue
            if not _SLACK_ID.fullmatch(text):
                self.error(
                    item,
                    where,
                    f"{text!r} is not a Slack user ID (U…, W…) or user-group ID (S…): "
                    "copy it from the profile or the group, names never match",
                )
                continue
            allowed.add(text)
        return frozenset(allowed)

    def button(self, node: Node, path: str) -> ActionButton | None:
        fields = self.fields(node, path, _BUTTON_KEYS, required=("label", "match"))
        if fields is None:
            return None
        label = self.text(fields["label"], f"{path}.label") if "label" in fields else None
        if label is not None and not 0 < len(label.strip()) <= _MAX_LABEL:
            self.error(fields["label"], f"{path}.label", f"must be 1 to {_MAX_LABEL} characters")
            label = None
        match = read_match(self, fields["match"], path) if "match" in fields else ()
        style = None
        if "style" in fields:
            style = self.text(fields["style"], f"{path}.style")
            if style is not None and style not in _STYLES:
                self.error(
                    fields["style"],
                    f"{path}.style",
                    f"{style!r} is not a button style: use primary or danger",
                )
                style = None
        if label is None or not match:
            return None
        return ActionButton(label.strip(), match, style)

    def rate(self, node: Node, path: str) -> RateLimit | None:
        text = self.text(node, path)
        if text is None:
            return None
        found = _RATE.fullmatch(text)
        try:
            if found is None:
                raise ValueError(f"{text!r} is not a rate: write runs/period, e.g. 5/10m")
            count, per = int(found[1]), parse_duration(found[2])
            if count < 1 or per.total_seconds() < 1:
                raise ValueError("needs at least 1 run per at least 1s")
        except ValueError as exc:
            self.error(node, path, str(exc))
            return None
        return RateLimit(count, per)

    def matching(
        self, fields: dict[str, Node], key: str, path: str, pattern: re.Pattern[str], problem: str
    ) -> str | None:
        if key not in fields:
            return None
        where = join_path(path, key)
        text = self.text(fields[key], where)
        if text is not None and not pattern.fullmatch(text):
            self.error(fields[key], where, f"{text!r} {problem}")
            return None
        return text

    def inputs(self, node: Node, path: str) -> dict[str, str | None]:
        inputs: dict[str, str | None] = {}
        for name, value in (self.fields(node, path) or {}).items():
            where = join_path(path, name)
            if not _INPUT.fullmatch(name) or name in OPTIONAL_TARGETS:
                reserved = (
                    f"; {', '.join(OPTIONAL_TARGETS)} are reserved"
                    if name in OPTIONAL_TARGETS
                    else ""
                )
                self.error(value, where, f"{name!r} is not an input name{reserved}")
                continue
            if isinstance(value, ScalarNode) and value.tag == TAG + "null":
                inputs[name] = None
            elif (text := self.text(value, where)) is not None:
                inputs[name] = text
        return inputs

    def http(self, node: Node, path: str, inputs: Mapping[str, str | None]) -> HttpCall | None:
        fields = self.fields(node, path, _HTTP_KEYS, required=("url",))
        if fields is None or "url" not in fields:
            return None
        before = len(self.errors)
        url = self.text(fields["url"], f"{path}.url")
        if url is not None and not url.startswith(("https://", "http://")):
            self.error(fields["url"], f"{path}.url", f"{url!r} is not an http:// or https:// URL")
        if url is not None:
            self.placeholders(fields["url"], f"{path}.url", url, inputs)
        method = "POST"
        if (
            "method" in fields
            and (text := self.text(fields["method"], f"{path}.method")) is not None
        ):
            method = text.upper()
            if method not in _METHODS:
                self.error(
                    fields["method"],
                    f"{path}.method",
                    f"{text!r} is not one of {', '.join(_METHODS)}",
                )
        secret_env = self.matching(
            fields, "secret_env", path, _ENV_NAME, "is not an environment variable name"
        )
        headers = {}
        for header, value in (
            self.fields(fields["headers"], f"{path}.headers") or {} if "headers" in fields else {}
        ).items():
            text = self.text(value, join_path(f"{path}.headers", header))
            if text is not None:
                headers[header] = text
        body = self.plain(fields["body"], f"{path}.body", inputs) if "body" in fields else None
        if len(self.errors) > before or url is None:
            return None
        return HttpCall(url, method, body, secret_env, headers)

    def plain(self, node: Node, path: str, inputs: Mapping[str, str | None]) -> Any:
        """The body template as JSON values, each `${name}` in its strings checked."""
        if isinstance(node, MappingNode):
            fields = self.fields(node, path) or {}
            return {
                key: self.plain(value, join_path(path, key), inputs)
                for key, value in fields.items()
            }
        if isinstance(node, SequenceNode):
            return [self.plain(item, where, inputs) for item, where in self.items(node, path)]
        tag = node.tag.removeprefix(TAG)
        value = str(node.value)
        if tag == "null":
            return None
        if tag == "bool":
            return value.lower() in ("true", "yes", "on")
        if tag == "int":
            return int(value, 0)
        if tag == "float":
            return float(value)
        text = self.text(node, path)
        if text is not None:
            self.placeholders(node, path, text, inputs)
        return text

    def placeholders(
        self, node: Node, path: str, text: str, inputs: Mapping[str, str | None]
    ) -> None:
        known = {*OPTIONAL_TARGETS, *inputs, "user", "action"}
        try:
            names = placeholders(text)
        except ValueError as exc:
            self.error(node, path, str(exc))
            return
        for name in names:
            field_name = name.removeprefix("event.")
            if name in known or (
                name.startswith("event.")
                and (field_name in EVENT_FIELDS or field_name.startswith("labels."))
            ):
                continue
            self.error(
                node,
                path,
                f"unknown placeholder ${{{name}}}: use {', '.join(sorted(known))}, "
                "event.<field> or event.labels.<name>",
            )
