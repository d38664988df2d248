"""Screenshots of `kb serve` on the shipped corpus with the real model, for the README.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshots/*.png

The default index (index/) is built from corpus/ on first use, as `kb ask` does; the pages are
driven by Playwright in Debian's Chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from bench import _serving  # noqa: E402

from kb.api import KnowledgeBase  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DRAFT = (
    "Sixty-three percent of CIOs say their relationship with the CMO has become closer.\n\n"
    "Only 12 percent of CMOs trust the IT department.\n"
)


def main() -> None:
    from playwright.sync_api import sync_playwright

    index = ROOT / "index"
    if not (index / "kb.sqlite").exists():
        writer = KnowledgeBase(index)
        writer.ingest([ROOT / "corpus"])
        writer.close()
    kb = KnowledgeBase(index, readonly=True)
    url, server = _serving(kb)
    OUT.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 860})
        tab.goto(url + "/?q=what+blocks+collaboration")
        tab.screenshot(path=str(OUT / "search.png"))
        tab.locator("article.hit a.cite").nth(1).click()
        tab.wait_for_load_state("load")
        tab.wait_for_timeout(300)
        tab.screenshot(path=str(OUT / "document.png"))
        tab.goto(url + "/stats?q=CIOs+and+CMOs&unit=%25&sort=-value")
        tab.screenshot(path=str(OUT / "stats.png"))
        tab.goto(url + "/check")
        tab.fill("textarea[name=draft]", DRAFT)
        tab.click("form.check button[type=submit]")
        tab.wait_for_selector("table.checks")
        tab.screenshot(path=str(OUT / "check.png"))
        browser.close()
    server.should_exit = True
    kb.close()
    for png in sorted(OUT.glob("*.png")):
        print(png.relative_to(ROOT))


if __name__ == "__main__":
    main()
