"""PDF reports of our own, drawn with reportlab: reading order, paragraphs, hyphens, running
headers and footers, pages on every record, and the PDFs kb must refuse with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli

pytest.importorskip("reportlab")
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

W, H = letter
LEFT = [
    "The survey of 1,200 chief marketing",
    "officers found that budgets are under",
    "pressure, and that better commu-",
    "nication with IT remains the first",
    "priority for most of them.",
]
RIGHT = [
    "Forty-four percent of marketers said",
    "their budgets are not big enough to",
    "execute their plans, while 31 percent",
    "said they lacked the skills.",
]
PAGE2 = [
    "Spending on cloud software rose 12 percent to $4.5 billion in 2019,",
    "the report says, the fastest growth in a decade.",
]


def draw_report(path: Path, encrypt: str | None = None) -> Path:
    """Two pages: page 1 in two columns, a running header, and "Page N of 2" footers."""
    c = canvas.Canvas(str(path), pagesize=letter, encrypt=encrypt)
    c.setTitle("Marketing Budgets Under Pressure")
    c.setAuthor("Ana Ruiz")
    for number, columns in ((1, (LEFT, RIGHT)), (2, (PAGE2,))):
        c.setFont("Helvetica", 8)
        c.drawString(72, H - 40, "Acme Research | Marketing Budgets 2019")
        c.drawRightString(W - 72, 30, f"Page {number} of 2")
        c.setFont("Helvetica", 10)
        for i, lines in enumerate(columns):
            x = 72 + i * (W / 2 - 36)
            for k, line in enumerate(lines):
                c.drawString(x, H - 120 - 14 * k, line)
        c.showPage()
    c.save()
    return path


@pytest.fixture
def runner(fake_env: dict[str, str]) -> CliRunner:
    return CliRunner()


def test_pdf_text_pages_and_removed_chrome(runner: CliRunner, tmp_path: Path) -> None:
    pdf = draw_report(tmp_path / "report.pdf")
    result = runner.invoke(cli, ["ingest", str(pdf)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(runner.invoke(cli, ["show", str(pdf), "--json"]).stdout)
    text = doc["text"]
    assert (
        "better communication with IT remains the first priority" in text
    )  # hyphenated at a line end, joined
    assert "Acme Research" not in text and "Page 1 of 2" not in text
    assert text.index("priority for most") < text.index("Forty-four percent")  # left column first
    assert doc["title"] == "Marketing Budgets Under Pressure" and doc["author"] == "Ana Ruiz"
    assert [p["page"] for p in doc["pages"]] == [1, 2]
    assert text[doc["pages"][1]["start"] : doc["pages"][1]["end"]].startswith("Spending on cloud software")
    reasons = {r["reason"] for r in doc["removed"]}
    assert reasons == {"running header, footer or page number"}
    stats = [json.loads(x) for x in runner.invoke(cli, ["stats", "--json"]).stdout.splitlines()]
    pages = {s["value_text"]: s["page"] for s in stats}
    assert pages["Forty-four percent"] == 1 and pages["$4.5 billion"] == 2
    stat = next(s for s in stats if s["value_text"] == "$4.5 billion")
    assert text[stat["start"] : stat["end"]] == "$4.5 billion"
    md = runner.invoke(cli, ["cite", stat["id"], "--format", "md"]).stdout
    assert "(p. 2)" in md
    hits = json.loads(runner.invoke(cli, ["ask", "cloud software spending", "--json"]).stdout)["results"]
    assert hits[0]["page"] == 2
    assert runner.invoke(cli, ["verify"]).exit_code == 0


def test_pdfs_kb_cannot_read_are_skipped_with_the_reason(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "pdfs"
    folder.mkdir()
    draw_report(folder / "locked.pdf", encrypt="secret")
    scan = canvas.Canvas(str(folder / "scan.pdf"), pagesize=letter)
    scan.rect(72, 72, 300, 400, fill=1)  # an image of a page: no text layer
    scan.showPage()
    scan.save()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntrailer\n%%EOF garbage")
    draw_report(folder / "good.pdf")
    result = runner.invoke(cli, ["ingest", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "locked.pdf: encrypted PDF" in err
    assert "scan.pdf: PDF has no text layer" in err
    assert "broken.pdf: broken PDF" in err
    assert "1 added" in err and "3 skipped" in err
