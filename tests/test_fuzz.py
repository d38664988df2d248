"""Property tests: the cleaner, segmenter, extractors, draft parser and query parser never crash,
and what they return is a verbatim slice of what they were given.

The default profile runs 1,700 cases per property (a fifth for Markdown/HTML; over 10,000 in all); `scripts/fuzz.sh` runs
the `deep` profile (20x more).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.draft import draft_figures
from kb.errors import InputError
from kb.extract.claims import extract_claims
from kb.extract.stats import extract_statistics
from kb.ingest.clean import clean
from kb.ingest.segment import segment
from kb.intent import expanded_query, intents_of, topic_of
from kb.records import CleanDoc, Metadata, Source
from kb.store import Store, fts_query

WORDS = (
    "the CIOs CMOs said percent per cent % of marketers budget 45 3.5 1,100 two-thirds half "
    '“quote” "said" Forrester Accenture study report found According to By Jane Doe Oct 04, 2010 '
    "Share Comments Newsletter Sign up Read more — • - * # 1. 2) $5 million €3bn 12x 1.3 times "
    "rose fell from to in 2019 Q3 survey of 300 executives . , ; : ! ? ( ) \n \n\n"
).split(" ")

# Article-shaped text built from risky tokens, mixed with arbitrary unicode.
prose = st.lists(st.sampled_from(WORDS), min_size=0, max_size=120).map(" ".join)
texts = st.one_of(prose, st.text(max_size=400), st.tuples(prose, st.text(max_size=80)).map("\n".join))

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _clean(source: Source) -> CleanDoc | None:
    """The cleaned document, or None when kb refuses it with its own explained error."""
    try:
        return clean(source)
    except InputError:
        return None


def _doc(text: str) -> CleanDoc:
    return CleanDoc(path="f.txt", kind="txt", sha="0" * 64, text=text, meta=Metadata())


@FUZZ
@given(texts)
def test_text_cleaner_keeps_only_verbatim_lines(text: str) -> None:
    source = Source(path="f.txt", text=text, kind="txt", sha="0" * 64, encoding="utf-8")
    doc = _clean(source)
    if doc is not None:
        for line in doc.text.split("\n"):
            assert line.strip() in text
    assert _clean(source) == doc  # deterministic


# Markdown and HTML go through markdown-it-py and trafilatura, 15x slower per case: a fifth of the cases.
@settings(FUZZ, max_examples=max(50, settings.default.max_examples // 5))
@given(texts, st.sampled_from(["md", "html"]))
def test_markdown_and_html_cleaners_never_crash(text: str, kind: str) -> None:
    if kind == "html":
        text = f"<html><body><p>{text}</p><div><nav>Home</nav><p>{text[::-1]}</p></div></body></html>"
    source = Source(path=f"f.{kind}", text=text, kind=kind, sha="0" * 64, encoding="utf-8")
    assert _clean(source) == _clean(source)


@FUZZ
@given(texts)
def test_passages_and_sentences_are_slices(text: str) -> None:
    doc = _doc(text)
    for p in segment(doc):
        assert text[p.start : p.end] == p.text
        for s, e in p.sentences:
            assert p.start <= s < e <= p.end


@FUZZ
@given(texts)
def test_statistics_are_verbatim_with_valid_offsets(text: str) -> None:
    doc = _doc(text)
    stats = extract_statistics(doc)
    for s in stats:
        assert text[s.start : s.end] == s.value_text
        assert text[s.sentence_start : s.sentence_end] == s.sentence
        assert s.sentence_start <= s.start < s.end <= s.sentence_end
    assert extract_statistics(doc) == stats


@FUZZ
@given(texts)
def test_claims_are_verbatim(text: str) -> None:
    doc = _doc(text)
    claims = extract_claims(doc)
    for c in claims:
        assert text[c.start : c.end] == c.text
    assert extract_claims(doc) == claims


@FUZZ
@given(texts)
def test_draft_parser_never_crashes(text: str) -> None:
    for f in draft_figures(text):
        assert f.value_text in f.sentence


_STORE_DIR = Path(tempfile.mkdtemp(prefix="kb-fuzz-"))
_STORE = Store(_STORE_DIR / "kb.sqlite")


@FUZZ
@given(st.one_of(st.text(max_size=200), prose))
def test_query_parsing_never_breaks_lexical_search(query: str) -> None:
    match = fts_query(query)
    assert match is None or match.count('"') % 2 == 0
    try:
        _STORE.lexical(expanded_query(query, intents_of(query)), 10)
    except sqlite3.Error as exc:  # pragma: no cover - the property
        raise AssertionError(f"FTS5 rejected {match!r}: {exc}") from exc
    topic_of(query, intents_of(query))
