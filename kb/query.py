"""Query-side work behind the facade: records inside hits, ranking of statistics and claims
by a query, and the scoring of a draft's figures against the indexed statistics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

from kb.records import Hit, content_id, figure_statement

if TYPE_CHECKING:
    from kb.store import Store


def encode_cached(store: Store, embedder: Any, texts: Sequence[str]) -> Any:
    """Vectors for texts, from the store's cache where ingest already embedded them."""
    import numpy as np

    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    keys = [content_id(embedder.name, t) for t in texts]
    cached = store.vectors(keys)
    todo = [t for t, k in zip(texts, keys) if k not in cached]
    fresh = dict(zip(todo, embedder.encode(todo))) if todo else {}
    return np.stack([cached[k] if k in cached else fresh[t] for t, k in zip(texts, keys)])


def summary(store: Store, query: str, qvec: Any, hits: Sequence[Hit], embedder: Any = None) -> Any:
    """The extractive answer (kb.answer.Summary) from the sentences of the top hits, with the
    embedder's own cosine thresholds for duplicates and themes when it has them."""
    from kb.answer import ANSWER_HITS, DUPLICATE, THEME_JOIN, Candidate, summarise

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
    return summarise(
        query,
        qvec,
        candidates,
        duplicate=getattr(embedder, "duplicate", DUPLICATE),
        theme_join=getattr(embedder, "theme_join", THEME_JOIN),
    )


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


RECORD_DEPTH = 400  # record sentences taken from the index for a query without filters
CHECK_DEPTH = 100  # sentences nearest to a draft figure's whose statistics are its candidates
CHECK_DISPUTES = 5  # other works' values `kb check` shows against a sourced figure (enough to say disputed)
EXACT_MAX = 20_000  # filtered records up to this many are scored exactly from their stored vectors


