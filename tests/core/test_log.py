"""hub's JSON log lines carry event id, type, route and channel, and never a secret or signature."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.http_exceptions import LineTooLong

from hub.core.log import configure_logging, get_logger
from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import SLACK_TOKEN, run_hub
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - name: everything
    match: {source: [github, sentry, kapacitor, travis]}
    channels: ["#all"]
"""
CREDENTIAL_HEADERS = (
    "X-Hub-Signature-256",
    "Sentry-Hook-Signature",
    "Signature",
    "Authorization",
    "X-Hub-Token",
)
WRONG_TOKEN = "wrong-kapacitor-token-4f1c"


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """hub's logs as JSON lines at debug level into a buffer; the default config afterwards."""
    buffer = io.StringIO()
    configure_logging(level="debug", fmt="json", stream=buffer)
    try:
        yield buffer
    finally:
        configure_logging()


def wrong_signature(request: signing.Signed, header: str, value: str) -> signing.Signed:
    """The same request with one credential header replaced."""
    return dataclasses.replace(request, headers={**request.headers, header: value})


async def test_logs_name_events_routes_and_channels_but_no_secret(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path, log_buffer: io.StringIO
) -> None:
    """Accepted, routed and delivered events are logged with their ids, type, route and channel,
    while no secret, token or signature header value ever reaches the log."""
    sign = signing.for_fixture
    good = [
        sign(fixtures_dir / "github/pull_request.opened.json"),
        sign(fixtures_dir / "sentry/issue.created.json"),
        sign(fixtures_dir / "travis/build.failed.json"),
        sign(fixtures_dir / "kapacitor/alert.critical.json"),
        dataclasses.replace(
            sign(fixtures_dir / "kapacitor/alert.warning.json"),
            path=f"/hooks/kapacitor?token={signing.KAPACITOR_TOKEN}",
            headers={"Content-Type": "application/json"},
        ),
    ]
    ping = sign(fixtures_dir / "github/ping.json")
    issue = sign(fixtures_dir / "sentry/issue.assigned.json")
    alert = sign(fixtures_dir / "kapacitor/alert.ok-recovery.json")
    bad = [
        wrong_signature(ping, "X-Hub-Signature-256", "sha256=" + "ab" * 32),
        wrong_signature(issue, "Sentry-Hook-Signature", "cd" * 32),
        wrong_signature(alert, "Authorization", f"Bearer {WRONG_TOKEN}"),
        dataclasses.replace(
            alert,
            path=f"/hooks/kapacitor?token={WRONG_TOKEN}",
            headers={"X-Hub-Token": "wrong-header-token-9d2e"},
        ),
    ]
    async with run_hub(make_settings(ROUTES, log_level="debug")) as hub:
        accepted: dict[str, str] = {}
        for request in good:
            status, body = await hub.post(request)
            assert status == 202, body
            accepted[body["id"]] = body["type"]
        for request in bad:
            assert (await hub.post(request))[0] == 401, request.path
        await slack.wait_for(len(good), timeout=20)
        await asyncio.sleep(0.3)  # the last delivery's log line follows Slack's answer

    text = log_buffer.getvalue()
    assert text, "no log line was captured: hub's loggers ignore configure_logging()"
    lines: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines()]

    credentials = {
        signing.GITHUB_SECRET,
        signing.SENTRY_SECRET,
        signing.KAPACITOR_TOKEN,
        SLACK_TOKEN,
        WRONG_TOKEN,
    }
    for request in good + bad:
        for header in CREDENTIAL_HEADERS:
            if header in request.headers:
                credentials.add(request.headers[header].removeprefix("Bearer ").strip())
    leaked = sorted(c for c in credentials if c in text)
    assert not leaked, f"credentials in the log: {leaked}"

    def logged(event_id: str, **fields: str) -> bool:
        """Whether a line names the event and has each field (equal, or in a list value)."""
        return any(
            line.get("event_id") == event_id
            and all(
                line.get(k) == v or (isinstance(line.get(k), list) and v in line[k])
                for k, v in fields.items()
            )
            for line in lines
        )

    for event_id, event_type in accepted.items():
        assert logged(event_id, type=event_type), f"accept of {event_type} not logged"
        assert logged(event_id, routes="everything"), f"routing of {event_type} not logged"
        assert logged(event_id, channel="#all"), f"delivery of {event_type} not logged"
    assert all({"level", "timestamp", "event"} <= line.keys() for line in lines)


def test_configured_secrets_and_credentials_by_shape_never_reach_a_line(
    log_buffer: io.StringIO,
) -> None:
    """A configured secret is redacted as written and JSON-escaped; `Bearer x`, `token=x` and a
    URL's password are redacted whoever they belong to."""
    secret = 'quo"te-s3cret'
    configure_logging(level="debug", fmt="json", stream=log_buffer, secrets=[secret])
    log = get_logger("test")
    log.error("failed", error=f"bad {secret}", url="amqp://hub:rabbit-pw@mq:5672/")
    log.info("sent Authorization: Bearer abc.def and /hooks/kapacitor?token=tok-9&x=1")
    log.info("nodes", urls="amqp://a:pw-one@mq1,amqp://b:pw,two;x@mq2:5672")
    log.info("live page on http://127.0.0.1:9191/ and redis://cache:6379/0")
    text = log_buffer.getvalue()
    for leaked in ("s3cret", "rabbit-pw", "abc.def", "tok-9", "pw-one", "pw,two;x", "two;x"):
        assert leaked not in text
    assert "amqp://hub:[redacted]@mq:5672/" in text
    assert "amqp://a:[redacted]@mq1,amqp://b:[redacted]@mq2:5672" in text
    assert "Bearer [redacted]" in text
    assert "http://127.0.0.1:9191/ and redis://cache:6379/0" in text, "a port taken for a password"


def test_library_records_become_json_lines_without_a_clients_bytes(
    log_buffer: io.StringIO,
) -> None:
    """aiohttp's traceback for a malformed request becomes one JSON line naming the error kind
    only; other library records keep their message, as JSON."""
    try:
        raise LineTooLong(b"/hooks/kapacitor?token=tok-secret-77" + b"a" * 100, 8190)
    except LineTooLong:
        logging.getLogger("aiohttp.server").exception("Error handling request from %s", "1.2.3.4")
    logging.getLogger("asyncio").warning("slow callback %s", "x")
    lines = [json.loads(line) for line in log_buffer.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "malformed HTTP request refused",
        "slow callback x",
    ]
    assert lines[0]["error"] == "LineTooLong"
    assert "tok-secret-77" not in log_buffer.getvalue()
