"""The measured entity and property of a figure, chosen by linear span rankers.

The rules in `kb.extract.stats` name who a survey share describes ("63 percent of CIOs").
Where none of them matches, or only a fallback does, often in a measurement ("a mean grain size
of 4 nm in the sediment"), the thing measured can sit anywhere in the sentence. Here every span of up to
`MAX_WORDS` words near the figure is a candidate, described by generic features (side and
distance from the figure, the words at its edges and in between, whether it reads as a noun
phrase) and scored with weights fitted on MeasEval train by `scripts/train_entity.py` (a softmax
over each figure's candidates). Two tables ship as package data, feature → weight and no text:
`entity_weights.json` names the measured entity, `property_weights.json` what is measured.
No model runtime, no network.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from itertools import repeat
from pathlib import Path

WEIGHTS = Path(__file__).with_name("entity_weights.json")
MAX_WORDS = 6
MAX_GAP = 12  # words between a candidate and its figure; farther spans are rarely the answer
# Unit classes whose `measure` the property ranker names: a measurement, or a unit-less figure after one.
PROPERTY_UNITS = frozenset(["measure", "dimensionless"])
# The population rules (`kb.extract.stats`) that only fall back on a phrase near the figure (the
# clause's subject, the nearest noun phrase) rather than one the words tie to it ("40 percent of
# nurses", "a 275-horsepower motor"). For a measurement the ranker overrules them, told their pick:
# on MeasEval it beats them; for shares and money it loses to them on news (README, `ranks`).
RANKED_RULES = frozenset(["clause_np", "subject", "nearest", "verb_subject", "near_subject"])


def ranks(rule: str | None, unit: str | None) -> bool:
    """Whether the ranker decides a figure's population: no rule named one, or a fallback did for a measurement."""
    return rule is None or (rule in RANKED_RULES and unit_class(unit) in PROPERTY_UNITS)


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
    return _f1(_WORD.findall((guess or "").lower()), Counter(_WORD.findall((gold or "").lower())))


def _f1(words: list[str], gold: Counter[str]) -> float:
    common = sum((Counter(words) & gold).values())
    if not common:
        return 0.0
    p, r = common / len(words), common / sum(gold.values())
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


@lru_cache(maxsize=64)
def candidates(
    sentence: str, start: int, end: int, unit: str | None
) -> tuple[list[tuple[int, int]], list[list[str]]]:
    """Candidate spans (offsets in `sentence`) for the figure at [start, end), with their features."""
    toks = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]
    n = len(toks)
    t = _Tokens(toks)
    qi = next((k for k, tok in enumerate(toks) if tok[2] > start), n)
    qj = next((k for k, tok in enumerate(toks) if tok[1] >= end), n)
    uc = unit_class(unit)
    spans: list[tuple[int, int]] = []
    feats: list[list[str]] = []
    for i in range(max(0, qi - MAX_GAP - MAX_WORDS), min(n, qj + MAX_GAP + 1)):
        if not t.word[i]:
            continue
        for j in range(i + 1, min(n, i + MAX_WORDS) + 1):
            if j <= qi and qi - j > MAX_GAP:
                continue
            if toks[j - 1][0] in ".;:":
                break
            if j > qi and i < qj:
                break
            if not t.word[j - 1]:
                continue
            spans.append((toks[i][1], toks[j - 1][2]))
            feats.append(_features(t, i, j, qi, qj, uc))
    return spans, feats


