"""Across sources: copies answer once, one figure reported by many, figures that disagree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli

BODY = [
    "The city council said {v} percent of its budget will go to transit projects over the next decade, "
    "a share that critics argued needs far more public scrutiny before the vote next spring.",
    "Council members spent hours debating the plan, which also covers road repairs, new bus lanes and a "
    "long list of smaller projects that residents asked for at public meetings last year.",
    "Officials expect construction on the first projects to begin in the autumn, once contracts are "
    "signed and the state has approved the share of the money that it will provide to the city.",
    "Residents who spoke at the meeting were divided, with some praising the focus on buses and others "
    "warning that the plan does too little for drivers who commute from the suburbs every day.",
    "The mayor is expected to sign the budget within days, after which the transit agency will publish "
    "a detailed timeline for each project on its website for residents to follow along.",
]


def article(headline: str, menu: str, value: int, drop: int | None = None) -> str:
    paras = [p.format(v=value) for i, p in enumerate(BODY) if i != drop]
    return f"{menu}\n\n{headline}\n\n" + "\n\n".join(paras) + "\n"


@pytest.fixture
def runner(fake_env: dict[str, str], tmp_path: Path) -> CliRunner:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "original.txt").write_text(article("Council Backs Transit Plan", "Home | Local | Sport", 40))
    (folder / "copy.txt").write_text(article("Transit Plan Wins Vote", "Menu | Weather | Jobs", 40, drop=2))
    (folder / "quote.txt").write_text(
        "Weekly Digest | Archive\n\nWhat we read this week\n\nA story caught our eye this week. "
        + BODY[0].format(v=40)
        + " We will follow it.\n\nSee you next week.\n"
    )
    (folder / "other.txt").write_text(
        "Research Notes | About\n\nA second look\n\nOur review found a different picture. "
        + BODY[0].format(v=25)
        + "\n\nThe underlying data have not been published.\n"
    )
    r = CliRunner()
    assert r.invoke(cli, ["ingest", str(folder)], catch_exceptions=False).exit_code == 0
    return r


def test_copies_are_linked_and_answer_once(runner: CliRunner) -> None:
    docs = {
        Path(d["path"]).name: d
        for d in map(json.loads, runner.invoke(cli, ["docs", "--json"]).stdout.splitlines())
    }
    assert docs["original.txt"]["duplicates"] == [docs["copy.txt"]["id"]]
    assert docs["copy.txt"]["duplicates"] == [docs["original.txt"]["id"]]
    assert "duplicates" not in docs["quote.txt"]
    hits = json.loads(runner.invoke(cli, ["ask", "transit budget share", "--json", "-k", "10"]).stdout)[
        "results"
    ]
    names = [Path(h["doc"]["path"]).name for h in hits]
    assert not ({"original.txt", "copy.txt"} <= set(names))  # one work, one place in the results
    first = next(h for h in hits if Path(h["doc"]["path"]).name in ("original.txt", "copy.txt"))
    assert [Path(d["path"]).name for d in first.get("also_in", [])] in (["copy.txt"], ["original.txt"])


def test_one_figure_many_sources_and_a_disagreement(runner: CliRunner) -> None:
    stats = [json.loads(x) for x in runner.invoke(cli, ["stats", "--json"]).stdout.splitlines()]
    forty = [s for s in stats if s["value"] == 40]
    assert len(forty) == 3  # the original, its copy and the quote each keep the figure
    for s in forty:
        assert len(s["also_in"]) == 2 and all(link["doc"] != s["doc"]["id"] for link in s["also_in"])
        assert s["disputed"]  # another work gives 25 percent for the same share
    conflicts = [json.loads(x) for x in runner.invoke(cli, ["conflicts", "--json"]).stdout.splitlines()]
    values = [sorted({f["value"] for f in c["figures"]}) for c in conflicts]
    assert [25.0, 40.0] in values and all(len(v) >= 2 for v in values)
    text = runner.invoke(cli, ["conflicts"]).stdout
    assert "25 percent" in text and "40 percent" in text


def test_check_says_when_a_sourced_figure_is_contradicted(runner: CliRunner, tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text("The city council said 40 percent of its budget will go to transit projects.\n")
    result = runner.invoke(cli, ["check", str(draft), "--json"])
    (verdict,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert verdict["status"] == "sourced"
    assert [c["value"] for c in verdict["contradicted_by"]] == [25.0]
    assert "but [@" in runner.invoke(cli, ["check", str(draft)]).stdout


def test_markdown_shows_one_figure_with_all_its_sources(runner: CliRunner) -> None:
    md = runner.invoke(cli, ["stats", "transit budget", "--format", "md"]).stdout
    forty = [line for line in md.splitlines() if line.startswith("- 40 percent")]
    assert len(forty) == 1 and forty[0].count("@") == 3  # one line, three documents cited


def test_cite_of_a_grouped_figure_cites_every_document_it_was_read_in(runner: CliRunner) -> None:
    import bibtexparser

    stats = [json.loads(x) for x in runner.invoke(cli, ["stats", "--json"]).stdout.splitlines()]
    forty = next(s for s in stats if s["value"] == 40)
    keys = {forty["doc"]["citekey"], *(link["citekey"] for link in forty["also_in"])}
    assert len(keys) == 3
    md = runner.invoke(cli, ["cite", forty["id"]]).stdout
    quoted = next(line for line in md.splitlines() if line.startswith("> "))
    assert {m for m in re.findall(r"\[\^([^\]]+)\]", quoted)} == keys  # one marker per document
    assert all(f"[^{k}]: " in md for k in keys)
    bib = bibtexparser.parse_string(runner.invoke(cli, ["cite", forty["id"], "--format", "bibtex"]).stdout)
    assert {e.key for e in bib.entries} == keys


def _partition(labels: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for item, label in labels.items():
        out.setdefault(label, set()).add(item)
    return {frozenset(v) for v in out.values()}


def test_stored_links_equal_the_whole_collection_s_as_documents_come_and_go(
    tmp_path: Path, monkeypatch
) -> None:
    """The figure groups ingest keeps, and the disagreements `kb stats QUERY` looks up per record,
    equal linking the whole collection from scratch, on a random collection with copies and
    conflicts, after adds, edits that change figures, new copies and prunes."""
    import random

    import kb.query as query
    from kb.api import KnowledgeBase
    from kb.embed import FakeEmbedder
    from kb.linking import figure_groups
    from kb.query import _with_doc_ids, links, with_docs

    rng = random.Random(7)
    who = ["chief information officers", "hospital nurses", "retail marketers", "school teachers"]
    what = [
        "said their budgets are too small to execute their plans",
        "reported that artificial intelligence is now a priority",
        "expect to hire more staff before the end of the year",
    ]

    def note(n: int) -> str:
        lines = [f"Survey note {n}", ""]
        for _ in range(4):
            value = rng.choice([20, 25, 40, 44])
            lines += [f"In the poll, {value} percent of {rng.choice(who)} {rng.choice(what)}.", ""]
        return "\n".join(lines)

    folder = tmp_path / "docs"
    folder.mkdir()
    texts = {f"note{n:02}.txt": note(n) for n in range(24)}
    for name, text in texts.items():
        (folder / name).write_text(text)
    # a chain: A and C report one figure only through B, so removing B splits the group
    for name, pop in (
        ("chain_a", "hospital nurses"),
        ("chain_b", "school nurses"),
        ("chain_c", "school teachers"),
    ):
        (folder / f"{name}.txt").write_text(
            f"Chain {name}\n\nBy March, 37 percent of {pop} had a flu shot.\n"
        )
    base = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())

    def check() -> None:
        store = base.store
        every = _with_doc_ids(store, store.statistics())
        fresh = {
            every[i]["id"]: min(every[j]["id"] for j in g)
            for g in figure_groups(every, store.copy_groups())
            for i in g
        }
        assert _partition(store.figure_group_ids()) == _partition(fresh)
        records = with_docs(store, store.statistics())
        alone = {r["id"]: links(store, [r]) for r in records}  # one record: its own candidates
        with monkeypatch.context() as m:
            m.setattr(query, "WHOLE_SHARE", 0.0)
            also, against = links(store, records)  # disagreements linked whole
        assert sum(bool(v) for v in also.values()) > 5 and sum(bool(v) for v in against.values()) > 5
        for r in records:
            one_also, one_against = alone[r["id"]]
            assert [x["id"] for x in one_also[r["id"]]] == [x["id"] for x in also[r["id"]]]
            assert [x["id"] for x in one_against[r["id"]]] == [x["id"] for x in against[r["id"]]]

    base.ingest([folder])
    assert len(base.store.statistics()) >= 80  # (a line repeated across many notes is site chrome, removed)
    check()
    chain = [r for r in base.store.statistics() if r["value_text"] == "37 percent"]
    assert (
        len(chain) == 3
        and len(_partition({r["id"]: base.store.figure_group_ids()[r["id"]] for r in chain})) == 1
    )
    (folder / "chain_b.txt").unlink()
    for step in range(3):
        for name in rng.sample(sorted(texts), 4):  # edits that change figures
            texts[name] = note(100 + step)
            (folder / name).write_text(texts[name])
        copy_of = rng.choice(sorted(texts))  # a new copy of one work: its figures are not other sources
        (folder / f"copy{step}.txt").write_text("Reposted from our partner site\n\n" + texts[copy_of])
        for name in rng.sample(sorted(texts), 2):  # and some are removed
            (folder / name).unlink()
            del texts[name]
        base.ingest([folder], prune=True)
        check()
    chain = [r for r in base.store.statistics() if r["value_text"] == "37 percent"]
    assert (
        len(chain) == 2
        and len(_partition({r["id"]: base.store.figure_group_ids()[r["id"]] for r in chain})) == 2
    )
    base.close()


def test_an_index_from_before_record_links_is_migrated(runner: CliRunner, tmp_path: Path) -> None:
    """An index written before the record tables existed gets them filled from its records on open,
    and `kb stats QUERY` and `kb claims QUERY` rank from them."""
    import sqlite3

    db = sqlite3.connect(Path("index") / "kb.sqlite")
    before = db.execute("SELECT count(*) FROM record_sentences").fetchone()[0]
    groups = db.execute("SELECT stat_id, grp FROM figure_groups ORDER BY 1").fetchall()
    keys = db.execute("SELECT count(*) FROM stat_blocks").fetchone()[0]
    assert before > 0 and keys > 0
    db.executescript(
        "DROP TABLE record_sentences; DROP TABLE stat_blocks; DROP TRIGGER stat_blocks_gone; DROP TABLE statement_vectors;"
        " DROP TABLE stat_terms; DROP TABLE figure_groups;"
        " DROP INDEX statistics_value; DROP INDEX claims_kind; DROP INDEX documents_sha; DROP INDEX statistics_doc_value;"
        " DELETE FROM migrations WHERE name IN ('m009_record_links', 'm010_link_indexes', 'm011_sentence_cells'); DROP TABLE figure_cells;"
    )
    db.close()
    result = runner.invoke(cli, ["stats", "transit budget", "--json"])
    assert result.exit_code == 0, result.output
    assert any("transit" in json.loads(line)["sentence"] for line in result.stdout.splitlines())
    db = sqlite3.connect(Path("index") / "kb.sqlite")
    assert db.execute("SELECT count(*) FROM record_sentences").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM stat_blocks").fetchone()[0] == keys
    assert db.execute("SELECT stat_id, grp FROM figure_groups ORDER BY 1").fetchall() == groups
    db.close()


def test_conflict_blocks_miss_no_disagreement() -> None:
    """Every pair of figures that disagree meets in a conflict block: the blocked search equals
    testing all pairs, on random figures with one- and many-word populations and measures."""
    import random

    from kb.linking import about, conflict_keys, conflict_links, conflict_query_keys, conflicting

    rng = random.Random(3)
    words = ["nurses", "hospital", "rural", "school", "teachers", "senior", "chief", "officers"]
    measures = ["had a flu shot", "said budgets are too small", "plan to retire", "", "expect raises"]
    records = []
    for n in range(300):
        pop = " ".join(rng.sample(words, rng.choice([1, 1, 2, 3])))
        records.append(
            {
                "id": f"s{n}",
                "doc_id": f"d{n % 40}",
                "unit": "percent",
                "value": float(rng.choice([20, 25, 30, 44, 90])),
                "population": pop,
                "measure": rng.choice(measures) or None,
                "sentence": f"sentence {n}",
            }
        )
    stated = {(r["doc_id"], r["unit"], r["value"]) for r in records}

    def states(doc: str, unit: str, value: float) -> bool:
        return (doc, unit, value) in stated

    brute: dict[int, set[int]] = {}
    for i, a in enumerate(records):
        for j, b in enumerate(records):
            if i != j and conflicting(a, b, about(a), about(b), {}, states):
                brute.setdefault(i, set()).add(j)
    assert sum(len(v) for v in brute.values()) > 100
    assert conflict_links(records, {}) == brute
    filed: dict[str, set[int]] = {}
    for j, b in enumerate(records):
        for key in conflict_keys(b):
            filed.setdefault(key, set()).add(j)
    for i, a in enumerate(records):  # each record finds them all by its own look-up (kb stats QUERY)
        found = set().union(*(filed.get(key, set()) for key in conflict_query_keys(a)))
        assert brute.get(i, set()) <= found


def test_linking_a_new_figure_does_not_read_every_copy_of_it(tmp_path: Path) -> None:
    """A figure that many documents report is one group: linking one more document's figure reads
    that group once (a seek), not every earlier report of it. Counted in SQLite VM steps of the
    link work alone, with 8 and with 48 earlier reports: the same, give or take a little."""
    import random

    from kb.api import KnowledgeBase
    from kb.embed import FakeEmbedder
    from kb.store import Store

    words = "amber basil cedar delta ember fjord grove harbor inlet juniper kestrel lumen".split()

    def doc(n: int) -> str:
        rng = random.Random(n)
        filler = " ".join(rng.choice(words) + str(rng.randint(0, 99)) for _ in range(60))
        return (
            f"Report {n}\n\nThe survey found that 37 percent of marketing executives plan to raise "
            f"budgets next year, a finding echoed in note {n}.\n\n{filler}.\n"
        )

    steps: dict[int, int] = {}
    original = Store._relink_figures
    for earlier in (8, 48):
        folder = tmp_path / f"docs{earlier}"
        folder.mkdir()
        for n in range(earlier):
            (folder / f"d{n:03d}.txt").write_text(doc(n))
        kb = KnowledgeBase(tmp_path / f"idx{earlier}", embedder=FakeEmbedder())
        kb.ingest([folder], jobs=1)
        (folder / "new.txt").write_text(doc(999))
        count = [0]

        def counted(self, *args, count=count, **kwargs):  # type: ignore[no-untyped-def]
            self.db.set_progress_handler(lambda: count.__setitem__(0, count[0] + 1) or 0, 100)
            try:
                return original(self, *args, **kwargs)
            finally:
                self.db.set_progress_handler(None, 100)

        Store._relink_figures = counted  # type: ignore[method-assign]
        try:
            kb.ingest([folder], jobs=1)
        finally:
            Store._relink_figures = original  # type: ignore[method-assign]
        groups = kb.store.figure_group_ids()
        stat = next(s for s in kb.store.statistics() if "note 999" in s["sentence"])
        assert sum(g == groups[stat["id"]] for g in groups.values()) == earlier + 1  # one group
        kb.close()
        steps[earlier] = count[0]
    assert steps[48] <= 1.5 * steps[8], steps


def test_an_index_of_schema_9_gets_figure_cells_and_conflict_blocks(runner: CliRunner) -> None:
    """An index kb wrote before migration m010_link_indexes (figure_terms and stat_keys) is upgraded
    on open, and `kb stats` gives the same links and disagreements as before."""
    import sqlite3

    from kb.linking import conflict_keys

    def stats() -> list[dict]:
        result = runner.invoke(cli, ["stats", "transit budget", "--json"])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]

    before = stats()
    assert any(r["disputed"] for r in before) and any(r["also_in"] for r in before)
    db = sqlite3.connect(Path("index") / "kb.sqlite")
    groups = db.execute("SELECT stat_id, grp FROM figure_groups ORDER BY 1").fetchall()
    blocks = db.execute("SELECT count(*) FROM stat_blocks").fetchone()[0]
    cells = db.execute("SELECT * FROM figure_cells ORDER BY stat_id, term, measure").fetchall()
    records = [json.loads(d) for (d,) in db.execute("SELECT data FROM statistics")]
    db.executescript(  # the two tables as schema 9 had them, from what schema 10 holds
        "CREATE TABLE figure_terms (unit TEXT NOT NULL, value REAL NOT NULL, term TEXT NOT NULL,"
        " measure TEXT NOT NULL, stat_id TEXT NOT NULL REFERENCES statistics(id) ON DELETE CASCADE,"
        " PRIMARY KEY (unit, value, term, measure, stat_id)) WITHOUT ROWID;"
        " INSERT INTO figure_terms SELECT unit, value, term, measure, stat_id FROM figure_cells"
        " WHERE substr(term, 1, 1) != char(31);"
        " CREATE INDEX stat_terms_sentence ON stat_terms(sentence);"
        " CREATE INDEX figure_terms_stat ON figure_terms(stat_id);"
        " CREATE TABLE stat_keys (unit TEXT NOT NULL, key TEXT NOT NULL, stat_id TEXT NOT NULL"
        " REFERENCES statistics(id) ON DELETE CASCADE, PRIMARY KEY (unit, key, stat_id)) WITHOUT ROWID;"
        " CREATE INDEX stat_keys_stat ON stat_keys(stat_id);"
        " DROP TABLE figure_cells; DROP TABLE stat_blocks; DROP TRIGGER stat_blocks_gone;"
        " DELETE FROM migrations WHERE name IN ('m010_link_indexes', 'm011_sentence_cells');"
        " UPDATE meta SET value = '9' WHERE key = 'schema_version';"
    )
    db.executemany(
        "INSERT INTO stat_keys VALUES (?, ?, ?)",
        [(r["unit"], k, r["id"]) for r in records for k in conflict_keys(r)],
    )
    db.commit()
    db.close()
    assert stats() == before
    db = sqlite3.connect(Path("index") / "kb.sqlite")
    assert db.execute("SELECT stat_id, grp FROM figure_groups ORDER BY 1").fetchall() == groups
    assert db.execute("SELECT count(*) FROM stat_blocks").fetchone()[0] == blocks > 0
    assert db.execute("SELECT * FROM figure_cells ORDER BY stat_id, term, measure").fetchall() == cells
    assert (
        db.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('figure_terms', 'stat_keys')"
        ).fetchone()[0]
        == 0
    )
    db.close()


def test_check_shows_the_first_few_of_many_disagreements(fake_env: dict[str, str], tmp_path: Path) -> None:
    """A figure that many works contradict is disputed after the first few are found; `kb stats`
    still lists them all."""
    from kb.api import KnowledgeBase
    from kb.query import CHECK_DISPUTES, links

    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "original.txt").write_text(article("Council Backs Transit Plan", "Home | Local | Sport", 40))
    fillers = ["harbour", "orchard", "glacier", "lantern", "meadow", "quarry", "summit", "tundra", "valley"]
    for k, word in enumerate(fillers):
        others = [w for w in fillers if w != word]
        (folder / f"review{k}.txt").write_text(
            f"Notes on the {word} district\n\nOur {word} correspondent filed this account of the vote. "
            + BODY[0].format(v=21 + k)
            + f"\n\nNeighbours near the {word} and the {others[k % len(others)]} were not consulted.\n"
        )
    r = CliRunner()
    assert r.invoke(cli, ["ingest", str(folder)], catch_exceptions=False).exit_code == 0
    draft = tmp_path / "draft.md"
    draft.write_text("The city council said 40 percent of its budget will go to transit projects.\n")
    (verdict,) = [json.loads(x) for x in r.invoke(cli, ["check", str(draft), "--json"]).stdout.splitlines()]
    assert verdict["status"] == "sourced"
    shown = [c["value"] for c in verdict["contradicted_by"]]
    assert len(shown) == CHECK_DISPUTES

    kb = KnowledgeBase(Path(fake_env["KB_INDEX"]))
    try:
        [forty] = [s for s in kb.store.statistics() if s["value"] == 40.0]
        record = dict(forty, doc=kb.store.find_doc(forty["doc_id"]).to_dict())
        _, every = links(kb.store, [record])
        _, few = links(kb.store, [record], most=3)
    finally:
        kb.close()
    every_values = sorted(x["value"] for x in every[record["id"]])
    assert every_values == [float(21 + k) for k in range(len(fillers))]  # every one of them, uncapped
    assert len(few[record["id"]]) == 3 and {x["id"] for x in few[record["id"]]} <= {
        x["id"] for x in every[record["id"]]
    }
    assert set(shown) <= set(every_values)
