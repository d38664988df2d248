"""The faiss index: exact below the HNSW threshold, approximate above it with recall@10 >= 0.98."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from kb import index as index_module
from kb.index import VectorIndex


def _clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    vecs = centres[rng.integers(0, len(centres), n)] + rng.standard_normal((n, centres.shape[1])) * 0.06
    return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def test_hnsw_recall_against_exact_search(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(index_module, "HNSW_THRESHOLD", 2_000)
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((100, 384)).astype(np.float32)
    vecs = _clustered(20_000, rng, centres)
    ids = np.arange(100, 20_100, dtype=np.int64)  # ids are passage rowids, not positions
    approx = VectorIndex.build(ids, vecs, "m", 384, 1)
    exact = VectorIndex.build(ids[:1_999], vecs[:1_999], "m", 384, 1)
    assert approx.manifest.kind == "hnsw" and exact.manifest.kind == "flat"
    flat = faiss.IndexFlatIP(384)
    flat.add(vecs)
    queries = _clustered(200, rng, centres)
    hits = 0
    for q in queries:
        got = {i for i, _ in approx.search(q, 10)}
        _, truth = flat.search(q.reshape(1, -1), 10)
        hits += len(got & {int(ids[j]) for j in truth[0]})
    assert hits / (10 * len(queries)) >= 0.98
    # Saved and loaded (memory-mapped where faiss allows), it answers the same.
    approx.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, "m", 384, 1, 20_000)
    assert loaded is not None and loaded.search(queries[0], 5) == approx.search(queries[0], 5)
