"""The typed records that flow between pipeline stages.

read -> Source -> clean -> CleanDoc -> segment -> Passage[] -> extract ->
Statistic[] / Claim[] -> store. Search returns Hit records. Every span is a
pair of character offsets into the document's clean text (`CleanDoc.text`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any


def page_at(pages: tuple[tuple[int, int, int], ...] | list, offset: int) -> int | None:
    """The page of `pages` ((page, start, end) spans) that holds `offset`."""
    for page, start, end in pages:
        if start <= offset <= end:
            return int(page)
    return None


def figure_statement(value_text: str, population: str | None, measure: str | None) -> str:
    """A figure's own clause ("44 percent of marketers stated budgets..."), embedded beside its
    sentence so one figure of a sentence that states three is told apart (kb check)."""
    return " ".join(filter(None, (value_text, f"of {population}" if population else None, measure)))


def content_id(*parts: object, size: int = 16) -> str:
    """A stable id: the first `size` hex digits of sha256 over the parts."""
    h = hashlib.sha256()
    for part in parts:
        h.update(str(part).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:size]


@dataclass(frozen=True, slots=True)
class Source:
    """A file read from disk and decoded to text."""

    path: str
    text: str
    kind: str  # "txt" | "html" | "md"
    sha: str  # sha256 of the raw bytes
    encoding: str
    meta: Metadata | None = None  # what the container states (a PDF's info dictionary, Word properties)


@dataclass(frozen=True, slots=True)
class Removed:
    """A block the cleaner dropped, and why."""

    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a citation needs about a document; any field may be unknown."""

    title: str | None = None
    author: str | None = None
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) when known
    publisher: str | None = None
    url: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class CleanDoc:
    """A document's article text with page chrome removed."""

    path: str
    kind: str
    sha: str
    text: str
    meta: Metadata
    removed: tuple[Removed, ...] = ()
    pages: tuple[tuple[int, int, int], ...] = ()  # (page, start, end) over `text`, for PDFs

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding a clean-text offset (None for documents without pages)."""
        return page_at(self.pages, offset)

    @property
    def id(self) -> str:
        """Documents are identified by their source bytes."""
        return self.sha[:16]


@dataclass(frozen=True, slots=True)
class Passage:
    """A paragraph-sized span of a document's clean text."""

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    context: str = ""  # heading or lead-in embedded with the passage, not part of it
    sentences: tuple[tuple[int, int], ...] = ()  # absolute offsets of its sentences

    @property
    def id(self) -> str:
        return content_id(self.doc_id, self.start, self.text)


@dataclass(frozen=True, slots=True)
class Statistic:
    """One figure in a document, exactly as written, with what it is about."""

    doc_id: str
    value: float
    unit: str
    value_text: str
    start: int  # offsets of value_text in the clean text
    end: int
    sentence: str
    sentence_start: int
    sentence_end: int
    qualifier: str | None = None
    population: str | None = None
    measure: str | None = None
    comparison: str | None = None
    source: str | None = None
    sample_size: int | None = None
    period: str | None = None
    currency_code: str | None = None
    value_high: float | None = None
    scale: str | None = None  # the scale as written: "billion", "bn", "K" ("$12.9bn" -> value 12.9e9)
    unit_text: str | None = None  # the unit as written ("%", "lb-ft", "miles"); `unit` is normalised
    change: str | None = None  # "up" | "down" when the figure is a change ("fell 0.5%")
    per: str | None = None  # the rate's denominator: "$1.4 billion per month" -> "month"
    tolerance: float | None = None  # "42 ± 11 years" -> 11
    page: int | None = None  # 1-based page of a PDF document

    @property
    def id(self) -> str:
        return content_id("stat", self.doc_id, self.start, self.value_text)

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in _STAT_FIELDS}  # every field is a scalar: no deep copy
        d["id"] = self.id
        return d


@dataclass(frozen=True, slots=True)
class Claim:
    """An assertion that carries an article's argument, verbatim, with who makes it."""

    doc_id: str
    kind: str  # finding | quote | recommendation | assertion
    text: str
    start: int
    end: int
    speaker: str | None = None
    organization: str | None = None
    source: str | None = None
    page: int | None = None  # 1-based page of a PDF document

    @property
    def id(self) -> str:
        return content_id("claim", self.doc_id, self.start, self.text)

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in _CLAIM_FIELDS}
        d["id"] = self.id
        return d


_STAT_FIELDS = tuple(f.name for f in fields(Statistic))
_CLAIM_FIELDS = tuple(f.name for f in fields(Claim))


@dataclass(frozen=True, slots=True)
class DocInfo:
    """A stored document's identity and metadata (without its text)."""

    id: str
    path: str
    kind: str
    sha: str
    clean_sha: str
    title: str | None
    author: str | None
    date: str | None
    publisher: str | None
    url: str | None
    language: str | None
    citekey: str
    ingested_at: str | None = None  # for a web page: when this version was fetched (its access date)
    duplicates: tuple[str, ...] = ()  # ids of the documents that are copies of this one (and it of them)

    def to_dict(self) -> dict[str, Any]:
        extra = {"accessed": self.ingested_at[:10]} if self.ingested_at and "://" in self.path else {}
        return (
            extra
            | {
                "id": self.id,
                "path": self.path,
                "title": self.title,
                "author": self.author,
                "date": self.date,
                "publisher": self.publisher,
                "url": self.url,
                "citekey": self.citekey,
                "kind": self.kind,
            }
            | ({"duplicates": list(self.duplicates)} if self.duplicates else {})
        )


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked passage with its provenance and the reasons for its score."""

    rank: int
    score: float
    passage_id: str
    text: str
    start: int
    end: int
    doc: DocInfo
    best_sentence: tuple[int, int] | None = None
    components: dict[str, float] = field(default_factory=dict)
    statistics: tuple[Statistic, ...] = ()
    claims: tuple[Claim, ...] = ()
    page: int | None = None  # 1-based page of a PDF document where the passage starts
    also_in: tuple[DocInfo, ...] = ()  # copies of the same work that say it too

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "rank": self.rank,
            "score": round(self.score, 6),
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "doc": self.doc.to_dict(),
        }
        if self.page is not None:
            d["page"] = self.page
        if self.also_in:
            d["also_in"] = [doc.to_dict() for doc in self.also_in]
        if self.best_sentence:
            d["sentence"] = {"start": self.best_sentence[0], "end": self.best_sentence[1]}
        if self.statistics:
            d["statistics"] = [s.id for s in self.statistics]
        if self.claims:
            d["claims"] = [c.id for c in self.claims]
        if explain:
            d["explain"] = {k: round(v, 6) for k, v in self.components.items()}
        return d


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What an ingest run did, file by file."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason)
    embedded: int = 0  # texts actually sent to the model

    @property
    def nothing_read(self) -> bool:
        """Files were given but none could be read (a typo, a folder of images)."""
        return bool(self.skipped) and not (self.added or self.updated or self.unchanged)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing `kb verify` found wrong: which document (or the index), what kind, details."""

    path: str
    kind: str  # missing | stale | outdated | mismatch | index
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What `kb verify` checked and what it found."""

    documents: int
    records: int  # passages, sentences, statistics and claims checked against the source
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems
