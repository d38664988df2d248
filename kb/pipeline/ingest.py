"""Ingest: read -> learn site chrome -> clean -> segment -> extract -> embed -> store.

The caller (`kb.api.KnowledgeBase`) holds the write lock and an open store; the functions
here drive the stages over a batch of sources and report what happened, file by file.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kb.errors import InputError
from kb.pipeline import work
from kb.records import CleanDoc, IngestReport, Metadata, Source

if TYPE_CHECKING:
    from kb.pipeline.learn import Learned
    from kb.store import DocLines, Store

log = logging.getLogger(__name__)

BATCH_DOCS = 32  # documents embedded and stored together (one savepoint)
COMMIT_SECONDS = 5.0  # stored batches commit together, at most this long after the first
COMMIT_DOCS = 512  # or once this many documents wait
LARGE_BYTES = 5 * 2**20  # files above this get a line before they are read
LARGE_CHARS = 1_000_000  # sources above this get a line when cleaning keeps little of them

PIPELINE_MODULES = (
    "ingest/read.py",  # decoding decides the text every offset points into
    "ingest/clean.py",
    "ingest/textclean.py",
    "ingest/boilerplate.py",
    "ingest/segment.py",
    "extract/stats.py",
    "extract/claims.py",
    "cite.py",  # citation keys are derived at ingest
)

Skip = Callable[[str, str], None]


class Progress:
    """Progress reporting hook; the CLI passes one that draws a bar on stderr.

    An ingest draws one bar over its documents: `start` when it knows how many, `stage` as the
    work moves from reading to cleaning, embedding and storing, `advance` as each one is done."""

    def start(self, total: int, label: str) -> None: ...

    def stage(self, label: str) -> None: ...

    def advance(self, n: int) -> None: ...

    def close(self) -> None: ...


class Target(Protocol):
    """What the pipeline writes into: an open store and an embedder (kb.api.KnowledgeBase)."""

    @property
    def store(self) -> Store: ...

    @property
    def embedder(self) -> Any: ...

    def bulk_encode(self, texts: Sequence[str]) -> Any: ...


def passage_words(target: Target) -> int:
    """The longest passage the target's model reads whole (kb.ingest.segment.window_words)."""
    from kb.embed import MAX_TOKENS
    from kb.ingest.segment import window_words

    return window_words(getattr(target.embedder, "max_tokens", MAX_TOKENS))


def pipeline_version() -> str:
    """A hash of the code that turns a file into records: any change to it re-processes
    documents on the next ingest (vectors are cached by text, so only changed text is re-embedded)."""
    from kb.sources import FORMATS

    h = hashlib.sha256()
    root = Path(__file__).parent.parent
    names = [*PIPELINE_MODULES, "sources/__init__.py"]
    names += sorted({m for f in FORMATS.values() for m in f.modules} - set(names))
    for name in names:
        h.update((root / name).read_bytes())
    return h.hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Pending:
    """A cleaned document waiting to be segmented, embedded and stored."""

    doc: CleanDoc
    encoding: str
    was_there: bool
    line_keys: frozenset[int] = frozenset()
    shared_fp: str = ""
    shared_keys: frozenset[int] = frozenset()  # the shared lines it was cleaned with
    prepared: work.Prepared | None = None  # its passages and records, when a worker made them


def read_sources(
    paths: Iterable[str | Path], follow_links: bool = False, on_note: Skip | None = None
) -> Iterator[Source | InputError]:
    """Each file under `paths` read into a Source, or the error saying why it cannot be used."""
    from kb.ingest.read import display_path, find_files, read_source

    for path, error in find_files(paths, follow_links):
        if error is not None:
            yield error
            continue
        if on_note:
            try:
                size = path.stat().st_size
            except OSError:
                size = 0
            if size > LARGE_BYTES:  # a big file takes a while: say so before the wait
                on_note(display_path(path), f"reading {size / 2**20:.0f} MB, this takes a while")
        try:
            yield read_source(path)
        except InputError as exc:
            yield exc


