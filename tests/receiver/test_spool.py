"""The receiver spool: accepts while RabbitMQ is away, survives restarts, refuses only when full."""

from __future__ import annotations

import asyncio

import pytest

from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import AMQP_URL, run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import CHANNEL_ROUTES, numbered
from tests.tcpproxy import TcpProxy

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("profile", ["distributed"], indirect=True),
]


async def test_full_spool_answers_503_with_retry_after_and_readyz_degraded(
    make_settings: SettingsFactory,
) -> None:
    """Broker away: readyz degraded, the spool takes events; past its cap 503 + Retry-After."""
    proxy = TcpProxy("127.0.0.1", 5672)
    port = await proxy.start()
    settings = make_settings(
        CHANNEL_ROUTES, broker_url=AMQP_URL.replace(":5672", f":{port}"), spool_max_bytes=4000
    )
    try:
        async with run_hub(settings) as hub:
            await proxy.cut()
            statuses = []
            for i in range(20):
                signed = numbered(i)
                async with hub.http.post(
                    hub.url + signed.path, data=signed.body, headers=signed.headers
                ) as r:
                    statuses.append(r.status)
                    if r.status == 503:
                        assert int(r.headers["Retry-After"]) > 0
                        assert (await r.json())["error"] == "unavailable"
                        break
            async with hub.http.get(hub.ops_url + "/readyz") as resp:
                readiness = await resp.json()
    finally:
        await proxy.stop()
    assert statuses[0] == 202, "the first event was not spooled"
    assert statuses[-1] == 503, f"the spool never filled: {statuses}"
    assert readiness["status"] in ("degraded", "unavailable")


async def test_spooled_events_survive_a_receiver_restart(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Events spooled while the broker was away are forwarded by the next run once it is back."""
    proxy = TcpProxy("127.0.0.1", 5672)
    port = await proxy.start()
    settings = make_settings(CHANNEL_ROUTES, broker_url=AMQP_URL.replace(":5672", f":{port}"))
    try:
        async with run_hub(settings) as hub:
            await proxy.cut()
            for i in range(5):
                assert (await hub.post(numbered(i)))[0] == 202
        assert slack.event_ids() == []
        await proxy.restore()
        async with run_hub(settings):
            await slack.wait_for_events(5, timeout=30)
            await asyncio.sleep(0.5)
    finally:
        await proxy.stop()
    assert len(slack.event_ids()) == 5
