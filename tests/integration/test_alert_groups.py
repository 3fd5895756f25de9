"""Alertmanager and Grafana through a real hub: threads, repeats and credentials."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import run_hub
from tests.conftest_integration import SettingsFactory

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - name: prod
    match: [{source: alertmanager, labels: {env: prod}}, {source: grafana, labels: {team: blue}}]
    channels: ["#alerts"]
"""


@pytest.mark.parametrize(
    ("sender", "names"),
    [
        ("alertmanager", ("firing.json", "firing.some-resolved.json", "resolved.json")),
        ("grafana", ("firing.json", "resolved.json")),
    ],
)
async def test_firing_then_resolved_updates_one_thread(
    make_settings: SettingsFactory,
    slack: FakeSlack,
    fixtures_dir: Path,
    sender: str,
    names: tuple[str, ...],
) -> None:
    """A group's notifications post one parent, reply in its thread, and leave it resolved."""
    sign = signing.alertmanager if sender == "alertmanager" else signing.grafana
    async with run_hub(make_settings(ROUTES)) as hub:
        for name in names:
            status, body = await hub.post(sign((fixtures_dir / sender / name).read_bytes()))
            assert (status, body["duplicate"]) == (202, False), body
        await slack.wait_until(lambda: len(slack.posts("#alerts")) == len(names), timeout=30)
        await slack.wait_until(
            lambda: any("RESOLVED" in u.text for u in slack.updates("#alerts")), timeout=30
        )
    parent, *replies = slack.posts("#alerts")
    assert parent.thread_ts is None
    assert "FIRING" in parent.text
    assert [reply.thread_ts for reply in replies] == [parent.ts] * len(replies)
    assert all(update.args["ts"] == parent.ts for update in slack.updates("#alerts"))
    assert "RESOLVED" in slack.updates("#alerts")[-1].text


async def test_unchanged_repeat_is_a_duplicate_and_not_posted(
    make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """Alertmanager's repeat_interval resend of an unchanged group answers duplicate=true."""
    first = (fixtures_dir / "alertmanager" / "firing.json").read_bytes()
    repeat = json.loads(first) | {"notification_reason": "repeat interval elapsed"}
    async with run_hub(make_settings(ROUTES)) as hub:
        posted = await hub.post(signing.alertmanager(first))
        again = await hub.post(signing.alertmanager(json.dumps(repeat).encode()))
        await slack.wait_for(1, timeout=15)
        await asyncio.sleep(0.5)
    assert (posted[1]["duplicate"], again[1]["duplicate"]) == (False, True)
    assert again[1]["id"] == posted[1]["id"]
    assert len(slack.posts("#alerts")) == 1


@pytest.mark.parametrize(
    ("sender", "changes"),
    [
        ("alertmanager", {"Authorization": "Bearer wrong"}),
        ("alertmanager", {"Authorization": None}),
        ("grafana", {"Authorization": "Bearer wrong"}),
        ("grafana", {"X-Grafana-Alerting-Signature": "0" * 64}),
        ("grafana", {"X-Grafana-Alerting-Signature": None}),
    ],
    ids=["am-wrong", "am-missing", "grafana-wrong", "grafana-bad-hmac", "grafana-no-hmac"],
)
async def test_wrong_or_missing_credentials_are_401(
    make_settings: SettingsFactory,
    slack: FakeSlack,
    fixtures_dir: Path,
    sender: str,
    changes: dict[str, str | None],
) -> None:
    """A post without the right token, or (Grafana) without its HMAC, is refused 401."""
    sign = signing.alertmanager if sender == "alertmanager" else signing.grafana
    signed = sign((fixtures_dir / sender / "firing.json").read_bytes())
    headers = {k: v for k, v in ({**signed.headers, **changes}).items() if v is not None}
    async with run_hub(make_settings(ROUTES)) as hub:
        async with hub.http.post(hub.url + signed.path, data=signed.body, headers=headers) as resp:
            status, body = resp.status, await resp.json()
        await asyncio.sleep(0.3)
    assert status == 401, body
    assert body["message"]
    assert signing.GRAFANA_TOKEN not in json.dumps(body)
    assert signing.ALERTMANAGER_TOKEN not in json.dumps(body)
    assert slack.posts() == []
