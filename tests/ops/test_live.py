"""The live event page in a real browser (Debian's chromium via Playwright) and its SSE stream."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from hub.core.event import Event
from hub.core.severity import Severity
from hub.factory import make_state
from hub.history.entries import Entry, Explanation, MemoryHistory
from hub.ops.app import ops_app
from hub.ops.live import add_live_routes
from hub.router.silences import SilenceStore
from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import RunningHub, run_hub
from tests.conftest_integration import SettingsFactory
from tests.paths import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
WAIT_MS = 15_000

ROUTES = """\
version: 1
channels:
  firehose: "#firehose"
defaults:
  unrouted: firehose
routes:
  - name: alerts
    match: {source: [kapacitor, sentry], severity: ">=warning"}
    channels: ["#ops"]
  - name: github-all
    match: {source: github}
    channels: [firehose]
  - name: sentry-archive
    match: {source: sentry}
    channels: ["#gone"]
"""


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium binary; the test fails (never skips) when it is not installed."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/test-tools.sh"
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """A headless chromium driven by Playwright, closed after the test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def open_page(browser: Browser, url: str, errors: list[str] | None = None) -> Page:
    """A 1280-wide page on `url`, once its event stream is connected; page errors go to `errors`."""
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    if errors is not None:
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    await page.goto(url)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    return page


async def post(hub: RunningHub, fixtures_dir: Path, name: str) -> str:
    """Post one signed shared fixture and return the accepted event's id."""
    status, body = await hub.post(signing.for_fixture(fixtures_dir / name))
    assert status == 202, body
    return str(body["id"])


def row(page: Page, event_id: str) -> Locator:
    """The table row of one event."""
    return page.locator(f'#rows tr[data-id="{event_id}"]')


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_page_shows_filters_pauses_and_explains_live_events(
    browser: Browser, make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """Posted events appear newest first with their status, filter, pause/resume and detail work."""
    slack.channel_errors["#gone"] = "channel_not_found"
    async with run_hub(make_settings(ROUTES)) as hub:
        errors: list[str] = []
        page = await open_page(browser, hub.ops_url + "/", errors)
        ids = [
            await post(hub, fixtures_dir, name)
            for name in (
                "github/ping.json",
                "travis/build.failed.json",
                "kapacitor/alert.critical.json",
            )
        ]
        rows = page.locator("#rows tr")
        await expect(rows).to_have_count(3, timeout=WAIT_MS)
        for event_id in ids:
            await expect(row(page, event_id)).to_have_attribute(
                "data-status", "delivered", timeout=WAIT_MS
            )
        assert await rows.evaluate_all("rs => rs.map(r => r.dataset.id)") == ids[::-1]
        cells = await rows.evaluate_all(
            "rs => rs.map(r => [r.querySelector('.c-source').textContent,"
            " r.querySelector('.c-type').textContent, r.querySelector('.c-status').textContent])"
        )
        assert cells == [
            ["kapacitor", "kapacitor.alert.critical", "delivered"],
            ["travis", "travis.build.failed", "delivered"],
            ["github", "github.ping", "delivered"],
        ]

        visible = page.locator("#rows tr:not([hidden])")
        await page.fill("#filter", "kapacitor")
        await expect(visible).to_have_count(1)
        await expect(visible).to_have_attribute("data-id", ids[2])
        await page.fill("#filter", "#firehose")
        await expect(visible).to_have_count(2)
        await page.fill("#filter", "")
        await expect(visible).to_have_count(3)

        await page.click("#pause")
        paused_id = await post(hub, fixtures_dir, "sentry/issue.created.json")
        await expect(page.locator("#pause")).to_contain_text("new", timeout=WAIT_MS)
        await expect(rows).to_have_count(3)
        await page.click("#pause")
        await expect(rows).to_have_count(4)
        await expect(rows.first).to_have_attribute("data-id", paused_id)
        await expect(rows.first).to_have_attribute("data-status", "failed", timeout=WAIT_MS)
        await expect(rows.first.locator(".tag.failed")).to_have_text("#gone")
        await expect(rows.first.locator(".tag.ok")).to_have_text("#ops")
        save_screenshot("live-page.png", await page.screenshot())

        await row(page, ids[2]).click()
        detail = page.locator("#detail")
        await expect(detail).to_be_visible()
        await expect(detail.locator("pre.payload")).to_contain_text('"level": "CRITICAL"')
        explain = detail.locator("table.explain tr")
        await expect(explain).to_have_count(3)
        await expect(explain.nth(0)).to_contain_text("alerts")
        await expect(explain.nth(0)).to_contain_text("MATCH")
        await expect(explain.nth(1)).to_contain_text("github-all")
        await expect(explain.nth(1)).to_contain_text("NO-MATCH")
        await expect(explain.nth(2)).to_contain_text("sentry-archive")
        await expect(detail.locator(".deliveries")).to_contain_text("#ops")
        save_screenshot("live-page-detail.png", await page.screenshot())
        assert errors == [], "the page logged errors (a script error or a CSP violation)"

        started = time.monotonic()
    assert time.monotonic() - started < 10, "an open event stream held up the shutdown"


def save_screenshot(name: str, png: bytes) -> None:
    """Keep this run's screenshot in test-artifacts/ (docs/img/ holds a reviewed copy)."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(png)


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_ops_token_guards_the_page_but_not_probes(
    browser: Browser, make_settings: SettingsFactory, fixtures_dir: Path
) -> None:
    """With HUB_OPS_TOKEN the page is 401 without it; `/?token=` sets a strict cookie and works."""
    token = "test-ops-token"
    async with run_hub(make_settings(ROUTES, ops_token=token)) as hub:
        for path in ("/", "/api/events", "/api/stream", "/static/app.js"):
            async with hub.http.get(hub.ops_url + path) as resp:
                assert resp.status == 401, path
                assert (await resp.json())["error"] == "unauthorized"
        for path in ("/healthz", "/readyz", "/metrics"):
            async with hub.http.get(hub.ops_url + path) as resp:
                assert resp.status == 200, path
        bearer = {"Authorization": f"Bearer {token}"}
        async with hub.http.get(hub.ops_url + "/api/events", headers=bearer) as resp:
            assert resp.status == 200
        async with hub.http.get(hub.ops_url + "/api/events?token=" + token) as resp:
            assert resp.status == 401, "a token in an API URL is not accepted"

        page = await browser.new_page()
        response = await page.goto(hub.ops_url + "/")
        assert response is not None
        assert response.status == 401
        await page.close()

        page = await open_page(browser, f"{hub.ops_url}/?token={token}")
        assert "token" not in page.url
        (cookie,) = await page.context.cookies()
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert token not in cookie["value"]
        event_id = await post(hub, fixtures_dir, "github/ping.json")
        await expect(row(page, event_id)).to_have_count(1, timeout=WAIT_MS)
        await page.context.close()


class CountingHistory(MemoryHistory):
    """A MemoryHistory that counts its open subscriptions."""

    def __init__(self) -> None:
        super().__init__()
        self.open = 0

    async def subscribe(self) -> AsyncIterator[Entry]:
        """Subscriptions as MemoryHistory's, counted while open."""
        self.open += 1
        try:
            async for entry in super().subscribe():
                yield entry
        finally:
            self.open -= 1


async def until(condition: Callable[[], bool]) -> None:
    """Wait up to 5 s until `condition()` is true."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - polls state that has no event to wait on
            await asyncio.sleep(0.02)


def sample_event(
    event_id: str, source: str = "github", severity: Severity = Severity.INFO
) -> Event:
    """A minimal normalized event."""
    now = datetime.now(UTC)
    return Event(
        id=event_id,
        source=source,
        type=f"{source}.sample",
        time=now,
        receivedat=now,
        severity=severity,
        title=f"sample {event_id}",
        data={"n": event_id},
    )


async def read_until(resp: aiohttp.ClientResponse, marker: bytes) -> bytes:
    """Read the stream until `marker` has arrived; return everything read."""
    seen = b""
    while marker not in seen:
        seen += await asyncio.wait_for(resp.content.readany(), 5)
    return seen


async def test_stream_sends_changes_and_keepalives_and_lets_go_on_disconnect() -> None:
    """The SSE stream carries each change as an `entry` event, keeps alive, and unsubscribes."""
    history = CountingHistory()
    app = web.Application()
    add_live_routes(app, history, None, None, keepalive=0.1)
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        async with http.get(server.make_url("/api/stream")) as resp:
            assert resp.status == 200
            assert resp.content_type == "text/event-stream"
            await until(lambda: history.open == 1)
            await history.record_event(sample_event("e-1"))
            seen = await read_until(
                resp,
                b"\n\n",
            )
            seen += await read_until(resp, b"e-1")
            seen += await read_until(resp, b": keepalive\n\n")
        assert b'event: entry\ndata: {"id":"e-1",' in seen
        await until(lambda: history.open == 0)


async def test_stream_ends_promptly_when_the_ops_app_shuts_down() -> None:
    """Shutting the ops app down ends open streams at once instead of waiting out the timeout."""
    history = CountingHistory()
    server = TestServer(ops_app({}, history))
    await server.start_server()
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/api/stream")) as resp:
        await until(lambda: history.open == 1)
        started = time.monotonic()
        await server.close()
        assert time.monotonic() - started < 5
        assert await resp.content.read() == b"retry: 2000\n\n"
    assert history.open == 0


async def test_events_api_filters_and_explains() -> None:
    """The events API filters by source and minimum severity; the detail fills the explanation."""
    history = MemoryHistory()
    for n, (source, severity) in enumerate(
        [("github", Severity.INFO), ("sentry", Severity.ERROR), ("sentry", Severity.WARNING)]
    ):
        await history.record_event(sample_event(f"e-{n}", source, severity))

    def explain(event: Event) -> list[Explanation]:
        return [Explanation("everything", True, f"matched {event.id}")]

    app = web.Application()
    add_live_routes(app, history, explain, None)
    async with TestServer(app) as server, aiohttp.ClientSession() as http:

        async def get(path: str) -> tuple[int, Any]:
            async with http.get(server.make_url(path)) as resp:
                return resp.status, await resp.json()

        assert [r["id"] for r in (await get("/api/events"))[1]] == ["e-2", "e-1", "e-0"]
        assert [r["id"] for r in (await get("/api/events?source=sentry"))[1]] == ["e-2", "e-1"]
        assert [r["id"] for r in (await get("/api/events?severity=error"))[1]] == ["e-1"]
        assert [r["id"] for r in (await get("/api/events?limit=1"))[1]] == ["e-2"]
        assert (await get("/api/events?severity=loud"))[0] == 400
        assert (await get("/api/events?limit=many"))[0] == 400
        status, detail = await get("/api/events/e-1")
        assert status == 200
        assert detail["explanation"] == [
            {"route": "everything", "matched": True, "reason": "matched e-1"}
        ]
        assert detail["explained_now"] is True
        assert detail["event"]["data"] == {"n": "e-1"}
        assert (await get("/api/events/nope"))[0] == 404
        assert (await get("/static/live.py"))[0] == 404


def _nested(levels: int) -> list[Any]:
    """A JSON array nested `levels` levels deep, built without recursion."""
    outer: list[Any] = []
    inner = outer
    for _ in range(levels - 1):
        inner.append([])
        inner = inner[0]
    return outer


async def test_event_detail_of_deeply_nested_stored_data_never_500s() -> None:
    """Stored payloads nested 300 levels are shown whole, 5,000 levels as a note; never a 500."""
    history = MemoryHistory()
    for event_id, levels in (("deep-300", 300), ("deep-5000", 5000)):
        event = sample_event(event_id).model_copy(update={"data": _nested(levels)})
        await history.record_event(event)
    app = web.Application()
    add_live_routes(app, history, None, None)
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        async with http.get(server.make_url("/api/events/deep-300")) as resp:
            assert resp.status == 200
            assert orjson.loads(await resp.read())["event"]["data"] == _nested(300)
        async with http.get(server.make_url("/api/events/deep-5000")) as resp:
            assert resp.status == 200
            detail = orjson.loads(await resp.read())
        assert detail["event"]["id"] == "deep-5000"
        assert "nested too deeply" in detail["event"]["data"]


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_on_a_laptop_the_drawer_draws_the_slack_message_and_names_the_silence(
    browser: Browser, make_settings: SettingsFactory, slack: FakeSlack, fixtures_dir: Path
) -> None:
    """At 1366×768 the row says what happened, a silenced row names its silence, and the drawer
    draws the Slack message (header, colour bar, fields, buttons) with no raw mrkdwn left."""
    settings = make_settings(ROUTES)
    async with run_hub(settings) as hub:
        state = make_state(settings)
        await state.start()
        try:
            silence, _ = await SilenceStore(state).add(
                {"source": "sentry"}, timedelta(hours=1), "deploy in progress", "alice"
            )
        finally:
            await state.close()
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(hub.ops_url + "/")
        await expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        travis = await post(hub, fixtures_dir, "travis/build.failed.json")
        muted = await post(hub, fixtures_dir, "sentry/issue.created.json")
        await expect(row(page, travis)).to_have_attribute(
            "data-status", "delivered", timeout=WAIT_MS
        )
        await expect(row(page, muted)).to_have_attribute("data-status", "silenced", timeout=WAIT_MS)
        status = row(page, muted).locator(".c-status")
        await expect(status).to_have_attribute("title", re.compile(re.escape(silence.id)))
        subject = row(page, travis).locator(".c-subject")
        await expect(subject).to_contain_text("failed")
        box = await subject.bounding_box()
        assert box is not None
        assert box["width"] >= 250
        assert box["x"] + box["width"] <= 1366

        await row(page, muted).click()
        await expect(page.locator("#detail")).to_contain_text(f"Silenced by {silence.id}")
        await row(page, travis).click()
        # The drawer swaps its content when the fetch answers (and again on a live update of the
        # event): wait for the Travis event, and read the style with a retrying assertion.
        await expect(page.locator("#detail")).to_contain_text(travis)
        drawn = page.locator("#detail .sl-message")
        await expect(drawn).to_be_visible()
        await expect(drawn.locator(".sl-attachment")).to_have_count(1)
        error_bar = "rgb(224, 30, 90)"  # #E01E5A
        await expect(drawn.locator(".sl-attachment")).to_have_css("border-left-color", error_bar)
        await expect(drawn.locator(".sl-field").first).to_be_visible()
        await expect(drawn.locator(".sl-button").first).to_be_visible()
        text = await drawn.inner_text()
        for raw in ("<http", "*", "&gt;"):
            assert raw not in text, text
        drawer = await page.locator("#detail").bounding_box()
        assert drawer is not None
        assert drawer["width"] <= 1366 * 0.6 + 1
        save_screenshot("live-page-laptop.png", await page.screenshot())
        assert errors == []
