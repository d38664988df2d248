"""Incremental learning of site chrome and copies (kb.pipeline.learn) against the whole-collection
functions it replaces: after every ingest, update and prune of random collections of syndicated
copies and site chrome, each stored document's shared lines and the copy groups are exactly what
kb.ingest.boilerplate computes from all stored documents."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kb.api import KnowledgeBase
from kb.embed import FakeEmbedder
from kb.ingest.boilerplate import copy_groups, shared_keys

WORDS = (
    "budget market survey growth chief officer marketing technology customer revenue team plan "
    "digital strategy data report share percent leader company product sales region cost price "
    "energy battery vehicle policy hospital patient study trial water climate city school"
).split()


def _sentence(rng: random.Random, n: int = 18) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _site(rng: random.Random, name: str) -> list[str]:
    """A site's chrome: a menu, a newsletter line, and a long 'about us' paragraph."""
    return [
        f"{name} | Home | News | Markets | Sign in",
        f"Subscribe to the {name} newsletter",
        f"{name} is an independent publisher covering " + _sentence(rng, 16),
    ]


def _article(rng: random.Random) -> list[str]:
    return [_sentence(rng) for _ in range(rng.randint(6, 10))]


def _copy(rng: random.Random, body: list[str]) -> list[str]:
    """A syndicated copy: a paragraph dropped, a sentence reworded."""
    out = list(body)
    if rng.random() < 0.5:
        out.pop(rng.randrange(len(out)))
    i = rng.randrange(len(out))
    out[i] = out[i].replace(out[i].split()[2], "different", 1)
    return out


def _write(path: Path, site: list[str], body: list[str], headline: str) -> None:
    path.write_text("\n\n".join([site[0], headline, *body, site[1], site[2]]) + "\n", encoding="utf-8")


def _check(kb: KnowledgeBase) -> None:
    store = kb.store
    lines = store.doc_line_keys()
    docs = {d.path: d.id for d in store.documents()}
    paths = sorted(lines)
    sets = [lines[p].keys for p in paths]
    groups = copy_groups(sets)
    shared = shared_keys(sets, groups=groups)
    for path, keys in zip(paths, sets):
        assert store.doc_shared_keys(docs[path]) == shared & keys, path
    want: dict[int, set[str]] = {}
    for path, g in zip(paths, groups):
        want.setdefault(g, set()).add(docs[path])
    have: dict[str, set[str]] = {}
    for doc_id, grp in store.copy_groups().items():
        have.setdefault(grp, set()).add(doc_id)
    assert sorted(map(sorted, have.values())) == sorted(sorted(m) for m in want.values() if len(m) > 1)
    assert all(grp == min(m) for grp, m in have.items())  # a group is named by its smallest id


@pytest.mark.parametrize("seed", range(6))
def test_incremental_learning_equals_the_whole_collection(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "docs"
    folder.mkdir()
    sites = [_site(rng, name) for name in ("Daily Wire", "Metro Times", "Tech Beat")]
    bodies: list[list[str]] = []
    kb = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())
    n = 0
    for step in range(8):
        batch = []
        for _ in range(rng.randint(1, 4)):
            if bodies and rng.random() < 0.45:
                body = _copy(rng, rng.choice(bodies))  # a syndicated copy of an earlier article
            else:
                body = _article(rng)
                bodies.append(body)
            path = folder / f"d{n:03d}.txt"
            _write(path, rng.choice(sites), body, f"Headline number {n} {rng.choice(WORDS)}")
            batch.append(path)
            n += 1
        existing = sorted(folder.iterdir())
        if step % 3 == 2 and len(existing) > 3:  # an edit: another article under the same name
            victim = rng.choice(existing)
            body = _article(rng)
            bodies.append(body)
            _write(victim, rng.choice(sites), body, "An edited headline")
            batch.append(victim)
        kb.ingest(batch, jobs=1)
        _check(kb)
        if step % 3 == 1 and len(existing) > 4:  # a file removed, then --prune
            rng.choice(existing).unlink()
            kb.ingest([], prune=True, jobs=1)
            _check(kb)
    kb.close()


def test_documents_cleaned_by_an_older_kb_fall_back_to_the_whole_collection(tmp_path: Path) -> None:
    """An older kb kept no record of which lines were shared (doc_lines.shared NULL): ingest then
    learns from every stored document, and the result is still the whole-collection one."""
    rng = random.Random(11)
    folder = tmp_path / "docs"
    folder.mkdir()
    site = _site(rng, "Metro Times")
    bodies = [_article(rng) for _ in range(4)]
    for n, body in enumerate(bodies):
        _write(folder / f"d{n}.txt", site, body, f"Headline {n}")
    kb = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())
    kb.ingest([folder], jobs=1)
    kb.store.db.execute("UPDATE doc_lines SET shared = NULL")
    copy = folder / "copy.txt"
    _write(copy, site, [*bodies[0][:-1], bodies[0][-1].replace(" ", " very ", 1)], "Another headline")
    kb.ingest([copy], jobs=1)
    store = kb.store
    lines = store.doc_line_keys()
    paths = sorted(lines)
    sets = [lines[p].keys for p in paths]
    groups = copy_groups(sets)
    shared = shared_keys(sets, groups=groups)
    ids = {d.path: d.id for d in store.documents()}
    assert store.doc_shared_keys(ids[str(copy.resolve())]) == shared & lines[str(copy.resolve())].keys
    grouped = {d for d, g in zip(paths, groups) if groups.count(g) > 1}
    assert {ids[p] for p in grouped} == set(store.copy_groups()) and len(grouped) == 2
    kb.close()