class _Tokens:
    """Per-token facts and feature names of one sentence, computed once for all its candidates."""

    def __init__(self, toks: list[tuple[str, int, int]]) -> None:
        self.n = n = len(toks)
        self.low = low = [tok[0].lower() for tok in toks]
        self.word = [tok[0][0].isalnum() for tok in toks]
        shape = [_shape(tok[0]) for tok in toks]
        self.stop = [x in _STOP for x in low]
        self.det = [x in _DET for x in low]
        self.brk = [not self.word[k] or self.stop[k] or self.det[k] for k in range(n)]
        self.last_plural = [x.endswith("s") for x in low]

        def prefix(flags: list[bool]) -> list[int]:
            out = [0]
            for f in flags:
                out.append(out[-1] + f)
            return out

        self.n_punct = prefix([not x for x in self.word])
        self.n_digit = prefix([x[0].isdigit() for x in low])
        self.n_stop = prefix(self.stop)
        self.n_brk = prefix(self.brk)
        self.n_ed = prefix([x.endswith("ed") for x in low])
        self.n_ing = prefix([x.endswith("ing") for x in low])
        w = self.w
        # feature names that depend on one token (and the side), formatted once
        self.at_start = [(f"first={x}", f"fsuf={x[-3:]}", f"fshape={shape[k]}") for k, x in enumerate(low)]
        self.at_end = [(f"suf={x[-3:]}", f"lshape={shape[k]}") for k, x in enumerate(low)]
        self.inside = [(f"in={x}", f"inshape={shape[k]}") for k, x in enumerate(low)]
        self.sided = {
            side: {
                "last": [f"last={x}|{side}" for x in low],
                "prev": [f"prev={w(k - 1)}|{side}" for k in range(n)],
                "next": [f"next={w(k + 1)}|{side}" for k in range(n)],
                "btw": [f"btw={x}|{side}" for x in low],
                "edge": [f"edge={x}>{w(k + 1)}|{side}" for k, x in enumerate(low)],
                "edge0": [f"edge0={w(k - 1)}>{x}|{side}" for k, x in enumerate(low)],
            }
            for side in "LR"
        }

    def w(self, k: int) -> str:
        return "<s>" if k < 0 else "</s>" if k >= self.n else self.low[k]

    def is_brk(self, k: int) -> bool:
        return k < 0 or k >= self.n or self.brk[k]


@lru_cache(maxsize=4096)
def _around(
    uc: str, side: str, gb: str, before: str, before2: str, after: str, after2: str
) -> tuple[str, ...]:
    """The features of a candidate that depend only on its side, its distance and the figure's neighbours."""
    return (
        "bias",
        f"uc={uc}|{side}",
        f"side={side}",
        f"gap={gb}|{side}",
        f"qprev={before}|{side}|{gb}",
        f"qnext={after}|{side}|{gb}",
        f"qp2={before2} {before}|{side}",
        f"qn2={after} {after2}|{side}",
    )


def _features(t: _Tokens, i: int, j: int, qi: int, qj: int, uc: str) -> list[str]:
    """The features of span [i, j) of tokens for the figure at tokens [qi, qj)."""
    w = t.w
    side = "L" if j <= qi else "R"
    b0, b1 = (j, qi) if side == "L" else (qj, i)  # the tokens between span and figure
    gb = _bucket(b1 - b0)
    length = min(j - i, 6)
    stops = t.n_stop[j] - t.n_stop[i]
    named = t.sided[side]
    f = list(_around(uc, side, gb, w(qi - 1), w(qi - 2), w(qj), w(qj + 1)))
    f += t.at_start[i]
    f += t.at_end[j - 1]
    f += (
        f"len={length}|{side}",
        named["last"][j - 1],
        named["prev"][i],
        named["next"][j - 1],
        named["edge"][j - 1],
        named["edge0"][i],
        f"len={length}|np{stops == 0}",
        f"btw_punct={min(3, t.n_punct[b1] - t.n_punct[b0])}",
        f"btw_num={min(2, t.n_digit[b1] - t.n_digit[b0])}",
        f"in_num={min(2, t.n_digit[j] - t.n_digit[i])}",
        f"in_stop={min(3, stops)}",
    )
    f += {named["btw"][k] for k in range(b0, b1)}
    f += {x for k in range(i, j) for x in t.inside[k]}
    if t.det[i]:
        f.append("det")
    if t.stop[i]:
        f.append("first_stop")
    if t.stop[j - 1] or t.det[j - 1]:
        f.append("last_stop")
    if stops == 0:
        f += ["np_like", f"np_like|{side}|{gb}"]
        if t.is_brk(i - 1) and t.is_brk(j):
            f += [f"maximal|{side}", f"maximal|{side}|{gb}"]
    if i == 0:
        f.append("sent_start")
    if w(i - 1) in _BREAK_BEFORE:
        f.append("after_break")
    if w(j) in _BREAK_AFTER:
        f.append("before_break")
    if j == qi or (side == "L" and t.n_brk[b1] - t.n_brk[b0] == b1 - b0):
        f.append(f"adjacent_np|{side}")
    if t.n_ed[b1] > t.n_ed[b0]:
        f.append(f"btw_ed|{side}")
    if t.n_ed[j] > t.n_ed[i]:
        f.append("in_ed")
    if t.n_ing[j] > t.n_ing[i]:
        f.append("in_ing")
    if t.last_plural[j - 1]:
        f.append("last_plural")
    return f


