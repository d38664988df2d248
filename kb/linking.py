"""Links between statistics: one figure reported by many documents, and figures that disagree.

The pair tests live here once and serve two callers: the whole-collection groupings
(`figure_groups`, `conflict_groups`, for `kb conflicts` and the link evaluation) and the
per-record lookups of kb.query, which fetch only a record's candidates from the store (the same
quantity for a shared figure; a shared `conflict_keys` block for a disagreement), so a query's
cost does not grow with the collection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_LIGHT = frozenset(
    "were was is are be been being have has had said say says told also still more less than about "
    "over under into onto with from that this those these their there here which who whom".split()
)
_WORD = re.compile(r"\w+")

# A figure is "about" (population terms, own-measure terms, normalised sentence).
About = tuple[frozenset[str], frozenset[str], str]


def components(n: int, pairs: Iterable[tuple[int, int]]) -> list[int]:
    """For each of `n` items, the representative of its group once every linked pair is joined."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    return [root(i) for i in range(n)]


def figure_terms(text: str | None) -> frozenset[str]:
    """The content words of a population or measure (stemmed), for comparing two figures."""
    from kb.search import _terms

    return frozenset(t for t in _terms(text or "") if t not in _LIGHT and len(t) > 2)


def own_clause(measure: str | None) -> str:
    """A figure's own measure: its clause up to the next comma or the next figure
    ("were aged 26 or above, 65 percent were white" -> "were aged 26 or above")."""
    return re.split(r",|;|\s(?=[$£€]?\d)", measure or "", maxsplit=1)[0]


def about(record: dict[str, Any]) -> About:
    """What a statistic is about, computed once a record (not once a pair)."""
    return (
        figure_terms(record.get("population")),
        figure_terms(own_clause(record.get("measure"))),
        " ".join(_WORD.findall(record["sentence"].lower())),
    )


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def same_quantity(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["unit"] == b["unit"]
        and abs(a["value"] - b["value"]) <= 1e-9 * max(abs(a["value"]), 1.0)
        and a.get("value_high") == b.get("value_high")
        and a.get("currency_code") == b.get("currency_code")
    )


def quantity_key(record: dict[str, Any]) -> tuple:
    """Records that can report one figure share this key (value to 9 decimals, scale applied)."""
    return (
        record["unit"],
        round(float(record["value"]), 9),
        record.get("value_high"),
        record.get("currency_code"),
    )


def same_figure(a: dict[str, Any], b: dict[str, Any], ta: About, tb: About, copies: dict[str, str]) -> bool:
    """Two records of one quantity key, from different documents, report one figure: copies of one
    work, the same sentence, or the same population (and measure, where both state one)."""
    da, db = a["doc_id"], b["doc_id"]
    if da == db:
        return False
    return copies.get(da, da) == copies.get(db, db) or same_words(ta, tb)


def same_words(ta: About, tb: About) -> bool:
    """same_figure's test of what two figures are about: the same sentence, or the same population
    (and measure, where both state one)."""
    (pa, ma, sa), (pb, mb, sb) = ta, tb
    return sa == sb or (overlap(pa, pb) >= 0.5 and (not (ma and mb) or overlap(ma, mb) >= 0.5))


def _blocks(record: dict[str, Any], query: bool) -> list[str]:
    """The conflict blocks a statistic is filed under (`query` False) or looks in (True): two
    figures that can disagree (see `conflicting`) always meet in one, and blocks stay small.
    Disagreeing populations share 60% of the smaller one's words: all of them for a one-word
    population, else at least two, so a many-word population is filed under its word pairs (and
    under single words, searched only by one-word populations)."""
    if record["unit"] in ("count", "dimensionless") or record.get("change"):
        return []
    pa, ma, _ = about(record)
    if not pa:
        return []  # no population: it can disagree with nothing
    if not ma:  # without a measure, only the same population (and no measure) can disagree
        return ["=" + " ".join(sorted(pa))]
    words = sorted(pa)
    pairs = [f"{a} {b}" for i, a in enumerate(words) for b in words[i + 1 :]]
    if len(words) == 1:
        pops = ["s:" + words[0]] if query else ["s:" + words[0], "1:" + words[0]]
    elif query:
        pops = ["1:" + w for w in words] + ["p:" + p for p in pairs]
    else:
        pops = ["s:" + w for w in words] + ["p:" + p for p in pairs]
    return sorted(f"{p}\x1f{m}" for p in pops for m in sorted(ma))


def conflict_keys(record: dict[str, Any]) -> list[str]:
    """The blocks a statistic is filed under, with its unit (kb.store's stat_keys). None for
    counts, changes and unitless figures, which are not one fact stated twice."""
    return _blocks(record, query=False)


