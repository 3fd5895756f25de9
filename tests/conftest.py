"""Shared test fixtures: paths to the shared webhook samples, a SQLite state store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.sqlite_state import SqliteState

pytest_plugins = ["tests.conftest_integration"]

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The shared webhook fixtures beside the checkout (../shared/fixtures)."""
    assert FIXTURES.is_dir(), f"shared fixtures not found at {FIXTURES}"
    return FIXTURES


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[SqliteState]:
    """A started SQLite state store in a temporary directory (test_state.py has its own)."""
    store = SqliteState(tmp_path)
    await store.start()
    try:
        yield store
    finally:
        await store.close()
