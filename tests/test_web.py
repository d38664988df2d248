"""`kb ingest URL` against a server on 127.0.0.1: new, unchanged and changed pages, the errors,
and show / verify / rebuild with the server stopped (nothing leaves the machine)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli

PAGE = """<!doctype html><html><head><title>Budgets under pressure</title>
<meta name="author" content="Ana Ruiz"></head><body><article><h1>Budgets under pressure</h1>
<p>Forty-four percent of marketers said their budgets are too small to execute their plans, a survey
of 1,200 marketing executives found this spring.</p>
<p>Spending on software rose {rise} percent to $4.5 billion, the fastest growth in a decade, the
report says, and most of it went to analytics.</p></article></body></html>"""


class Site:
    """Pages served from memory; counts requests and conditional ones."""

    def __init__(self) -> None:
        self.rise = 12
        self.version = 1
        self.requests: list[tuple[str, bool]] = []

    def page(self) -> bytes:
        return PAGE.format(rise=self.rise).encode()


@pytest.fixture
def site():
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            state.requests.append((self.path, "If-None-Match" in self.headers))
            etag = f'"v{state.version}"'
            if self.path == "/article.html":
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                body = state.page()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/moved":
                self.send_response(301)
                self.send_header("Location", "/article.html")
                self.end_headers()
            elif self.path.startswith("/loop"):
                self.send_response(302)
                self.send_header("Location", f"/loop{len(self.path)}")
                self.end_headers()
            elif self.path == "/slow":
                time.sleep(1.5)
                self.send_response(200)
                self.end_headers()
            elif self.path == "/big":
                body = b"x" * 200_000
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    state.stop = lambda: (server.shutdown(), server.server_close())
    yield state
    with contextlib.suppress(OSError):
        state.stop()


@pytest.fixture
def runner(fake_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("KB_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("KB_MAX_BYTES", "100000")
    return CliRunner()


def docs(runner: CliRunner) -> list[dict]:
    return [json.loads(x) for x in runner.invoke(cli, ["docs", "--json"]).stdout.splitlines()]


def test_new_unchanged_and_changed_pages(runner: CliRunner, site: Site) -> None:
    url = site.base + "/moved"
    first = runner.invoke(cli, ["ingest", url], catch_exceptions=False)
    assert first.exit_code == 0 and "1 added" in first.stderr, first.output
    (doc,) = docs(runner)
    assert doc["path"] == url and doc["url"] == site.base + "/article.html"  # the final URL
    assert doc["title"] == "Budgets under pressure" and doc["accessed"]
    csl = json.loads(runner.invoke(cli, ["cite", doc["id"], "--format", "csl-json"]).stdout)
    assert csl[0]["type"] == "webpage" and csl[0]["accessed"]["date-parts"]
    again = runner.invoke(cli, ["ingest", url], catch_exceptions=False)
    assert again.exit_code == 0 and "1 unchanged" in again.stderr
    assert site.requests[-1] == ("/article.html", True)  # asked conditionally, answered 304
    site.rise, site.version = 15, 2
    changed = runner.invoke(cli, ["ingest", url], catch_exceptions=False)
    assert changed.exit_code == 0 and "1 updated" in changed.stderr
    assert len(docs(runner)) == 1  # updated in place, never a second copy
    values = {
        s["value"] for s in map(json.loads, runner.invoke(cli, ["stats", "--json"]).stdout.splitlines())
    }
    assert 15 in values and 12 not in values


def test_errors_are_one_line_each_and_the_rest_of_a_list_ingests(
    runner: CliRunner, site: Site, tmp_path: Path
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "# reading list\n"
        + "\n".join(f"{site.base}{p}" for p in ("/missing", "/slow", "/big", "/loop", "/article.html"))
        + "\nftp://example.invalid/file.txt\n"
    )
    result = runner.invoke(cli, ["ingest", "--urls", str(urls)], catch_exceptions=False)
    assert result.exit_code == 1
    err = result.stderr
    assert "/missing: the server answered 404" in err
    assert "/slow: timed out after 0.5 s" in err
    assert "/big: body is 200,000 bytes, over the 100,000-byte limit" in err
    assert "/loop1: more than 5 redirects" in err or "/loop: more than 5 redirects" in err
    assert "only http and https addresses are fetched, not ftp:" in err
    assert "1 added" in err and "Traceback" not in result.output
    assert [d["path"] for d in docs(runner)] == [site.base + "/article.html"]


def test_show_verify_and_rebuild_work_offline(runner: CliRunner, site: Site) -> None:
    url = site.base + "/article.html"
    assert runner.invoke(cli, ["ingest", url]).exit_code == 0
    site.stop()
    n = len(site.requests)
    show = json.loads(runner.invoke(cli, ["show", url, "--json"]).stdout)
    assert "Forty-four percent of marketers" in show["text"]
    assert runner.invoke(cli, ["verify"]).exit_code == 0
    rebuilt = runner.invoke(cli, ["rebuild"], catch_exceptions=False)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert runner.invoke(cli, ["verify"]).exit_code == 0 and len(docs(runner)) == 1
    prune = runner.invoke(cli, ["ingest", "--prune"])
    assert prune.exit_code == 0 and len(docs(runner)) == 1  # a fetched page is never "gone"
    assert len(site.requests) == n  # nothing was fetched again
