"""The faiss index: exact below the HNSW threshold, approximate above it with recall@10 >= 0.98."""

from __future__ import annotations

from pathlib import Path

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


def test_an_index_is_updated_in_place_with_the_same_results_as_a_rebuild(tmp_path: Path) -> None:
    from kb import index as idx
    from kb.index import VectorIndex

    rng = np.random.default_rng(3)
    vecs = rng.normal(size=(300, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(1, 301, dtype=np.int64)
    for kind, threshold in (("flat", 10_000), ("hnsw", 100)):
        old = idx.HNSW_THRESHOLD
        idx.HNSW_THRESHOLD = threshold
        try:
            v = VectorIndex.build(ids[:250], vecs[:250], "m", 16, 1)
            assert v.manifest.kind == kind
            v.save(tmp_path / kind)
            loaded = VectorIndex.load_for_update(tmp_path / kind, "m", 16)
            removed = np.array([3, 77, 120], dtype=np.int64)
            assert loaded.update(ids[250:], vecs[250:], removed, 2)
            keep = ~np.isin(ids, removed)
            fresh = VectorIndex.build(ids[keep], vecs[keep], "m", 16, 2)
            for q in vecs[::37]:
                got = [i for i, _ in loaded.search(q, 10)]
                assert not set(got) & set(removed.tolist())
                if kind == "flat":
                    assert got == [i for i, _ in fresh.search(q, 10)]
            loaded.save(tmp_path / kind)
            again = VectorIndex.load(tmp_path / kind, "m", 16, 2, int(keep.sum()))
            assert again is not None and sorted(again.ids()) == sorted(ids[keep].tolist())
            if kind == "hnsw":  # past the tombstone share the caller rebuilds (compaction)
                assert not again.update(np.array([], np.int64), np.zeros((0, 16), np.float32), ids[:80], 3)
        finally:
            idx.HNSW_THRESHOLD = old


def test_ingesting_one_more_document_updates_the_index_instead_of_rebuilding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from kb.api import KnowledgeBase
    from kb.embed import FakeEmbedder
    from kb.index import VectorIndex

    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", tmp_path / "corpus")
    kb = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())
    kb.ingest([tmp_path / "corpus"])
    kb.close()
    note = tmp_path / "note.md"
    note.write_text(
        "# A note\n\nForty percent of CIOs say collaboration with marketing improved this year.\n"
    )
    builds = []
    real = VectorIndex.build.__func__
    monkeypatch.setattr(
        VectorIndex, "build", classmethod(lambda cls, *a, **k: builds.append(1) or real(cls, *a, **k))
    )
    kb = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())
    kb.ingest([note])
    assert builds == []  # added in place
    assert kb.verify().ok
    hits = kb.ask("collaboration with marketing improved").hits
    assert any(h.doc.path.endswith("note.md") for h in hits)
