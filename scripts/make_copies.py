"""Build a collection with syndicated copies, to test that copies never erase their originals.

    python3 scripts/make_copies.py ../shared/eval/news-dev /tmp/copies

Writes the articles as they are, plus for every other article a copy as another site would run
it: a new headline, that site's own menu and footer, one paragraph dropped and two words changed.
`truth.jsonl` lists the (original, copy) pairs. Nothing is written into the repository.
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
    with open(out / "truth.jsonl", "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p) + "\n")
    print(f"{len(pairs)} copies written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
