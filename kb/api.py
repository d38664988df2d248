"""kb's library API: what the CLI and the tests call.

    kb = KnowledgeBase(Path("index"))
    report = kb.ingest(["corpus"])
    answer = kb.ask("what blocks collaboration", k=5)

`KnowledgeBase` is a facade: it owns the index directory (store, write lock, faiss index,
embedder) and hands the work to `kb.pipeline` (ingest, verify) and `kb.query`. Heavy work
(models, faiss, trafilatura) is imported inside the functions that need it, so opening a
knowledge base and answering from it stays fast.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import IndexLocked, IndexMismatch, IndexMissing, KbError, NotFound
from kb.pipeline.ingest import BATCH_DOCS, Progress, clean_paths, pipeline_version, read_sources
from kb.pipeline.verify import file_sha
from kb.records import DocInfo, Hit, IngestReport, VerifyReport

__all__ = [
    "BATCH_DOCS",
    "BULK_TEXTS",
    "Answer",
    "KnowledgeBase",
    "Progress",
    "clean_paths",
    "file_sha",
    "pipeline_version",
    "read_sources",
]

log = logging.getLogger(__name__)

DB_FILE = "kb.sqlite"
LOCK_FILE = "write.lock"
RECORDS_DIR = "records"  # the faiss index of record sentences, beside the passages' one
BULK_TEXTS = 500  # above this many texts to embed at once, ingest uses sentence-transformers if installed


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of a question: ranked hits and the statistics/claims inside them."""

    query: str
    hits: tuple[Hit, ...]
    statistics: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: Any = None  # kb.answer.Summary: the extractive answer (None when no passage answers)
    answered: bool = True  # False: no passage is close enough to the question to answer it
    best_similarity: float = 0.0  # the closest passage or sentence cosine among the hits