def conflict_query_keys(record: dict[str, Any]) -> list[str]:
    """The blocks to look in for the statistics a record may disagree with."""
    return _blocks(record, query=True)


def conflicting(
    a: dict[str, Any],
    b: dict[str, Any],
    ta: About,
    tb: About,
    copies: dict[str, str],
    states: Callable[[str, str, float], bool],
) -> bool:
    """Whether two statistics of one block disagree: other works, other values, the same measure
    of the same population (and period, where both state one). `states(doc, unit, value)` says
    whether a document states a value: then the two are two figures, not a disagreement."""
    if a["doc_id"] == b["doc_id"] or copies.get(a["doc_id"], a["doc_id"]) == copies.get(
        b["doc_id"], b["doc_id"]
    ):
        return False
    if same_quantity(a, b) or a.get("per") != b.get("per"):
        return False
    low, high = sorted((abs(float(a["value"])), abs(float(b["value"]))))
    if low == 0 or high / low > 5:
        return False  # a billion and a per-share amount are not one figure stated twice
    if a.get("period") and b.get("period") and a["period"] != b["period"]:
        return False
    (pa, ma, _), (pb, mb, _) = ta, tb
    if bool(ma) != bool(mb):
        return False  # one says what it measures and the other does not: not comparable
    same_measure = len(ma & mb) >= min(2, len(ma), len(mb)) and overlap(ma, mb) >= 0.6 if ma else pa == pb
    if not (pa and pb and overlap(pa, pb) >= 0.6 and same_measure):
        return False
    # the dearest test last: does either document also state the other's value?
    return not (states(a["doc_id"], b["unit"], b["value"]) or states(b["doc_id"], a["unit"], a["value"]))


def original_first(records: list[dict[str, Any]]) -> Callable[[int], tuple]:
    """Sort key putting a figure's original first: a record whose source names a study, then the
    earliest document."""
    from kb.cite import study_of

    def key(i: int) -> tuple:
        r = records[i]
        return (study_of(r.get("source")) is None, (r.get("doc") or {}).get("date") or "9999", i)

    return key


def figure_groups(records: list[dict[str, Any]], copies: dict[str, str]) -> list[list[int]]:
    """Indices of records that report one figure from different documents (see `same_figure`),
    each group with its original first."""
    buckets: dict[tuple, list[int]] = {}
    for i, r in enumerate(records):
        buckets.setdefault(quantity_key(r), []).append(i)
    terms: dict[int, About] = {}

    def of(i: int) -> About:
        if i not in terms:
            terms[i] = about(records[i])
        return terms[i]

    def pairs():
        for members in buckets.values():
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    if same_figure(records[i], records[j], of(i), of(j), copies):
                        yield i, j

    groups: dict[int, list[int]] = {}
    for i, r in enumerate(components(len(records), pairs())):
        groups.setdefault(r, []).append(i)
    first = original_first(records)
    return [sorted(g, key=first) for g in groups.values()]


def conflict_links(records: list[dict[str, Any]], copies: dict[str, str]) -> dict[int, set[int]]:
    """For each record that disagrees with others (see `conflicting`), the indices of those it
    contradicts directly; candidate pairs come from shared conflict blocks, not every pair."""
    stated = {(r["doc_id"], r["unit"], round(float(r["value"]), 9)) for r in records}

    def states(doc: str, unit: str, value: float) -> bool:
        return (doc, unit, round(float(value), 9)) in stated

    filed: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(records):
        for key in conflict_keys(r):
            filed.setdefault((r["unit"], key), []).append(i)
    terms: dict[int, About] = {}

    def of(i: int) -> About:
        if i not in terms:
            terms[i] = about(records[i])
        return terms[i]

    linked: dict[int, set[int]] = {}
    for i, r in enumerate(records):
        seen: set[int] = set()
        for key in conflict_query_keys(r):
            for j in filed.get((r["unit"], key), ()):
                if j == i or j in seen:
                    continue
                seen.add(j)
                if conflicting(r, records[j], of(i), of(j), copies, states):
                    linked.setdefault(i, set()).add(j)
                    linked.setdefault(j, set()).add(i)
    return linked


def conflict_groups(records: list[dict[str, Any]], copies: dict[str, str]) -> list[list[int]]:
    """Indices of records that give different values for the same measure of the same population
    from different works: one group per figure and the figures that contradict it directly, no
    chains (A disagreeing with B and B with C does not make A and C one conflict)."""
    linked = conflict_links(records, copies)
    groups = {tuple(sorted({i, *others})) for i, others in linked.items()}
    return sorted((list(g) for g in groups if not any(set(g) < set(h) for h in groups)), key=lambda g: g[0])
