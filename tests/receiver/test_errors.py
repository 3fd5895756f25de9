"""Bad input on the webhook port: the right 4xx with a JSON error body, and nothing published."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
from dataclasses import replace
from pathlib import Path

import pytest

from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import RunningHub, capture_events, run_hub
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
defaults:
  unrouted: "#firehose"
routes: []
"""


def _github_signed(
    body: bytes, event: str = "push", content_type: str = "application/json"
) -> signing.Signed:
    signed = signing.github(body, event)
    return replace(signed, headers={**signed.headers, "Content-Type": content_type})


def _bad_requests(fixtures_dir: Path) -> dict[str, tuple[signing.Signed, int]]:
    ping = (fixtures_dir / "github/ping.json").read_bytes()
    tampered = signing.github(ping, "ping")
    no_event = signing.github(ping, "ping")
    wrong_sig = signing.github(ping, "ping")
    unsigned = signing.github(ping, "ping")
    stale_sentry = signing.sentry(
        (fixtures_dir / "sentry/issue.created.json").read_bytes(), "issue", timestamp=1_000_000_000
    )
    return {
        "malformed json": (_github_signed(b'{"zen": '), 400),
        "empty body": (_github_signed(b""), 400),
        "json array": (_github_signed(b"[1, 2]"), 400),
        "invalid utf-8": (_github_signed(b'{"zen": "\xff\xfe"}'), 400),
        "wrong content type": (_github_signed(ping, "ping", "text/plain"), 415),
        "missing event header": (
            replace(
                no_event,
                headers={k: v for k, v in no_event.headers.items() if k != "X-GitHub-Event"},
            ),
            400,
        ),
        "tampered body": (replace(tampered, body=ping.replace(b"Codertocat", b"Codertocaz")), 401),
        "wrong signature": (
            replace(
                wrong_sig,
                headers={**wrong_sig.headers, "X-Hub-Signature-256": "sha256=" + "0" * 64},
            ),
            401,
        ),
        "missing signature": (
            replace(
                unsigned,
                headers={k: v for k, v in unsigned.headers.items() if "Signature" not in k},
            ),
            401,
        ),
        "stale sentry timestamp": (stale_sentry, 401),
        "unknown source": (replace(signing.github(ping, "ping"), path="/hooks/jenkins"), 404),
    }


async def _assert_nothing_published(hub: RunningHub, slack: FakeSlack, fixtures_dir: Path) -> None:
    """Post one good event after the bad ones: it must be the only thing Slack ever sees."""
    status, body = await hub.post(signing.for_fixture(fixtures_dir / "github/ping.json"))
    assert status == 202
    await slack.wait_for(1, timeout=15)
    await asyncio.sleep(1.0)
    assert [c.metadata["event_payload"]["event_ids"] for c in slack.posts() if c.metadata] == [
        [body["id"]]
    ]


async def test_bad_requests_get_4xx_json_and_publish_nothing(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """Each kind of bad request gets its status and a JSON error; none of them is published."""
    settings = make_settings(ROUTES)
    async with run_hub(settings) as hub:
        for case, (request, expected) in _bad_requests(fixtures_dir).items():
            status, body = await hub.post(request)
            assert status == expected, (case, body)
            assert set(body) == {"error", "message"}, case
            assert body["message"], case
            assert "Traceback" not in body["message"], case
            assert signing.GITHUB_SECRET not in body["message"], case
        await _assert_nothing_published(hub, slack, fixtures_dir)


async def test_oversized_body_is_refused_with_413(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """A 30 MB body is answered 413 without being stored (limit 25 MiB)."""
    body = b'{"zen": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    digest = hmac.new(signing.GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "ping",
        "X-Hub-Signature-256": f"sha256={digest}",
    }
    async with run_hub(make_settings(ROUTES)) as hub:
        async with hub.http.post(
            hub.url + "/hooks/github", data=io.BytesIO(body), headers=headers
        ) as resp:
            assert resp.status == 413
            error = await resp.json()
        assert error["error"] == "payload_too_large"
        await asyncio.sleep(0.5)
    assert slack.posts() == []


async def test_source_without_secret_refuses_and_says_which_variable(
    make_settings: SettingsFactory, fixtures_dir: Path
) -> None:
    """With no HUB_KAPACITOR_TOKEN configured, Kapacitor posts get 401 naming the variable."""
    async with run_hub(make_settings(ROUTES, kapacitor_token=None)) as hub:
        status, body = await hub.post(
            signing.for_fixture(fixtures_dir / "kapacitor/alert.critical.json")
        )
    assert status == 401
    assert "HUB_KAPACITOR_TOKEN" in body["message"]


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_refused_requests_never_reach_the_exchange(
    make_settings: SettingsFactory, fixtures_dir: Path
) -> None:
    """No refused request puts a message on hub.events."""
    settings = make_settings(ROUTES)
    async with run_hub(settings) as hub, capture_events(settings) as bodies:
        for request, _ in _bad_requests(fixtures_dir).values():
            await hub.post(request)
        await asyncio.sleep(0.5)
        assert bodies.empty()


async def test_healthz_on_both_ports_and_metrics_only_on_ops(
    make_settings: SettingsFactory,
) -> None:
    """/healthz answers on both ports; /metrics and /readyz exist only on the ops port."""
    async with run_hub(make_settings(ROUTES)) as hub:
        async with hub.http.get(hub.url + "/healthz") as resp:
            assert resp.status == 200
        async with hub.http.get(hub.ops_url + "/healthz") as resp:
            assert resp.status == 200
        async with hub.http.get(hub.ops_url + "/readyz") as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "ready"
        async with hub.http.get(hub.ops_url + "/metrics") as resp:
            assert resp.status == 200
            assert "hub_webhooks_received_total" in await resp.text()
        for path in ("/metrics", "/readyz"):
            async with hub.http.get(hub.url + path) as resp:
                assert resp.status == 404, path