class KnowledgeBase:
    """One index directory: the SQLite store, the faiss index beside it, and the embedder."""

    def __init__(
        self, directory: Path | str, embedder: Any = None, readonly: bool = False, model: str | None = None
    ) -> None:
        """`readonly`: open the store read-only and never save a rebuilt vector index (kb serve).
        `model`: the embedding model of a new index (kb.embed.MODELS: minilm, bge-small); an
        existing index is searched with the model that built it."""
        self.directory = Path(directory)
        self.readonly = readonly
        self._model = model
        self._embedder = embedder
        self._auto = embedder is None  # no embedder given: kb picks the runtime per job
        self._bulk = None
        self._store = None
        self._vindexes: dict[str, Any] = {}  # 'passages', 'records': loaded faiss indexes
        self._writing = False  # True while this object holds the index's write lock

    # -- parts ----------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return (self.directory / DB_FILE).exists()

    @property
    def embedder(self):
        """The model asked for, else the one that built the index, else the default model
        (kb.embed.DEFAULT_MODEL). KB_EMBEDDER, as in tests, names a runtime and wins."""
        if self._embedder is None:
            from kb.embed import DEFAULT_MODEL, embedder_for, get_embedder

            stored = self.store.get_meta("model") if self.exists else None
            if os.environ.get("KB_EMBEDDER"):
                self._embedder = get_embedder()
            else:
                self._embedder = embedder_for(self._model or stored or DEFAULT_MODEL)
        return self._embedder

    def bulk_encode(self, texts: Sequence[str]) -> Any:
        """Embed many texts for ingest. With the default runtime and more than BULK_TEXTS to do,
        sentence-transformers (torch) is used when installed: about twice the numpy runtime's
        throughput, worth its 7 s import on big jobs; its vectors match (tests/test_embed.py)."""
        from kb.embed import MODEL_NAME

        if (
            self._auto
            and len(texts) > BULK_TEXTS
            and os.environ.get("KB_EMBEDDER") in (None, "", "numpy")
            and self.embedder.name == MODEL_NAME
        ):
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

        path = self.directory / DB_FILE
        if path.exists() and path.stat().st_size == 0:
            raise IndexMismatch(
                f"the index database {path} is empty (0 bytes): it was truncated. Restore it from a "
                "backup, or move it aside and run `kb ingest PATHS` to index your files again"
            )
        if self.readonly:
            try:
                return Store(path, readonly=True)
            except sqlite3.DatabaseError as exc:
                raise IndexMismatch(_store_damage(path, exc)) from exc
        created = not path.exists()
        try:
            store = Store(path)
            if created:
                os.chmod(path, 0o600)  # -wal and -shm files inherit these permissions
            return store
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc) or "read-only" in str(exc) or not os.access(self.directory, os.W_OK):
                try:  # a read-only index still answers
                    return Store(path, readonly=True)
                except sqlite3.DatabaseError:
                    pass
            raise IndexMismatch(_store_damage(path, exc)) from exc
        except sqlite3.DatabaseError as exc:
            raise IndexMismatch(_store_damage(path, exc)) from exc

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
                "`kb rebuild --model NAME` re-embeds it with another model"
            )

    def vector_index(self):
        """The faiss index of passages, loaded if it matches the store, else updated or rebuilt."""
        return self._index_of("passages")

    def record_index(self):
        """The faiss index of the sentences that hold statistics and claims (in `records/`), by
        which `kb stats QUERY`, `kb claims QUERY` and `kb check` rank records without a scan."""
        return self._index_of("records")

    def _index_parts(self, kind: str) -> tuple[Path, Callable[[], Any], Callable[[], int], Any, Any]:
        """(directory, ids, count, all vectors, vectors by id) of the store behind one index."""
        store = self.store
        if kind == "passages":
            return (
                self.directory,
                store.passage_ids,
                store.passage_count,
                store.passage_vectors,
                store.passage_vectors_for,
            )
        return (
            self.directory / RECORDS_DIR,
            store.record_sentence_ids,
            store.record_sentence_count,
            store.record_sentence_vectors,
            store.sentence_vectors_for,
        )

    def _index_of(self, kind: str):
        held = self._vindexes.get(kind)
        if held is not None and held.manifest.generation == self.store.generation():
            return held
        from kb.index import VectorIndex

        store = self.store
        directory, _, count_of, all_vectors, _ = self._index_parts(kind)
        model = store.get_meta("model") or self.embedder.name
        dim = int(store.get_meta("dim") or self.embedder.dim)
        generation, count = store.generation(), count_of()
        vindex = VectorIndex.load(directory, model, dim, generation, count)
        if vindex is None and self._writing:  # update the earlier generation's index in place
            vindex = self._updated_index(kind, model, dim, generation)
        if vindex is None:
            ids, vecs = all_vectors(dim)
            vindex = VectorIndex.build(ids, vecs, model, dim, generation)
            self._save_rebuilt(vindex, generation, directory)
        self._vindexes[kind] = vindex
        return vindex

    def _updated_index(self, kind: str, model: str, dim: int, generation: int) -> Any:
        """The saved index brought up to the store's generation by adding and removing only the
        vectors that changed (saved before it is returned), or None when a rebuild is needed."""
        import numpy as np

        from kb.index import VectorIndex

        directory, ids_of, _, _, vectors_for = self._index_parts(kind)
        vindex = VectorIndex.load_for_update(directory, model, dim)
        if vindex is None:
            return None
        current = ids_of()
        held = vindex.ids()
        added = np.setdiff1d(current, held, assume_unique=True)
        removed = np.setdiff1d(held, current, assume_unique=True)
        found = vectors_for([int(i) for i in added]) if len(added) else {}
        if len(found) != len(added):
            return None  # a passage without its vector: let the rebuild (and verify) see it
        vectors = np.stack([found[int(i)] for i in added]) if len(added) else np.zeros((0, dim), "float32")
        if not vindex.update(added, vectors, removed, generation):
            return None
        vindex.save(directory)
        return vindex

    def _save_rebuilt(self, vindex: Any, generation: int, directory: Path) -> None:
        """Save an index rebuilt from the store, unless a writer is at work (it saves its own, newer
        one) or the store moved on meanwhile: a reader never overwrites a newer index."""
        from filelock import FileLock, Timeout

        if self.readonly:
            return
        if self._writing:  # this process holds the write lock: save as the writer
            try:
                vindex.save(directory)
            except OSError as exc:
                log.warning("cannot save the rebuilt vector index: %s", exc)
            return
        lock = FileLock(str(self.directory / LOCK_FILE), mode=0o600)
        try:
            lock.acquire(timeout=0)
        except (Timeout, OSError):
            return
        try:
            if not self.store.db.in_transaction and self.store.generation() != generation:
                return
            vindex.save(directory)
        except OSError as exc:  # a read-only index still answers
            log.warning("cannot save the rebuilt vector index: %s", exc)
        finally:
            lock.release()

    # -- ingest ---------------------------------------------------------------

    def _lock(self):
        from filelock import FileLock, Timeout

        if self.readonly:
            raise KbError(f"{self.directory} is open read-only here; nothing can be written to it")

        try:  # the index holds text from private files: only its owner reads it
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except (NotADirectoryError, FileExistsError) as exc:
            raise KbError(f"cannot use {self.directory} as an index: a file is in the way") from exc
        except PermissionError as exc:
            raise KbError(f"cannot write the index at {self.directory}: permission denied") from exc
        lock = FileLock(str(self.directory / LOCK_FILE), mode=0o600)
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise IndexLocked(
                f"another kb process is writing {self.directory}; wait for it to finish"
            ) from exc
        return _WriteLock(self, lock)

    def ingest(
        self,
        paths: Sequence[str | Path],
        prune: bool = False,
        progress: Progress | None = None,
        on_skip: Callable[[str, str], None] | None = None,
        fetch: bool = True,
        on_note: Callable[[str, str], None] | None = None,
        follow_links: bool = False,
        jobs: int | None = None,
        engine: str = "local",
        ray_address: str | None = None,
        ray_actors: int = 1,
        ray_gpus: float = 0.0,
    ) -> IngestReport:
        """Add, update or (with prune) remove documents from files, folders and web addresses;
        unchanged files and pages cost no embedding. With `fetch` False an address is read from
        the snapshot the index holds. Cleaning and extraction run in `jobs` worker processes
        (default: the cores this process may use); with engine "ray" they and the embedding run
        as a Ray Data pipeline (on the cluster at `ray_address`, with `ray_actors` embedding actors
        of `ray_gpus` GPUs each), whose Parquet shards this process bulk-loads."""
        from kb.errors import InputError
        from kb.pipeline.ingest import ingest_paths
        from kb.pipeline.work import ENGINES, RayOptions, default_jobs, ray_module
        from kb.sources.web import is_url

        # Nothing given on the command line is silently ignored, and a typo creates no index.
        if paths and not any(is_url(str(p)) or Path(p).exists() for p in paths):
            missing = ", ".join(str(p) for p in paths)
            raise InputError(missing, "no such file or folder; nothing was ingested")
        if engine not in ENGINES:
            raise KbError(f"unknown engine {engine!r}; one of {', '.join(ENGINES)}")
        if engine == "ray":
            ray_module()
        existed = self.exists
        lock = self._lock()
        try:
            if self._store is None:
                self._store = self._open_store()
            self._check_model()
            report = ingest_paths(
                self,
                paths,
                prune,
                progress or Progress(),
                on_skip,
                fetch,
                on_note,
                follow_links,
                jobs=default_jobs() if jobs is None else max(1, jobs),
                engine=engine,
                ray=RayOptions(ray_address, ray_actors, ray_gpus, str(self.directory), self.embedder.name),
            )
            if paths and report.skipped and not (report.added or report.updated or report.unchanged):
                if not existed:  # the index this call created holds nothing: leave no trace of it
                    self.close()
                    for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm"):
                        (self.directory / name).unlink(missing_ok=True)
                return report  # IngestReport.nothing_read: the CLI exits 1
            self.vector_index()  # update (or rebuild) and save now, not on the next query
            self.record_index()
            return report
        finally:
            lock.release()

    def ingest_texts(
        self, items: Iterable[tuple[str, str | None, str]], progress: Progress | None = None
    ) -> IngestReport:
        """Add already-clean texts (key, title, text), such as a BEIR corpus: no file, no cleaning.

        The key stands in for the path; unchanged texts cost nothing, as with files."""
        from kb.pipeline.ingest import ingest_texts

        lock = self._lock()
        try:
            if self._store is None:
                self._store = self._open_store()
            self._check_model()
            report = ingest_texts(self, items, progress or Progress())
            self.vector_index()
            self.record_index()
            return report
        finally:
            lock.release()

    def rebuild(self, progress: Progress | None = None, model: str | None = None) -> IngestReport:
        """Re-read, re-clean and re-embed every stored document from its source file (with
        `model`, into vectors of that model: the way to switch an index's model).

        The new index is built beside the old one, under the write lock, and swapped in only when
        it is complete: a kill, Ctrl-C or full disk at any moment leaves the old index whole."""
        import shutil
        import tempfile

        from kb.errors import InputError

        lock = self._lock()
        try:
            if self._store is None:
                self._store = self._open_store()
            paths = [d.path for d in self._store.documents()]
            from kb.sources.locate import exists

            gone = [p for p in paths if not exists(p, self._store)]
            if gone:
                raise InputError(
                    gone[0],
                    f"{len(gone)} indexed source files are gone (first: {gone[0]}); a rebuild would drop "
                    "their documents. Restore them, or remove them on purpose with `kb ingest --prune`",
                )
            for stale in self.directory.glob(".rebuild-*"):  # left by a rebuild that was killed
                shutil.rmtree(stale, ignore_errors=True)
            tmp = Path(tempfile.mkdtemp(prefix=".rebuild-", dir=self.directory))
            try:
                if model is None and self.exists:
                    model = self._store.get_meta("model")
                fresh = KnowledgeBase(tmp, embedder=None if self._auto else self._embedder, model=model)
                fresh._store = fresh._open_store()
                for snap in self._store.all_snapshots():  # pages are rebuilt from what was fetched, offline
                    fresh._store.put_snapshot(snap)
                # text that has not changed is not embedded again (vectors are keyed by model and text)
                fresh._store.import_vectors(self.directory / DB_FILE)
                report = fresh.ingest(paths, progress=progress, fetch=False)
                fresh._store.gc_vectors()
                fresh.close()
                # Swap: the store is the source of truth and moves first, atomically; the faiss
                # files are derived (a stale manifest is detected and rebuilt from the store).
                self._store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self.close()
                self._vindexes = {}
                for name in (DB_FILE + "-wal", DB_FILE + "-shm"):
                    (self.directory / name).unlink(missing_ok=True)
                os.replace(tmp / DB_FILE, self.directory / DB_FILE)
                for name in ("vectors.faiss", "manifest.json"):
                    if (tmp / name).exists():
                        os.replace(tmp / name, self.directory / name)
                shutil.rmtree(self.directory / RECORDS_DIR, ignore_errors=True)  # derived: rebuilt if absent
                if (tmp / RECORDS_DIR).exists():
                    os.replace(tmp / RECORDS_DIR, self.directory / RECORDS_DIR)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            return report
        finally:
            lock.release()

    # -- query ----------------------------------------------------------------

    def ask(self, query: str, k: int = 5, filters: Any = None, min_similarity: float | None = None) -> Answer:
        """The passages that best answer a question, with the statistics and claims inside them.

        When no hit's passage or best sentence is as close to the question as `min_similarity`
        (default: the embedder's calibrated `no_answer`), there is no answer, only the nearest
        passages: a confident answer where there is none is worse than none."""
        from kb.embed import single_threaded
        from kb.query import attach_records, summary
        from kb.search import search

        if not query.strip():
            raise KbError("the question is empty")
        self._check_model()
        vindex = self.vector_index()
        with single_threaded():
            qvec = self.embedder.encode([query])[0]
            hits = search(self.store, vindex, qvec, query, k=k, filters=filters)
        hits = tuple(attach_records(self.store, hits))
        stats = {s.id: s.to_dict() for h in hits for s in h.statistics}
        claims = {c.id: c.to_dict() for h in hits for c in h.claims}
        floor = getattr(self.embedder, "no_answer", 0.0) if min_similarity is None else min_similarity
        best = max(
            (max(h.components.get("dense", 0.0), h.components.get("sentence", 0.0)) for h in hits),
            default=0.0,
        )
        answered = bool(hits) and best >= floor
        return Answer(
            query=query,
            hits=hits,
            statistics=stats,
            claims=claims,
            summary=summary(self.store, query, qvec, hits, self.embedder) if answered else None,
            answered=answered,
            best_similarity=round(best, 4),
        )

    # -- records --------------------------------------------------------------

    def documents(self) -> list[DocInfo]:
        """The indexed documents, each with the ids of its copies (the same article saved twice,
        or syndicated with another headline, chrome and a paragraph more or less)."""
        from dataclasses import replace

        docs = self.store.documents()
        groups = self.store.copy_groups()
        members: dict[str, list[str]] = {}
        for doc_id, grp in groups.items():
            members.setdefault(grp, []).append(doc_id)
        return [
            replace(d, duplicates=tuple(sorted(i for i in members[groups[d.id]] if i != d.id)))
            if d.id in groups
            else d
            for d in docs
        ]

    def show(self, ref: str) -> dict[str, Any]:
        """A stored document's metadata, clean text and removed blocks."""
        doc = self.store.find_doc(_doc_ref(ref))
        out = doc.to_dict()
        out["text"] = self.store.doc_text(doc.id)
        out["removed"] = self.store.doc_removed(doc.id)
        out["pages"] = [{"page": p, "start": a, "end": b} for p, a, b in self.store.doc_pages(doc.id)]
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
        sort: str | None = None,
    ) -> list[dict[str, Any]]:
        """Statistic records (with their document under `doc`), filtered in SQL, ranked by relevance
        to `query` or sorted by real value (`sort` = "value" or "-value"); --min/--max compare real
        values, so "$1.2 billion" passes --min 1000000000. Each carries `also_in` (other documents
        that report the same figure, the original study first) and `disputed` (ids of statistics of
        other works that give another value for it)."""
        from kb.query import links, unit_filter, with_docs

        doc_id = self.store.find_doc(_doc_ref(doc)).id if doc else None
        stored_unit, code = unit_filter(self.store, unit, doc_id) if unit else (None, None)
        filtered = any(x not in (None, "") for x in (doc_id, unit, minimum, maximum, population, source))
        records = (
            self.store.statistics_where(doc_id, stored_unit, code, minimum, maximum, population, source)
            if filtered or not query
            else None
        )
        if query and (records is None or records):
            limit_ranked = None if sort in ("value", "-value") else limit
            records = self._ranked(
                query, "statistic", "sentence", ("population", "measure"), records, limit_ranked
            )
        assert records is not None
        if sort in ("value", "-value"):
            records = sorted(records, key=lambda r: r["value"], reverse=sort == "-value")
        records = with_docs(self.store, records[:limit] if limit else records)
        if not records:
            return records
        also, against = links(self.store, records)
        return [
            dict(
                r,
                also_in=[
                    {"doc": x["doc_id"], "statistic": x["id"], "citekey": (x.get("doc") or {}).get("citekey")}
                    for x in also.get(r["id"], [])
                ],
                disputed=[x["id"] for x in against.get(r["id"], [])],
            )
            for r in records
        ]

    def _ranked(
        self,
        query: str,
        kind: str,
        text_field: str,
        own_fields: tuple[str, ...],
        records: list[dict[str, Any]] | None,
        limit: int | None,
    ) -> list[dict[str, Any]]:
        """Statistics or claims (`kind`) ranked by `query` through the record-sentence index
        (kb.query.rank_records); `records`: a filtered set to rank, else the whole index."""
        from kb.query import rank_records

        qvec = self._encode_query(query)
        return rank_records(
            self.store,
            self.record_index(),
            self.embedder,
            qvec,
            query,
            kind,
            text_field,
            own_fields,
            records,
            limit,
        )

    def _encode_query(self, query: str) -> Any:
        """One query's vector, encoded on one thread (faster for one short text, kb.embed)."""
        from kb.embed import single_threaded

        self._check_model()
        with single_threaded():
            return self.embedder.encode([query])[0]

    def conflicts(self, query: str | None = None) -> list[dict[str, Any]]:
        """Figures that disagree (`kb conflicts`): groups of statistics from different works that
        give different values for one measure of one population, most relevant to `query` first."""
        from kb.linking import conflict_groups
        from kb.query import _with_doc_ids, encode_cached

        every = _with_doc_ids(self.store, self.store.statistics())
        out = [{"figures": [every[i] for i in g]} for g in conflict_groups(every, self.store.copy_groups())]
        if query and out:
            import numpy as np

            qvec = self._encode_query(query)
            texts = [g["figures"][0]["sentence"] for g in out]
            vectors = encode_cached(self.store, self.embedder, texts)
            order = sorted(range(len(out)), key=lambda n: (-float(np.dot(vectors[n], qvec)), n))
            out = [out[n] for n in order]
        return out

    def claims(
        self,
        query: str | None = None,
        doc: str | None = None,
        kind: str | None = None,
        speaker: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Claim records, filtered in SQL by kind and speaker/organisation, ranked by relevance to
        `query` through the record-sentence index."""
        from kb.query import with_docs

        doc_id = self.store.find_doc(_doc_ref(doc)).id if doc else None
        filtered = bool(doc_id or kind or speaker)
        records = self.store.claims_where(doc_id, kind, speaker) if filtered or not query else None
        if query and (records is None or records):
            records = self._ranked(query, "claim", "text", (), records, limit)
        assert records is not None
        return with_docs(self.store, records[:limit] if limit else records)

    def set_metadata(self, ref: str, **fields: str | None) -> DocInfo:
        """Correct a document's title, author, date, publisher or url; kept across re-ingests and
        used by citations and the citation key."""
        from kb.cite import document_key
        from kb.errors import UsageError
        from kb.records import Metadata

        fields = {k: v.strip() for k, v in fields.items() if v is not None and v.strip()}
        if not fields:
            raise UsageError("give at least one of --title, --author, --date, --publisher, --url")
        if "date" in fields and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", fields["date"]):
            raise UsageError(f"--date {fields['date']!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        lock = self._lock()
        try:
            if self._store is None:
                self._store = self._open_store()
            doc = self.store.find_doc(_doc_ref(ref))
            meta = Metadata(
                title=doc.title, author=doc.author, date=doc.date, publisher=doc.publisher, url=doc.url
            )
            meta = Metadata(**(_fields(meta) | fields))
            self.store.set_meta_override(doc.id, fields, document_key(meta, doc.id, doc.path))
            return self.store.find_doc(doc.id)
        finally:
            lock.release()

    def record(self, record_id: str) -> tuple[str, dict[str, Any]]:
        found = self.store.record(record_id)
        if found is None:
            raise NotFound(f"no statistic or claim with id {record_id!r}")
        return found

    # -- verification -----------------------------------------------------------

    def verify(self, progress: Progress | None = None) -> VerifyReport:
        """Prove every stored record against its source and the vector index against the store
        (kb.pipeline.verify: `missing`, `stale`, `outdated`, `mismatch`, `index` problems)."""
        from kb.pipeline.verify import verify

        dim = int(self.store.get_meta("dim") or self.embedder.dim)
        # one read snapshot for the whole check: an ingest running meanwhile is not half seen
        self.store.db.execute("BEGIN")
        try:
            return verify(self.store, dim, self.vector_index, str(self.directory), progress or Progress())
        finally:
            self.store.db.execute("COMMIT")
            self._vindexes = {}

    # -- drafts -----------------------------------------------------------------

    def check(self, markdown: str) -> list[Any]:
        """Every figure in a Markdown draft, judged sourced, mismatched or unsourced against the
        indexed statistics (kb.draft.FigureCheck records, in draft order)."""
        from kb.query import check_figures

        self._check_model()
        return check_figures(self.store, self.record_index(), self.embedder, markdown)

    # -- citations --------------------------------------------------------------

    def citation_entries(self, refs: Sequence[str]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
        """(kind, record, CSL items) for each id: a statistic, a claim, or a document (id, path or key)."""
        from kb.cite import items_for
        from kb.query import links

        entries = []
        for ref in refs:
            found = self.store.record(ref)
            also: list[dict[str, Any]] = []
            if found:
                kind, record = found
                doc = self.store.find_doc(record["doc_id"]).to_dict()
                if kind == "statistic":  # a figure other documents report too cites them as well
                    linked, _ = links(self.store, [dict(record, doc=doc)])
                    also = [x["doc"] for x in linked.get(record["id"], []) if x.get("doc")]
            else:
                try:
                    doc = self.store.find_doc(_doc_ref(ref)).to_dict()
                except NotFound:
                    raise NotFound(f"no document, statistic or claim with id {ref!r}") from None
                kind, record = "document", doc
            entries.append((kind, record, items_for(kind, record, doc, also)))
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


class _WriteLock:
    """The index's write lock, marking its KnowledgeBase as the writer while held."""

    def __init__(self, kb: KnowledgeBase, lock: Any) -> None:
        self._kb, self._lock = kb, lock
        kb._writing = True

    def release(self) -> None:
        self._kb._writing = False
        self._lock.release()


def _store_damage(path: Path, exc: Exception) -> str:
    """One line for a damaged store, with a next step that loses nothing."""
    return (
        f"the index database {path} is damaged ({exc}). Your source files are untouched: move the "
        f"index aside and run `kb ingest PATHS` into a new one (or restore {path.name} from a backup)"
    )


def _fields(record: Any) -> dict[str, Any]:
    """A slotted dataclass's fields as a dict."""
    from dataclasses import fields

    return {f.name: getattr(record, f.name) for f in fields(record)}


def _doc_ref(ref: str | None) -> str:
    """Accept a path as the user typed it (./corpus/x.txt) as well as stored ids and paths."""
    if ref is None:
        return ""
    from kb.ingest.read import display_path

    p = Path(ref)
    return display_path(p) if p.exists() else ref