def clean_paths(paths: Iterable[str | Path]) -> Iterator[CleanDoc | InputError]:
    """Clean files without indexing them; yields a CleanDoc or the error for each file.

    The files form one collection: lines that recur across them are dropped as site chrome."""
    from kb.ingest.boilerplate import shared_keys
    from kb.ingest.clean import clean, source_line_keys

    read = list(read_sources(paths))
    keys = {id(s): source_line_keys(s) for s in read if isinstance(s, Source)}
    shared = shared_keys(keys.values())
    for item in read:
        if isinstance(item, InputError):
            yield item
            continue
        try:
            yield clean(item, shared & keys[id(item)])
        except InputError as exc:
            yield exc


def ingest_paths(
    target: Target,
    paths: Sequence[str | Path],
    prune: bool,
    progress: Progress,
    on_skip: Skip | None,
    fetch: bool = True,
    on_note: Skip | None = None,
    follow_links: bool = False,
    jobs: int = 1,
    engine: str = "local",
    ray: work.RayOptions | None = None,
) -> IngestReport:
    """Add, update or (with prune) remove documents; unchanged files cost no embedding.

    `paths` are files, folders and web addresses; with `fetch` False an address is read from
    the snapshot the index already holds (a rebuild works offline)."""
    from kb.ingest.boilerplate import fingerprint
    from kb.sources.locate import exists, read_stored

    store = target.store
    pipeline = pipeline_version()
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    skipped: list[tuple[str, str]] = []

    def skip(path: str, reason: str) -> None:
        skipped.append((path, reason))
        if on_skip:
            on_skip(path, reason)

    removed: list[str] = []
    gone_lines: dict[str, frozenset[int]] = {}
    gone_groups: dict[str, str] = {}
    if prune:
        gone = [d.path for d in store.documents() if not exists(d.path, store)]
        gone_lines = {p: d.keys for p, d in store.lines_of(gone).items()}
        gone_groups = store.path_groups(gone)
        store.delete_documents(gone)
        removed = gone
    progress.start(0, "reading")
    sources = _read_new_sources(store, paths, skip, fetch, follow_links, on_note)
    for source in sources:  # what kb had to repair is said, not hidden
        m = re.search(r"\((\d+) bad bytes replaced\)", source.encoding)
        if m and on_note:
            on_note(source.path, f"{m[1]} bytes that are not UTF-8 were replaced (U+FFFD)")
    progress.start(len(sources), "cleaning")
    # Site chrome and copies are learned from the collection: the stored documents and these files
    # (kb.pipeline.learn: from the part of it that these files can change).
    stored = store.lines_of([s.path for s in sources])
    keys = {s.path: _line_keys(s, stored.get(s.path), pipeline) for s in sources}
    learned, own_of = _learn(store, sources, stored, keys, pipeline, gone_lines, gone_groups)
    pending: list[Pending] = []
    tasks: list[tuple[Source, frozenset[int]]] = []
    waiting: list[tuple[Source, bool, str]] = []
    for source in sources:
        own = own_of[source.path]
        fp = fingerprint(own)
        old = stored.get(source.path)
        if old and (old.sha, old.pipeline, old.shared_fp) == (source.sha, pipeline, fp):
            unchanged.append(source.path)
            progress.advance(1)
            continue
        tasks.append((source, own))
        waiting.append((source, old is not None, fp))
    # clean, segment and extract: in worker processes (or on Ray) when there is enough to do
    # (a document's one step on the bar comes when it is stored, or here when it is skipped)
    max_words = passage_words(target)
    results = work.run(tasks, jobs, engine, ray, max_words)
    embedded = 0
    replaced = False

    def flush(everything: bool = False) -> None:
        """Store what is prepared, a batch at a time, while the workers prepare the rest: memory
        holds a batch of results, not the whole ingest's."""
        nonlocal embedded, replaced
        while len(pending) >= BATCH_DOCS or (everything and pending):
            batch = pending[:BATCH_DOCS]
            del pending[:BATCH_DOCS]
            embedded += _ingest_batch(target, batch, pipeline, progress)
            for item in batch:
                (updated if item.was_there else added).append(item.doc.path)
            replaced = replaced or any(item.was_there for item in batch)

    # batches share commits (Store.grouped): at most COMMIT_SECONDS of stored work waits for one
    with store.grouped(COMMIT_SECONDS, COMMIT_DOCS):
        for (source, was_there, fp), (_, own), result in zip(waiting, tasks, results, strict=True):
            if isinstance(result, work.Skipped):
                skip(result.path, result.reason)
                progress.advance(1)
                continue
            doc = result.doc
            if len(source.text) > LARGE_CHARS and len(doc.text) < 0.05 * len(source.text) and on_note:
                on_note(  # a cut this large is said, with what was kept
                    source.path,
                    f"kept {len(doc.text):,} of {len(source.text):,} characters as the article; "
                    "`kb show DOC --removed` lists the rest",
                )
            pending.append(Pending(doc, source.encoding, was_there, keys[source.path], fp, own, result))
            flush()
        # Stored documents outside these files whose shared lines changed are re-cleaned,
        # if their source file is still what was ingested.
        stale = {p: own for p, own in learned.stale.items() if p not in keys}
        for path, old in store.lines_of(sorted(stale)).items():
            own = stale[path]
            try:
                source = read_stored(path, store)
            except InputError:
                continue
            result = work.prepare(source, own, max_words) if source.sha == old.sha else None
            if isinstance(result, work.Prepared):
                pending.append(
                    Pending(result.doc, source.encoding, True, old.keys, fingerprint(own), own, result)
                )
            elif isinstance(result, work.Skipped):
                skip(result.path, result.reason)
        flush(everything=True)
    progress.close()
    if removed or replaced:  # only a replaced or removed one leaves garbage
        store.gc_vectors()
        store.gc_snapshots()
    if learned.region:
        record_copy_groups(store, learned)
    return IngestReport(
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        removed=tuple(removed),
        skipped=tuple(skipped),
        embedded=embedded,
    )