def _score(table: dict[str, float], feats: list[list[str]]) -> list[float]:
    return [sum(map(table.get, f, repeat(0.0))) for f in feats]


@lru_cache(maxsize=2)
def weights(target: str = "entity") -> dict[str, float]:
    """The shipped feature weights for `target` ({} when the table is absent: the rules' choice stands)."""
    path = WEIGHTS if target == "entity" else WEIGHTS.with_name(f"{target}_weights.json")
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["weights"]


def _match(span: str, proposal: Counter[str] | None) -> str:
    """How far a candidate's words agree with the rules' pick (its word counts): none, zero, lo, hi or eq."""
    if proposal is None:
        return "none"
    words = _WORD.findall(span.lower())
    if proposal.keys().isdisjoint(words):  # most candidates: no word in common
        return "zero"
    f1 = _f1(words, proposal)
    return "eq" if f1 == 1 else "hi" if f1 >= 0.5 else "lo"


def _pick_words(proposal: str | None) -> Counter[str] | None:
    return None if proposal is None else Counter(_WORD.findall(proposal.lower()))


def agreement(span: str, proposal: str | None, rule: str | None, unit: str | None) -> tuple[str, ...]:
    """Features of how a candidate agrees with the population rules' pick, by rule and unit class:
    the ranker learns which rules to trust where (a fallback's pick is often the subject, not the entity)."""
    return _agreement_names(_match(span, _pick_words(proposal)), rule, unit)


def _agreement_names(match: str, rule: str | None, unit: str | None) -> tuple[str, str, str]:
    return f"rm={match}", f"rm={match}|{rule or 'none'}", f"rm={match}|{unit_class(unit)}"


def measured_entity(
    sentence: str,
    start: int,
    end: int,
    unit: str | None,
    proposal: str | None = None,
    rule: str | None = None,
    accept: Callable[[str], bool] | None = None,
) -> str | None:
    """The best-scoring span for the figure at [start, end) of `sentence` (None without weights).

    `proposal` is the population rules' pick (None if they found none) and `rule` the name of the
    rule that chose it; both are features, so the ranker may keep or overrule the pick. `accept`
    vets a span before it is named (the pick itself always passes)."""
    table = weights()
    if not table:
        return None
    spans, feats = candidates(sentence, start, end, unit)
    if not spans:
        return None
    scores = _score(table, feats)
    # the agreement features' weight by match, summed once: a candidate adds the one its match names
    bonus = {
        match: sum(table.get(name, 0.0) for name in _agreement_names(match, rule, unit))
        for match in ("none", "zero", "lo", "hi", "eq")
    }
    pick = _pick_words(proposal)
    for k, (a, b) in enumerate(spans):
        scores[k] += bonus[_match(sentence[a:b], pick)]
    for k in sorted(range(len(spans)), key=scores.__getitem__, reverse=True):
        a, b = spans[k]
        if sentence[a:b] == proposal or accept is None or accept(sentence[a:b]):
            return sentence[a:b]
    return proposal


def measured_property(
    sentence: str, start: int, end: int, unit: str | None, population: str | None
) -> str | None:
    """What is measured ("mean age" of "a mean age of 54.8 years"): the best span that is not the population.

    None when the property table is absent."""
    table = weights("property")
    if not table:
        return None
    spans, feats = candidates(sentence, start, end, unit)
    scores = _score(table, feats)
    for k in sorted(range(len(spans)), key=scores.__getitem__, reverse=True):
        a, b = spans[k]
        if sentence[a:b] != population:
            return sentence[a:b]
    return None
