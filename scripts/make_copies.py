"""Build a collection with copies, quotations and disagreements across sources.

    python3 scripts/make_copies.py ../shared/eval/news-dev /tmp/copies

Writes the articles as they are, and for some of them:
- a copy as another site would run it: a new headline, that site's own menu and footer, one
  paragraph dropped and two words changed (`{"original", "copy"}` in truth.jsonl);
- a short follow-up on another site that quotes one of its figures (`{"original", "quote",
  "value"}`);
- a short report that gives another value for one of its figures (`{"original", "conflict",
  "value", "other"}`).
The articles nobody copied are the negatives. Nothing is written into the repository.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

MENU = "Home | Local | Nation | World | Opinion | Sign in to read more stories every day"
FOOTER = (
    "This story was syndicated by the Daily Wire Service and may be republished under its terms.\n\n"
    "Subscribe to our newsletter for the top stories delivered to your inbox every single morning."
)


def _changed(value_text: str) -> tuple[str, float] | None:
    """The figure's words with its number raised by 30% and one, and the factor applied."""
    import re

    m = re.search(r"\d[\d,]*(?:\.\d+)?", value_text)
    if m is None:
        return None
    old = float(m.group(0).replace(",", ""))
    new = round(old * 1.3 + 1, 1)
    written = f"{new:.1f}".rstrip("0").rstrip(".")
    return value_text[: m.start()] + written + value_text[m.end() :], new / old if old else 0.0


def main(src: str, dest: str, seed: int = 3) -> None:
    rng = random.Random(seed)
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    pairs = []
    for i, path in enumerate(sorted(Path(src).glob("*.txt"))):
        text = path.read_text(encoding="utf-8")
        (out / path.name).write_text(text, encoding="utf-8")
        if i % 2:
            continue
        paras = [p for p in text.split("\n") if p.strip()]
        long_ones = [k for k, p in enumerate(paras) if len(p.split()) > 25]
        if len(long_ones) < 4:
            continue
        del paras[rng.choice(long_ones[1:-1])]  # one paragraph dropped
        k = rng.choice([k for k, p in enumerate(paras) if len(p.split()) > 25])
        words = paras[k].split()
        for j in rng.sample(range(1, len(words) - 1), 2):  # two words changed
            words[j] = "indeed" if words[j].islower() else words[j]
        paras[k] = " ".join(words)
        copy = f"{MENU}\n\nWire report: {paras[0][:60]}\n\n" + "\n\n".join(paras[1:]) + f"\n\n{FOOTER}\n"
        name = f"copy-{path.name}"
        (out / name).write_text(copy, encoding="utf-8")
        pairs.append({"original": path.name, "copy": name})
    from kb.api import clean_paths
    from kb.extract.stats import extract_statistics
    from kb.records import CleanDoc

    docs = [d for d in clean_paths(sorted(Path(src).glob("*.txt"))) if isinstance(d, CleanDoc)]
    for i, doc in enumerate(docs):
        stats = [s for s in extract_statistics(doc) if s.unit in ("percent", "currency") and s.population]
        if i % 2 == 0 or len(stats) < 2:
            continue
        name = Path(doc.path).name
        quoted = stats[0]
        (out / f"quote-{name}").write_text(
            "Weekend Reading | Newsletter | Archive\n\nWhat we are reading this week\n\n"
            f"A story making the rounds this week caught our eye. {quoted.sentence} "
            "We will keep following the story and report back when there is more to say about it.\n\n"
            "Thanks for reading, and see you next week with another round of links.\n",
            encoding="utf-8",
        )
        pairs.append({"original": name, "quote": f"quote-{name}", "value": quoted.value})
        changed = stats[1]
        got = _changed(changed.value_text)
        if got is None or not got[1]:
            continue
        new_text, factor = got
        other = changed.value * factor
        sentence = changed.sentence.replace(changed.value_text, new_text, 1)
        if sentence == changed.sentence:
            continue
        (out / f"report-{name}").write_text(
            "Research Notes | Data | About\n\nA second look at the numbers\n\n"
            f"Our own review of the figures tells a different story. {sentence} "
            "Readers should weigh both accounts until the underlying data are published in full.\n\n"
            "This note reflects the views of its authors and not of the institute as a whole.\n",
            encoding="utf-8",
        )
        pairs.append({"original": name, "conflict": f"report-{name}", "value": changed.value, "other": other})
    with open(out / "truth.jsonl", "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p) + "\n")
    print(f"{len(pairs)} copies written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
