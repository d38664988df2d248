"""What an ingest must know of the collection, learned from the part a change can reach.

Cleaning needs two facts about the whole collection: which lines are shared (site chrome: a line in
documents of two or more works) and which documents are copies of one work (they share most of
their long lines). Computing them from every stored document makes each added document cost more
as the collection grows. Here they come from the documents that share lines with the ones being
ingested, found through the doc_lines key index, so adding a document costs about the same in an
index of any size. The result equals kb.ingest.boilerplate's functions over the whole collection;
tests/test_learn.py checks that on random collections of copies, chrome and edits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.ingest.boilerplate import COPY_MAX_DF, MIN_DOCS, copy_pairs
from kb.ingest.textclean import is_long
from kb.linking import components

if TYPE_CHECKING:
    from kb.store import Store


@dataclass(frozen=True, slots=True)
class Learned:
    """Shared lines and copy groups after a change to the collection."""

    own: dict[str, frozenset[int]]  # each changed document's shared lines, by path
    stale: dict[str, frozenset[int]]  # stored documents whose shared lines changed: path → the new ones
    region: frozenset[str]  # paths whose copy group was worked out again
    groups: dict[str, str]  # path → a member path naming its group, for region paths that have copies


def learn(
    store: Store,
    new: dict[str, frozenset[int]],
    gone: dict[str, frozenset[int]],
    gone_groups: dict[str, str],
) -> Learned | None:
    """Learn after `new` (path → line keys of documents added or changed) and `gone` (line keys of
    documents just removed from the store, with their former copy groups). None when a document
    the change reaches was cleaned by an older kb: the caller learns from the whole collection."""
    replaced = store.lines_of(list(new))  # stored versions that the new ones replace
    leaving = Counter(k for d in replaced.values() for k in d.keys)
    coming = Counter(k for keys in new.values() for k in keys)
    changed = set(coming) | set(leaving) | {k for keys in gone.values() for k in keys}
    n_out = len(replaced) + len(gone)

    def staying(paths: Iterable[str]) -> set[str]:
        return {p for p in paths if p not in new}

    # 1. Copy groups. A long line counts towards copies while it is in at most COPY_MAX_DF
    # documents, so only lines that can be under that bound before or after the change matter.
    reach = _near_lines(store, [k for k in changed if is_long(k)], n_out)
    first = staying(p for paths in reach.values() for p in paths)
    first_lines = store.lines_of(sorted(first))
    partner_lines = _near_lines(store, {k for d in first_lines.values() for k in d.keys if is_long(k)}, n_out)
    partners = staying(p for paths in partner_lines.values() for p in paths)
    old_groups = store.path_groups(sorted(first | partners | set(replaced))) | gone_groups
    members = store.group_paths(sorted(set(old_groups.values())))
    region = staying(first | partners | {p for ms in members.values() for p in ms}) | set(new)
    stored_lines = first_lines | store.lines_of(sorted(region - set(new) - set(first_lines)))
    order = sorted(region)
    sets = [new[p] if p in new else stored_lines[p].keys for p in order]
    long_keys = {k for keys in sets for k in keys if is_long(k)}
    df_now = store.line_df(long_keys)
    df = {k: df_now.get(k, 0) - leaving[k] + coming[k] for k in long_keys}
    by_group: dict[int, list[str]] = {}
    for p, g in zip(order, components(len(order), copy_pairs(sets, df))):
        by_group.setdefault(g, []).append(p)
    groups = {p: min(ms) for ms in by_group.values() if len(ms) > 1 for p in ms}

    # 2. Shared lines: a line is shared when the documents that have it belong to two or more works.
    # Lines that can change are those of changed documents and of documents regrouped above.
    lines = changed | {k for keys in sets for k in keys}
    holders = store.line_postings(lines)
    new_holders: dict[int, list[str]] = {}
    for p, keys in new.items():
        for k in keys:
            new_holders.setdefault(k, []).append(p)
    outside = staying(p for paths in holders.values() for p in paths) - region
    outside_groups = store.path_groups(sorted(outside))

    def work(path: str) -> tuple[str, str]:
        if path in region:
            return ("region", groups.get(path, path))
        return ("stored", outside_groups.get(path, path))

    status = {
        k: len({work(p) for p in staying(holders.get(k, ()))} | {work(p) for p in new_holders.get(k, ())})
        >= MIN_DOCS
        for k in lines
    }
    before = store.line_status(lines)
    if before is None:
        return None
    flipped = {k for k in lines if k in before and before[k] != status[k]}
    reached = sorted(staying(p for k in flipped for p in holders.get(k, ())))
    flags = store.shared_flags(reached)
    stale: dict[str, frozenset[int]] = {}
    for path in reached:
        old = flags[path]
        if old is None:
            return None
        mine = {k for k in flipped if path in holders.get(k, ())}
        now = frozenset((old - mine) | {k for k in mine if status[k]})
        if now != old:
            stale[path] = now
    own = {p: frozenset(k for k in keys if status[k]) for p, keys in new.items()}
    return Learned(own=own, stale=stale, region=frozenset(region), groups=groups)


def _near_lines(store: Store, keys: Iterable[int], n_out: int) -> dict[int, set[str]]:
    """Holders of the long lines that may count towards copies (in at most COPY_MAX_DF documents
    once `n_out` stored documents have left)."""
    keys = list(keys)
    df = store.line_df(keys)
    return store.line_postings([k for k in keys if df.get(k, 0) <= COPY_MAX_DF + n_out])
