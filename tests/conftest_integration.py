"""Fixtures for tests on real services: a fake Slack, and hub settings per profile."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from hub.core.settings import Settings
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import REDIS_URL, SLACK_TOKEN, hub_settings

PROFILES = ("distributed", "embedded")

SettingsFactory = Callable[..., Settings]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A fake Slack Web API on a free local port that expects the test bot token."""
    fake = FakeSlack(token=SLACK_TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture(params=PROFILES)
def profile(request: pytest.FixtureRequest) -> str:
    """Each integration test runs on RabbitMQ+Redis and on the embedded SQLite profile."""
    return str(request.param)


@pytest.fixture
def make_settings(tmp_path: Path, slack: FakeSlack, profile: str) -> SettingsFactory:
    """Build settings for a hub on this test's profile, routes and fake Slack."""

    def build(routes: str, **overrides: Any) -> Settings:
        if profile == "embedded":
            overrides = {"broker_url": None, "state_url": None, **overrides}
        else:
            overrides = {"state_url": REDIS_URL, **overrides}
        return hub_settings(tmp_path, slack.base_url, routes, **overrides)

    return build
