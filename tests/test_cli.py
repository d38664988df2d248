"""CLI contracts: JSON shapes, --index placement, help text, one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture
def runner(fake_env: dict[str, str], tmp_path: Path) -> CliRunner:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return CliRunner()


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_command_has_help(runner: CliRunner) -> None:
    for name, command in cli.commands.items():
        assert command.help, name
        out = run(runner, name, "-h")
        assert "Usage" in out


def test_ask_builds_index_on_first_use_and_prints_citations(runner: CliRunner, tmp_path: Path) -> None:
    out = run(runner, "ask", "what blocks collaboration")
    assert "#1 " in out and "corpus/" in out
    assert out.index("Answer (quoted from the sources):") < out.index("Sources:") < out.index("Passages:")
    assert (tmp_path / "index" / "kb.sqlite").exists()


def test_ask_json_shape(runner: CliRunner, tmp_path: Path) -> None:
    run(runner, "ingest", "corpus", "--index", str(tmp_path / "other"))
    out = run(runner, "ask", "marketing budget", "--json", "-k", "3", "--index", str(tmp_path / "other"))
    answer = json.loads(out)
    assert answer["query"] == "marketing budget"
    assert len(answer["results"]) == 3
    r = answer["results"][0]
    assert {"rank", "score", "text", "start", "end", "doc"} <= set(r)
    assert {"id", "path", "title", "author", "date", "publisher", "url"} <= set(r["doc"])
    shown = json.loads(run(runner, "show", r["doc"]["id"], "--json", "--index", str(tmp_path / "other")))
    assert shown["text"][r["start"] : r["end"]] == r["text"]


def test_ask_batch_answers_in_order(runner: CliRunner, tmp_path: Path) -> None:
    qfile = tmp_path / "q.txt"
    qfile.write_text("first question about budgets\n\nsecond about Forrester\n")
    out = run(runner, "ask", "--batch", str(qfile), "--json")
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["query"] for x in lines] == ["first question about budgets", "second about Forrester"]


def test_clean_json(runner: CliRunner) -> None:
    out = run(runner, "clean", "--json", "corpus/002_56e87b44efce0d55.txt")
    rec = json.loads(out)
    assert {"path", "text", "title", "author", "date", "publisher", "url", "removed"} <= set(rec)
    assert rec["author"] == "Thomas Wailgum" and rec["date"] == "2010-10-04"
    assert all({"text", "reason"} <= set(r) for r in rec["removed"])


def test_stats_and_claims_json(runner: CliRunner) -> None:
    run(runner, "ingest", "-q")
    stats = [json.loads(x) for x in run(runner, "stats", "--json").splitlines()]
    assert stats
    for s in stats:
        assert {"id", "doc", "value", "unit", "population", "sentence", "start", "end"} <= set(s)
        assert isinstance(s["value"], float | int)
    run(runner, "claims", "--json")


def test_show_removed(runner: CliRunner) -> None:
    run(runner, "ingest", "-q")
    out = run(runner, "show", "corpus/004_821587fe1b1220a6.txt", "--removed")
    assert "[newsletter or sign-up] Join the newsletter!" in out  # what it is, not only where


def test_errors_are_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["show", "nope", "--index", str(tmp_path / "empty-index")])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "Error:" in result.stderr
    result = runner.invoke(cli, ["ask"])
    assert result.exit_code == 2


def test_ingest_reports_skips(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"")
    result = runner.invoke(cli, ["ingest", "corpus", "bad.txt"])
    assert result.exit_code == 0
    assert "skipped bad.txt: empty file" in result.stderr
    assert "5 added" in result.stderr


def test_stats_filters_query_and_markdown(runner: CliRunner) -> None:
    run(runner, "ingest", "-q")
    times = [json.loads(x) for x in run(runner, "stats", "--unit", "times", "--json").splitlines()]
    assert [r["value"] for r in times] == [1.3]
    high = [
        json.loads(x) for x in run(runner, "stats", "--min", "70", "--unit", "percent", "--json").splitlines()
    ]
    assert high and all(r["value"] >= 70 for r in high)
    cios = [json.loads(x) for x in run(runner, "stats", "--population", "CIOs", "--json").splitlines()]
    assert cios and all("CIOs" in r["population"] for r in cios)
    ranked = [
        json.loads(x)
        for x in run(runner, "stats", "marketing budget technology", "--json", "-k", "3").splitlines()
    ]
    assert len(ranked) == 3 and ranked[0]["value"] == 22
    md = run(runner, "stats", "marketing budget technology", "--format", "md", "-k", "1")
    assert md.startswith("- 22 per cent of global marketing budget")
    assert md.splitlines()[0].endswith("[@reportcmos]") and "> However, with 22 per cent" in md


def test_claims_by_speaker_and_kind(runner: CliRunner) -> None:
    run(runner, "ingest", "-q")
    brady = [json.loads(x) for x in run(runner, "claims", "--speaker", "Brady", "--json").splitlines()]
    assert len(brady) == 1 and brady[0]["kind"] == "quote"
    assert brady[0]["speaker"].startswith("Liz Brady, senior analyst")
    recs = [json.loads(x) for x in run(runner, "claims", "--kind", "recommendation", "--json").splitlines()]
    assert len(recs) == 7 and all(r["organization"] == "Forrester" for r in recs)


CORPUS_METADATA = {  # (title, author, date) the shipped articles state; None where they state none
    "000_5cbb94a0aa304e13.txt": ("Who's Your Buddy? CIOs and CMOs Forming Effective Alliances", None, None),
    "001_1ef42641c07f7103.txt": ("The CIO and CMO Are Learning to Work Together", "Ernie Smith", None),
    "002_56e87b44efce0d55.txt": (
        "CMOs and CIOs: Can This Relationship Be Saved?",
        "Thomas Wailgum",
        "2010-10-04",
    ),
    "004_821587fe1b1220a6.txt": (
        "Report: CMOs and CIOs need to collaborate more effectively for improved business outcomes",
        None,
        None,
    ),
}


def test_corpus_metadata_cleaned_together(runner: CliRunner) -> None:
    paths = [f"corpus/{name}" for name in CORPUS_METADATA]
    out = run(runner, "clean", "--json", *paths)
    for line in out.splitlines():
        rec = json.loads(line)
        title, author, date = CORPUS_METADATA[Path(rec["path"]).name]
        assert rec["title"] == title
        assert author is None or rec["author"] == author
        assert date is None or rec["date"] == date


def test_one_progress_bar_per_document_with_its_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kb.api import KnowledgeBase
    from kb.cli import BarProgress
    from kb.embed import FakeEmbedder

    calls: list[tuple[str, object]] = []

    class Recording(BarProgress):
        def start(self, total: int, label: str) -> None:
            calls.append(("start", total))
            super().start(total, label)

        def stage(self, label: str) -> None:
            calls.append(("stage", label.split()[0]))
            super().stage(label)

        def advance(self, n: int) -> None:
            calls.append(("advance", n))
            super().advance(n)

    kb = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())
    kb.ingest([CORPUS], progress=Recording(True))
    assert ("start", 5) in calls and [n for k, n in calls if k == "advance"] == [1] * 5  # per document
    stages = [v for k, v in calls if k == "stage"]
    assert stages[0] == "embedding" and stages[-1] == "storing"
    assert "doc" in capsys.readouterr().err  # drawn on stderr