def rank_records(
    store: Store,
    rindex: Any,
    embedder: Any,
    qvec: Any,
    query: str,
    kind: str,
    text_field: str,
    own_fields: tuple[str, ...] = (),
    records: list[dict[str, Any]] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Statistics or claims (`kind`) by relevance to a query: cosine between the query and the
    stored vectors of the sentences that hold each record, plus word overlap; words of the record's
    own fields break ties between records of one sentence. A filtered set (`records`) of up to
    EXACT_MAX is scored exactly; otherwise the record-sentence index gives the candidates (those in
    `records`, when given), so the cost does not grow with the collection."""
    import numpy as np

    from kb.search import _terms

    if records is not None and len(records) <= EXACT_MAX:
        vectors = store.record_vectors([r["id"] for r in records])
        loose = sorted({r[text_field] for r in records if r["id"] not in vectors})  # in no sentence
        own = dict(zip(loose, encode_cached(store, embedder, loose))) if loose else {}
        cosine = {
            r["id"]: max(float(np.dot(v, qvec)) for v in vectors.get(r["id"]) or [own[r[text_field]]])
            for r in records
        }
    else:
        allowed = None if records is None else {r["id"] for r in records}
        cosine, found = {}, {}
        want = max(limit or 10, 10)
        depth, total = max(RECORD_DEPTH, 20 * want), rindex.manifest.count
        while True:
            hits = rindex.search(qvec, min(depth, total))
            held = store.records_in_sentences(kind, [i for i, _ in hits])
            for rowid, cos in hits:
                for r in held.get(rowid, ()):
                    if (allowed is None or r["id"] in allowed) and cos > cosine.get(r["id"], -2.0):
                        cosine[r["id"]], found[r["id"]] = cos, r
            if depth >= total or len(found) >= 2 * want:
                break
            depth *= 4
        records = list(found.values())
    qterms = _terms(query)
    n = max(len(qterms), 1)

    def score(r: dict[str, Any]) -> float:
        shared = len(qterms & _terms(r[text_field])) / n
        own = len(qterms & _terms(" ".join(r.get(f) or "" for f in own_fields))) / n
        return cosine.get(r["id"], 0.0) + 0.2 * shared + 0.2 * own

    scored = sorted(((score(r), i, r) for i, r in enumerate(records)), key=lambda t: (-t[0], t[1]))
    return [dict(r, score=round(value, 6)) for value, _, r in scored[:limit]]


def unit_filter(store: Store, unit: str, doc_id: str | None = None) -> tuple[str, str | None]:
    """(stored unit, currency code or None) for `unit` given as a normalised name ('kilometer'), a
    written form ('km', '%') or a currency code ('EUR'); a unit the index does not hold raises
    UsageError listing the units there are."""
    import difflib

    from kb.errors import UsageError
    from kb.extract.units import CURRENCY_CODES, canonical_unit

    code = unit.strip().upper() if unit.strip().upper() in CURRENCY_CODES else None
    want = canonical_unit(unit) or unit.strip()
    counts = store.unit_counts(doc_id)
    if not counts or any(u.lower() == want.lower() for u in counts):
        return want, code
    have = ", ".join(f"{u} ({n})" for u, n in counts.items())
    close = difflib.get_close_matches(unit.lower(), [u.lower() for u in counts], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UsageError(f"no statistics in unit {unit!r}{hint} Units in this index: {have}")


def with_docs(store: Store, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records with their document's metadata under `doc` in place of `doc_id` (only the documents
    these records come from are read)."""
    docs = store.documents_in({r["doc_id"] for r in records if r.get("doc_id")})
    out = []
    for r in records:
        r = dict(r)
        doc = docs.get(r.pop("doc_id"))
        r["doc"] = doc.to_dict() if doc else None
        out.append(r)
    return out


def _with_doc_ids(store: Store, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records with their document under `doc` and its id kept under `doc_id`, for grouping."""
    out = with_docs(store, records)
    for r in out:
        r["doc_id"] = (r.get("doc") or {}).get("id")
    return out


WHOLE_SHARE = 0.05  # disagreements of more records than this share of the collection are found whole


def links(
    store: Store, records: list[dict[str, Any]], most: int | None = None
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """For statistics (with `doc`), ({id: the same figure in other documents, original first},
    {id: statistics of other works that contradict it directly}). The same figure comes from the
    groups ingest keeps (Store.figure_group_members); disagreements from the record's conflict
    blocks, or for most of the collection at once from linking it whole (cheaper then).
    With `most`, a record's disagreements stop at the first `most` found (oldest first): enough
    to call a figure disputed, without reading every copy of a figure a thousand works repeat."""
    from kb.linking import about, conflict_links, conflict_query_keys, original_first

    ids = [r["id"] for r in records]
    also: dict[str, list[dict[str, Any]]] = {}
    groups = store.figure_group_members(ids)
    docs = store.documents_in({x["doc_id"] for g in groups.values() for x in g})
    for r in records:
        group = [dict(x, doc=docs[x["doc_id"]].to_dict()) for x in groups.get(r["id"], [])]
        me = (r.get("doc") or {}).get("id")
        also[r["id"]] = [
            group[j] for j in sorted(range(len(group)), key=original_first(group)) if group[j]["doc_id"] != me
        ]
    if most is None and len(records) > WHOLE_SHARE * max(store.record_count("statistic"), 1):
        every = _with_doc_ids(store, store.statistics())
        index = {x["id"]: i for i, x in enumerate(every)}
        direct = conflict_links(every, store.copy_groups())
        against = {i: [every[j] for j in sorted(direct.get(index[i], ()))] for i in ids if i in index}
        return also, against
    against = {}
    for r in records:
        me = dict(r, doc_id=(r.get("doc") or {}).get("id"))
        mine = about(me)
        v = abs(float(r["value"]))  # a disagreement is within a factor of 5 (kb.linking.conflicting)
        keyed = (
            store.iter_statistics_keyed(r["unit"], conflict_query_keys(me), -5 * v, 5 * v) if v else iter(())
        )
        found: list[dict[str, Any]] = []
        while most is None or len(found) < most:
            batch = list(islice(keyed, CONFLICT_BATCH if most is not None else None))
            if not batch:
                break
            found += _disagreeing(store, me, mine, batch)
        if most is not None:
            found = found[:most]
        against[r["id"]] = _with_doc_ids(store, sorted(found, key=lambda x: (x["doc_id"], x["start"])))
    return also, against


CONFLICT_BATCH = 256  # candidates judged at once when only the first few disagreements are wanted


def _disagreeing(
    store: Store, me: dict[str, Any], mine: Any, keyed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The statistics of `keyed` that contradict `me` (kb.linking.conflicting), oldest first."""
    from kb.linking import conflicting

    v = abs(float(me["value"]))
    others = [x for x in keyed if x["id"] != me["id"] and abs(float(x["value"])) >= v / 5]
    copies = store.groups_of(sorted({me["doc_id"], *(x["doc_id"] for x in others)}))
    terms = {x["id"]: x.pop("_about") for x in others}
    # `conflicting` asks last whether either document states the other's value: first find the
    # pairs that pass everything else, then read the values of only their documents, at once
    found = [x for x in others if conflicting(me, x, mine, terms[x["id"]], copies, lambda *_: False)]
    stated = store.values_stated(sorted({me["doc_id"], *(x["doc_id"] for x in found)}), me["unit"])

    def states(doc: str, unit: str, value: float) -> bool:
        return (doc, round(float(value), 9)) in stated

    return [x for x in found if conflicting(me, x, mine, terms[x["id"]], copies, states)]


def check_figures(store: Store, rindex: Any, embedder: Any, markdown: str) -> list[Any]:
    """Every figure in a Markdown draft, judged sourced, mismatched or unsourced against the
    indexed statistics (kb.draft.FigureCheck records, in draft order). A figure's candidates are
    the statistics of the sentences nearest to its own (from the record index) and those of the
    same value; each figure costs one encoding of its sentence, whatever the collection's size."""
    from dataclasses import replace

    import numpy as np

    from kb.draft import SOURCED, draft_figures, judge
    from kb.search import _terms

    figures = draft_figures(markdown)
    if not figures:
        return []
    f_statements = [figure_statement(f.value_text, f.population, f.measure) for f in figures]
    texts = sorted({f.sentence for f in figures} | set(f_statements))
    fvecs = dict(zip(texts, encode_cached(store, embedder, texts)))

    def own(x: Any) -> set[str]:
        return _terms(" ".join(filter(None, x)))

    out = []
    for f, f_stmt in zip(figures, f_statements):
        fvec, svec = fvecs[f.sentence], fvecs[f_stmt]
        cited = [d.id for d in store.documents_by_citekey(list(f.cites))] if f.cites else []
        # the figure in the works the draft cites for it, wherever it stands there
        candidates = {r["id"]: r for r in store.statistics_valued(f.unit, f.value, cited)}
        cosine: dict[str, float] = {}
        hits = rindex.search(fvec, CHECK_DEPTH)
        held = store.records_in_sentences("statistic", [i for i, _ in hits])
        for rowid, cos in hits:
            for r in held.get(rowid, ()):
                if r["unit"] == f.unit:
                    candidates.setdefault(r["id"], r)
                    cosine[r["id"]] = max(cos, cosine.get(r["id"], -2.0))
        rest = [i for i in candidates if i not in cosine]
        for rid, vecs in store.record_vectors(rest).items():
            cosine[rid] = max(float(np.dot(v, fvec)) for v in vecs)
        r_statements = {
            i: figure_statement(r["value_text"], r.get("population"), r.get("measure"))
            for i, r in candidates.items()
        }
        svecs = dict(zip(r_statements.values(), encode_cached(store, embedder, list(r_statements.values()))))
        fown = own((f.population, f.measure))
        scored = []
        for r in with_docs(store, list(candidates.values())):
            score = max(cosine.get(r["id"], 0.0), float(np.dot(svec, svecs[r_statements[r["id"]]])))
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
    # A sourced figure that another work contradicts is said to be disputed.
    matched = [c.match for c in out if c.status == SOURCED and c.match]
    if matched:
        _, against = links(store, matched, most=CHECK_DISPUTES)
        out = [
            replace(
                c,
                contradicted_by=tuple(
                    x for x in against.get(c.match["id"], ()) if x["value"] != c.match["value"]
                ),
            )
            if c.status == SOURCED and c.match
            else c
            for c in out
        ]
    return out
