"""Grouping by links: the connected components of items linked in pairs (union-find)."""

from __future__ import annotations

from collections.abc import Iterable


def components(n: int, pairs: Iterable[tuple[int, int]]) -> list[int]:
    """For each of `n` items, the representative of its group once every linked pair is joined."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    return [root(i) for i in range(n)]
