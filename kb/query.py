"""Query-side work behind the facade: records inside hits, ranking of statistics and claims
by a query, and the scoring of a draft's figures against the indexed statistics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kb.records import Hit, content_id

if TYPE_CHECKING:
    from kb.store import Store


def encode_cached(store: Store, embedder: Any, texts: Sequence[str]) -> Any:
    """Vectors for texts, from the store's cache where ingest already embedded them."""
    import numpy as np

    keys = [content_id(embedder.name, t) for t in texts]
    cached = store.vectors(keys)
    todo = [t for t, k in zip(texts, keys) if k not in cached]
    fresh = dict(zip(todo, embedder.encode(todo))) if todo else {}
    return np.stack([cached[k] if k in cached else fresh[t] for t, k in zip(texts, keys)])


def summary(store: Store, query: str, qvec: Any, hits: Sequence[Hit]) -> Any:
    """The extractive answer (kb.answer.Summary) from the sentences of the top hits."""
    from kb.answer import ANSWER_HITS, Candidate, summarise

    top = hits[:ANSWER_HITS]
    sentences = store.passage_sentences([h.passage_id for h in top])
    contexts = store.passage_contexts([h.passage_id for h in top])
    candidates = [
        Candidate(
            h.doc,
            s,
            e,
            h.text[s - h.start : e - h.start],
            vec,
            h.rank,
            h.components.get("intent", 0.0),
            h.components.get("dense", 0.0),
            contexts.get(h.passage_id, ""),
        )
        for h in top
        for s, e, vec in sentences.get(h.passage_id, [])
    ]
    return summarise(query, qvec, candidates)


def attach_records(store: Store, hits: Sequence[Hit]) -> Iterator[Hit]:
    """Each hit with the statistics inside it and the claims that overlap it."""
    from dataclasses import replace

    from kb.records import Claim, Statistic, page_at

    by_doc_stats: dict[str, list[dict[str, Any]]] = {}
    by_doc_claims: dict[str, list[dict[str, Any]]] = {}
    pages: dict[str, list[tuple[int, int, int]]] = {}
    for h in hits:
        if h.doc.id not in by_doc_stats:
            by_doc_stats[h.doc.id] = store.statistics(h.doc.id)
            by_doc_claims[h.doc.id] = store.claims(h.doc.id)
        stats = tuple(
            Statistic(**{k: v for k, v in s.items() if k != "id"})
            for s in by_doc_stats[h.doc.id]
            if h.start <= s["start"] and s["end"] <= h.end
        )
        claims = tuple(
            Claim(**{k: v for k, v in c.items() if k != "id"})
            for c in by_doc_claims[h.doc.id]
            if c["start"] < h.end and h.start < c["end"]
        )
        if h.doc.id not in pages:
            pages[h.doc.id] = store.doc_pages(h.doc.id)
        yield replace(h, statistics=stats, claims=claims, page=page_at(pages[h.doc.id], h.start))


def rank(
    store: Store,
    embedder: Any,
    query: str,
    records: list[dict[str, Any]],
    text_field: str,
    own_fields: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Order records by cosine between the query and each record's text, plus word overlap;
    words of the record's own fields break ties between records that share one text."""
    import numpy as np

    from kb.search import _terms

    sentences = sorted({r[text_field] for r in records})
    vectors = dict(zip(sentences, encode_cached(store, embedder, sentences)))  # ingest embedded most
    qvec = embedder.encode([query])[0]
    qterms = _terms(query)

    def score(r: dict[str, Any]) -> float:
        n = max(len(qterms), 1)
        shared = len(qterms & _terms(r[text_field])) / n
        own = len(qterms & _terms(" ".join(r.get(f) or "" for f in own_fields))) / n
        return float(np.dot(vectors[r[text_field]], qvec)) + 0.2 * shared + 0.2 * own

    scored = sorted(((score(r), i, r) for i, r in enumerate(records)), key=lambda t: (-t[0], t[1]))
    out = []
    for value, _, r in scored:
        r = dict(r)
        r["score"] = round(value, 6)
        out.append(r)
    return out


def filter_unit(records: list[dict[str, Any]], unit: str) -> list[dict[str, Any]]:
    """Records in `unit`, given as a normalised name ('kilometer'), a written form ('km', '%')
    or a currency code ('EUR'); an unknown unit raises UsageError listing the units there are."""
    import difflib
    from collections import Counter

    from kb.errors import UsageError
    from kb.extract.units import CURRENCY_CODES, canonical_unit

    code = unit.strip().upper() if unit.strip().upper() in CURRENCY_CODES else None
    want = canonical_unit(unit) or unit.strip()
    out = [
        r
        for r in records
        if r["unit"].lower() == want.lower() and (code is None or r.get("currency_code") == code)
    ]
    if out or not records:
        return out
    counts = Counter(r["unit"] for r in records)
    have = ", ".join(f"{u} ({n})" for u, n in counts.most_common())
    close = difflib.get_close_matches(unit.lower(), [u.lower() for u in counts], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UsageError(f"no statistics in unit {unit!r}{hint} Units in this index: {have}")


def with_docs(store: Store, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records with their document's metadata under `doc` in place of `doc_id`."""
    docs = {d.id: d.to_dict() for d in store.documents()}
    out = []
    for r in records:
        r = dict(r)
        r["doc"] = docs.get(r.pop("doc_id"))
        out.append(r)
    return out


def check_figures(store: Store, embedder: Any, markdown: str) -> list[Any]:
    """Every figure in a Markdown draft, judged sourced, mismatched or unsourced against the
    indexed statistics (kb.draft.FigureCheck records, in draft order)."""
    import numpy as np

    from kb.draft import draft_figures, judge
    from kb.search import _terms

    figures = draft_figures(markdown)
    if not figures:
        return []
    records = with_docs(store, store.statistics())
    units = {f.unit for f in figures}
    records = [r for r in records if r["unit"] in units]

    def statement(value_text: str, population: str | None, measure: str | None) -> str:
        """The figure's own clause, so one figure of a sentence that states three is told apart."""
        return " ".join(filter(None, (value_text, f"of {population}" if population else None, measure)))

    def own(x: Any) -> set[str]:
        return _terms(" ".join(filter(None, x)))

    f_statements = [statement(f.value_text, f.population, f.measure) for f in figures]
    r_statements = [statement(r["value_text"], r.get("population"), r.get("measure")) for r in records]
    texts = sorted(
        {f.sentence for f in figures}
        | {r["sentence"] for r in records}
        | set(f_statements)
        | set(r_statements)
    )
    vectors = dict(zip(texts, encode_cached(store, embedder, texts)))
    out = []
    for f, f_stmt in zip(figures, f_statements):
        fvec, fown = vectors[f.sentence], own((f.population, f.measure))
        svec = vectors[f_stmt]
        scored = []
        for r, r_stmt in zip(records, r_statements):
            if r["unit"] != f.unit:
                continue
            score = max(float(np.dot(fvec, vectors[r["sentence"]])), float(np.dot(svec, vectors[r_stmt])))
            rown = own((r.get("population"), r.get("measure")))
            if fown:
                score += 0.2 * len(fown & rown) / len(fown)
            if f.population and r.get("population"):  # who the figure is about weighs most
                fpop, rpop = _terms(f.population), _terms(r["population"])
                score += 0.15 * len(fpop & rpop) / max(len(fpop), 1)
            if (r.get("doc") or {}).get("citekey") in f.cites:
                score += 0.1
            scored.append((score, r))
        out.append(judge(f, scored))
    return out
