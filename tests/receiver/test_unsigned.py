"""HUB_ALLOW_UNSIGNED: the loud warning names only the sources that really accept unsigned posts."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from adapters.registry import SOURCES
from hub.core.event import Event
from hub.core.log import configure_logging
from hub.receiver.app import Receiver


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """hub's JSON log lines into a buffer; the default configuration afterwards."""
    buffer = io.StringIO()
    configure_logging(level="info", fmt="json", stream=buffer)
    try:
        yield buffer
    finally:
        configure_logging()


async def _never(_event: Event, _signed: bytes | None) -> bool:
    raise AssertionError("nothing is published here")


def test_unsigned_warning_skips_a_source_whose_secret_is_set(log_buffer: io.StringIO) -> None:
    """As `make run` with HUB_GITHUB_SECRET set: travis, kapacitor and sentry are warned about,
    github (whose webhooks are still verified) is not."""
    secrets = {"HUB_GITHUB_SECRET": "s3cret"}
    Receiver(SOURCES, secrets.get, _never, 1000, frozenset(SOURCES))
    lines = [json.loads(line) for line in log_buffer.getvalue().splitlines()]
    warned = {line["source"] for line in lines if "UNSIGNED WEBHOOKS" in line["event"]}
    assert warned == set(SOURCES) - {"github"}


def test_a_previous_secret_counts_as_a_secret(log_buffer: io.StringIO) -> None:
    """A source with a current and a previous secret is verified with both, never unsigned."""
    secrets = {"HUB_KAPACITOR_TOKEN": "new", "HUB_KAPACITOR_TOKEN_PREVIOUS": "old"}
    receiver = Receiver(SOURCES, secrets.get, _never, 1000, frozenset({"kapacitor"}))
    assert receiver._secrets(SOURCES["kapacitor"]) == ("new", "old")
    assert "UNSIGNED" not in log_buffer.getvalue()
