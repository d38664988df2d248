"""Cleaning speed in-process: median and p90 milliseconds per page over a folder of pages.

Usage: python scripts/bench_clean.py [DIR ...]   (default: ../shared/eval/webpages html and text)
Reads .html, .html.gz, .txt and .md files; each page is cleaned 3 times, the median kept.
"""

from __future__ import annotations

import contextlib
import gzip
import statistics
import sys
import time
from pathlib import Path

from kb.ingest.clean import clean
from kb.ingest.read import decode
from kb.records import Source

KINDS = {".html": "html", ".txt": "txt", ".md": "md"}


def pages(folder: Path) -> list[Source]:
    out = []
    for path in sorted(folder.iterdir()):
        name = path.name[:-3] if path.name.endswith(".gz") else path.name
        kind = KINDS.get(Path(name).suffix)
        if not kind:
            continue
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        text, enc = decode(data, str(path))
        out.append(Source(path=str(path), text=text, kind=kind, sha="0" * 64, encoding=enc))
    return out


def main() -> None:
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "webpages"
    folders = [Path(a) for a in sys.argv[1:]] or [default / "html", default / "text"]
    clean(Source("warm.txt", "Warm up the imports with a sentence or two.", "txt", "0" * 64, "utf-8"))
    for folder in folders:
        times = []
        for src in pages(folder):
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                with contextlib.suppress(Exception):
                    clean(src)
                runs.append(time.perf_counter() - t)
            times.append(statistics.median(runs) * 1000)
        times.sort()
        p90 = times[int(0.9 * (len(times) - 1))]
        print(
            f"{folder}: {len(times)} pages, median {statistics.median(times):.1f} ms, p90 {p90:.1f} ms, max {times[-1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
