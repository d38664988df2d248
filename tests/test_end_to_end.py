"""End to end with the real model on the shipped corpus, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.mark.slow
def test_ask_shipped_corpus_with_real_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KB_EMBEDDER", raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CORPUS, tmp_path / "corpus")
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
