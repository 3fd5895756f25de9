"""The live set of senders: built-ins and declared ones, reloaded when sources.yaml changes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.declared.live import DeclaredSources, SourceSet
from adapters.declared.load import SourcesError
from adapters.registry import SOURCES

SOURCE = """\
version: 1
sources:
  {name}:
    verify: {{kind: token, secret: HUB_X}}
    fields: {{type: "'event'", title: "title"}}
"""


def _write(path: Path, name: str) -> None:
    path.write_text(SOURCE.format(name=name))


def test_declared_sources_are_served_beside_the_built_in_ones(tmp_path: Path) -> None:
    """The set holds the four built-in senders and each declared one, by name."""
    path = tmp_path / "sources.yaml"
    _write(path, "gitlab")
    senders = SourceSet(SOURCES, DeclaredSources(path, SOURCES))
    assert set(senders) == {*SOURCES, "gitlab"}
    assert senders["gitlab"].secret_env == "HUB_X"
    assert senders["github"] is SOURCES["github"]
    assert "jenkins" not in senders


def test_a_named_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    """HUB_SOURCES naming a missing file fails at start rather than serving nothing."""
    with pytest.raises(SourcesError, match="HUB_SOURCES: no file at"):
        DeclaredSources(tmp_path / "missing.yaml", SOURCES)


def test_no_file_at_the_default_path_declares_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without HUB_SOURCES and without ./sources.yaml only the built-in senders are served."""
    monkeypatch.chdir(tmp_path)
    assert set(SourceSet(SOURCES, DeclaredSources(None, SOURCES))) == set(SOURCES)


def test_reload_swaps_in_the_new_file_and_keeps_the_old_one_when_invalid(tmp_path: Path) -> None:
    """A changed file is in force after reload; a broken one is refused and the old set stays."""
    path = tmp_path / "sources.yaml"
    _write(path, "gitlab")
    declared = DeclaredSources(path, SOURCES)
    senders = SourceSet(SOURCES, declared)

    _write(path, "jenkins")
    assert declared.reload() is True
    assert "jenkins" in senders
    assert "gitlab" not in senders

    path.write_text(SOURCE.format(name="dockerhub").replace("title:", "titel:"))
    assert declared.reload() is False
    assert "jenkins" in senders
    assert "dockerhub" not in senders


async def test_the_watcher_reloads_when_the_file_changes(tmp_path: Path) -> None:
    """With the watcher running, a new sources.yaml is served without a signal."""
    path = tmp_path / "sources.yaml"
    _write(path, "gitlab")
    declared = DeclaredSources(path, SOURCES, poll_interval=0.05)
    senders = SourceSet(SOURCES, declared)
    declared.start()
    try:
        _write(path, "dockerhub")
        for _ in range(100):
            if "dockerhub" in senders:
                break
            await asyncio.sleep(0.05)
        assert "dockerhub" in senders
    finally:
        await declared.stop()
