"""The incident page in a real browser: the timeline drawn, the draft to copy, from the drawer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, expect

from hub.backends.sqlite.db import open_data_dir
from hub.backends.sqlite.history import SqliteRecordLog
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import run_hub
from tests.conftest_integration import SettingsFactory
from tests.incident_support import normalized, script
from tests.ops.test_live import ROUTES, WAIT_MS, browser, chromium, open_page, row, save_screenshot

__all__ = ["browser", "chromium"]  # fixtures, used by name


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_incident_page_draws_the_timeline_and_offers_the_draft(
    browser: Browser, make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """From an alert's drawer: events by source, the shaded span, a commit line, the draft."""
    settings = make_settings(ROUTES)
    # The history of the last half hour, as hub would have kept it: the script spread in time.
    history = SqliteRecordLog(open_data_dir(settings.data_dir), settings.event_retention)
    await history.start()
    alert_at = datetime.now(UTC) - timedelta(minutes=20)
    ids = {}
    for step in script():
        event = normalized(step, alert_at)
        ids[step.name] = event.id
        await history.append_event(event)
    await history.close()
    async with run_hub(settings) as hub:
        errors: list[str] = []
        page = await open_page(browser, hub.ops_url + "/", errors)
        await row(page, ids["alert"]).click()
        await page.locator("#incident-link").click()
        await expect(page.locator("#state")).to_have_attribute(
            "data-state", "live", timeout=WAIT_MS
        )
        chart = page.locator("#chart")
        await expect(chart.locator("circle.event")).to_have_count(6)
        await expect(chart.locator("circle.event.own")).to_have_count(2)
        await expect(chart.locator("polyline.commit")).to_have_count(1)
        await expect(chart.locator("rect.span")).to_have_count(1)
        lanes = await chart.locator("text.lane-label").all_text_contents()
        assert lanes == ["github", "travis", "kapacitor", "sentry"]
        await expect(page.locator("#title")).to_contain_text("cpu:service=api,host=web-1")
        draft = await page.locator("#draft").input_value()
        assert "## What changed before it" in draft
        assert "acme/billing" not in draft
        save_screenshot("incident-page.png", await page.screenshot(full_page=True))
        assert errors == [], "the page logged errors (a script error or a CSP violation)"
