"""Hybrid retrieval: dense (faiss) and lexical (FTS5 BM25) fused by reciprocal
rank fusion, reranked with sentence-level similarity, diversified across documents.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.index import VectorIndex
from kb.records import DocInfo, Hit
from kb.store import _FTS_STOP, Store

log = logging.getLogger(__name__)

RRF_K = 60
CANDIDATES = 50
RERANK_DEPTH = 40
SHORT_WORDS = 10
# The reranker's weights. Lexical and coverage fell from 0.1 and 0.05 when a paragraph that fits
# bge-small's window became one passage: SciFact train 0.768 -> 0.781, the dev questions unchanged.
W_DENSE = 0.4
W_SENTENCE = 0.3
W_LEXICAL = 0.05
W_COVERAGE = 0.02
W_CUE = 0.25
# A list item scores at least its lead-in's score less this ("Forrester recommends:" → its bullets):
# an item alone says little ("• Sharing and collaborating in teams.") and means what its lead-in says.
LIST_GAP = 0.1
LIST_ITEMS = 12  # items of one list brought up with its lead-in; a longer list is more likely data


def check_date(option: str, value: str) -> str:
    """`value` if it is YYYY, YYYY-MM or YYYY-MM-DD and a real date; UsageError otherwise."""
    import datetime as dt

    from kb.errors import UsageError

    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    try:
        if not m:
            raise ValueError
        dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)") from None
    return value.strip()


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on which documents may answer."""

    doc_ids: tuple[str, ...] = ()
    since: str | None = None  # ISO date, inclusive
    until: str | None = None
    publisher: str | None = None

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.since or self.until or self.publisher)

    def allows(self, doc: DocInfo) -> bool:
        if self.doc_ids and doc.id not in self.doc_ids:
            return False
        if (self.since or self.until) and not doc.date:
            return False
        if self.since and doc.date and doc.date < self.since:
            return False
        if self.until and doc.date and doc.date[: len(self.until)] > self.until:
            return False
        return not (self.publisher and (doc.publisher or "").lower().find(self.publisher.lower()) < 0)


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: sum over rankings of 1 / (k + rank), rank from 1."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


_WORD = re.compile(r"[^\W_]+")


def _terms(text: str) -> set[str]:
    """Content words of a text, lower-cased and cut to six letters (a crude, fast stem)."""
    return {w[:6] for w in _WORD.findall(text.lower()) if w not in _FTS_STOP}


Scored = tuple[float, int, dict[str, float], "tuple[int, int] | None"]


@dataclass(frozen=True, slots=True)
class Retrieved:
    """First-stage results: dense and lexical (rowid, score) lists and their RRF fusion."""

    dense: dict[int, float]
    lexical: dict[int, float]
    fused: dict[int, float]
    dense_order: list[int]
    lexical_order: list[int]

    def order(self, mode: str = "hybrid") -> list[int]:
        if mode == "dense":
            return self.dense_order
        if mode == "bm25":
            return self.lexical_order
        return sorted(self.fused, key=lambda i: -self.fused[i])


def retrieve(
    store: Store, vindex: VectorIndex, query_vector: np.ndarray, query: str, depth: int
) -> Retrieved:
    """Dense (faiss) and lexical (FTS5 BM25, question intents expanded) candidates, fused by RRF."""
    from kb.intent import expanded_query, intents_of

    dense = vindex.search(query_vector, depth)
    lexical = store.lexical(expanded_query(query, intents_of(query)), depth)
    dense_order = [i for i, _ in dense]
    lexical_order = [i for i, _ in lexical]
    fused = rrf([dense_order, lexical_order])
    return Retrieved(dict(dense), dict(lexical), fused, dense_order, lexical_order)


