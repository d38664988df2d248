"""Site chrome learned from a collection: lines found on several pages of one site go."""

from __future__ import annotations

from pathlib import Path

from kb.api import KnowledgeBase, clean_paths
from kb.embed import FakeEmbedder
from kb.ingest.boilerplate import fingerprint, line_keys, shared_keys
from kb.ingest.textclean import clean_text_scrape, line_key

ABOUT = (
    "Example Media is an independent publisher of local news, founded in 1998 and owned by its readers, "
    "with newsrooms in four cities and a weekly print edition that reaches more than fifty thousand homes."
)
COOKIES = "We use small files to remember your preferences; see our settings page to change them at any time."

ARTICLES = {
    "lanes": [
        "City councils across the region voted this week to expand their bicycle lane networks, citing rising "
        "ridership and safety concerns raised by residents.",
        "According to the transport department, the number of daily cyclists has grown steadily for five years, "
        "and officials expect that trend to continue.",
        "Critics argue that the plans were rushed and that local businesses were not consulted before parking "
        "spaces were removed from the main streets.",
    ],
    "library": [
        "The central library will open on Sundays from next month after the council found money in its "
        "culture budget to pay for the extra staff hours.",
        "Librarians said that weekend visits had doubled since the reading room was refurbished, and that "
        "families had asked for longer hours for years.",
        "The library will also lend laptops to students who do not have one at home, starting with a pilot of "
        "two hundred machines in the autumn term.",
    ],
}


def page(title: str, body: list[str], nav: str = "Home\nNews\nSport") -> str:
    return "\n".join([nav, title, *body, ABOUT, COOKIES, "© 2021 Example Media"])


