"""Markdown front matter: the YAML block between `---` lines at the top of a note is metadata.

    ---
    title: Notes on CMO budgets
    author: [Ana Ruiz, Tom Lee]
    date: 2019-03-04
    url: https://example.org/budgets
    tags: [marketing]
    ---

PyYAML's safe loader parses it (no tags, no code); a block that is not valid YAML, or not a
mapping, stays in the text as written.
"""

from __future__ import annotations

import datetime as dt
import re

from kb.records import Metadata, Removed

_BLOCK = re.compile(r"\A(?:\ufeff)?---[ \t]*\n(?P<yaml>.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(text: str) -> tuple[Metadata, str, list[Removed]]:
    """(metadata, the text after the block, the block as a removed block); no block: empty metadata."""
    m = _BLOCK.match(text)
    if not m:
        return Metadata(), text, []
    import yaml

    try:
        data = yaml.safe_load(m["yaml"] or "") or {}
    except yaml.YAMLError:
        return Metadata(), text, []
    if not isinstance(data, dict):
        return Metadata(), text, []
    data = {str(k).lower(): v for k, v in data.items()}

    def text_of(value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, list | tuple):
            names = [text_of(v) for v in value]
            return "; ".join(n for n in names if n) or None
        if isinstance(value, dict):
            return text_of(value.get("name"))
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()[:10]
        return str(value).strip() or None

    author = text_of(data.get("author") or data.get("authors"))
    date = text_of(data.get("date") or data.get("published"))
    if date and not re.match(r"\d{4}(-\d{2}(-\d{2})?)?$", date):
        date = None
    meta = Metadata(
        title=text_of(data.get("title")),
        author=author,
        date=date,
        publisher=text_of(data.get("publisher") or data.get("site")),
        url=text_of(data.get("url") or data.get("source")),
        language=text_of(data.get("lang") or data.get("language")),
    )
    return meta, text[m.end() :], [Removed(m.group(0).strip(), "front matter (read as metadata)")]
