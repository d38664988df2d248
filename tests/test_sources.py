"""Formats behind one registry: Markdown front matter, Word documents, files kb does not read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.sources import EXTENSIONS, FORMATS, sniff

NOTE = """---
title: Notes on CMO budgets
author: [Ana Ruiz, Tom Lee]
date: 2019-03-04
url: https://example.org/budgets
tags: [marketing, budgets]
---

# Notes on CMO budgets

Forty-four percent of marketers said their budgets are too small to execute their plans.
"""


@pytest.fixture
def runner(fake_env: dict[str, str]) -> CliRunner:
    return CliRunner()


def test_registry_lists_each_format_once() -> None:
    assert {"txt", "md", "html", "pdf", "docx"} <= set(FORMATS)
    assert EXTENSIONS[".pdf"] == "pdf" and EXTENSIONS[".markdown"] == "md"
    assert sniff(b"%PDF-1.7\n") == "pdf" and sniff(b"hello") is None


def test_front_matter_is_metadata_not_text(runner: CliRunner, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text(NOTE, encoding="utf-8")
    assert runner.invoke(cli, ["ingest", str(note)], catch_exceptions=False).exit_code == 0
    doc = json.loads(runner.invoke(cli, ["show", str(note), "--json"]).stdout)
    assert doc["title"] == "Notes on CMO budgets" and doc["author"] == "Ana Ruiz; Tom Lee"
    assert doc["date"] == "2019-03-04" and doc["url"] == "https://example.org/budgets"
    assert "tags:" not in doc["text"] and "Forty-four percent" in doc["text"]
    assert any(r["reason"] == "front matter (read as metadata)" for r in doc["removed"])
    assert runner.invoke(cli, ["verify"]).exit_code == 0


def test_word_documents(runner: CliRunner, tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.core_properties.title = "Quarterly Review"
    d.core_properties.author = "Tom Lee"
    d.add_heading("Quarterly Review", 1)
    d.add_paragraph("Revenue rose 7 percent to $1.2 billion in the quarter.")
    d.save(tmp_path / "review.docx")
    assert (
        runner.invoke(cli, ["ingest", str(tmp_path / "review.docx")], catch_exceptions=False).exit_code == 0
    )
    stats = [json.loads(x) for x in runner.invoke(cli, ["stats", "--json"]).stdout.splitlines()]
    assert {(s["value"], s["unit"]) for s in stats} == {(7, "percent"), (1_200_000_000, "currency")}
    assert stats[0]["doc"]["title"] == "Quarterly Review" and stats[0]["doc"]["author"] == "Tom Lee"


def test_files_kb_does_not_read_are_named_and_counted(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.txt").write_text("Sixty percent of nurses plan to leave the profession within a year.")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04 not read")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n")
    result = runner.invoke(cli, ["ingest", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "slides.pptx: not a format kb reads (.pptx)" in result.stderr
    assert "photo.png: not a format kb reads (.png)" in result.stderr
    assert "1 added" in result.stderr and "2 skipped" in result.stderr


def test_corrected_metadata_outlives_a_reingest(runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "scrape.txt"
    page.write_text("Sixty percent of nurses plan to leave the profession within a year, a poll found.\n")
    assert runner.invoke(cli, ["ingest", str(page)]).exit_code == 0
    result = runner.invoke(
        cli,
        [
            "meta",
            str(page),
            "--title",
            "Nurses Plan to Leave",
            "--author",
            "Ana Ruiz",
            "--date",
            "2021-05-02",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ruiz2021nurses")
    page.write_text(page.read_text() + "\nThe survey was run in April.\n")  # the source changes
    assert runner.invoke(cli, ["ingest", str(page)]).exit_code == 0
    doc = json.loads(runner.invoke(cli, ["show", str(page), "--json"]).stdout)
    assert (doc["title"], doc["author"], doc["date"], doc["citekey"]) == (
        "Nurses Plan to Leave",
        "Ana Ruiz",
        "2021-05-02",
        "ruiz2021nurses",
    )
    bad = runner.invoke(cli, ["meta", str(page), "--date", "yesterday"])
    assert bad.exit_code == 2 and "is not a date" in bad.output
