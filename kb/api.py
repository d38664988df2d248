"""kb's library API: what the CLI and the tests call.

    kb = KnowledgeBase(Path("index"))
    report = kb.ingest(["corpus"])
    answer = kb.ask("what blocks collaboration", k=5)

Heavy work (models, faiss, trafilatura) is imported inside the methods that
need it, so opening a knowledge base and answering from it stays fast.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import IndexLocked, IndexMismatch, IndexMissing, InputError, KbError, NotFound
from kb.records import (
    CleanDoc,
    DocInfo,
    Hit,
    IngestReport,
    Metadata,
    Problem,
    Source,
    VerifyReport,
    content_id,
)

if TYPE_CHECKING:
    from kb.store import DocLines

log = logging.getLogger(__name__)

DB_FILE = "kb.sqlite"
LOCK_FILE = "write.lock"
BATCH_DOCS = 32  # documents embedded and committed together
BULK_TEXTS = 500  # above this many texts to embed at once, ingest uses sentence-transformers if installed


class Progress:
    """Progress reporting hook; the CLI passes one that draws a bar on stderr."""

    def start(self, total: int, label: str) -> None: ...

    def advance(self, n: int) -> None: ...

    def close(self) -> None: ...


PIPELINE_MODULES = (
    "ingest/clean.py",
    "ingest/textclean.py",
    "ingest/boilerplate.py",
    "ingest/segment.py",
    "extract/stats.py",
    "extract/claims.py",
    "cite.py",  # citation keys are derived at ingest
)


def pipeline_version() -> str:
    """A hash of the code that turns a file into records: any change to it re-processes
    documents on the next ingest (vectors are cached by text, so only changed text is re-embedded)."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for name in PIPELINE_MODULES:
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


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of a question: ranked hits and the statistics/claims inside them."""

    query: str
    hits: tuple[Hit, ...]
    statistics: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: Any = None  # kb.answer.Summary: the extractive answer


def read_sources(paths: Iterable[str | Path]) -> Iterator[Source | InputError]:
    """Each file under `paths` read into a Source, or the error saying why it cannot be used."""
    from kb.ingest.read import find_files, read_source

    for path, error in find_files(paths):
        if error is not None:
            yield error
            continue
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


class KnowledgeBase:
    """One index directory: the SQLite store, the faiss index beside it, and the embedder."""

    def __init__(self, directory: Path | str, embedder: Any = None) -> None:
        self.directory = Path(directory)
        self._embedder = embedder
        self._auto = embedder is None  # no embedder given: kb picks the runtime per job
        self._bulk = None
        self._store = None
        self._vindex = None

    # -- parts ----------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return (self.directory / DB_FILE).exists()

    @property
    def embedder(self):
        if self._embedder is None:
            from kb.embed import get_embedder

            self._embedder = get_embedder()
        return self._embedder

    def bulk_encode(self, texts: Sequence[str]) -> Any:
        """Embed many texts for ingest. With the default runtime and more than BULK_TEXTS to do,
        sentence-transformers (torch) is used when installed: about twice the numpy runtime's
        throughput, worth its 7 s import on big jobs; its vectors match (tests/test_embed.py)."""
        if self._auto and len(texts) > BULK_TEXTS and os.environ.get("KB_EMBEDDER") in (None, "", "numpy"):
            if self._bulk is None:
                try:
                    from kb.embed import SentenceTransformerEmbedder

                    bulk = SentenceTransformerEmbedder()
                    bulk.encode(["warm up"])
                    self._bulk = bulk if bulk.name == self.embedder.name else False
                except Exception as exc:  # torch missing or broken: the numpy runtime does it
                    log.info("sentence-transformers unavailable for bulk embedding (%s)", exc)
                    self._bulk = False
            if self._bulk:
                return self._bulk.encode(texts)
        return self.embedder.encode(texts)

    @property
    def store(self):
        if self._store is None:
            if not self.exists:
                raise IndexMissing(f"no index at {self.directory}; run `kb ingest` first")
            self._store = self._open_store()
        return self._store

    def _open_store(self):
        import sqlite3

        from kb.store import Store

        try:
            return Store(self.directory / DB_FILE)
        except sqlite3.DatabaseError as exc:
            raise IndexMismatch(
                f"the index database at {self.directory / DB_FILE} is unreadable ({exc}); run `kb rebuild`"
            ) from exc

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _check_model(self) -> None:
        stored = self.store.get_meta("model")
        name = self.embedder.name
        if stored and stored != name:
            raise IndexMismatch(
                f"the index was built with model {stored!r} but kb is using {name!r}; "
                "run `kb rebuild` to re-embed, or set KB_EMBEDDER to match"
            )

    def vector_index(self):
        """The faiss index, loaded if it matches the store, else rebuilt from the store's vectors."""
        if self._vindex is not None and self._vindex.manifest.generation == self.store.generation():
            return self._vindex
        from kb.index import VectorIndex

        store = self.store
        model = store.get_meta("model") or self.embedder.name
        dim = int(store.get_meta("dim") or self.embedder.dim)
        generation, count = store.generation(), store.passage_count()
        vindex = VectorIndex.load(self.directory, model, dim, generation, count)
        if vindex is None:
            ids, vecs = store.passage_vectors(dim)
            vindex = VectorIndex.build(ids, vecs, model, dim, generation)
            try:
                vindex.save(self.directory)
            except OSError as exc:  # a read-only index still answers
                log.warning("cannot save the rebuilt vector index: %s", exc)
        self._vindex = vindex
        return vindex

    # -- ingest ---------------------------------------------------------------

    def _lock(self):
        from filelock import FileLock, Timeout

        self.directory.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.directory / LOCK_FILE))
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise IndexLocked(
                f"another kb process is writing {self.directory}; wait for it to finish"
            ) from exc
        return lock

    def ingest(
        self,
        paths: Sequence[str | Path],
        prune: bool = False,
        progress: Progress | None = None,
        on_skip: Callable[[str, str], None] | None = None,
    ) -> IngestReport:
        """Add, update or (with prune) remove documents; unchanged files cost no embedding."""
        from kb.ingest.boilerplate import fingerprint, shared_keys
        from kb.ingest.read import read_source

        progress = progress or Progress()
        lock = self._lock()
        try:
            if self._store is None:
                self._store = self._open_store()
            store = self._store
            self._check_model()
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
            if prune:
                gone = [d.path for d in store.documents() if not Path(d.path).exists()]
                store.delete_documents(gone)
                removed = gone
            sources = self._read_sources(paths, skip)
            # Site chrome is learned from the whole collection: the stored documents and these files.
            stored = store.doc_line_keys()
            keys = {s.path: self._line_keys(s, stored.get(s.path), pipeline) for s in sources}
            shared = shared_keys(({p: old.keys for p, old in stored.items()} | keys).values())
            pending: list[Pending] = []
            for source in sources:
                own = shared & keys[source.path]
                fp = fingerprint(own)
                old = stored.get(source.path)
                if old and (old.sha, old.pipeline, old.shared_fp) == (source.sha, pipeline, fp):
                    unchanged.append(source.path)
                    continue
                doc = self._clean(source, own, skip)
                if doc is not None:
                    pending.append(Pending(doc, source.encoding, old is not None, keys[source.path], fp))
            # Stored documents outside these files whose shared lines changed are re-cleaned,
            # if their source file is still what was ingested.
            for path, old in stored.items():
                own = shared & old.keys
                if path in keys or fingerprint(own) == old.shared_fp:
                    continue
                try:
                    source = read_source(Path(path))
                except InputError:
                    continue
                doc = self._clean(source, own, skip) if source.sha == old.sha else None
                if doc is not None:
                    pending.append(Pending(doc, source.encoding, True, old.keys, fingerprint(own)))
            embedded = self._store_pending(pending, pipeline, progress, added, updated)
            if pending or removed:
                store.gc_vectors()
            self.vector_index()  # rebuild and save now, not on the next query
            return IngestReport(
                added=tuple(added),
                updated=tuple(updated),
                unchanged=tuple(unchanged),
                removed=tuple(removed),
                skipped=tuple(skipped),
                embedded=embedded,
            )
        finally:
            lock.release()

    def _read_sources(self, paths: Sequence[str | Path], skip: Callable[[str, str], None]) -> list[Source]:
        """Read the files under `paths`, once each; unreadable files and copies of another
        document are skipped with the reason."""
        sources: list[Source] = []
        seen_paths: set[str] = set()
        seen_shas: dict[str, str] = {}
        for source in read_sources(paths):
            if isinstance(source, InputError):
                skip(source.path, source.reason)
                continue
            if source.path in seen_paths:
                continue
            seen_paths.add(source.path)
            other = self.store.doc_with_sha(source.sha) or seen_shas.get(source.sha)
            if other and other != source.path:
                skip(source.path, f"same content as {other}, already indexed")
                continue
            seen_shas[source.sha] = source.path
            sources.append(source)
        return sources

    @staticmethod
    def _line_keys(source: Source, old: DocLines | None, pipeline: str) -> frozenset[int]:
        """A source's line keys; an unchanged file reuses the keys stored for it."""
        from kb.ingest.clean import source_line_keys

        if old is not None and old.sha == source.sha and old.pipeline == pipeline:
            return old.keys
        return source_line_keys(source)

    @staticmethod
    def _clean(source: Source, shared: frozenset[int], skip: Callable[[str, str], None]) -> CleanDoc | None:
        """Clean one source for ingest; None (and a skip) if it has no usable text."""
        from kb.ingest.clean import clean

        try:
            return clean(source, shared)
        except InputError as exc:
            skip(exc.path, exc.reason)
        except RecursionError:
            skip(source.path, "document structure too deeply nested to parse")
        return None

    def _store_pending(
        self,
        pending: Sequence[Pending],
        pipeline: str,
        progress: Progress,
        added: list[str],
        updated: list[str],
    ) -> int:
        """Segment, extract, embed and store cleaned documents in batches; the number of texts embedded."""
        embedded = 0
        progress.start(len(pending), "embedding")
        for lo in range(0, len(pending), BATCH_DOCS):
            batch = pending[lo : lo + BATCH_DOCS]
            embedded += self._ingest_batch(batch, pipeline)
            for item in batch:
                (updated if item.was_there else added).append(item.doc.path)
            progress.advance(len(batch))
        progress.close()
        return embedded

    def ingest_texts(
        self, items: Iterable[tuple[str, str | None, str]], progress: Progress | None = None
    ) -> IngestReport:
        """Add already-clean texts (key, title, text), such as a BEIR corpus: no file, no cleaning.

        The key stands in for the path; unchanged texts cost nothing, as with files."""
        progress = progress or Progress()
        lock = self._lock()
        try:
            if self._store is None:
                self._store = self._open_store()
            store = self._store
            self._check_model()
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
            embedded = self._store_pending(pending, pipeline, progress, added, updated)
            if pending:
                store.gc_vectors()
            self.vector_index()
            return IngestReport(
                added=tuple(added), updated=tuple(updated), unchanged=tuple(unchanged), embedded=embedded
            )
        finally:
            lock.release()

    def _ingest_batch(self, batch: Sequence[Pending], pipeline: str) -> int:
        """Segment, extract, embed what is new, and store each document in its own transaction."""
        from kb.cite import document_key
        from kb.extract.claims import extract_claims
        from kb.extract.stats import extract_statistics
        from kb.ingest.segment import embed_text, segment

        store = self.store
        embedder = self.embedder
        prepared = []
        wanted: dict[str, str] = {}
        for item in batch:
            doc = item.doc
            passages = segment(doc)
            pkeys = [content_id(embedder.name, embed_text(p)) for p in passages]
            skeys = [[content_id(embedder.name, doc.text[s:e]) for s, e in p.sentences] for p in passages]
            for p, key in zip(passages, pkeys):
                wanted[key] = embed_text(p)
            for p, keys in zip(passages, skeys):
                for (s, e), key in zip(p.sentences, keys):
                    wanted[key] = doc.text[s:e]
            prepared.append((item, passages, pkeys, skeys))
        missing = [k for k in wanted if k not in store.known_vectors(wanted)]
        vectors = {}
        if missing:
            matrix = self.bulk_encode([wanted[k] for k in missing])
            vectors = dict(zip(missing, matrix))
            if store.get_meta("model") is None:
                store.set_meta("model", embedder.name)
                store.set_meta("dim", str(embedder.dim))
        for item, passages, pkeys, skeys in prepared:
            doc = item.doc
            store.replace_document(
                doc,
                encoding=item.encoding,
                pipeline=pipeline,
                citekey=document_key(doc.meta, doc.id),
                passages=passages,
                passage_keys=pkeys,
                sentence_keys=skeys,
                new_vectors={k: vectors[k] for k in set(pkeys).union(*map(set, skeys)) if k in vectors},
                statistics=extract_statistics(doc),
                claims=extract_claims(doc),
                line_keys=item.line_keys,
                shared_fp=item.shared_fp,
            )
        return len(missing)

    def rebuild(self, progress: Progress | None = None) -> IngestReport:
        """Re-read, re-clean and re-embed every stored document from its source file."""
        paths = [d.path for d in self.store.documents()]
        self.close()
        for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", "vectors.faiss", "manifest.json"):
            (self.directory / name).unlink(missing_ok=True)
        self._vindex = None
        return self.ingest(paths, progress=progress)

    # -- query ----------------------------------------------------------------

    def ask(self, query: str, k: int = 5, filters: Any = None) -> Answer:
        """The passages that best answer a question, with the statistics and claims inside them."""
        from kb.embed import single_threaded
        from kb.search import search

        if not query.strip():
            raise KbError("the question is empty")
        self._check_model()
        vindex = self.vector_index()
        with single_threaded():
            qvec = self.embedder.encode([query])[0]
            hits = search(self.store, vindex, qvec, query, k=k, filters=filters)
        hits = tuple(self._attach_records(hits))
        stats = {s.id: s.to_dict() for h in hits for s in h.statistics}
        claims = {c.id: c.to_dict() for h in hits for c in h.claims}
        return Answer(
            query=query, hits=hits, statistics=stats, claims=claims, summary=self._summary(query, qvec, hits)
        )

    def _summary(self, query: str, qvec: Any, hits: Sequence[Hit]) -> Any:
        """The extractive answer from the sentences of the top hits."""
        from kb.answer import ANSWER_HITS, Candidate, summarise

        top = hits[:ANSWER_HITS]
        sentences = self.store.passage_sentences([h.passage_id for h in top])
        contexts = self.store.passage_contexts([h.passage_id for h in top])
        candidates = [
            Candidate(
                h.doc,
                s,
                e,
                h.text[s - h.start : e - h.start],
                vec,
                h.rank,
                h.components.get("intent", 0.0),
                h.components.get("dense", 0.0),
                contexts.get(h.passage_id, ""),
            )
            for h in top
            for s, e, vec in sentences.get(h.passage_id, [])
        ]
        return summarise(query, qvec, candidates)

    def _attach_records(self, hits: Sequence[Hit]) -> Iterator[Hit]:
        from dataclasses import replace

        from kb.records import Claim, Statistic

        by_doc_stats: dict[str, list[dict[str, Any]]] = {}
        by_doc_claims: dict[str, list[dict[str, Any]]] = {}
        for h in hits:
            if h.doc.id not in by_doc_stats:
                by_doc_stats[h.doc.id] = self.store.statistics(h.doc.id)
                by_doc_claims[h.doc.id] = self.store.claims(h.doc.id)
            stats = tuple(
                Statistic(**{k: v for k, v in s.items() if k != "id"})
                for s in by_doc_stats[h.doc.id]
                if h.start <= s["start"] and s["end"] <= h.end
            )
            claims = tuple(
                Claim(**{k: v for k, v in c.items() if k != "id"})
                for c in by_doc_claims[h.doc.id]
                if c["start"] < h.end and h.start < c["end"]
            )
            yield replace(h, statistics=stats, claims=claims)

    # -- records --------------------------------------------------------------

    def documents(self) -> list[DocInfo]:
        return self.store.documents()

    def show(self, ref: str) -> dict[str, Any]:
        """A stored document's metadata, clean text and removed blocks."""
        doc = self.store.find_doc(_doc_ref(ref))
        out = doc.to_dict()
        out["text"] = self.store.doc_text(doc.id)
        out["removed"] = self.store.doc_removed(doc.id)
        return out

    def statistics(
        self,
        query: str | None = None,
        doc: str | None = None,
        unit: str | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        population: str | None = None,
        source: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Statistic records (with their document under `doc`), filtered, ranked by relevance to `query`."""
        doc_id = self.store.find_doc(_doc_ref(doc)).id if doc else None
        records = [
            r
            for r in self.store.statistics(doc_id)
            if (not unit or r["unit"].lower() == unit.lower())
            and (minimum is None or r["value"] >= minimum)
            and (maximum is None or r["value"] <= maximum)
            and (not population or population.lower() in (r.get("population") or "").lower())
            and (not source or source.lower() in (r.get("source") or "").lower())
        ]
        if query and records:
            records = self._rank(query, records, text_field="sentence", own_fields=("population", "measure"))
        return self._with_docs(records[:limit] if limit else records)

    def _rank(
        self, query: str, records: list[dict[str, Any]], text_field: str, own_fields: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """Order records by cosine between the query and each record's text, plus word overlap;
        words of the record's own fields break ties between records that share one text."""
        import numpy as np

        from kb.search import _terms

        sentences = sorted({r[text_field] for r in records})
        vectors = dict(zip(sentences, self._encode_cached(sentences)))  # ingest embedded most already
        qvec = self.embedder.encode([query])[0]
        qterms = _terms(query)

        def score(r: dict[str, Any]) -> float:
            n = max(len(qterms), 1)
            shared = len(qterms & _terms(r[text_field])) / n
            own = len(qterms & _terms(" ".join(r.get(f) or "" for f in own_fields))) / n
            return float(np.dot(vectors[r[text_field]], qvec)) + 0.2 * shared + 0.2 * own

        scored = sorted(((score(r), i, r) for i, r in enumerate(records)), key=lambda t: (-t[0], t[1]))
        out = []
        for value, _, r in scored:
            r = dict(r)
            r["score"] = round(value, 6)
            out.append(r)
        return out

    def claims(
        self,
        query: str | None = None,
        doc: str | None = None,
        kind: str | None = None,
        speaker: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Claim records, filtered by kind and speaker/organisation, ranked by relevance to `query`."""
        doc_id = self.store.find_doc(_doc_ref(doc)).id if doc else None
        records = [
            r
            for r in self.store.claims(doc_id)
            if (not kind or r["kind"] == kind)
            and (
                not speaker
                or speaker.lower() in f"{r.get('speaker') or ''} {r.get('organization') or ''}".lower()
            )
        ]
        if query and records:
            records = self._rank(query, records, text_field="text")
        return self._with_docs(records[:limit] if limit else records)

    def _with_docs(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        docs = {d.id: d.to_dict() for d in self.store.documents()}
        out = []
        for r in records:
            r = dict(r)
            r["doc"] = docs.get(r.pop("doc_id"))
            out.append(r)
        return out

    def record(self, record_id: str) -> tuple[str, dict[str, Any]]:
        found = self.store.record(record_id)
        if found is None:
            raise NotFound(f"no statistic or claim with id {record_id!r}")
        return found

    # -- verification -----------------------------------------------------------

    def verify(self, progress: Progress | None = None) -> VerifyReport:
        """Prove every stored record is a verbatim slice of its document's clean text, that the
        clean text is still what the source file gives, and that the vector index matches the store.

        Problems: `missing` (source file gone), `stale` (source changed since ingest), `outdated`
        (ingested by an older pipeline), `mismatch` (a record is not what its offsets say),
        `index` (vectors and store disagree).
        """
        from kb.ingest.boilerplate import shared_keys
        from kb.ingest.clean import clean
        from kb.ingest.read import read_source

        progress = progress or Progress()
        store = self.store
        problems: list[Problem] = []
        checked = 0
        pipeline = pipeline_version()
        docs = store.documents()
        lines = store.doc_line_keys()
        shared = shared_keys(old.keys for old in lines.values())
        progress.start(len(docs), "verifying")
        for doc in docs:
            progress.advance(1)
            text = store.doc_text(doc.id)
            n, bad = self._record_mismatches(doc.id, text)
            checked += n
            problems.extend(Problem(doc.path, "mismatch", b) for b in bad)
            path = Path(doc.path)
            if not path.is_file():
                problems.append(
                    Problem(doc.path, "missing", "source file not found (run `kb ingest --prune`)")
                )
                continue
            if file_sha(path) != doc.sha:
                problems.append(Problem(doc.path, "stale", "source changed since ingest (run `kb ingest`)"))
                continue
            state = store.doc_state(doc.path)
            if state and state[3] != pipeline:
                problems.append(
                    Problem(doc.path, "outdated", "ingested by an older kb pipeline (run `kb ingest`)")
                )
                continue
            try:
                source = read_source(path)
                own = shared & (lines[doc.path].keys if doc.path in lines else frozenset())
                fresh = clean(source, own).text
            except (InputError, RecursionError) as exc:
                problems.append(Problem(doc.path, "mismatch", f"source no longer cleans: {exc}"))
                continue
            if fresh != text:
                problems.append(
                    Problem(doc.path, "mismatch", "re-cleaning the source gives a different clean text")
                )
        progress.close()
        problems.extend(Problem(str(self.directory), "index", d) for d in self._index_mismatches())
        return VerifyReport(documents=len(docs), records=checked, problems=tuple(problems))

    def _record_mismatches(self, doc_id: str, text: str) -> tuple[int, list[str]]:
        """How many records were checked, and those that are not the slice their offsets name."""
        store = self.store
        n = 0
        bad: list[str] = []
        spans = {}
        for rowid, start, end, ptext in store.doc_passages(doc_id):
            n += 1
            spans[rowid] = (start, end)
            if text[start:end] != ptext:
                bad.append(f"passage {start}-{end} is not the clean text at its offsets")
        for rowid, start, end in store.doc_sentences(doc_id):
            n += 1
            p_start, p_end = spans.get(rowid, (0, -1))
            if not (p_start <= start < end <= p_end):
                bad.append(f"sentence {start}-{end} lies outside its passage")
        for r in store.statistics(doc_id):
            n += 1
            if text[r["start"] : r["end"]] != r["value_text"]:
                bad.append(f"statistic {r['id']}: {r['value_text']!r} is not at {r['start']}-{r['end']}")
            if text[r["sentence_start"] : r["sentence_end"]] != r["sentence"]:
                bad.append(
                    f"statistic {r['id']}: its sentence is not at {r['sentence_start']}-{r['sentence_end']}"
                )
        for r in store.claims(doc_id):
            n += 1
            if text[r["start"] : r["end"]] != r["text"]:
                bad.append(f"claim {r['id']}: its text is not at {r['start']}-{r['end']}")
        return n, bad

    def _index_mismatches(self) -> Iterator[str]:
        """Disagreements between the faiss index and the store's passages and vectors."""
        import numpy as np

        store = self.store
        dim = int(store.get_meta("dim") or self.embedder.dim)
        missing = store.missing_vectors(dim)
        if missing:
            yield f"{missing} passages or sentences have no stored vector (run `kb rebuild`)"
        vindex = self.vector_index()
        ids, vectors = store.passage_vectors(dim)
        held = vindex.ids()
        if len(held) != len(ids) or not np.array_equal(np.sort(held), ids):
            yield f"the vector index holds {len(held)} passages, the store {len(ids)} (run `kb rebuild`)"
            return
        step = max(1, len(ids) // 200)  # spot-check up to ~200 vectors
        for rowid, vec in zip(ids[::step], vectors[::step]):
            if not np.allclose(vindex.vector(rowid), vec, atol=1e-5):
                yield f"the vector index disagrees with the store for passage {rowid} (run `kb rebuild`)"
                return

    # -- drafts -----------------------------------------------------------------

    def check(self, markdown: str) -> list[Any]:
        """Every figure in a Markdown draft, judged sourced, mismatched or unsourced against the
        indexed statistics (kb.draft.FigureCheck records, in draft order)."""
        import numpy as np

        from kb.draft import draft_figures, judge
        from kb.search import _terms

        figures = draft_figures(markdown)
        if not figures:
            return []
        records = self._with_docs(self.store.statistics())
        units = {f.unit for f in figures}
        records = [r for r in records if r["unit"] in units]

        def statement(value_text: str, population: str | None, measure: str | None) -> str:
            """The figure's own clause, so one figure of a sentence that states three is told apart."""
            return " ".join(filter(None, (value_text, f"of {population}" if population else None, measure)))

        def own(x: Any) -> set[str]:
            return _terms(" ".join(filter(None, x)))

        f_statements = [statement(f.value_text, f.population, f.measure) for f in figures]
        r_statements = [statement(r["value_text"], r.get("population"), r.get("measure")) for r in records]
        texts = sorted(
            {f.sentence for f in figures}
            | {r["sentence"] for r in records}
            | set(f_statements)
            | set(r_statements)
        )
        vectors = dict(zip(texts, self._encode_cached(texts)))
        out = []
        for f, f_stmt in zip(figures, f_statements):
            fvec, fown = vectors[f.sentence], own((f.population, f.measure))
            svec = vectors[f_stmt]
            scored = []
            for r, r_stmt in zip(records, r_statements):
                if r["unit"] != f.unit:
                    continue
                score = max(float(np.dot(fvec, vectors[r["sentence"]])), float(np.dot(svec, vectors[r_stmt])))
                rown = own((r.get("population"), r.get("measure")))
                if fown:
                    score += 0.2 * len(fown & rown) / len(fown)
                if f.population and r.get("population"):  # who the figure is about weighs most
                    fpop, rpop = _terms(f.population), _terms(r["population"])
                    score += 0.15 * len(fpop & rpop) / max(len(fpop), 1)
                if (r.get("doc") or {}).get("citekey") in f.cites:
                    score += 0.1
                scored.append((score, r))
            out.append(judge(f, scored))
        return out

    def _encode_cached(self, texts: Sequence[str]) -> Any:
        """Vectors for texts, from the store's cache where ingest already embedded them."""
        import numpy as np

        keys = [content_id(self.embedder.name, t) for t in texts]
        cached = self.store.vectors(keys)
        todo = [t for t, k in zip(texts, keys) if k not in cached]
        fresh = dict(zip(todo, self.embedder.encode(todo))) if todo else {}
        return np.stack([cached[k] if k in cached else fresh[t] for t, k in zip(texts, keys)])

    # -- citations --------------------------------------------------------------

    def citation_entries(self, refs: Sequence[str]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
        """(kind, record, CSL items) for each id: a statistic, a claim, or a document (id, path or key)."""
        from kb.cite import items_for

        docs = {d.id: d.to_dict() for d in self.store.documents()}
        entries = []
        for ref in refs:
            found = self.store.record(ref)
            if found:
                kind, record = found
                doc = docs[record["doc_id"]]
            else:
                try:
                    doc = self.store.find_doc(_doc_ref(ref)).to_dict()
                except NotFound:
                    raise NotFound(f"no document, statistic or claim with id {ref!r}") from None
                kind, record = "document", doc
            entries.append((kind, record, items_for(kind, record, doc)))
        return entries

    def cite(self, refs: Sequence[str], fmt: str = "md") -> str:
        """Citations for documents, statistics or claims in one of kb.cite.FORMATS."""
        from kb.cite import render

        return render(fmt, self.citation_entries(refs))

    def bibliography(self, records: Iterable[dict[str, Any]], fmt: str) -> str:
        """The bibliography (bibtex or csl-json) of the documents and studies behind statistic records."""
        from kb.cite import items_for, render

        entries = [("statistic", r, items_for("statistic", r, r["doc"])) for r in records]
        return render(fmt, entries)


def _doc_ref(ref: str | None) -> str:
    """Accept a path as the user typed it (./corpus/x.txt) as well as stored ids and paths."""
    if ref is None:
        return ""
    from kb.ingest.read import display_path

    p = Path(ref)
    return display_path(p) if p.exists() else ref


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
