"""Load routes.yaml strictly: every problem named by file, line and key, then compiled."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hub.core.settings import parse_duration
from hub.core.yamlnodes import TAG, ConfigFileError, NodeReader, is_off, join_path, kind, read_text
from hub.routes.matching import (
    MATCH_KEYS,
    Block,
    Condition,
    check_pattern,
    field_condition,
    label_condition,
    parse_severity,
    severity_condition,
)
from hub.routes.quiet import QuietHours, parse_clock, parse_day, parse_zone
from hub.routes.table import UNROUTED, Defaults, Digest, Route, RouteTable

__all__ = ["RouteTable", "RoutesError", "load_routes", "parse_routes"]

_TOP_KEYS = ("version", "channels", "defaults", "routes")
_NOISE_KEYS = ("dedup_window", "quiet_hours")
_DEFAULTS_KEYS = ("thread", "unrouted", *_NOISE_KEYS)
_ROUTE_KEYS = (
    "name",
    "match",
    "exclude",
    "channels",
    "mention",
    "stop",
    "thread",
    "digest",
    *_NOISE_KEYS,
)
_QUIET_KEYS = ("start", "end", "timezone", "days")
_DIGESTS: tuple[Digest, ...] = ("auto", "off")
_CHANNEL_NAME = re.compile(r"#[a-z0-9_\-\u0080-\U0010ffff]{1,80}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]+")
_MENTION = re.compile(r"<[@!#][^<>]+>")


class RoutesError(ConfigFileError):
    """routes.yaml is invalid; `errors` holds every problem as `file:line: key.path: message`."""


def load_routes(path: str | Path) -> RouteTable:
    """Read and compile the routes file at `path`; RoutesError lists everything wrong with it."""
    text = read_text(path, RoutesError)
    return _Loader(str(path)).load(text, Path(path))


def parse_routes(text: str, filename: str = "routes.yaml") -> RouteTable:
    """Compile routes.yaml `text`, naming `filename` in errors."""
    return _Loader(filename).load(text, None)


class _Loader(NodeReader):
    """One pass over the YAML node tree that collects every error before giving up."""

    failure = RoutesError

    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self.aliases: dict[str, str] = {}
        self.broken_aliases: set[str] = set()

    def load(self, text: str, source_path: Path | None) -> RouteTable:
        root = self.compose(text, "expected version: 1 and routes")
        top = self.fields(root, "", _TOP_KEYS, required=("version", "routes"))
        routes: list[Route] = []
        defaults = Defaults()
        if top is not None:
            if "version" in top:
                self.version(top["version"])
            if "channels" in top:
                self.channels(top["channels"])
            if "defaults" in top:
                defaults = self.defaults(top["defaults"])
            if "routes" in top:
                routes = self.routes(top["routes"], defaults)
        self.raise_errors()
        return RouteTable(routes, self.aliases, defaults, source_path)

    def version(self, node: Node) -> None:
        if not (isinstance(node, ScalarNode) and node.tag == TAG + "int" and node.value == "1"):
            self.error(node, "version", f"unsupported version {kind(node)}; expected 1")

    def channels(self, node: Node) -> None:
        for name, value in (self.fields(node, "channels") or {}).items():
            path = join_path("channels", name)
            channel = self.text(value, path)
            if name.startswith("#") or _CHANNEL_ID.fullmatch(name):
                self.error(value, path, "an alias name must not look like a channel")
            elif channel is not None and _is_channel(channel):
                self.aliases[name] = channel
                continue
            elif channel is not None:
                self.error(value, path, f"{channel!r} is not a '#name' or a channel ID")
            self.broken_aliases.add(name)

    def defaults(self, node: Node) -> Defaults:
        fields = self.fields(node, "defaults", _DEFAULTS_KEYS) or {}
        thread = self.boolean(fields["thread"], "defaults.thread") if "thread" in fields else None
        unrouted = (
            self.channel(fields["unrouted"], "defaults.unrouted") if "unrouted" in fields else None
        )
        dedup, quiet = self.noise(fields, "defaults", Defaults())
        return Defaults(True if thread is None else thread, unrouted, dedup, quiet)

    def routes(self, node: Node, defaults: Defaults) -> list[Route]:
        seen: dict[str, int] = {}
        routes = (
            self.route(item, path, defaults, seen) for item, path in self.items(node, "routes")
        )
        return [route for route in routes if route is not None]

    def route(
        self, node: Node, path: str, defaults: Defaults, seen: dict[str, int]
    ) -> Route | None:
        before = len(self.errors)
        fields = self.fields(node, path, _ROUTE_KEYS, required=("name", "match", "channels"))
        if fields is None:
            return None
        name = self.text(fields["name"], f"{path}.name") if "name" in fields else None
        if name is not None:
            self.route_name(fields["name"], f"{path}.name", name, seen)
        match = self.blocks(fields["match"], path, "match") if "match" in fields else ()
        exclude = self.blocks(fields["exclude"], path, "exclude") if "exclude" in fields else ()
        channels = self.strings(fields.get("channels"), f"{path}.channels", self.channel)
        mention = self.strings(fields.get("mention"), f"{path}.mention", self.mention)
        stop = self.boolean(fields["stop"], f"{path}.stop") if "stop" in fields else False
        thread = self.boolean(fields["thread"], f"{path}.thread") if "thread" in fields else None
        digest = self.digest(fields["digest"], f"{path}.digest") if "digest" in fields else "auto"
        dedup, quiet = self.noise(fields, path, defaults)
        if len(self.errors) > before or name is None or stop is None or digest is None:
            return None
        thread = defaults.thread if thread is None else thread
        line = node.start_mark.line + 1
        return Route(
            name, match, channels, exclude, mention, stop, thread, digest, line, dedup, quiet
        )

    def noise(
        self, fields: dict[str, Node], path: str, defaults: Defaults
    ) -> tuple[timedelta | None, QuietHours | None]:
        """`dedup_window` and `quiet_hours` as given, `off`, or else as `defaults` has them."""
        dedup, quiet = defaults.dedup_window, defaults.quiet_hours
        if "dedup_window" in fields:
            dedup = self.dedup_window(fields["dedup_window"], f"{path}.dedup_window")
        if "quiet_hours" in fields:
            quiet = self.quiet_hours(fields["quiet_hours"], f"{path}.quiet_hours")
        return dedup, quiet

    def dedup_window(self, node: Node, path: str) -> timedelta | None:
        if is_off(node):
            return None
        window = self.parsed(node, path, parse_duration)
        if window is not None and window <= timedelta(0):
            self.error(node, path, "must be longer than 0 (or off)")
            return None
        return window

    def quiet_hours(self, node: Node, path: str) -> QuietHours | None:
        if is_off(node):
            return None
        required = ("start", "end", "timezone")
        fields = self.fields(node, path, _QUIET_KEYS, required)
        if fields is None or any(key not in fields for key in required):
            return None
        before = len(self.errors)
        start = self.parsed(fields["start"], f"{path}.start", parse_clock)
        end = self.parsed(fields["end"], f"{path}.end", parse_clock)
        zone = self.parsed(fields["timezone"], f"{path}.timezone", parse_zone)
        days = self.days(fields["days"], f"{path}.days") if "days" in fields else range(7)
        if len(self.errors) > before or start is None or end is None or zone is None:
            return None
        try:
            return QuietHours(start, end, zone, frozenset(days))
        except ValueError as exc:
            self.error(node, path, str(exc))
            return None

    def days(self, node: Node, path: str) -> frozenset[int]:
        items = self.items(node, path)
        if isinstance(node, SequenceNode) and not items:
            self.error(node, path, "must not be an empty list")
        days = (self.parsed(item, where, parse_day) for item, where in items)
        return frozenset(day for day in days if day is not None)

    def route_name(self, node: Node, path: str, name: str, seen: dict[str, int]) -> None:
        if not name:
            self.error(node, path, "must not be empty")
        elif name == UNROUTED:
            self.error(node, path, f"{UNROUTED!r} is reserved for events no route matches")
        elif name in seen:
            self.error(node, path, f"duplicate route name {name!r} (first at line {seen[name]})")
        else:
            seen[name] = node.start_mark.line + 1

    def blocks(self, node: Node, route_path: str, key: str) -> tuple[Block, ...]:
        if key == "match" and isinstance(node, MappingNode):
            labelled = [(node, key)]
        elif isinstance(node, SequenceNode) and node.value:
            labelled = [(item, f"{key}[{i}]") for i, item in enumerate(node.value)]
        else:
            expected = "a match block or a list of them" if key == "match" else "a list of blocks"
            got = "an empty list" if isinstance(node, SequenceNode) else kind(node)
            self.error(node, f"{route_path}.{key}", f"expected {expected}, got {got}")
            return ()
        blocks = (self.block(item, route_path, label) for item, label in labelled)
        return tuple(block for block in blocks if block is not None)

    def block(self, node: Node, route_path: str, label: str) -> Block | None:
        path = f"{route_path}.{label}"
        before = len(self.errors)
        fields = self.fields(node, path, MATCH_KEYS)
        if fields is None:
            return None
        if not fields and label.startswith("exclude"):
            self.error(node, path, "an empty block would exclude every event")
        conditions = [self.condition(key, fields[key], path) for key in MATCH_KEYS if key in fields]
        if len(self.errors) > before:
            return None
        return Block(label, tuple(c for group in conditions for c in group))

    def condition(self, key: str, node: Node, block_path: str) -> list[Condition]:
        path = join_path(block_path, key)
        if key == "severity":
            return [severity_condition(self.values(node, path, parse_severity))]
        if key != "labels":
            return [field_condition(key, self.values(node, path, check_pattern))]
        labels = self.fields(node, path)
        if labels == {}:
            self.error(node, path, "must name at least one label")
        return [
            label_condition(name, self.values(value, join_path(path, name), check_pattern))
            for name, value in (labels or {}).items()
        ]

    def values(self, node: Node, path: str, check: Callable[[str], object]) -> list[str]:
        """A string or a list of strings, each passed through `check` (ValueError: an error)."""
        if isinstance(node, SequenceNode):
            if not node.value:
                self.error(node, path, "must not be an empty list")
            items = [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        else:
            items = [(node, path)]
        values = []
        for item, where in items:
            text = self.text(item, where)
            if text is None:
                continue
            try:
                check(text)
            except ValueError as exc:
                self.error(item, where, str(exc))
                continue
            values.append(text)
        return values

    def strings(
        self, node: Node | None, path: str, convert: Callable[[Node, str], str | None]
    ) -> tuple[str, ...]:
        """A list of strings each converted (None: reported), deduplicated in order."""
        if node is None:
            return ()
        items = self.items(node, path)
        if isinstance(node, SequenceNode) and not items:
            self.error(node, path, "must not be an empty list")
        converted = (convert(item, where) for item, where in items)
        return tuple(dict.fromkeys(value for value in converted if value is not None))

    def channel(self, node: Node, path: str) -> str | None:
        text = self.text(node, path)
        if text is None or text in self.broken_aliases:
            return None
        if text in self.aliases:
            return self.aliases[text]
        if _is_channel(text):
            return text
        if text.startswith("#"):
            rule = "lowercase letters, digits, '-' and '_', at most 80"
            self.error(node, path, f"{text!r} is not a valid channel name ({rule})")
        else:
            close = difflib.get_close_matches(text, self.aliases, n=1)
            if close:
                hint = f"; did you mean {close[0]!r}?"
            elif _is_channel("#" + text):
                hint = (
                    f'; a channel is written with its # and quoted, "#{text}" '
                    "(or define the alias under channels:)"
                )
            else:
                hint = ""
            self.error(node, path, f"undefined alias {text!r}{hint}")
        return None

    def mention(self, node: Node, path: str) -> str | None:
        text = self.text(node, path)
        if text is not None and not _MENTION.fullmatch(text):
            example = "'<@U0123ABC>', '<!subteam^S0123ABC>' or '<!here>'"
            self.error(node, path, f"{text!r} is not a Slack mention: write {example}")
            return None
        return text

    def digest(self, node: Node, path: str) -> Digest | None:
        text = self.text(node, path)
        for digest in _DIGESTS:
            if text == digest:
                return digest
        if text is not None:
            self.error(node, path, f"{text!r} is not a digest mode: use auto or off")
        return None


def _is_channel(text: str) -> bool:
    return bool(_CHANNEL_NAME.fullmatch(text) or _CHANNEL_ID.fullmatch(text))


def read_match(reader: NodeReader, node: Node, parent: str) -> tuple[Block, ...]:
    """A `match:` value under `parent` read exactly as routes.yaml reads one, for another file
    read by `reader` (its errors are collected there)."""
    loader = _Loader(reader.filename)
    loader.errors = reader.errors
    return loader.blocks(node, parent, "match")
