"""The extractive answer above the passages: the sentences that answer the question, from
different sources where possible, near-duplicates merged, grouped under short themes.

No generated prose: every sentence is quoted verbatim with its offsets, and a theme label is a
list's lead-in or a phrase its sentences share, or nothing. Each sentence cites a numbered source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.records import DocInfo

ANSWER_HITS = 8  # the answer is drawn from the sentences of this many top passages
MAX_SENTENCES = 8
MAX_PER_DOC = 2  # sentences one document may give while other sources have something to say
MAX_LIST_ITEMS = 4  # items of one list, which counts as one voice
LIST_MARKERS = "•-*–·▪"  # what a list item's text may open with
MAX_PER_SOURCE = 4  # sentences of one document in all, while other sources have something to say
RELATIVE_FLOOR = 0.6  # keep sentences scoring at least this share of the best one
DUPLICATE = 0.88  # sentence cosine above which two sentences say the same thing
THEME_JOIN = 0.45  # cosine to a theme's centroid to join it
MIN_WORDS = 6

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


def _stop_words() -> frozenset[str]:
    """jusText's English stop list (453 words; installed with trafilatura) plus survey boilerplate.

    The list file is read from the installed package without importing it: `import justext`
    loads lxml, 40 ms that every `kb ask` would pay for a word list."""
    import importlib.util

    spec = importlib.util.find_spec("justext")
    folder = (
        Path(next(iter(spec.submodule_search_locations)))
        if spec and spec.submodule_search_locations
        else None
    )
    words = (folder / "stoplists" / "English.txt").read_text(encoding="utf-8").split() if folder else []
    extra = "percent cent said says according study survey report found also"
    return frozenset(w.lower() for w in words) | frozenset(extra.split())


_STOP = _stop_words()


@dataclass(frozen=True, slots=True)
class Quote:
    """One answer sentence, verbatim, where it is, and which numbered sources say it."""

    text: str
    doc_id: str
    start: int
    end: int
    sources: tuple[int, ...]  # 1-based numbers into Summary.sources
    score: float


@dataclass(frozen=True, slots=True)
class Theme:
    label: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    themes: tuple[Theme, ...]
    sources: tuple[DocInfo, ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence of a retrieved passage, with its vector and the passage's rank and cue."""

    doc: DocInfo
    start: int
    end: int
    text: str
    vector: np.ndarray
    rank: int
    cue: float
    passage_sim: float = 0.0  # the passage's own similarity (its vector includes a list's lead-in)
    context: str = ""  # a list item's lead-in ("Forrester recommends:") or the section heading


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 3]


_NOT_TOPICS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april june july "
    "august september october november december today yesterday tomorrow week weeks year years month "
    "months day days time times rose fell grew jumped dropped increased decreased gained lost told asked "
    "added noted think thinks believe believes want wants need needs make makes made take takes took "
    "going come comes came give gives gave like likes just really people thing things".split()
)
_BREAK = re.compile(r"[,;:.!?()\[\]“”\"‘’—–/|]")
_EDGE = ",;:.!?()[]“”\"‘’'—–/|*"