def record_copy_groups(store: Store, learned: Learned) -> None:
    """Record which of the region's stored documents are copies of one work, each group named by
    its smallest document id; the groups of other documents stay as they are."""
    ids = store.doc_ids(sorted(learned.region))
    members: dict[str, list[str]] = {}
    for path, group in learned.groups.items():
        if path in ids:
            members.setdefault(group, []).append(ids[path])
    groups = {i: min(ms) for ms in members.values() if len(ms) > 1 for i in ms}
    store.update_copy_groups(ids.values(), groups)


def _learn(
    store: Store,
    sources: Sequence[Source],
    stored: dict[str, DocLines],
    keys: dict[str, frozenset[int]],
    pipeline: str,
    gone_lines: dict[str, frozenset[int]],
    gone_groups: dict[str, str],
) -> tuple[Learned, dict[str, frozenset[int]]]:
    """What the collection teaches (kb.pipeline.learn), and each source's shared lines. Files whose
    bytes and pipeline are as stored change nothing and keep the shared lines they were cleaned
    with, unless the change reaches them; the whole collection is used when an older kb left no
    record of a reached document's shared lines."""
    from kb.pipeline.learn import Learned, learn

    by_path = {s.path: s for s in sources}
    same = {p for p, old in stored.items() if old.sha == by_path[p].sha and old.pipeline == pipeline}
    changed = {p: k for p, k in keys.items() if p not in same}
    learned: Learned | None = Learned({}, {}, frozenset(), {})
    if changed or gone_lines:
        learned = learn(store, changed, gone_lines, gone_groups)
    flags = store.shared_flags(sorted(same - set(learned.stale))) if learned is not None else {}
    if learned is None or any(f is None for f in flags.values()):
        learned = learn_everything(store, keys)
        return learned, learned.own
    own = {p: learned.stale[p] if p in learned.stale else flags[p] for p in same} | learned.own
    return learned, own


