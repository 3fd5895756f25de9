"""The package layout: imports point down the layers, no cycles, short chains, a small top level."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.paths import REPO

LAYERS: dict[str, int] = {
    "hub.core": 0,
    "adapters": 1,
    "hub.routes": 1,
    "hub.history": 1,
    "hub.backends": 2,
    "hub.actions": 3,
    "hub.receiver": 3,
    "hub.router": 3,
    "hub.deliverer": 3,
    "hub.incident": 3,
    "hub.chatops": 4,
    "hub.ops": 4,
    "hub.factory": 5,
    "hub.service": 6,
    "hub.cli": 7,
    "hub.__main__": 8,
    "hub.testing": 8,
}
"""Each package's layer: a module imports only from lower layers, or within its own package."""

MAX_TOP_LEVEL = 8
MAX_CHAIN = 10


def modules() -> dict[str, Path]:
    """Every module of hub and adapters by dotted name (a package by its own name)."""
    found = {}
    for path in [*REPO.glob("hub/**/*.py"), *REPO.glob("adapters/**/*.py")]:
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _targets(node: ast.AST, here: str, known: dict[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom) and node.module is not None:
        base = node.module
        if node.level:
            package = here.rsplit(".", node.level)[0]
            base = f"{package}.{node.module}"
        for alias in node.names:
            full = f"{base}.{alias.name}"
            yield full if full in known else base
    elif (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        yield node.args[0].value


@cache
def graph() -> dict[str, frozenset[str]]:
    """Module -> the modules it imports, counting every import (TYPE_CHECKING, in functions,
    import_module) and the packages each import runs first (a package's `__init__`)."""
    known = modules()
    edges: dict[str, frozenset[str]] = {}
    for name, path in known.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            for target in _targets(node, name, known):
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    prefix = ".".join(parts[:i])
                    if prefix in known and prefix != name and not name.startswith(prefix + "."):
                        found.add(prefix)
        edges[name] = frozenset(found)
    return edges


def layer(module: str) -> tuple[str, int] | None:
    """The layer package a module belongs to, and its rank."""
    for package, rank in sorted(LAYERS.items(), key=lambda item: -len(item[0])):
        if module == package or module.startswith(package + "."):
            return package, rank
    return None


def test_every_module_has_a_layer() -> None:
    """Each module of hub and adapters sits in one of the named layers (or is a bare package)."""
    homeless = [m for m in graph() if layer(m) is None and m not in ("hub", "hub.backends")]
    assert homeless == []


def test_imports_point_down() -> None:
    """A module imports only from its own package or from a lower layer."""
    upward = []
    for module, targets in graph().items():
        mine = layer(module)
        for target in targets:
            theirs = layer(target)
            if mine is None or theirs is None or mine[0] == theirs[0]:
                continue
            if theirs[1] >= mine[1]:
                upward.append(f"{module} -> {target}")
    assert sorted(upward) == []


def test_no_import_cycles() -> None:
    """No module reaches itself through its imports."""
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_import_chains_are_short() -> None:
    """No chain of imports is longer than MAX_CHAIN modules."""
    edges = graph()

    @cache
    def depth(node: str) -> int:
        return 1 + max((depth(n) for n in edges.get(node, ())), default=0)

    deepest = max(edges, key=depth)
    assert depth(deepest) <= MAX_CHAIN, f"{deepest} starts a chain of {depth(deepest)}"


def test_hub_top_level_is_small() -> None:
    """At most MAX_TOP_LEVEL modules sit directly in hub/ (the rest live in packages)."""
    top = sorted(p.name for p in (REPO / "hub").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


@pytest.mark.parametrize("package", ["hub", "adapters"])
def test_package_inits_import_nothing_of_their_own(package: str) -> None:
    """A package `__init__` does not import its children (which would import through it)."""
    offenders = [
        m
        for m, targets in graph().items()
        if m.split(".")[0] == package
        and m
        in {
            ".".join(p.relative_to(REPO).parts[:-1]) for p in REPO.glob(f"{package}/**/__init__.py")
        }
        and targets
    ]
    assert offenders == []
