"""A document's clean text cut into runs for the reading page: which runs are the cited span,
a statistic or a claim, and where a PDF page starts. The template escapes every run's text."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of text with one set of marks; `anchor`/`stat_start`/`page` open on its first character."""

    text: str
    cited: bool = False
    anchor: bool = False  # the first run of the cited span: the page scrolls here (#cited)
    stat: str | None = None  # id of the statistic whose figure this run is
    stat_start: bool = False
    claim: bool = False
    page: int | None = None  # a PDF page starts here


def runs(
    text: str,
    cited: tuple[int, int] | None = None,
    stats: Iterable[tuple[int, int, str]] = (),
    claims: Iterable[tuple[int, int]] = (),
    pages: Sequence[dict[str, int]] = (),
) -> list[Run]:
    """`text` split at every span boundary, so marks nest without overlapping tags."""
    n = len(text)
    stats = [(a, b, i) for a, b, i in stats if 0 <= a < b <= n]
    claims = [(a, b) for a, b in claims if 0 <= a < b <= n]
    page_at = {p["start"]: p["page"] for p in pages if 0 <= p["start"] < n and p["page"] > 1}
    cuts = {0, n, *page_at}
    if cited:
        cuts.update(cited)
    for a, b, _ in stats:
        cuts.update((a, b))
    for a, b in claims:
        cuts.update((a, b))
    bounds = sorted(c for c in cuts if 0 <= c <= n)
    out = []
    for a, b in itertools.pairwise(bounds):
        stat = next((s for s in stats if s[0] <= a < s[1]), None)
        out.append(
            Run(
                text=text[a:b],
                cited=bool(cited and cited[0] <= a < cited[1]),
                anchor=bool(cited and a == cited[0]),
                stat=stat[2] if stat else None,
                stat_start=bool(stat and stat[0] == a),
                claim=any(c[0] <= a < c[1] for c in claims),
                page=page_at.get(a),
            )
        )
    return out


def span(start: str | None, end: str | None, length: int) -> tuple[int, int] | None:
    """The cited span from the query string, or None when it is missing or outside the text."""
    try:
        a, b = int(start or ""), int(end or "")
    except ValueError:
        return None
    return (a, b) if 0 <= a < b <= length else None