def learn_everything(store: Store, keys: dict[str, frozenset[int]]) -> Learned:
    """Shared lines and copy groups from every stored document and these files' `keys`."""
    from kb.ingest.boilerplate import copy_groups, fingerprint, shared_keys
    from kb.pipeline.learn import Learned

    stored = store.doc_line_keys()
    collection = {p: old.keys for p, old in stored.items()} | keys
    groups = copy_groups(list(collection.values()))
    shared = shared_keys(collection.values(), groups=groups)
    members: dict[int, list[str]] = {}
    for path, g in zip(collection, groups):
        members.setdefault(g, []).append(path)
    stale = {
        path: shared & old.keys
        for path, old in stored.items()
        if path not in keys and fingerprint(shared & old.keys) != old.shared_fp
    }
    return Learned(
        own={p: shared & k for p, k in keys.items()},
        stale=stale,
        region=frozenset(collection),
        groups={p: min(ms) for ms in members.values() if len(ms) > 1 for p in ms},
    )


def ingest_texts(
    target: Target, items: Iterable[tuple[str, str | None, str]], progress: Progress
) -> IngestReport:
    """Add already-clean texts (key, title, text), such as a BEIR corpus: no file, no cleaning.

    The key stands in for the path; unchanged texts cost nothing, as with files."""
    store = target.store
    pipeline = pipeline_version()
    pending: list[Pending] = []
    unchanged: list[str] = []
    for key, title, text in items:
        sha = hashlib.sha256(f"{title}\x1f{text}".encode()).hexdigest()
        state = store.doc_state(key)
        if state and state[1] == sha and state[3] == pipeline:
            unchanged.append(key)
            continue
        body = f"{title}\n\n{text}" if title else text
        doc = CleanDoc(path=key, kind="txt", sha=sha, text=body, meta=Metadata(title=title))
        pending.append(Pending(doc, "utf-8", state is not None))
    added: list[str] = []
    updated: list[str] = []
    embedded = store_pending(target, pending, pipeline, progress, added, updated)
    if pending:
        store.gc_vectors()
    return IngestReport(
        added=tuple(added), updated=tuple(updated), unchanged=tuple(unchanged), embedded=embedded
    )


def _read_new_sources(
    store: Store,
    paths: Sequence[str | Path],
    skip: Skip,
    fetch: bool = True,
    follow_links: bool = False,
    on_note: Skip | None = None,
) -> list[Source]:
    """Read the files under `paths` and the pages at its web addresses, once each; unreadable
    ones and copies of another document are skipped with the reason."""
    from kb.sources.web import is_url

    sources: list[Source] = []
    seen_paths: set[str] = set()
    seen_shas: dict[str, str] = {}
    urls = [str(p) for p in paths if is_url(str(p))]
    files = [p for p in paths if not is_url(str(p))]
    for source in [*_read_urls(store, urls, fetch), *read_sources(files, follow_links, on_note)]:
        if isinstance(source, InputError):
            skip(source.path, source.reason)
            continue
        if source.path in seen_paths:
            continue
        seen_paths.add(source.path)
        other = store.doc_with_sha(source.sha) or seen_shas.get(source.sha)
        if other and other != source.path:
            skip(source.path, f"same content as {other}, already indexed")
            continue
        seen_shas[source.sha] = source.path
        sources.append(source)
    return sources


def _read_urls(store: Store, urls: Sequence[str], fetch: bool) -> Iterator[Source | InputError]:
    """Each address fetched (conditionally, when the index holds an earlier snapshot) and read."""
    from kb.sources.locate import snapshot_source
    from kb.sources.web import fetch as get

    for url in dict.fromkeys(urls):
        previous = store.snapshot_for(url)
        try:
            snap = get(url, previous) if fetch or previous is None else None
            if snap is None:  # not modified, or offline: the page as last fetched
                snap = previous
            else:
                store.put_snapshot(snap)
            yield snapshot_source(snap)
        except InputError as exc:
            yield exc


def _line_keys(source: Source, old: DocLines | None, pipeline: str) -> frozenset[int]:
    """A source's line keys; an unchanged file reuses the keys stored for it."""
    from kb.ingest.clean import source_line_keys

    if old is not None and old.sha == source.sha and old.pipeline == pipeline:
        return old.keys
    return source_line_keys(source)


