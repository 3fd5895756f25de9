"""Shared test fixtures: the webhook samples in tests/fixtures, a SQLite state store."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.backends.sqlite.state import SqliteState
from hub.testing import harness
from tests.paths import FIXTURES

pytest_plugins = ["tests.conftest_integration"]


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The real webhook payloads in tests/fixtures (README.md there names their upstream)."""
    assert FIXTURES.is_dir(), f"webhook fixtures not found at {FIXTURES}"
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Delete the RabbitMQ topology of every test hub, also of those a test stopped by killing
    its processes, so runs do not pile up quorum queues on the shared broker."""
    if not harness.TOPOLOGIES:
        return
    try:
        asyncio.run(harness.delete_topologies(harness.TOPOLOGIES))
    except Exception as exc:  # the broker being down is for the tests to report, not cleanup
        print(f"\ncould not delete the tests' RabbitMQ topologies: {exc}", file=sys.stderr)
