"""Figures in a writer's Markdown draft, and how each compares with the indexed statistics.

The draft is parsed with markdown-it-py; each paragraph, list item, heading and quote
is read as plain text (citation markers set aside) and run through the same
statistics extractor as the corpus, so dates, list numbers and other numbers that
are not statistics are ignored exactly as they are at ingest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kb.records import CleanDoc, Metadata, content_id

# Pandoc citations ([@key], [@a; @b, p. 3], @key) and footnote markers ([^key]).
_PANDOC_CITE = re.compile(r"\[(?:[^\[\]]*?@[\w:.#$%&+?<>~/-]+[^\[\]]*)\]|(?<![\w@])@([\w:.#$%&+?<>~/-]*\w)")
_CITE_KEY = re.compile(r"@([\w:.#$%&+?<>~/-]*\w)")
_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")

SOURCED = "sourced"
MISMATCHED = "mismatched"
UNSOURCED = "unsourced"


@dataclass(frozen=True, slots=True)
class DraftFigure:
    """A statistic written in the draft: the figure as typed, its sentence and the keys it cites."""

    line: int  # 1-based line of the block in the draft
    value_text: str
    value: float
    unit: str
    sentence: str
    population: str | None
    measure: str | None
    value_high: float | None = None
    cites: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "text": self.value_text,
            "value": self.value,
            "unit": self.unit,
            "sentence": self.sentence,
            "population": self.population,
            "measure": self.measure,
            "cites": list(self.cites),
        }


@dataclass(frozen=True, slots=True)
class FigureCheck:
    """The verdict on one draft figure and the indexed statistic it was compared with."""

    figure: DraftFigure
    status: str  # sourced | mismatched | unsourced
    similarity: float
    match: dict[str, Any] | None = None  # the statistic record (with its document)
    citation: str | None = None
    alternatives: tuple[dict[str, Any], ...] = field(default=())
    contradicted_by: tuple[dict[str, Any], ...] = ()  # other works that give another value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "similarity": round(self.similarity, 4)}
        out.update(self.figure.to_dict())
        if self.match is not None:
            m = self.match
            out["match"] = {
                "id": m["id"],
                "value": m["value"],
                "unit": m["unit"],
                "text": m["value_text"],
                "sentence": m["sentence"],
                "start": m["start"],
                "end": m["end"],
                "doc": m["doc"],
            }
            out["citation"] = self.citation
        if self.contradicted_by:
            out["contradicted_by"] = [
                {
                    "id": c["id"],
                    "value": c["value"],
                    "text": c["value_text"],
                    "sentence": c["sentence"],
                    "doc": c["doc"],
                }
                for c in self.contradicted_by
            ]
        return out


def blocks(markdown: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, plain text, cited keys) of each text block of a Markdown draft."""
    from markdown_it import MarkdownIt

    # commonmark's nesting limit (20) drops everything after a deeper list without a word
    md = MarkdownIt("commonmark", {"maxNesting": 2000}).enable("table")
    out = []
    for token in md.parse(markdown):
        if token.type != "inline" or not token.content.strip():
            continue
        parts = []
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        text = "".join(parts)
        keys = [k for c in _PANDOC_CITE.finditer(text) for k in _CITE_KEY.findall(c.group(0))]
        keys += _FOOTNOTE.findall(text)
        text = _FOOTNOTE.sub("", _PANDOC_CITE.sub("", text))
        text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"[ \t]+", " ", text)).strip()
        line = (token.map[0] + 1) if token.map else 0
        out.append((line, text, tuple(dict.fromkeys(keys))))
    return out


def draft_figures(markdown: str) -> list[DraftFigure]:
    """Every statistic in a Markdown draft, in order."""
    from kb.extract.stats import extract_statistics

    figures = []
    for line, text, keys in blocks(markdown):
        doc = CleanDoc(path="draft", kind="md", sha=content_id(text, size=64), text=text, meta=Metadata())
        for s in extract_statistics(doc):
            figures.append(
                DraftFigure(
                    line=line,
                    value_text=s.value_text,
                    value=s.value,
                    unit=s.unit,
                    sentence=s.sentence,
                    population=s.population,
                    measure=s.measure,
                    value_high=s.value_high,
                    cites=keys,
                )
            )
    return figures


# A figure is sourced when a statistic with its value says something close enough; it is
# mismatched when the closest statement of the same kind of figure carries another value.
# Scores are sentence cosine (MiniLM) plus word overlap of population and measure
# (see KnowledgeBase.check), up to about 1.5. Thresholds set on tests/data/draft.md, where true
# matches score 1.05-1.4 and unrelated statements about the same population at most 0.77.
SOURCED_MIN = 0.75
MISMATCH_MIN = 0.95
MARGIN = 0.10


def same_figure(figure: DraftFigure, record: dict[str, Any]) -> bool:
    return (
        figure.unit == record["unit"]
        and figure.value == record["value"]
        and figure.value_high == record.get("value_high")
    )


def about_the_same(figure: DraftFigure, record: dict[str, Any]) -> bool:
    """Whether a statistic could state the draft figure's fact: the same population, or the same
    measure when either population is unknown. Only such a statistic can make a figure mismatched
    (a 12 percent sales figure is not contradicted by a 6.2 percent loan rate)."""
    from kb.search import _terms

    def terms(x: str | None) -> set[str]:
        return _terms(x or "")

    fp, rp = terms(figure.population), terms(record.get("population"))
    if fp and rp:
        return bool(fp & rp)
    fm, rm = terms(figure.measure), terms(record.get("measure"))
    return len(fm & rm) >= min(2, len(fm), len(rm)) and bool(fm & rm)


def judge(figure: DraftFigure, scored: list[tuple[float, dict[str, Any]]]) -> FigureCheck:
    """Classify one draft figure given (score, statistic record) for every candidate."""
    comparable = [t for t in scored if t[1]["unit"] == figure.unit]
    # The source's own words count as the same figure: "two-thirds" is sourced by a sentence
    # that says "Nearly two-thirds (64 percent)", whatever value the extractor kept for it.
    words = re.compile(rf"(?<!\w){re.escape(figure.value_text)}(?!\w)", re.I)

    def same(t: tuple[float, dict[str, Any]]) -> bool:
        return same_figure(figure, t[1]) or bool(words.search(t[1]["sentence"]))

    best_same = max((t for t in comparable if same(t)), key=lambda t: t[0], default=None)
    other = max(
        (t for t in comparable if not same(t) and about_the_same(figure, t[1])),
        key=lambda t: t[0],
        default=None,
    )

    def cite(record: dict[str, Any]) -> str:
        return f"[@{(record.get('doc') or {}).get('citekey', record.get('doc_id'))}]"

    if best_same and best_same[0] >= SOURCED_MIN and (other is None or best_same[0] >= other[0] - MARGIN):
        return FigureCheck(figure, SOURCED, best_same[0], best_same[1], cite(best_same[1]))
    if other and other[0] >= MISMATCH_MIN:
        return FigureCheck(figure, MISMATCHED, other[0], other[1], cite(other[1]))
    return FigureCheck(figure, UNSOURCED, max(best_same[0] if best_same else 0.0, other[0] if other else 0.0))
