"""Photograph hub's Slack messages for docs/slack-messages.md: `.venv/bin/python scripts/…`.

Renders every message of `hub.testing.slack_gallery` with the live page's renderer in Debian's
headless chromium (Playwright; the emoji need Debian's fonts-noto-color-emoji), one PNG per
message in docs/img/slack/, and writes the digest of what they were drawn from to
docs/img/slack/DIGEST. tests/test_docs.py fails when the renderer, a view or a sample changed
since: run this again then.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from playwright.async_api import async_playwright

from hub.testing.slack_gallery import digest, gallery, page_html

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "img" / "slack"
CHROMIUM = "/usr/bin/chromium"


async def main() -> None:
    """Write one PNG per gallery shot and the DIGEST file."""
    shots = gallery()
    OUT.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(
            viewport={"width": 700, "height": 400}, timezone_id="UTC", locale="en-GB"
        )
        await page.set_content(page_html(shots))
        for shot in shots:
            await page.locator(f"#{shot.name}").screenshot(path=str(OUT / f"{shot.name}.png"))
        await browser.close()
    (OUT / "DIGEST").write_text(digest(shots) + "\n")
    sys.stdout.write(f"{len(shots)} pictures in {OUT.relative_to(REPO)}\n")


if __name__ == "__main__":
    asyncio.run(main())
