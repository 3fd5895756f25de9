"""Shared test fixtures: paths to the shared webhook samples."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.conftest_integration"]

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The shared webhook fixtures beside the checkout (../shared/fixtures)."""
    assert FIXTURES.is_dir(), f"shared fixtures not found at {FIXTURES}"
    return FIXTURES
