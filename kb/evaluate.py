"""`kb eval`: retrieval quality on a labelled BEIR-format folder, so users can measure kb on their data.

The folder holds `corpus.jsonl` ({"_id", "title", "text"}), `queries.jsonl` ({"_id", "text"}) and
`qrels/<split>.tsv` (query-id, corpus-id, score). The corpus is indexed once into a throw-away
index keyed by a hash of the corpus file and the model (a second run reuses it).
Passages are ranked by one retriever and a document scores as its best passage (MaxP). Metrics
come from trec_eval through pytrec_eval: nDCG@10, Recall@100, and MRR@10 (reciprocal rank with
the run cut at 10).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import InputError

RETRIEVERS = ("bm25", "dense", "hybrid", "full")
DOCS_PER_QUERY = 100  # documents kept per query (Recall@100)
PASSAGE_DEPTH = 400  # passages looked at per query to fill them


@dataclass(frozen=True, slots=True)
class EvalReport:
    retriever: str
    split: str
    queries: int
    metrics: dict[str, float]
    timings: dict[str, float] = field(default_factory=dict)
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "retriever": self.retriever,
            "split": self.split,
            "queries": self.queries,
            **{k: round(v, 4) for k, v in self.metrics.items()},
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(str(path), f"line {n} is not JSON ({exc.msg})") from exc
                    if not isinstance(record, dict):
                        raise InputError(str(path), f"line {n} is not a JSON object")
                    for key in ("text", "title", "_id"):
                        if key in record and not isinstance(record[key], str | int | type(None)):
                            raise InputError(str(path), f"line {n}: {key!r} is not a string")
                    yield record
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 (byte {exc.start})") from exc


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """qrels/<split>.tsv as {query id: {doc id: grade}} (a header line is skipped)."""
    if not path.is_file():
        raise InputError(str(path), "no such qrels file (expected qrels/<split>.tsv)")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                continue  # header or blank
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def corpus_key(folder: Path, model: str) -> str:
    """Which cached index serves this corpus: a hash of its bytes and the model. After a change to
    kb's pipeline the same index is re-processed in place, reusing every vector whose text is unchanged."""
    h = hashlib.sha256()
    with (folder / "corpus.jsonl").open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    h.update(f"\x1f{model}".encode())
    return h.hexdigest()[:16]


def corpus_items(folder: Path) -> Iterator[tuple[str, str | None, str]]:
    """(key, title, text) for each corpus document; the key carries the BEIR id."""
    for doc in _jsonl(folder / "corpus.jsonl"):
        text = str(doc.get("text") or "").strip()
        title = str(doc.get("title") or "").strip() or None
        if text or title:
            yield f"beir:{doc['_id']}", title, text or ""


def doc_run(passages: list[tuple[int, float]], doc_of: dict[int, str], limit: int) -> dict[str, float]:
    """A document scores as its best passage (MaxP); the first `limit` documents, by rank-derived score
    so that ties in raw scores cannot reorder them."""
    run: dict[str, float] = {}
    for i, _ in passages:
        doc = doc_of.get(i)
        if doc is not None and doc not in run:
            run[doc] = float(limit - len(run))
            if len(run) >= limit:
                break
    return run


