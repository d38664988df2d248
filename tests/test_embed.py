"""The numpy MiniLM gives sentence-transformers' own vectors; the fake embedder is deterministic."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from kb.embed import FakeEmbedder, MiniLMEmbedder, SentenceTransformerEmbedder

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def varied_sentences(n: int = 1000) -> list[str]:
    """Corpus lines, fragments, recombinations, punctuation, numbers, unicode, long and tiny texts."""
    rng = random.Random(7)
    lines = [
        ln.strip() for f in sorted(CORPUS.glob("*.txt")) for ln in f.read_text().splitlines() if ln.strip()
    ]
    words = " ".join(lines).split()
    out = list(lines)
    extras = [
        "a",
        "?",
        "63%",
        "Ünïcode café — naïve “quotes”",
        "東京 is a city",
        "x " * 300,
        "CEO/CMO/CIO!!!",
        "1,100 (46%)",
    ]
    out.extend(extras)
    while len(out) < n:
        k = rng.choice([1, 2, 3, 5, 8, 13, 21, 40, 120])
        start = rng.randrange(0, len(words) - k)
        piece = " ".join(words[start : start + k])
        out.append(piece.upper() if rng.random() < 0.05 else piece)
    return out[:n]


@pytest.mark.slow
def test_numpy_vectors_match_sentence_transformers() -> None:
    texts = varied_sentences(1000)
    ours = MiniLMEmbedder().encode(texts)
    reference = SentenceTransformerEmbedder().encode(texts)
    cos = (ours * reference).sum(axis=1)
    assert cos.min() >= 0.9999, (cos.min(), texts[int(cos.argmin())][:80])
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_numpy_embedder_basics() -> None:
    m = MiniLMEmbedder()
    v = m.encode(["what blocks collaboration", "barriers to teamwork", "a recipe for soup"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert v[0] @ v[1] > v[0] @ v[2]
    assert m.encode([]).shape == (0, 384)
    # Batching and ordering do not change vectors.
    single = np.vstack([m.encode([t]) for t in ["one", "two words here", "three"]])
    assert np.allclose(single, m.encode(["one", "two words here", "three"]), atol=1e-5)


def test_fake_embedder_is_deterministic() -> None:
    f = FakeEmbedder()
    a, b = f.encode(["same text", "other words"]), f.encode(["same text", "other words"])
    assert np.array_equal(a, b)
    assert all(abs(np.linalg.norm(r) - 1) < 1e-6 for r in itertools.chain(a, f.encode([""])))


@pytest.mark.slow
def test_bulk_ingest_embedding_uses_sentence_transformers_with_the_same_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.api import BULK_TEXTS, KnowledgeBase

    monkeypatch.delenv("KB_EMBEDDER", raising=False)
    kb = KnowledgeBase(tmp_path / "idx", model="minilm")  # a MiniLM index (bge-small is the default)
    texts = varied_sentences(BULK_TEXTS + 10)
    bulk = kb.bulk_encode(texts)
    assert isinstance(kb._bulk, SentenceTransformerEmbedder)
    small = kb.bulk_encode(texts[:20])  # small jobs stay on the numpy runtime
    assert isinstance(kb.embedder, MiniLMEmbedder)
    assert float(np.min(np.sum(bulk[:20] * small, axis=1))) >= 0.9999


def test_single_threaded_limits_blas_and_openmp_inside_the_block() -> None:
    import faiss  # noqa: F401  (loads faiss's OpenMP runtime)
    from threadpoolctl import threadpool_info, threadpool_limits

    from kb.embed import single_threaded

    with threadpool_limits(limits=2):  # as on a 2-core machine, whatever this one has
        with single_threaded():
            inside = threadpool_info()
        after = threadpool_info()
    assert inside and all(pool["num_threads"] == 1 for pool in inside)
    assert all(pool["num_threads"] == 2 for pool in after)  # restored on leaving
