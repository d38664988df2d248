"""`kb serve` in a real browser: Playwright drives Debian's Chromium against a server on
127.0.0.1. Search, follow a citation to the marked span, filter and export the statistics table,
check a pasted draft. Skipped when no Chromium is installed, unless KB_REQUIRE_BROWSER=1 (CI).
KB_SCREENSHOTS=DIR saves the pages as PNG (scripts/screenshots.py does it on the real model)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from kb.api import KnowledgeBase
from kb.embed import FakeEmbedder
from kb.web import create_app
from tests.conftest import CORPUS

CHROMIUM = os.environ.get("KB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    if os.environ.get("KB_REQUIRE_BROWSER"):
        raise RuntimeError(
            "KB_REQUIRE_BROWSER is set but no chromium is installed (apt-get install chromium)"
        )
    pytest.skip("no chromium installed (apt-get install chromium)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    import uvicorn

    root = tmp_path_factory.mktemp("browser")
    writer = KnowledgeBase(root / "index", embedder=FakeEmbedder())
    writer.ingest([CORPUS])
    writer.close()
    kb = KnowledgeBase(root / "index", embedder=FakeEmbedder(), readonly=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(kb), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    kb.close()


@pytest.fixture(scope="module")
def tab(server: str):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.errors = errors
        yield tab
        browser.close()


def _shot(tab, name: str) -> None:
    folder = os.environ.get("KB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_search_then_follow_a_citation(tab, server: str) -> None:
    tab.goto(server + "/")
    tab.fill("input[name=q]", "what blocks collaboration")
    tab.click("form.search button[type=submit]")
    tab.wait_for_selector("article.hit")
    assert tab.locator("article.hit").count() == 10
    passage = tab.locator("article.hit p.passage").nth(2).inner_text()
    _shot(tab, "search")
    tab.locator("article.hit a.cite").nth(2).click()
    tab.wait_for_load_state("load")
    mark = tab.locator("mark")
    assert " ".join(mark.all_inner_texts()).split() == passage.split()
    tab.wait_for_function(
        "() => { const r = document.querySelector('mark').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }",
        timeout=5000,
    )
    _shot(tab, "document")
    tab.click("details.removed summary")
    assert tab.locator("details.removed").get_attribute("open") is not None
    tab.locator("button.copy").first.click()
    tab.wait_for_function("() => document.querySelector('button.copy').textContent !== 'Copy'", timeout=5000)
    assert tab.errors == []


def test_filter_the_table_and_export(tab, server: str) -> None:
    tab.goto(server + "/stats")
    tab.fill("input[name=unit]", "%")
    tab.fill("input[name=min]", "40")
    tab.click("form.stats-filters button[type=submit]")
    tab.wait_for_load_state("load")
    values = [float(v) for v in tab.locator("td.num").evaluate_all("els => els.map(e => e.dataset.value)")]
    assert values and min(values) >= 40
    tab.click("th a")  # sort by value
    tab.wait_for_load_state("load")
    values = [float(v) for v in tab.locator("td.num").evaluate_all("els => els.map(e => e.dataset.value)")]
    assert values == sorted(values)
    _shot(tab, "stats")
    rows = tab.locator("tbody tr")
    chosen = [rows.nth(i).locator("td b").first.inner_text() for i in (0, 1)]
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    tab.click("button[value=md]")
    tab.wait_for_load_state("load")
    exported = tab.locator("body").inner_text()
    assert all(f"- {figure}" in exported for figure in chosen)
    assert exported.count("\n- ") + exported.startswith("- ") <= 2
    tab.go_back()
    tab.click("input.select-all")
    assert all(tab.locator("tbody input[type=checkbox]").evaluate_all("els => els.map(e => e.checked)"))


def test_paste_a_draft(tab, server: str) -> None:
    tab.goto(server + "/check")
    tab.fill(
        "textarea[name=draft]",
        "Sixty-three percent of CIOs say the relationship has become closer.\n\n"
        "The widget market grew 17.5 percent last year.\n",
    )
    tab.click("form.check button[type=submit]")
    tab.wait_for_selector("table.checks")
    verdicts = tab.locator("span.verdict").all_inner_texts()
    assert [v.lower() for v in verdicts] == ["sourced", "unsourced"]
    _shot(tab, "check")
    assert tab.errors == []