def store_pending(
    target: Target,
    pending: Sequence[Pending],
    pipeline: str,
    progress: Progress,
    added: list[str],
    updated: list[str],
    total: int | None = 0,
) -> int:
    """Segment, extract, embed and store cleaned documents in batches; the number of texts embedded.

    `total`: the bar's length (0: the pending documents; None: the bar the caller started)."""
    embedded = 0
    if total is not None:
        progress.start(total or len(pending), "embedding")
    with target.store.grouped(COMMIT_SECONDS, COMMIT_DOCS):
        for lo in range(0, len(pending), BATCH_DOCS):
            batch = pending[lo : lo + BATCH_DOCS]
            embedded += _ingest_batch(target, batch, pipeline, progress)
            for item in batch:
                (updated if item.was_there else added).append(item.doc.path)
    progress.close()
    return embedded


def _ingest_batch(target: Target, batch: Sequence[Pending], pipeline: str, progress: Progress) -> int:
    """Segment, extract, embed what is new, and store the batch in one transaction (a savepoint a document)."""
    import numpy as np

    from kb.extract.claims import extract_claims
    from kb.extract.stats import extract_statistics
    from kb.ingest.segment import segment
    from kb.pipeline.work import embedding_plan

    store = target.store
    embedder = target.embedder
    prepared = []
    wanted: dict[str, str] = {}
    for i, item in enumerate(batch):
        override = store.meta_override(item.doc.path)
        if override:  # fields the user corrected with `kb meta` win over what the source says
            batch = [
                *batch[:i],
                replace(item, doc=replace(item.doc, meta=replace(item.doc.meta, **override))),
                *batch[i + 1 :],
            ]
    given: dict[str, np.ndarray] = {}  # embedded where the document was prepared (Ray actors)
    for item in batch:
        doc = item.doc
        ready = item.prepared if item.prepared is not None and item.prepared.doc is doc else None
        passages = list(ready.passages) if ready else segment(doc, passage_words(target))
        stats = list(ready.statistics) if ready else extract_statistics(doc)
        claims = list(ready.claims) if ready else extract_claims(doc)
        plan = embedding_plan(embedder.name, doc, passages, stats)
        wanted.update(plan.texts)
        if ready:
            given.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in ready.vectors)
        prepared.append((item, passages, plan, stats, claims))
    known = store.known_vectors(wanted)  # one lookup for the batch (it was once per text)
    missing = [k for k in wanted if k not in known]
    vectors = {k: given[k] for k in missing if k in given}
    todo = [k for k in missing if k not in vectors]
    if todo:
        progress.stage(f"embedding {len(todo):,} texts")
        matrix = target.bulk_encode([wanted[k] for k in todo])
        vectors.update(zip(todo, matrix))
    if prepared and store.get_meta("model") is None:  # (also when every vector was cached already)
        store.set_meta("model", embedder.name)
        store.set_meta("dim", str(embedder.dim))
    with store.transaction(len(prepared)):  # the batch is stored whole, or not at all
        for item, passages, plan, stats, claims in prepared:
            _store_one(store, item, passages, plan, stats, claims, vectors, pipeline)
            progress.stage("storing")
            progress.advance(1)
    return len(missing)


def _store_one(
    store: Store,
    item: Pending,
    passages: Sequence[Any],
    plan: Any,
    stats: Sequence[Any],
    claims: Sequence[Any],
    vectors: dict[str, Any],
    pipeline: str,
) -> None:
    """One prepared document and its new vectors, into the store."""
    from kb.cite import document_key

    pkeys, skeys, tkeys = plan.passage_keys, plan.sentence_keys, plan.statement_keys
    doc = item.doc
    store.replace_document(
        doc,
        encoding=item.encoding,
        pipeline=pipeline,
        citekey=document_key(doc.meta, doc.id, doc.path),
        passages=passages,
        passage_keys=pkeys,
        sentence_keys=skeys,
        new_vectors={
            k: vectors[k] for k in {*pkeys, *tkeys.values()}.union(*map(set, skeys)) if k in vectors
        },
        statistics=stats,
        claims=claims,
        statement_keys=tkeys,
        line_keys=item.line_keys,
        shared_fp=item.shared_fp,
        shared_keys=item.shared_keys,
    )