def lift_list_items(scored: list[Scored], lists: dict[int, list[int]]) -> list[Scored]:
    """`scored` with each item of a scored lead-in's list raised to just below it (if lower), best first.

    Items keep their own order: an item's lift shrinks by half its distance from the list's best item.
    Each item's components gain "list", the lead-in's score."""
    if not lists:
        return scored
    by_id = {item[1]: item for item in scored}
    for lead, members in lists.items():
        if lead not in by_id:
            continue
        top = by_id[lead][0]
        present = [by_id[j] for j in members if j in by_id]
        if not present:
            continue
        best = max(item[0] for item in present)
        for score, j, components, span in present:
            lifted = max(score, top - LIST_GAP - 0.5 * (best - score))
            by_id[j] = (lifted, j, {**components, "list": top, "rerank": lifted}, span)
    return sorted(by_id.values(), key=lambda t: -t[0])


def rerank(
    store: Store,
    query_vector: np.ndarray,
    query: str,
    candidates: list[int],
    first: Retrieved,
    rows: dict[int, dict],
) -> list[Scored]:
    """Candidates rescored by sentence-level similarity, lexical score, term coverage, the
    question's answer type and a brevity prior; best first."""
    from kb.intent import cue_score, intents_of, topic_of

    intents = intents_of(query)
    dense_score = dict(first.dense)
    lex_score = first.lexical
    fused = first.fused
    sentences = store.sentences(candidates)
    missing = [i for i in candidates if i not in dense_score]
    if missing:
        for i, vec in store.passage_vectors_for(missing).items():
            dense_score[i] = float(vec @ query_vector)
    max_lex = max(lex_score.values()) if lex_score else 1.0
    qterms = _terms(query)
    # The topic is what the question is about once its intent words are set aside.
    topic = _terms(topic_of(query, intents)) or qterms
    wants_figures = any(it.name == "quantity" for it in intents)
    figures = store.statistics_in(candidates) if wants_figures else {}
    other_intents = [it for it in intents if it.name != "quantity"]
    scored: list[Scored] = []
    for i in candidates:
        sents = sentences.get(i, [])
        best_sim, best_span = -1.0, None
        for s, e, vec in sents:
            sim = float(vec @ query_vector)
            if sim > best_sim:
                best_sim, best_span = sim, (s, e)
        dense_sim = dense_score.get(i, 0.0)
        lex = lex_score.get(i, 0.0) / max_lex if max_lex > 0 else 0.0
        text = rows[i]["text"]
        text_terms = _terms(text)
        coverage = len(qterms & text_terms) / len(qterms) if qterms else 0.0
        # Fragments of a few words match questions too easily; they carry little evidence.
        brevity = min(1.0, len(text.split()) / SHORT_WORDS) ** 0.5
        cue = cue_score(text, other_intents)
        if wants_figures:
            # A quantity question is answered by a figure about the topic: match the topic
            # against each statistic's own population and measure, not the whole passage.
            for stat in figures.get(i, []):
                own = _terms(" ".join(filter(None, (stat.get("population"), stat.get("measure")))))
                cue = max(cue, len(topic & own) / len(topic) if topic else 1.0)
        components = {
            "rrf": fused.get(i, 0.0),  # a list item joins with its lead-in, found or not
            "dense": dense_sim,
            "sentence": max(best_sim, 0.0),
            "lexical": lex,
            "coverage": coverage,
            "intent": cue,
            "brevity": brevity,
        }
        score = (
            brevity * (W_DENSE * dense_sim + W_SENTENCE * max(best_sim, dense_sim))
            + W_LEXICAL * lex
            + W_COVERAGE * coverage
            + W_CUE * cue
        )
        components["rerank"] = score
        scored.append((score, i, components, best_span))
    scored.sort(key=lambda t: -t[0])
    return scored


