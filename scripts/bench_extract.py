"""How much of `kb ingest` time extraction (statistics + claims) takes, on a folder (default corpus/).

Runs a full ingest into a throw-away index, then times extraction alone on the same clean
documents, and prints both and their ratio. Usage: python scripts/bench_extract.py [PATH]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from kb.api import KnowledgeBase, clean_paths
from kb.extract.claims import extract_claims
from kb.extract.stats import extract_statistics


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    docs = [d for d in clean_paths([path]) if not isinstance(d, Exception)]
    ingest_times, extract_times = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            kb = KnowledgeBase(Path(tmp) / "index")
            t = time.perf_counter()
            kb.ingest([path])
            ingest_times.append(time.perf_counter() - t)
            kb.close()
        t = time.perf_counter()
        for d in docs:
            extract_statistics(d)
            extract_claims(d)
        extract_times.append(time.perf_counter() - t)
    ingest, extract = statistics.median(ingest_times), statistics.median(extract_times)
    print(f"documents: {len(docs)}")
    print(f"ingest (median of 3, fresh index, model load included): {ingest:.3f} s")
    print(f"extraction alone (statistics + claims): {extract:.3f} s")
    print(f"extraction share of ingest: {100 * extract / ingest:.1f}% (target <= 10%)")


if __name__ == "__main__":
    main()
