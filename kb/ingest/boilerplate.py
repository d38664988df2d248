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

from kb.ingest.textclean import _normal, normal_key

MIN_DOCS = 2  # documents a line must appear in to count as site chrome


def line_keys(text: str) -> frozenset[int]:
    """The keys of every line of a text that has at least one word."""
    normals = (_normal(line) for line in text.split("\n"))
    return frozenset(normal_key(n) for n in normals if n)


def shared_keys(key_sets: Iterable[frozenset[int]], min_docs: int = MIN_DOCS) -> frozenset[int]:
    """Keys found in at least `min_docs` of the given documents' key sets."""
    counts: Counter[int] = Counter()
    for keys in key_sets:
        counts.update(keys)
    return frozenset(k for k, n in counts.items() if n >= min_docs)


def fingerprint(keys: Iterable[int]) -> str:
    """A short hash of a document's shared keys: when it changes, the document is re-cleaned."""
    ordered = sorted(keys)
    if not ordered:
        return ""
    h = hashlib.blake2b(digest_size=8)
    for k in ordered:
        h.update(k.to_bytes(8, "big", signed=True))
    return h.hexdigest()