def write_site(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    a = folder / "lanes.txt"
    b = folder / "library.txt"
    a.write_text(page("Councils back wider cycle lanes", ARTICLES["lanes"]), encoding="utf-8")
    b.write_text(page("Library to open on Sundays", ARTICLES["library"]), encoding="utf-8")
    return a, b


def test_line_keys_ignore_case_spacing_and_punctuation() -> None:
    assert line_key("About  Example Media!") == line_key("about example media")
    assert line_keys("One line\n\n  ONE LINE.\nanother") == {line_key("one line"), line_key("another")}
    assert shared_keys([frozenset({1, 2}), frozenset({2, 3}), frozenset({3})]) == {2, 3}
    assert fingerprint([]) == "" and fingerprint([1, 2]) == fingerprint([2, 1]) != fingerprint([1])


def test_a_paragraph_shared_by_pages_of_a_site_is_dropped(tmp_path: Path) -> None:
    a, b = write_site(tmp_path / "site")
    alone = next(clean_paths([a]))
    assert ABOUT in alone.text  # one page cannot tell its site's boilerplate from its article
    docs = {Path(d.path).name: d for d in clean_paths([a, b])}
    for name, body in (("lanes.txt", ARTICLES["lanes"]), ("library.txt", ARTICLES["library"])):
        doc = docs[name]
        assert all(p in doc.text for p in body)
        assert ABOUT not in doc.text and COOKIES not in doc.text
        reasons = {r.text: r.reason for r in doc.removed}
        assert reasons[ABOUT] == "repeated across documents (site chrome)"


def test_two_copies_of_one_article_do_not_erase_each_other() -> None:
    body = ARTICLES["lanes"]
    first = page("Councils back wider cycle lanes", body)
    second = page("Councils back wider cycle lanes", body, nav="Front page\nLocal\nOpinion")
    shared = line_keys(first) & line_keys(second)
    for text in (first, second):
        spans, _, removed = clean_text_scrape(text, shared)
        kept = "\n".join(text[s:e] for s, e in spans)
        assert all(p in kept for p in body)
        assert not any(r.reason.startswith("repeated across") for r in removed)


def test_ingest_learns_site_chrome_from_the_index_and_recleans_older_pages(
    fake_kb: KnowledgeBase, tmp_path: Path
) -> None:
    a, b = write_site(tmp_path / "site")
    fake_kb.ingest([a])
    doc_a = fake_kb.store.find_doc(str(a))
    assert ABOUT in fake_kb.store.doc_text(doc_a.id)
    # A second page of the site shows the paragraph is chrome; the first page is re-cleaned too.
    report = fake_kb.ingest([b])
    assert report.added == (str(b),) and report.updated == (str(a),)
    for path in (a, b):
        assert ABOUT not in fake_kb.store.doc_text(fake_kb.store.find_doc(str(path)).id)
    again = fake_kb.ingest([a, b])
    assert set(again.unchanged) == {str(a), str(b)} and again.embedded == 0
    assert not fake_kb.verify().problems


def test_an_index_from_before_line_keys_is_migrated_and_learns_them(tmp_path: Path) -> None:
    import sqlite3

    from kb.embed import FakeEmbedder
    from kb.store import M001_INITIAL

    index = tmp_path / "index"
    index.mkdir()
    db = sqlite3.connect(index / "kb.sqlite")
    db.executescript(M001_INITIAL)
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    db.execute("INSERT INTO migrations VALUES ('m001_initial', 'earlier')")
    db.commit()
    db.close()
    kb = KnowledgeBase(index, embedder=FakeEmbedder())
    try:
        a, b = write_site(tmp_path / "site")
        report = kb.ingest([a, b])
        assert len(report.added) == 2
        assert ABOUT not in kb.store.doc_text(kb.store.find_doc(str(a)).id)
        from kb.store import SCHEMA_VERSION

        assert kb.store.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        kb.close()


def test_headings_of_a_notes_template_are_not_site_chrome(tmp_path: Path) -> None:
    notes = []
    for name, body in ARTICLES.items():
        path = tmp_path / f"{name}.md"
        path.write_text(
            f"# Notes on {name}\n\n## Key findings\n\n{body[0]}\n\n## Method\n\n{body[1]}\n", "utf-8"
        )
        notes.append(path)
    for doc in clean_paths(notes):
        assert "Key findings" in doc.text and "Method" in doc.text


def test_a_syndicated_copy_does_not_erase_its_original(tmp_path: Path) -> None:
    """A copy with another headline, menu and footer, a paragraph dropped and two words changed:
    both keep their article and statistics, and they are listed as copies of each other."""
    body = [
        f"Paragraph {i}: the council said {10 + i} percent of the city's budget will go to transit projects "
        f"over the next decade, while critics argued that item {i} of the plan needs far more public scrutiny."
        for i in range(8)
    ]
    site_a = tmp_path / "a.txt"
    site_a.write_text(
        "Home | News | Sport\n\nCouncil Approves Transit Budget\n\n"
        + "\n\n".join(body)
        + "\n\nCopyright City Times\n"
    )
    copy = list(body)
    del copy[3]
    copy[5] = copy[5].replace("critics argued", "opponents said")
    site_b = tmp_path / "b.txt"
    site_b.write_text(
        "Menu | Local | Weather\n\nTransit Plan Wins Council Vote\n\n"
        + "\n\n".join(copy)
        + "\n\nThe Daily Wire\n"
    )
    other = tmp_path / "c.txt"
    other.write_text(
        "An unrelated story about gardens. " * 3 + "\n\nMore about gardens and 12 percent of roses.\n"
    )
    kb = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())
    kb.ingest([site_a, site_b, other])
    by_path = {Path(d.path).name: d for d in kb.documents()}
    a, b, c = by_path["a.txt"], by_path["b.txt"], by_path["c.txt"]
    assert a.duplicates == (b.id,) and b.duplicates == (a.id,) and c.duplicates == ()
    stats_a = kb.store.statistics(a.id)
    stats_b = kb.store.statistics(b.id)
    assert len(stats_a) == 8 and len(stats_b) == 7  # every figure of each body survives
