"""The senders hub serves: the built-in ones and the declared ones, reloaded with sources.yaml."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from adapters.declared.adapter import DeclaredAdapter
from adapters.declared.load import SourcesError, load_sources
from hub.core.metrics import SOURCES_RELOAD
from hub.core.reloading import Reloading
from hub.core.sources import SourceAdapter

DEFAULT_FILE = Path("sources.yaml")


def declared(path: Path | None, builtin: Mapping[str, SourceAdapter]) -> dict[str, DeclaredAdapter]:
    """The adapters `path` declares; with no path, those of ./sources.yaml if it exists."""
    if path is None and not DEFAULT_FILE.exists():
        return {}
    file = path or DEFAULT_FILE
    if path is not None and not file.exists():
        raise SourcesError([f"HUB_SOURCES: no file at {file}"])
    return {name: DeclaredAdapter(source) for name, source in load_sources(file, builtin).items()}


class DeclaredSources(Reloading[dict[str, DeclaredAdapter]]):
    """The declared adapters now in force; an invalid new file keeps the old ones and says why."""

    def __init__(
        self, path: Path | None, builtin: Mapping[str, SourceAdapter], poll_interval: float = 2.0
    ) -> None:
        super().__init__(
            path or DEFAULT_FILE,
            lambda _: declared(path, builtin),
            "sources",
            SOURCES_RELOAD,
            poll_interval,
        )

    def describe(self, value: dict[str, DeclaredAdapter]) -> dict[str, object]:
        return {"sources": sorted(value)}


class SourceSet(Mapping[str, SourceAdapter]):
    """Every sender by name: the built-in ones, then those declared now."""

    def __init__(self, builtin: Mapping[str, SourceAdapter], declared: DeclaredSources) -> None:
        self.builtin = builtin
        self.declared = declared

    def __getitem__(self, name: str) -> SourceAdapter:
        adapter = self.builtin.get(name)
        return adapter if adapter is not None else self.declared()[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.builtin
        yield from (name for name in self.declared() if name not in self.builtin)

    def __len__(self) -> int:
        return sum(1 for _ in self)