def _topic_word(word: str, first: bool) -> str | None:
    """The word as a label would show it, or None when it cannot name a topic: a function word,
    a date word, a verb form, a number, or a name (capitalised inside the sentence)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z-]*[A-Za-z]", word):
        return None
    acronym = word.isupper() and len(word) >= 2
    if word[0].isupper() and not acronym:
        if not first:
            return None  # Mayer, Reuters, Australia: a name is not what a theme is about
        word = word.lower()
    low = word.lower()
    if acronym:
        return word
    if len(low) < 4 or low in _STOP or low in _NOT_TOPICS or (low.endswith("ed") and len(low) > 4):
        return None
    return word


def _phrases(text: str) -> dict[tuple[str, ...], str]:
    """Runs of one to three topic words, unbroken by punctuation: key (lower case) → as written."""
    out: dict[tuple[str, ...], str] = {}
    runs: list[list[str | None]] = [[]]
    for n, token in enumerate(text.split()):
        core = token.strip(_EDGE)
        if _BREAK.match(token[:1]):  # "(the figure", "“quoted"
            runs.append([])
        if _BREAK.search(core) or re.search(r"\d", core):  # "ID.3", "2.5-liter": no topic
            runs.append([])
            continue
        runs[-1].append(_topic_word(core, n == 0))
        if _BREAK.match(token[-1:]):  # "budgets," ends a run
            runs.append([])
    for run in runs:
        for size in (1, 2, 3):
            for i in range(len(run) - size + 1):
                words = run[i : i + size]
                if all(words):
                    out.setdefault(tuple(w.lower() for w in words), " ".join(words))
    return out


def _label(quotes: Sequence[Quote], query: str) -> str:
    """What a theme's sentences have in common: the phrase (one to three topic words, not only
    words of the question) found in most of them, longer phrases first among equals; no label
    when fewer than two sentences share one."""
    if len(quotes) < 2:
        return ""
    asked = {w.lower()[:5] for w in _WORD.findall(query)}
    counts: Counter[tuple[str, ...]] = Counter()
    surface: dict[tuple[str, ...], str] = {}
    for q in quotes:
        for key, shown in _phrases(q.text).items():
            counts[key] += 1
            surface.setdefault(key, shown)
    shared = [k for k, n in counts.items() if n >= 2 and not all(w[:5] in asked for w in k)]
    if not shared:
        return ""
    best = max(shared, key=lambda k: (counts[k], len(k), sum(map(len, k)), k))
    return surface[best]


def summarise(
    query: str,
    query_vector: np.ndarray,
    candidates: Sequence[Candidate],
    duplicate: float = DUPLICATE,
    theme_join: float = THEME_JOIN,
) -> Summary:
    """Pick, de-duplicate and group the answer sentences from retrieved passages' sentences.
    `duplicate` and `theme_join` are cosines of the model that made the vectors (its scale differs:
    see kb.embed's `duplicate` and `theme_join` attributes)."""
    if not candidates:
        return Summary((), ())
    # Sentence relevance: similarity to the question, the passage's answer-type cue, and its rank.
    scored = []
    for c in candidates:
        if len(c.text.split()) < MIN_WORDS or c.text.rstrip().endswith(":"):
            continue  # fragments, and lead-ins that mean nothing without their list
        sim = float(c.vector @ query_vector)
        if c.context and c.text.lstrip()[:1] in LIST_MARKERS:
            sim = max(sim, c.passage_sim)  # a list item means what its lead-in says it means
        scored.append((sim + 0.15 * c.cue + 0.1 / c.rank, c))
    if not scored:
        return Summary((), ())
    scored.sort(key=lambda t: -t[0])
    floor = scored[0][0] * RELATIVE_FLOOR
    chosen: list[tuple[float, Candidate, list[Candidate]]] = []  # (score, sentence, its duplicates)
    per_doc: Counter[str] = Counter()  # sentences per document, or per list of a document
    per_source: Counter[str] = Counter()
    for score, c in scored:
        if score < floor or len(chosen) >= MAX_SENTENCES:
            break
        dup = next((ch for ch in chosen if float(ch[1].vector @ c.vector) >= duplicate), None)
        if dup is not None:
            if c.doc.id != dup[1].doc.id:
                dup[2].append(c)  # the same statement in another source: cite both
            continue
        is_item = bool(c.context) and c.text.lstrip()[:1] in LIST_MARKERS
        unit = f"{c.doc.id}:{c.context}" if is_item else c.doc.id  # a list counts as one voice
        full = per_doc[unit] >= (MAX_LIST_ITEMS if is_item else MAX_PER_DOC)
        if (full or per_source[c.doc.id] >= MAX_PER_SOURCE) and any(
            per_source[d] < MAX_PER_DOC for d in {x.doc.id for _, x in scored} - {c.doc.id}
        ):
            continue  # other sources still have something to say: one source does not fill the answer
        per_doc[unit] += 1
        per_source[c.doc.id] += 1
        chosen.append((score, c, []))
    sources: list[DocInfo] = []

    def number(doc: DocInfo) -> int:
        for i, d in enumerate(sources, start=1):
            if d.id == doc.id:
                return i
        sources.append(doc)
        return len(sources)

    quotes = []
    for score, c, dups in chosen:
        nums = tuple(dict.fromkeys(number(x.doc) for x in [c, *dups]))
        lead = c.context if c.context.rstrip().endswith(":") else ""
        text, start = c.text, c.start
        if lead:  # the item's words, not its list marker ("• "): the answer sets its own bullets
            marker = len(text) - len(text.lstrip(LIST_MARKERS + " \t"))
            if marker < len(text):
                text, start = text[marker:], start + marker
        quotes.append((Quote(text, c.doc.id, start, c.end, nums, round(score, 4)), c.vector, lead))
    # Themes: items of one list share their lead-in as the label; other sentences are grouped
    # greedily by similarity to each theme's centroid, in score order.
    groups: list[tuple[list[np.ndarray], list[Quote]]] = []
    lists: dict[str, list[Quote]] = {}
    for quote, vec, lead in quotes:
        if lead:
            lists.setdefault(lead, []).append(quote)
            continue
        best, best_sim = None, theme_join
        for g in groups:
            centroid = np.mean(g[0], axis=0)
            sim = float(vec @ centroid / (np.linalg.norm(centroid) or 1.0))
            if sim >= best_sim:
                best, best_sim = g, sim
        if best is None:
            groups.append(([vec], [quote]))
        else:
            best[0].append(vec)
            best[1].append(quote)
    themes = [Theme(lead.rstrip().rstrip(":"), tuple(qs)) for lead, qs in lists.items()]
    for _, qs in groups:
        themes.append(Theme(_label(qs, query), tuple(qs)))
    return Summary(tuple(themes), tuple(sources))
