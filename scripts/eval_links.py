"""Precision and recall of kb's links across sources on a collection from scripts/make_copies.py.

    python3 scripts/make_copies.py ../shared/eval/news-dev /tmp/copies
    mv /tmp/copies/truth.jsonl /tmp/copies-truth.jsonl
    python3 scripts/eval_links.py /tmp/copies /tmp/copies-truth.jsonl

Three links: duplicate documents (`kb docs --json` duplicates), one figure reported by many
(`kb stats --json` also_in), and figures that disagree (`kb conflicts`). Embeds with the fake
model: the links do not depend on the embedder.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
from pathlib import Path

from kb.api import KnowledgeBase
from kb.embed import FakeEmbedder


def prf(found: set, gold: set) -> str:
    tp = len(found & gold)
    p = tp / len(found) if found else 0.0
    r = tp / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.2f} R {r:.2f} F1 {f:.2f} ({tp} of {len(found)} found, {len(gold)} true)"


def main(folder: str, truth_path: str) -> None:
    with open(truth_path, encoding="utf-8") as f:
        truth = [json.loads(line) for line in f]
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "index", embedder=FakeEmbedder())
        kb.ingest([folder])
        docs = kb.documents()
        name = {d.id: Path(d.path).name for d in docs}
        dup_found = {frozenset((name[d.id], name[o])) for d in docs for o in d.duplicates}
        stats = kb.statistics()
        same_found = set()
        for s in stats:
            for link in s.get("also_in", []):
                same_found.add((frozenset((name[s["doc"]["id"]], name[link["doc"]])), round(s["value"], 6)))
        conflict_found = set()
        for c in kb.conflicts():
            for a, b in itertools.combinations(c["figures"], 2):
                if a["doc"]["id"] != b["doc"]["id"] and a["value"] != b["value"]:
                    conflict_found.add(frozenset((name[a["doc"]["id"]], name[b["doc"]["id"]])))
        # gold
        by_doc: dict[str, set[float]] = {}
        for s in stats:
            by_doc.setdefault(name[s["doc"]["id"]], set()).add(round(s["value"], 6))
        # Gold: documents made from one original form a family; a figure found in two members is
        # one figure reported twice, except the figure a report changed, which is a conflict.
        dup_gold, same_gold, conflict_gold = set(), set(), set()
        family: dict[str, set[str]] = {}
        changed: dict[str, tuple[str, float, float]] = {}
        for t in truth:
            member = t.get("copy") or t.get("quote") or t.get("conflict")
            family.setdefault(t["original"], {t["original"]}).add(member)
            if "copy" in t:
                dup_gold.add(frozenset((t["original"], t["copy"])))
            if "conflict" in t:
                changed[t["original"]] = (t["conflict"], round(t["value"], 6), round(t["other"], 6))
        for original, members in family.items():
            report = changed.get(original)
            for a, b in itertools.combinations(sorted(members), 2):
                for v in by_doc.get(a, set()) & by_doc.get(b, set()):
                    same_gold.add((frozenset((a, b)), v))
                if report and report[0] in (a, b):
                    other = b if report[0] == a else a
                    if report[1] in by_doc.get(other, set()):
                        conflict_gold.add(frozenset((a, b)))
        print(f"duplicate documents: {prf(dup_found, dup_gold)}")
        print(f"same figure, other sources: {prf(same_found, same_gold)}")
        print(f"figures that disagree: {prf(conflict_found, conflict_gold)}")
        kb.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
