"""Site chrome learned from a collection: lines that recur across its documents.

A site prints its menu, its newsletter box and its "About the company" paragraph on
every page; an article's own sentences appear on one page only. kb keys every line of a
text scrape (normalised: case, punctuation and spacing ignored) and treats a line found in
two or more documents of the collection as chrome when cleaning (see `textclean`, which
also guards against two copies of one article wiping each other out).

The collection is what is cleaned together: the files of one `kb clean` call, or the
index's stored documents plus the files being ingested.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from kb.ingest.textclean import _normal, is_long, normal_key
from kb.linking import components

MIN_DOCS = 2  # documents a line must appear in to count as site chrome


def line_keys(text: str) -> frozenset[int]:
    """The keys of every line of a text that has at least one word."""
    normals = (_normal(line) for line in text.split("\n"))
    return frozenset(normal_key(n) for n in normals if n)


COPY_LINES = 3  # long lines two documents must share to be copies of one article...
COPY_SHARE = 0.7  # ...and that share of the long lines of each of them
COPY_MAX_DF = 8  # a long line in more documents than this is a site's boilerplate paragraph


def copy_groups(key_sets: list[frozenset[int]], df: dict[int, int] | None = None) -> list[int]:
    """For each document, the number of its group of copies (the same article saved twice, or
    syndicated with another headline and footer): documents that share most of their long lines.
    Site chrome repeats across many pages of a site, an article's prose across a few copies.
    `df`: each long line's document count in the whole collection, when `key_sets` is only part
    of it (kb.pipeline.learn); by default the count among `key_sets`."""
    return components(len(key_sets), copy_pairs(key_sets, df))


def copy_pairs(key_sets: list[frozenset[int]], df: dict[int, int] | None = None) -> list[tuple[int, int]]:
    """The pairs (i, j) of documents that are copies of one article (see `copy_groups`)."""
    postings: dict[int, list[int]] = {}
    for i, keys in enumerate(key_sets):
        for k in keys:
            if is_long(k):
                postings.setdefault(k, []).append(i)
    overlap: Counter[tuple[int, int]] = Counter()
    for k, docs in postings.items():
        if len(docs) >= 2 and (df.get(k, len(docs)) if df is not None else len(docs)) <= COPY_MAX_DF:
            for x, a in enumerate(docs):
                for b in docs[x + 1 :]:
                    overlap[(a, b)] += 1
    long_count = [sum(1 for k in keys if is_long(k)) for keys in key_sets]
    return [
        (a, b)
        for (a, b), n in overlap.items()
        if n >= COPY_LINES and n >= COPY_SHARE * max(long_count[a], long_count[b])
    ]


def shared_keys(
    key_sets: Iterable[frozenset[int]], min_docs: int = MIN_DOCS, groups: list[int] | None = None
) -> frozenset[int]:
    """Keys found in at least `min_docs` of the given documents' key sets, copies of one article
    counting once: lines that only copies of one article share are its text, not chrome.
    `groups`: the sets' copy groups when the caller has them already (`copy_groups`)."""
    sets = list(key_sets)
    groups = copy_groups(sets) if groups is None else groups
    seen: dict[int, set[int]] = {}
    for group, keys in zip(groups, sets):
        for k in keys:
            seen.setdefault(k, set()).add(group)
    return frozenset(k for k, g in seen.items() if len(g) >= min_docs)


def fingerprint(keys: Iterable[int]) -> str:
    """A short hash of a document's shared keys: when it changes, the document is re-cleaned."""
    ordered = sorted(keys)
    if not ordered:
        return ""
    h = hashlib.blake2b(digest_size=8)
    for k in ordered:
        h.update(k.to_bytes(8, "big", signed=True))
    return h.hexdigest()