def search(
    store: Store,
    vindex: VectorIndex,
    query_vector: np.ndarray,
    query: str,
    k: int = 10,
    filters: Filters | None = None,
    per_doc: int | None = None,
) -> list[Hit]:
    """The k best passages for a query, best first, each with its score components. While other
    documents have passages to show, one document fills at most `per_doc` of the k places (default
    a third, at least two): a five-passage answer cites three sources, not two."""
    filters = filters or Filters()
    per_doc = per_doc or max(2, k // 3)
    depth = max(CANDIDATES, k * 5)
    if filters:
        depth = max(depth, vindex.manifest.count)  # filter after search: look at everything
    first = retrieve(store, vindex, query_vector, query, depth)
    ranked = first.order("hybrid")
    limit = max(RERANK_DEPTH, k * 3)
    rows = store.passages(ranked[:limit] if not filters else ranked)
    candidates = [i for i in ranked if i in rows and filters.allows(rows[i]["doc"])][:limit]
    if not candidates:
        return []
    # The items of a list whose lead-in is a candidate are candidates too, found or not.
    lists = {lead: members[:LIST_ITEMS] for lead, members in store.list_items(candidates).items()}
    items = list(dict.fromkeys(j for members in lists.values() for j in members))
    rows.update(store.passages([j for j in items if j not in rows]))
    have = set(candidates)
    candidates += [j for j in items if j in rows and j not in have]
    scored = lift_list_items(rerank(store, query_vector, query, candidates, first, rows), lists)
    # Copies of one work answer once: a copy's passages fold into the work's first document.
    groups = store.groups_of(sorted({rows[item[1]]["doc"].id for item in scored}))
    shown: dict[str, str] = {}  # group -> the document that represents it
    also: dict[str, list[Any]] = {}  # representative document id -> its copies among the hits
    kept = []
    for item in scored:
        doc = rows[item[1]]["doc"]
        grp = groups.get(doc.id)
        if grp is None:
            kept.append(item)
            continue
        first = shown.setdefault(grp, doc.id)
        if first == doc.id:
            kept.append(item)
        elif all(d.id != doc.id for d in also.setdefault(first, [])):
            also[first].append(doc)
    scored = kept
    # Diversity: at most `per_doc` passages from one document while others remain. A list whose
    # lead-in is shown counts once, as its lead-in: its items are one answer, not many.
    lead_of = {j: lead for lead, members in lists.items() for j in members}
    chosen: list[tuple[float, int, dict[str, float], tuple[int, int] | None]] = []
    shown_ids: set[int] = set()
    overflow = []
    counts: dict[str, int] = {}
    for item in scored:
        doc_id = rows[item[1]]["doc"].id
        if lead_of.get(item[1]) in shown_ids:
            chosen.append(item)
        elif counts.get(doc_id, 0) < per_doc:
            chosen.append(item)
            shown_ids.add(item[1])
            counts[doc_id] = counts.get(doc_id, 0) + 1
        else:
            overflow.append(item)
    chosen.extend(overflow)
    hits = []
    for rank, (score, i, components, span) in enumerate(chosen[:k], start=1):
        row = rows[i]
        hits.append(
            Hit(
                rank=rank,
                score=score,
                passage_id=row["id"],
                text=row["text"],
                start=row["start"],
                end=row["end"],
                doc=row["doc"],
                best_sentence=span,
                components=components,
                also_in=tuple(also.get(row["doc"].id, ())),
            )
        )
    return hits


def rank(
    store: Store,
    vindex: VectorIndex,
    query_vector: np.ndarray,
    query: str,
    depth: int = 300,
    mode: str = "full",
    rerank_depth: int = 100,
) -> list[tuple[int, float]]:
    """(passage rowid, score) best first, by one retriever: bm25, dense, hybrid (RRF) or full
    (RRF, then the top `rerank_depth` reranked). For evaluation; `search` is the user-facing path."""
    first = retrieve(store, vindex, query_vector, query, depth)
    if mode == "dense":
        return sorted(first.dense.items(), key=lambda t: -t[1])
    if mode == "bm25":
        return sorted(first.lexical.items(), key=lambda t: -t[1])
    ranked = first.order("hybrid")
    if mode == "hybrid":
        return [(i, first.fused[i]) for i in ranked]
    head = ranked[:rerank_depth]
    scored = rerank(store, query_vector, query, head, first, store.passages(head))
    floor = min((t[0] for t in scored), default=0.0)
    # Below the reranked head, keep hybrid order, scored under it.
    return [(i, sc) for sc, i, _, _ in scored] + [
        (i, floor - 1 - n) for n, i in enumerate(ranked[rerank_depth:])
    ]
