#!/usr/bin/env python3
"""Fit the measured-entity (or property) ranker's weights on MeasEval train; report cross-validated accuracy.

    scripts/train_entity.py ../shared/eval/measeval [--target entity|property] [--folds 5] [--write]

Figures are matched to gold quantities as `score.py quantities` does (overlapping spans); the
accuracy is the scorer's (token F1 >= 0.5 with the gold entity or property). Folds are grouped by
article (the paragraphs of one paper share a fold, as MeasEval's held-out twin holds other papers).
It reports the rules alone; the extractor itself run on each fold's held-out articles with that
fold's weights (what a user gets: the ranker decides where `entity.ranks` says, joined figures take
their neighbour's population); and the ranker alone on every figure, by unit class and by the rule
that chose. The entity ranker's features include the rules' pick and rule name, recorded from
`stats._population` as the extractor runs. `--write` refits on every document and writes
`kb/extract/{target}_weights.json`. Needs numpy, scipy and scikit-learn (sentence-transformers installs them).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from scipy.optimize import minimize
from sklearn.feature_extraction import DictVectorizer
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.extract import entity, stats
from kb.extract.stats import extract_statistics
from kb.records import CleanDoc, Metadata, Statistic


def _recording_rules() -> dict[tuple[str, int, int], tuple[str | None, str | None]]:
    """Make `stats._population` note each figure's rule pick and rule name, keyed by sentence and offsets."""
    picks: dict[tuple[str, int, int], tuple[str | None, str | None]] = {}
    population = stats._population

    def recorded(sentence, q, *args, **kwargs):
        picks[sentence, q.start, q.end] = found = population(sentence, q, *args, **kwargs)
        return found

    stats._population = recorded
    return picks


def matched(root: Path, docs: set[str] | None = None) -> Iterator[tuple[dict, Statistic]]:
    """Each gold quantity (of `docs`, default all) with the kb record that overlaps it most, as
    `score.py quantities` pairs them: one record per gold quantity, largest overlap first."""
    gold = [json.loads(line) for line in (root / "train.jsonl").open(encoding="utf-8")]
    by_doc = defaultdict(list)
    for g in gold:
        by_doc[g["doc"]].append(g)
    for doc, golds in sorted(by_doc.items()):
        if docs is not None and doc not in docs:
            continue
        text = (root / "train" / doc).read_text(encoding="utf-8")
        found = extract_statistics(CleanDoc(path=doc, kind="txt", sha="0" * 64, text=text, meta=Metadata()))
        used: set[int] = set()
        for g in golds:
            overlaps = [
                (min(st.end, g["end"]) - max(st.start, g["start"]), k)
                for k, st in enumerate(found)
                if k not in used and min(st.end, g["end"]) > max(st.start, g["start"])
            ]
            if overlaps:
                k = max(overlaps)[1]
                used.add(k)
                yield g, found[k]


def examples(root: Path, target: str) -> list[dict]:
    """One example per gold quantity with a `target` (entity or property) that a kb record overlaps."""
    entity.WEIGHTS = Path("/nonexistent/entity_weights.json")  # the rules' choice, as at run time
    entity.weights.cache_clear()
    picks = _recording_rules()
    rows = []
    for g, st in matched(root):
        if not g.get(target):
            continue
        gold_text = g[target]["text"]
        start, end = st.start - st.sentence_start, st.end - st.sentence_start
        # a figure joined to the one before it ("from 23% to 35%") takes its population: no rule chose
        proposal, rule_name = picks.get((st.sentence, start, end), (st.population, "joined"))
        rule = st.population if target == "entity" else st.measure
        spans, feats = entity.candidates(st.sentence, start, end, st.unit)
        if target == "entity":
            feats = [
                f + list(entity.agreement(st.sentence[a:b], proposal, rule_name, st.unit))
                for f, (a, b) in zip(feats, spans)
            ]
        gains = [entity.token_f1(st.sentence[a:b], gold_text) for a, b in spans]
        rows.append(
            {
                "doc": g["doc"],
                "uc": entity.unit_class(st.unit),
                "rule": rule_name,
                "ranked": (
                    entity.ranks(rule_name, st.unit)
                    if target == "entity"
                    else entity.unit_class(st.unit) in entity.PROPERTY_UNITS
                ),
                "rule_ok": entity.token_f1(rule, gold_text) >= 0.5,
                "feats": feats,
                "ok": [x >= 0.5 for x in gains],
            }
        )
    return rows


def held_out(root: Path, target: str, table: dict[str, float], docs: set[str], scratch: Path) -> list[bool]:
    """The extractor's own answers on `docs` with `table` as its weights: per gold quantity with a
    `target`, whether the record's population (or measure) is right, joined figures and all."""
    other = "property" if target == "entity" else "entity"
    shipped = Path(entity.__file__).with_name(f"{other}_weights.json")
    if shipped.exists():  # the other ranker as shipped, so the record is what a user would get
        (scratch / shipped.name).write_bytes(shipped.read_bytes())
    path = scratch / f"{target}_weights.json"
    path.write_text(json.dumps({"weights": table}), encoding="utf-8")
    entity.WEIGHTS = scratch / "entity_weights.json"  # the property table sits beside it
    entity.weights.cache_clear()
    entity.candidates.cache_clear()
    field = "population" if target == "entity" else "measure"
    out = [
        entity.token_f1(getattr(st, field), g[target]["text"]) >= 0.5
        for g, st in matched(root, docs)
        if g.get(target)
    ]
    path.unlink()
    return out