def metrics(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]
) -> tuple[dict[str, float], dict]:
    """Mean nDCG@10, Recall@100 and MRR@10 over the judged queries, and the per-query values."""
    import pytrec_eval

    judged = {q: r for q, r in qrels.items() if q in run}
    main = pytrec_eval.RelevanceEvaluator(judged, {"ndcg_cut.10", "recall.100"}).evaluate(run)
    top10 = {q: dict(sorted(r.items(), key=lambda t: -t[1])[:10]) for q, r in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(judged, {"recip_rank"}).evaluate(top10)
    per_query = {
        q: {
            "ndcg@10": main[q]["ndcg_cut_10"],
            "recall@100": main[q]["recall_100"],
            "mrr@10": rr[q]["recip_rank"],
        }
        for q in main
    }
    n = max(len(per_query), 1)
    means = {m: sum(v[m] for v in per_query.values()) / n for m in ("ndcg@10", "recall@100", "mrr@10")}
    return means, per_query


def evaluate(
    folder: Path,
    split: str,
    retriever: str,
    cache: Path,
    embedder: Any = None,
    progress: Any = None,
    limit: int | None = None,
    cross_encoder: int = 0,
    model: str | None = None,
) -> EvalReport:
    """Index the corpus (or reuse the cached index), run every judged query, score the run.
    `cross_encoder` N > 0: the retriever's first N passages are reordered by the cross-encoder.
    `model` (a short name, kb.embed.MODELS) or `embedder` (an instance) says what embeds it."""
    from kb.api import KnowledgeBase
    from kb.search import rank

    if retriever not in RETRIEVERS:
        raise InputError(retriever, f"unknown retriever; choose from {', '.join(RETRIEVERS)}")
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (folder / name).is_file():
            raise InputError(str(folder), f"not a BEIR folder: {name} is missing")
    qrels = load_qrels(folder / "qrels" / f"{split}.tsv")
    queries = {str(q["_id"]): q["text"] for q in _jsonl(folder / "queries.jsonl") if str(q["_id"]) in qrels}
    if limit:
        queries = dict(list(queries.items())[:limit])
    from kb.embed import DEFAULT_MODEL, MODELS, embedder_for, get_embedder, single_threaded

    if embedder is None and model and not os.environ.get("KB_EMBEDDER"):
        # kb picks the runtime, as `kb ingest` does: MiniLM's index is built with sentence-transformers
        # when installed (2.2x the numpy runtime on SciFact abstracts), its queries encoded in numpy
        kb = KnowledgeBase(cache / corpus_key(folder, MODELS.get(model, model)), model=model)
    else:
        embedder = embedder or (
            get_embedder() if os.environ.get("KB_EMBEDDER") else embedder_for(DEFAULT_MODEL)
        )
        kb = KnowledgeBase(cache / corpus_key(folder, embedder.name), embedder=embedder)
    t0 = time.perf_counter()
    report = kb.ingest_texts(corpus_items(folder), progress=progress)
    index_s = time.perf_counter() - t0
    store, vindex = kb.store, kb.vector_index()
    doc_of = {rowid: path.removeprefix("beir:") for rowid, path in store.passage_paths()}
    t0 = time.perf_counter()
    vectors = dict(zip(queries, kb.embedder.encode(list(queries.values())))) if queries else {}
    encode_s = time.perf_counter() - t0
    encoder = None
    if cross_encoder:
        from kb.rerank import CrossEncoder, cross_rerank

        encoder = CrossEncoder()
    run: dict[str, dict[str, float]] = {}
    times = []
    with single_threaded():  # one query at a time, as `kb ask` runs them
        for qid, text in queries.items():
            t = time.perf_counter()
            passages = rank(store, vindex, vectors[qid], text, depth=PASSAGE_DEPTH, mode=retriever)
            if encoder is not None:
                passages = cross_rerank(encoder, store, text, passages, cross_encoder)
            run[qid] = doc_run(passages, doc_of, DOCS_PER_QUERY)
            times.append(time.perf_counter() - t)
    means, per_query = metrics(qrels, run)
    kb.close()
    return EvalReport(
        retriever=f"{retriever}+cross-encoder@{cross_encoder}" if cross_encoder else retriever,
        split=split,
        queries=len(queries),
        metrics=means,
        timings={
            "index_s": index_s,
            "texts_embedded": float(report.embedded),
            "query_encode_ms": 1000 * encode_s / max(len(queries), 1),
            "search_p50_ms": 1000 * statistics.median(times) if times else 0.0,
            "search_total_s": sum(times),
        },
        per_query=per_query,
    )
