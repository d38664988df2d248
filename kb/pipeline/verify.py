"""Verify: prove every stored record against its source and the vector index against the store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import InputError
from kb.pipeline.ingest import Progress, pipeline_version
from kb.records import Problem, VerifyReport

if TYPE_CHECKING:
    from kb.store import Store


def file_sha(path: Path) -> str:
    """sha256 of a file's bytes: a document's identity."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(
    store: Store, dim: int, vector_index: Callable[[], Any], where: str, progress: Progress
) -> VerifyReport:
    """Prove every stored record is a verbatim slice of its document's clean text, that the
    clean text is still what the source file gives, and that the vector index matches the store.

    Problems: `missing` (source file gone), `stale` (source changed since ingest), `outdated`
    (ingested by an older pipeline), `mismatch` (a record is not what its offsets say),
    `index` (vectors and store disagree).
    """
    from kb.ingest.boilerplate import shared_keys
    from kb.ingest.clean import clean
    from kb.sources.locate import current_sha, exists, read_stored

    problems: list[Problem] = [
        Problem(where, "damaged", f"{p} (move the index aside and run `kb ingest PATHS` into a new one)")
        for p in store.integrity_problems()
    ]
    checked = 0
    pipeline = pipeline_version()
    docs = store.documents()
    lines = store.doc_line_keys()
    shared = shared_keys(old.keys for old in lines.values())
    progress.start(len(docs), "verifying")
    for doc in docs:
        progress.advance(1)
        text = store.doc_text(doc.id)
        n, bad = record_mismatches(store, doc.id, text)
        checked += n
        problems.extend(Problem(doc.path, "mismatch", b) for b in bad)
        if not exists(doc.path, store):
            problems.append(
                Problem(
                    doc.path,
                    "missing",
                    "source file not found: restore it, or drop its document with `kb ingest --prune`",
                )
            )
            continue
        if current_sha(doc.path, store) != doc.sha:
            problems.append(Problem(doc.path, "stale", "source changed since ingest (run `kb ingest`)"))
            continue
        state = store.doc_state(doc.path)
        if state and state[3] != pipeline:
            problems.append(
                Problem(doc.path, "outdated", "ingested by an older kb pipeline (run `kb ingest`)")
            )
            continue
        try:
            source = read_stored(doc.path, store)
            own = store.doc_shared_keys(doc.id)
            if own is None:  # cleaned by an older kb: the collection's shared lines as they are now
                own = shared & (lines[doc.path].keys if doc.path in lines else frozenset())
            fresh = clean(source, own).text
        except (InputError, RecursionError) as exc:
            problems.append(Problem(doc.path, "mismatch", f"source no longer cleans: {exc}"))
            continue
        if fresh != text:
            problems.append(
                Problem(doc.path, "mismatch", "re-cleaning the source gives a different clean text")
            )
    progress.close()
    problems.extend(Problem(where, "index", d) for d in index_mismatches(store, dim, vector_index))
    return VerifyReport(documents=len(docs), records=checked, problems=tuple(problems))


def record_mismatches(store: Store, doc_id: str, text: str) -> tuple[int, list[str]]:
    """How many records were checked, and those that are not the slice their offsets name."""
    n = 0
    bad: list[str] = []
    spans = {}
    for rowid, start, end, ptext in store.doc_passages(doc_id):
        n += 1
        spans[rowid] = (start, end)
        if text[start:end] != ptext:
            bad.append(f"passage {start}-{end} is not the clean text at its offsets")
    for rowid, start, end in store.doc_sentences(doc_id):
        n += 1
        p_start, p_end = spans.get(rowid, (0, -1))
        if not (p_start <= start < end <= p_end):
            bad.append(f"sentence {start}-{end} lies outside its passage")
    for r in store.statistics(doc_id):
        n += 1
        if text[r["start"] : r["end"]] != r["value_text"]:
            bad.append(f"statistic {r['id']}: {r['value_text']!r} is not at {r['start']}-{r['end']}")
        if text[r["sentence_start"] : r["sentence_end"]] != r["sentence"]:
            bad.append(
                f"statistic {r['id']}: its sentence is not at {r['sentence_start']}-{r['sentence_end']}"
            )
    for r in store.claims(doc_id):
        n += 1
        if text[r["start"] : r["end"]] != r["text"]:
            bad.append(f"claim {r['id']}: its text is not at {r['start']}-{r['end']}")
    return n, bad


def index_mismatches(store: Store, dim: int, vector_index: Callable[[], Any]) -> Iterator[str]:
    """Disagreements between the faiss index and the store's passages and vectors."""
    import numpy as np

    missing = store.missing_vectors(dim)
    if missing:
        yield f"{missing} passages or sentences have no stored vector (run `kb rebuild`)"
    vindex = vector_index()
    ids, vectors = store.passage_vectors(dim)
    held = vindex.ids()
    if len(held) != len(ids) or not np.array_equal(np.sort(held), ids):
        yield f"the vector index holds {len(held)} passages, the store {len(ids)} (run `kb rebuild`)"
        return
    held_ids, held = vindex.all_vectors()  # every vector, not a sample
    bad = np.flatnonzero(np.abs(held - vectors).max(axis=1) > 1e-5) if len(ids) else []
    if len(bad):
        yield (
            f"the vector index disagrees with the store for {len(bad)} passages (first: {held_ids[bad[0]]}); "
            "it is derived data: delete vectors.faiss and it is rebuilt from the store"
        )
