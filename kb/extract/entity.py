"""The measured entity of a figure, chosen by a linear span ranker.

The rules in `kb.extract.stats` name who a survey share describes ("63 percent of CIOs").
Where none of them matches, often a measurement ("a mean grain size of 4 nm in the
sediment"), the thing measured can sit anywhere in the sentence. Here every word span of up to `MAX_WORDS` words is a candidate,
described by generic features (side and distance from the figure, the words at its edges and
in between, whether it reads as a noun phrase), and scored with
weights learned on MeasEval train (`scripts/train_entity.py`, a softmax over each figure's
candidates). The weights ship in `entity_weights.json`: a table of feature → weight, no model
runtime, no network.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

WEIGHTS = Path(__file__).with_name("entity_weights.json")
MAX_WORDS = 6

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
_WORD = re.compile(r"\w+")
_STOP = frozenset(
    "of in on at for to from with by and or but is are was were be been that which as than "
    "between into over under during after before also not has have had it we our its their "
    "whereas while when".split()
)
_DET = frozenset("the a an this these that those each all its their".split())
_BREAK_BEFORE = frozenset([",", "(", "<s>"])
_BREAK_AFTER = frozenset([",", ")", "</s>", "."])


def unit_class(unit: str | None) -> str:
    """The coarse kind of a record's unit that the features condition on."""
    if unit in ("percent", "count", "dimensionless", "times", "currency"):
        return unit
    return "none" if unit is None else "measure"


def token_f1(guess: str | None, gold: str | None) -> float:
    """SQuAD-style F1 over lower-cased word tokens (the MeasEval scorer's measure of a match)."""
    a, b = _WORD.findall((guess or "").lower()), _WORD.findall((gold or "").lower())
    common = sum((Counter(a) & Counter(b)).values())
    if not common:
        return 0.0
    p, r = common / len(a), common / len(b)
    return 2 * p * r / (p + r)


def _bucket(n: int) -> str:
    return str(n) if n < 4 else "4-5" if n < 6 else "6-8" if n < 9 else "9-12" if n < 13 else "13+"


def _shape(t: str) -> str:
    if t[0].isdigit():
        return "d"
    if t.isupper() and len(t) > 1:
        return "XX"
    if t[0].isupper():
        return "Xx"
    return "x" if t[0].isalnum() else "p"


def candidates(
    sentence: str, start: int, end: int, unit: str | None
) -> tuple[list[tuple[int, int]], list[list[str]]]:
    """Candidate spans (offsets in `sentence`) for the figure at [start, end), with their features."""
    toks = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]
    n = len(toks)
    low = [t[0].lower() for t in toks]
    word = [t[0][0].isalnum() for t in toks]

    def w(k: int) -> str:
        return "<s>" if k < 0 else "</s>" if k >= n else low[k]

    def brk(k: int) -> bool:
        return k < 0 or k >= n or not word[k] or low[k] in _STOP or low[k] in _DET

    qi = next((k for k, t in enumerate(toks) if t[2] > start), n)
    qj = next((k for k, t in enumerate(toks) if t[1] >= end), n)
    uc = unit_class(unit)
    spans: list[tuple[int, int]] = []
    feats: list[list[str]] = []
    for i in range(n):
        if not word[i]:
            continue
        for j in range(i + 1, min(n, i + MAX_WORDS) + 1):
            if toks[j - 1][0] in ".;:":
                break
            if j > qi and i < qj:
                break
            if not word[j - 1]:
                continue
            spans.append((toks[i][1], toks[j - 1][2]))
            feats.append(_features(toks, low, word, w, brk, i, j, qi, qj, uc))
    return spans, feats


def _features(toks, low, word, w, brk, i, j, qi, qj, uc) -> list[str]:
    """The features of span [i, j) of tokens for the figure at tokens [qi, qj)."""
    side = "L" if j <= qi else "R"
    gap = qi - j if side == "L" else i - qj
    gb = _bucket(gap)
    length = min(j - i, 6)
    between = range(j, qi) if side == "L" else range(qj, i)
    inside = range(i, j)
    stops = sum(1 for k in inside if low[k] in _STOP)
    f = [
        "bias",
        f"uc={uc}|{side}",
        f"side={side}",
        f"gap={gb}|{side}",
        f"len={length}|{side}",
        f"first={w(i)}",
        f"last={w(j - 1)}|{side}",
        f"prev={w(i - 1)}|{side}",
        f"next={w(j)}|{side}",
        f"suf={low[j - 1][-3:]}",
        f"fsuf={low[i][-3:]}",
        f"fshape={_shape(toks[i][0])}",
        f"lshape={_shape(toks[j - 1][0])}",
        f"qprev={w(qi - 1)}|{side}|{gb}",
        f"qnext={w(qj)}|{side}|{gb}",
        f"qp2={w(qi - 2)} {w(qi - 1)}|{side}",
        f"qn2={w(qj)} {w(qj + 1)}|{side}",
        f"edge={w(j - 1)}>{w(j)}|{side}",
        f"edge0={w(i - 1)}>{w(i)}|{side}",
        f"len={length}|np{stops == 0}",
        f"btw_punct={min(3, sum(1 for k in between if not word[k]))}",
        f"btw_num={min(2, sum(1 for k in between if low[k][0].isdigit()))}",
        f"in_num={min(2, sum(1 for k in inside if low[k][0].isdigit()))}",
        f"in_stop={min(3, stops)}",
    ]
    f += {f"btw={low[k]}|{side}" for k in between}
    f += {f"in={low[k]}" for k in inside}
    f += {f"inshape={_shape(toks[k][0])}" for k in inside}
    if low[i] in _DET:
        f.append("det")
    if low[i] in _STOP:
        f.append("first_stop")
    if low[j - 1] in _STOP or low[j - 1] in _DET:
        f.append("last_stop")
    if stops == 0:
        f += ["np_like", f"np_like|{side}|{gb}"]
        if brk(i - 1) and brk(j):
            f += [f"maximal|{side}", f"maximal|{side}|{gb}"]
    if i == 0:
        f.append("sent_start")
    if w(i - 1) in _BREAK_BEFORE:
        f.append("after_break")
    if w(j) in _BREAK_AFTER:
        f.append("before_break")
    if j == qi or (side == "L" and all(brk(k) for k in between)):
        f.append(f"adjacent_np|{side}")
    if any(low[k].endswith("ed") for k in between):
        f.append(f"btw_ed|{side}")
    if any(low[k].endswith("ed") for k in inside):
        f.append("in_ed")
    if any(low[k].endswith("ing") for k in inside):
        f.append("in_ing")
    if low[j - 1].endswith("s"):
        f.append("last_plural")
    return f


@lru_cache(maxsize=1)
def weights() -> dict[str, float]:
    """The shipped feature weights ({} when the table is absent: the rules' choice stands)."""
    if not WEIGHTS.exists():
        return {}
    return json.loads(WEIGHTS.read_text(encoding="utf-8"))["weights"]


def measured_entity(sentence: str, start: int, end: int, unit: str | None) -> str | None:
    """The best-scoring span for the figure at [start, end) of `sentence` (None without weights)."""
    table = weights()
    if not table:
        return None
    spans, feats = candidates(sentence, start, end, unit)
    if not spans:
        return None
    scores = [sum(table.get(x, 0.0) for x in f) for f in feats]
    a, b = spans[max(range(len(spans)), key=scores.__getitem__)]
    return sentence[a:b]
