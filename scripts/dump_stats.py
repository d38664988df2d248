"""Print the statistics kb would extract from files, as `kb stats --json` records, without an index.

    python3 scripts/dump_stats.py ../shared/eval/news-dev > /tmp/stats.jsonl

The files are cleaned together (as `kb ingest` cleans a collection), then extracted. Used with
`score.py stats|quantities --cmd 'python3 scripts/dump_stats.py DIR'` to iterate on the extractor
in seconds; the acceptance figures are measured through `kb ingest` + `kb stats --json`.
"""

from __future__ import annotations

import json
import sys

from kb.api import clean_paths
from kb.extract.stats import extract_statistics
from kb.records import CleanDoc


def main(paths: list[str]) -> None:
    for doc in clean_paths(paths):
        if not isinstance(doc, CleanDoc):
            print(f"skipped {doc}", file=sys.stderr)
            continue
        for st in extract_statistics(doc):
            record = st.to_dict()
            record["doc"] = {"id": doc.id, "path": doc.path}
            print(json.dumps(record, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
