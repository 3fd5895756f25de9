"""`hub sources check`, and the lookup of a sender by name for explain and send-sample."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.core.errors import ConfigError
from hub.core.settings import Settings
from hub.core.sources import SourceAdapter

if TYPE_CHECKING:
    from adapters.declared.adapter import DeclaredAdapter


def declared_adapters(path: Path | None) -> dict[str, DeclaredAdapter]:
    """The sources `path` (else HUB_SOURCES, else ./sources.yaml if present) declares."""
    from adapters.declared.live import declared
    from adapters.registry import SOURCES

    return declared(path or Settings().sources, SOURCES)


def find_source(name: str) -> SourceAdapter:
    """The built-in or declared sender called `name`; ConfigError naming the choices if none."""
    from adapters.registry import SOURCES

    if name in SOURCES:
        return SOURCES[name]
    declared = declared_adapters(None)
    if name in declared:
        return declared[name]
    known = ", ".join(sorted({*SOURCES, *declared}))
    raise ConfigError(f"--source: unknown source {name!r}; one of {known}")


@click.group()
def sources() -> None:
    """Check the declared sources (sources.yaml)."""


@sources.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def sources_check(file: Path | None) -> None:
    """Validate sources.yaml (default: HUB_SOURCES); exit 1 with file:line: key errors."""
    from adapters.declared.live import DEFAULT_FILE

    path = file or Settings().sources
    if path is None and not DEFAULT_FILE.exists():
        click.echo(f"{DEFAULT_FILE}: not found, so no sources are declared (HUB_SOURCES names one)")
        return
    try:
        adapters = declared_adapters(path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    names = ", ".join(f"POST /hooks/{name}" for name in sorted(adapters)) or "none"
    click.echo(f"{path or DEFAULT_FILE}: ok, {len(adapters)} sources: {names}")
