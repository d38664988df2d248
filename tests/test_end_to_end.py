"""End to end with the real model on the shipped corpus, through the CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def real_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped corpus; tests run the CLI from there with the real model."""
    from kb.api import KnowledgeBase
    from kb.embed import get_embedder

    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(CORPUS, root / "corpus")
    here = os.getcwd()
    os.chdir(root)  # documents are stored under the paths the user typed
    try:
        kb = KnowledgeBase(root / "idx", embedder=get_embedder("numpy"))
        kb.ingest(["corpus"])
        kb.close()
    finally:
        os.chdir(here)
    return root


@pytest.fixture
def in_real_kb(real_kb: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KB_EMBEDDER", raising=False)
    monkeypatch.chdir(real_kb)
    return real_kb


@pytest.mark.slow
def test_ask_shipped_corpus_with_real_model(in_real_kb: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["ask", "what blocks collaboration", "--json", "-k", "5", "--index", "idx"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    texts = [r["text"] for r in answer["results"]]
    # The IRG passage on infrequent communication, siloed teams and lack of trust.
    assert any("infrequent communication, siloed teams" in t for t in texts)
    # The IT executives' complaints (bypassed, lacking time) are evidence too.
    assert any("lack the time and technical resources" in t for t in texts)
    # Statistics are extracted and offsets hold against the stored clean text.
    stats = [
        json.loads(x) for x in runner.invoke(cli, ["stats", "--json", "--index", "idx"]).stdout.splitlines()
    ]
    assert len(stats) >= 36
    first = answer["results"][0]
    shown = json.loads(runner.invoke(cli, ["show", first["doc"]["id"], "--json", "--index", "idx"]).stdout)
    assert shown["text"][first["start"] : first["end"]] == first["text"]
    # Second ingest embeds nothing.
    again = runner.invoke(cli, ["ingest", "corpus", "--index", "idx"])
    assert "0 texts embedded" in again.stderr


@pytest.mark.slow
def test_no_answer_where_the_corpus_has_none(in_real_kb: Path) -> None:
    """MiniLM's calibrated floor: an off-topic question gets the nearest passages and no answer."""
    runner = CliRunner()
    off = json.loads(
        runner.invoke(cli, ["ask", "what is the capital of Australia", "--json", "--index", "idx"]).stdout
    )
    assert off["answered"] is False and off["answer"] is None and off["results"]
    text = runner.invoke(cli, ["ask", "what is the capital of Australia", "--index", "idx"]).stdout
    assert "No passage answers this well" in text
    on = json.loads(
        runner.invoke(cli, ["ask", "what blocks collaboration", "--json", "--index", "idx"]).stdout
    )
    assert on["answered"] is True and on["answer"]["themes"]


EXPECTED_DRAFT = [  # (line, figure as written, verdict, value the sources give)
    (5, "63 percent", "sourced", "63 percent"),
    (8, "two-thirds", "sourced", "64 percent"),  # the source says "Nearly two-thirds (64 percent)"
    (8, "64 percent", "sourced", "64 percent"),
    (11, "47 percent", "mismatched", "44 percent"),
    (14, "12 per cent", "sourced", "12 per cent"),
    (19, "85 percent", "mismatched", "Fifty per cent"),
    (22, "37 percent", "unsourced", None),
    (24, "39 percent", "sourced", "39 percent"),
    (26, "70 percent", "mismatched", "71 percent"),
    (28, "52 percent", "unsourced", None),  # about CIOs, like many sourced figures, but not said
    (28, "40 percent", "unsourced", None),
]


@pytest.mark.slow
def test_check_classifies_the_sample_draft(in_real_kb: Path) -> None:
    """Sourced, altered and unsourced figures; the date, the list numbers and "2 of 3" are ignored."""
    runner = CliRunner()
    draft = Path(__file__).parent / "data" / "draft.md"
    result = runner.invoke(cli, ["check", str(draft), "--json", "--index", "idx"])
    assert result.exit_code == 1, result.output  # mismatches fail the check
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    got = [(r["line"], r["text"], r["status"], (r.get("match") or {}).get("text")) for r in rows]
    assert got == EXPECTED_DRAFT
    sourced = next(r for r in rows if r["line"] == 5)
    assert sourced["citation"] == "[@smithcio]"
    match = sourced["match"]
    shown = json.loads(runner.invoke(cli, ["show", match["doc"]["id"], "--json", "--index", "idx"]).stdout)
    assert shown["text"][match["start"] : match["end"]] == match["text"]


@pytest.mark.slow
def test_verify_passes_then_reports_an_edited_source(in_real_kb: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "corpus", "-q", "--index", "idx"]).exit_code == 0
    ok = runner.invoke(cli, ["verify", "--json", "--index", "idx"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["ok"] and report["documents"] == 5 and report["records"] > 250
    edited = in_real_kb / "corpus" / "002_56e87b44efce0d55.txt"
    original = edited.read_bytes()
    try:
        edited.write_bytes(original.replace(b"64 percent", b"65 percent"))
        bad = runner.invoke(cli, ["verify", "--json", "--index", "idx"])
        assert bad.exit_code == 1
        problems = json.loads(bad.stdout)["problems"]
        assert [(p["path"], p["kind"]) for p in problems] == [(str(edited.resolve()), "stale")]
    finally:
        edited.write_bytes(original)