def fit(rows: list[dict], l2: float, min_count: int) -> dict[str, float]:
    """Weights minimising the softmax loss of each figure's right candidates, with an L2 penalty.

    A feature seen with fewer than `min_count` figures gets no weight: it would only memorise them.
    """
    seen = Counter(x for r in rows for x in set().union(*r["feats"]))
    keep = {x for x, c in seen.items() if c >= min_count}
    samples, y, gid = [], [], []
    for g, r in enumerate(row for row in rows if any(row["ok"])):
        samples += [dict.fromkeys(sorted(keep.intersection(f)), 1) for f in r["feats"]]
        y += r["ok"]
        gid += [g] * len(r["feats"])
    vec = DictVectorizer()
    matrix = vec.fit_transform(samples).tocsr()
    y, gid = np.array(y, float), np.array(gid)
    groups = gid.max() + 1

    def loss(w):
        z = matrix @ w
        top = np.full(groups, -np.inf)
        np.maximum.at(top, gid, z)
        e = np.exp(z - top[gid])
        den, num = np.bincount(gid, e, groups), np.bincount(gid, e * y, groups)
        value = -(np.log(num) - np.log(den)).sum() + l2 * w @ w / 2
        grad = matrix.T @ (e / den[gid] - e * y / num[gid]) + l2 * w
        return value, grad

    w = minimize(loss, np.zeros(matrix.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
    return {name: float(v) for name, v in zip(vec.get_feature_names_out(), w) if abs(v) >= 1e-3}


def right(row: dict, table: dict[str, float]) -> bool:
    """Whether kb's population is right for this figure: the rules', or the ranker's where they name none or fall back."""
    if not row["ranked"] or not row["feats"]:
        return row["rule_ok"]
    scores = [sum(table.get(x, 0.0) for x in f) for f in row["feats"]]
    return row["ok"][int(np.argmax(scores))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("measeval", type=Path, help="folder with train.jsonl and train/")
    ap.add_argument("--target", choices=["entity", "property"], default="entity")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--l2", type=float, help="L2 penalty (default: the shipped table's, 3 for entity, 0.3 for property)"
    )
    ap.add_argument(
        "--min-count", type=int, help="figures a feature must occur with (default 3 entity, 5 property)"
    )
    ap.add_argument("--write", action="store_true", help="refit on all documents and write the weights")
    args = ap.parse_args()
    # chosen by this script's cross-validation (the entity ranker has more, rule-agreement, features)
    args.l2 = args.l2 if args.l2 is not None else {"entity": 3.0, "property": 0.3}[args.target]
    args.min_count = (
        args.min_count if args.min_count is not None else {"entity": 3, "property": 5}[args.target]
    )
    rows = examples(args.measeval, args.target)
    docs = [r["doc"].split("-")[0] for r in rows]  # paragraphs of one article share a fold
    held, ranker_alone = [], []
    by_class: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # figures, rules right, ranker right
    scratch = TemporaryDirectory()
    for train, test in GroupKFold(args.folds).split(rows, groups=docs):
        table = fit([rows[k] for k in train], args.l2, args.min_count)
        # the extractor itself on the held-out articles, so a joined figure takes the ranker's population too
        held += held_out(
            args.measeval, args.target, table, {rows[k]["doc"] for k in test}, Path(scratch.name)
        )
        for k in test:
            alone_ok = right({**rows[k], "ranked": True}, table)
            ranker_alone.append(alone_ok)
            for key in (rows[k]["uc"], f"rule {rows[k]['rule']}"):
                counts = by_class[key]
                counts[0] += 1
                counts[1] += rows[k]["rule_ok"]
                counts[2] += alone_ok
    rules = np.mean([r["rule_ok"] for r in rows])
    for uc, (n, ok_rule, ok_rank) in sorted(
        by_class.items(), key=lambda x: (x[0].startswith("rule"), -x[1][0])
    ):
        print(f"  {uc:22} {n:4} figures: rules {ok_rule / n:.3f}, ranker alone {ok_rank / n:.3f}")
    cv = float(np.mean(held))
    alone = float(np.mean(ranker_alone))
    print(
        f"{len(rows)} figures with a gold {args.target} ({sum(r['ranked'] for r in rows)} where the ranker decides): "
        f"rules {rules:.3f}, rules + ranker {cv:.3f} (the extractor, {len(held)} figures), "
        f"ranker alone {alone:.3f} ({args.folds}-fold, by article)"
    )
    scratch.cleanup()
    if args.write:
        table = fit(rows, args.l2, args.min_count)
        fitted = float(np.mean([right(r, table) for r in rows]))
        print(f"refit on all {len(set(docs))} documents: {len(table)} weights, accuracy on them {fitted:.3f}")
        out = {
            "about": f"kb measured-{args.target} ranker (kb/extract/entity.py), fitted by scripts/train_entity.py "
            "on MeasEval train (SemEval-2021 Task 8, CC BY 4.0); the table holds feature weights only, no text.",
            "fitted": date.today().isoformat(),
            "examples": len(rows),
            "cross_validated_accuracy": round(cv, 4),
            "cross_validated_accuracy_ranker_alone": round(alone, 4),
            "rules_accuracy": round(float(rules), 4),
            "l2": args.l2,
            "min_count": args.min_count,
            "weights": {k: round(v, 4) for k, v in sorted(table.items())},
        }
        entity.WEIGHTS = Path(entity.__file__).with_name(f"{args.target}_weights.json")
        entity.WEIGHTS.write_text(json.dumps(out, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {entity.WEIGHTS}")


if __name__ == "__main__":
    main()
