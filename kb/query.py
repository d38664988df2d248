"""Query-side work behind the facade: records inside hits, ranking of statistics and claims
by a query, and the scoring of a draft's figures against the indexed statistics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kb.linking import components
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

    from kb.draft import SOURCED, draft_figures, judge
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
    # A sourced figure that another work contradicts is said to be disputed.
    if any(c.status == SOURCED for c in out):
        from dataclasses import replace

        every = with_docs(store, store.statistics())
        for r in every:
            r["doc_id"] = (r.get("doc") or {}).get("id")
        by_id = {r["id"]: r for r in every}
        against: dict[str, list[dict[str, Any]]] = {}
        for group in conflict_groups(every, store.copy_groups()):
            for i in group:
                against[every[i]["id"]] = [every[j] for j in group if every[j]["value"] != every[i]["value"]]
        out = [
            replace(c, contradicted_by=tuple(against.get(c.match["id"], ())))
            if c.status == SOURCED and c.match and c.match["id"] in by_id
            else c
            for c in out
        ]
    return out


_LIGHT = frozenset(
    "were was is are be been being have has had said say says told also still more less than about "
    "over under into onto with from that this those these their there here which who whom".split()
)


def _figure_terms(text: str | None) -> set[str]:
    """The content words of a population or measure (stemmed), for comparing two figures."""
    from kb.search import _terms

    return {t for t in _terms(text or "") if t not in _LIGHT and len(t) > 2}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _same_quantity(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["unit"] == b["unit"]
        and abs(a["value"] - b["value"]) <= 1e-9 * max(abs(a["value"]), 1.0)
        and a.get("value_high") == b.get("value_high")
        and a.get("currency_code") == b.get("currency_code")
    )


def figure_groups(records: list[dict[str, Any]], copies: dict[str, str]) -> list[list[int]]:
    """Indices of records that report one figure from different documents: the same quantity
    (value, unit, scale applied) about the same population, or in the same sentence, or read
    in copies of one work. Each group lists the original first: a record whose source names a
    study, then the earliest document."""
    import re as _re

    def norm(sentence: str) -> str:
        return " ".join(_re.findall(r"\w+", sentence.lower()))

    buckets: dict[tuple, list[int]] = {}
    for i, r in enumerate(records):
        key = (r["unit"], round(float(r["value"]), 9), r.get("value_high"), r.get("currency_code"))
        buckets.setdefault(key, []).append(i)
    terms: dict[int, tuple[set[str], set[str], str]] = {}  # computed once a record, not once a pair

    def about(i: int) -> tuple[set[str], set[str], str]:
        if i not in terms:
            r = records[i]
            terms[i] = (
                _figure_terms(r.get("population")),
                _figure_terms(_own_clause(r.get("measure"))),
                norm(r["sentence"]),
            )
        return terms[i]

    def pairs():
        for members in buckets.values():
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    da, db = records[i]["doc_id"], records[j]["doc_id"]
                    if da == db:
                        continue
                    (pa, ma, sa), (pb, mb, sb) = about(i), about(j)
                    same = (
                        copies.get(da, da) == copies.get(db, db)
                        or sa == sb
                        or (_overlap(pa, pb) >= 0.5 and (not (ma and mb) or _overlap(ma, mb) >= 0.5))
                    )
                    if same:
                        yield i, j

    groups: dict[int, list[int]] = {}
    for i, r in enumerate(components(len(records), pairs())):
        groups.setdefault(r, []).append(i)
    from kb.cite import study_of

    def first(i: int) -> tuple:
        r = records[i]
        return (study_of(r.get("source")) is None, (r.get("doc") or {}).get("date") or "9999", i)

    return [sorted(g, key=first) for g in groups.values()]


def _own_clause(measure: str | None) -> str:
    """A figure's own measure: its clause up to the next comma or the next figure
    ("were aged 26 or above, 65 percent were white" -> "were aged 26 or above")."""
    import re as _re

    return _re.split(r",|;|\s(?=[$£€]?\d)", measure or "", maxsplit=1)[0]


def conflict_groups(records: list[dict[str, Any]], copies: dict[str, str]) -> list[list[int]]:
    """Indices of records that give different values for the same measure of the same population
    (and period, where both state one), from different works. Copies of one article, two values in
    one document (a change over time) and the two ends of "rose from 23% to 35%" are not conflicts."""
    out: list[list[int]] = []
    by_unit: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        if r["unit"] in ("count", "dimensionless") or r.get("change"):
            continue  # counts of different things and changes are not one fact stated twice
        by_unit.setdefault(r["unit"], []).append(i)
    stated: set[tuple[str, str, float]] = {
        (r["doc_id"], r["unit"], round(float(r["value"]), 9)) for r in records
    }

    def both_state_both(a: dict[str, Any], b: dict[str, Any]) -> bool:
        """One document also states the other's value: two different figures, not a disagreement."""
        return (a["doc_id"], b["unit"], round(float(b["value"]), 9)) in stated or (
            b["doc_id"],
            a["unit"],
            round(float(a["value"]), 9),
        ) in stated

    # Two figures can conflict only if they share a population word and, when they say what they
    # measure, a measure word: candidate pairs come from blocks keyed so, not from every pair of a unit.
    terms = {
        i: (
            _figure_terms(records[i].get("population")),
            _figure_terms(_own_clause(records[i].get("measure"))),
        )
        for members in by_unit.values()
        for i in members
    }
    blocks: dict[tuple, list[int]] = {}
    for unit, members in by_unit.items():
        for i in members:
            pa, ma = terms[i]
            keys = [(unit, p, m) for p in pa for m in ma] if ma else [(unit, " ".join(sorted(pa)))]
            for key in keys:
                blocks.setdefault(key, []).append(i)
    linked: dict[int, set[int]] = {}
    tried: set[tuple[int, int]] = set()
    for members in blocks.values():
        for x, i in enumerate(members):
            a = records[i]
            pa, ma = terms[i]
            for j in members[x + 1 :]:
                if (i, j) in tried:
                    continue
                tried.add((i, j))
                b = records[j]
                if a["doc_id"] == b["doc_id"] or copies.get(a["doc_id"], a["doc_id"]) == copies.get(
                    b["doc_id"], b["doc_id"]
                ):
                    continue
                if _same_quantity(a, b) or a.get("per") != b.get("per") or both_state_both(a, b):
                    continue
                low, high = sorted((abs(float(a["value"])), abs(float(b["value"]))))
                if low == 0 or high / low > 5:
                    continue  # a billion and a per-share amount are not one figure stated twice
                if a.get("period") and b.get("period") and a["period"] != b["period"]:
                    continue
                pb, mb = terms[j]
                if bool(ma) != bool(mb):
                    continue  # one says what it measures and the other does not: not comparable
                same_measure = (
                    len(ma & mb) >= min(2, len(ma), len(mb)) and _overlap(ma, mb) >= 0.6
                    if ma
                    else " ".join(sorted(pa)) == " ".join(sorted(pb))
                )
                if pa and pb and _overlap(pa, pb) >= 0.6 and same_measure:
                    linked.setdefault(i, set()).add(j)
                    linked.setdefault(j, set()).add(i)
    # one conflict per figure and the figures that contradict it directly (no chains: A disagreeing
    # with B and B with C does not make A and C one conflict)
    groups: set[tuple[int, ...]] = set()
    for i, others in linked.items():
        groups.add(tuple(sorted({i, *others})))
    out = sorted((list(g) for g in groups if not any(set(g) < set(h) for h in groups)), key=lambda g: g[0])
    return out
