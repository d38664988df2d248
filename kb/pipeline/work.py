"""The per-document work of ingest that needs no store: clean, segment, extract (and, on Ray,
embed). A plain function of its inputs, so it runs the same in this process, in worker processes
(`kb ingest --jobs N`) or on Ray (`--engine ray`); the one writer commits what comes back.

On Ray the work is a Ray Data pipeline: `prepare` as `map_batches` tasks, then embedding by an
actor pool that loads the model once per actor (`concurrency`, `num_gpus` where a cluster has
GPUs), written as Parquet shards that the writer bulk-loads with the same ids, dedup and
provenance as a serial ingest. Records cross process boundaries as JSON, never pickles."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kb.ingest.segment import MAX_WORDS
from kb.records import Claim, CleanDoc, Passage, Source, Statistic, content_id, figure_statement

PARALLEL_MIN = 8  # fewer documents than this are prepared in-process: a worker pool costs ~0.3 s to start
ENGINES = ("local", "ray")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A cleaned document with its passages and records, ready to embed and store."""

    doc: CleanDoc
    passages: tuple[Passage, ...]
    statistics: tuple[Statistic, ...]
    claims: tuple[Claim, ...]
    vectors: tuple[tuple[str, bytes], ...] = ()  # (key, float32 bytes): embedded where it was prepared


@dataclass(frozen=True, slots=True)
class RayOptions:
    """Where and how `--engine ray` runs: the cluster (None: RAY_ADDRESS, else a local Ray for the
    run), embedding actors and the GPUs of each, and the folder for the Parquet shards."""

    address: str | None = None
    actors: int = 1
    gpus: float = 0.0
    shards: str | None = None
    model: str = ""  # the embedding model's name (kb.embed.embedder_for)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a document needs embedded: the vector key of each passage, each passage's sentences and
    each statistic's own clause (by statistic id), and the text of every key."""

    passage_keys: list[str]
    sentence_keys: list[list[str]]
    statement_keys: dict[str, str]
    texts: dict[str, str]


def embedding_plan(
    model: str, doc: CleanDoc, passages: Sequence[Passage], statistics: Sequence[Statistic]
) -> Plan:
    """The texts a document contributes to the vector store, keyed by content hash of (model, text)."""
    from kb.ingest.segment import embed_text

    texts: dict[str, str] = {}
    pkeys = []
    for p in passages:
        key = content_id(model, embed_text(p))
        texts[key] = embed_text(p)
        pkeys.append(key)
    skeys = []
    for p in passages:
        keys = []
        for s, e in p.sentences:
            key = content_id(model, doc.text[s:e])
            texts[key] = doc.text[s:e]
            keys.append(key)
        skeys.append(keys)
    tkeys = {}
    for st in statistics:
        text = figure_statement(st.value_text, st.population, st.measure)
        tkeys[st.id] = content_id(model, text)
        texts[tkeys[st.id]] = text
    return Plan(pkeys, skeys, tkeys, texts)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A document that has no usable text after cleaning, and why."""

    path: str
    reason: str


def prepare(source: Source, shared: frozenset[int], max_words: int = MAX_WORDS) -> Prepared | Skipped:
    """Clean `source` (with the collection's shared line keys), segment it into passages of at
    most `max_words` (the model's window: kb.ingest.segment.window_words), extract its records."""
    from kb.errors import InputError
    from kb.extract.claims import extract_claims
    from kb.extract.stats import extract_statistics
    from kb.ingest.clean import clean
    from kb.ingest.segment import segment

    try:
        doc = clean(source, shared)
    except InputError as exc:
        return Skipped(exc.path, exc.reason)
    except RecursionError:
        return Skipped(source.path, "document structure too deeply nested to parse")
    return Prepared(
        doc, tuple(segment(doc, max_words)), tuple(extract_statistics(doc)), tuple(extract_claims(doc))
    )


def _prepare_pair(task: tuple[Source, frozenset[int]], max_words: int = MAX_WORDS) -> Prepared | Skipped:
    return prepare(*task, max_words=max_words)


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run(
    tasks: Sequence[tuple[Source, frozenset[int]]],
    jobs: int = 1,
    engine: str = "local",
    ray: RayOptions | None = None,
    max_words: int = MAX_WORDS,
) -> Iterator[Prepared | Skipped]:
    """`prepare` over `tasks`, results in task order: in-process for one job or a few documents,
    else in `jobs` worker processes, or as a Ray Data pipeline that also embeds (`ray`)."""
    if engine == "ray":
        yield from _run_ray(tasks, ray or RayOptions(), max_words)
        return
    if jobs <= 1 or len(tasks) < PARALLEL_MIN:
        for task in tasks:
            yield _prepare_pair(task, max_words)
        return
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: workers start from a clean interpreter, not a copy of this one (threads, sqlite), and
    # are this process's own children, so they die with it (_worker_init)
    context = multiprocessing.get_context("spawn")
    chunk = max(1, min(16, len(tasks) // (jobs * 4)))
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),)
    )
    done = False
    try:
        yield from pool.map(functools.partial(_prepare_pair, max_words=max_words), tasks, chunksize=chunk)
        done = True
    finally:
        if not done:  # Ctrl-C, SIGTERM or an error: queued work is dropped, running work is stopped
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()  # (Python 3.11 has no public way; 3.14 adds terminate_workers)
        # Waiting lets the pool's manager thread end before the interpreter does: on Python 3.11 its
        # exit hook otherwise races that thread and prints an OSError traceback after "interrupted",
        # and a worker still starting up prints one when its parent's pipe closes under it.
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_init(parent: int) -> None:
    """A worker ignores Ctrl-C (the writer handles it) and is killed when the writer dies, even by
    SIGKILL (Linux PR_SET_PDEATHSIG), so no orphan holds the terminal or a pipe open."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown ends the workers
        pass
    if os.getppid() != parent:  # the writer died before the line above took effect
        os._exit(0)


def ray_module() -> Any:
    """Ray, or KbError saying how to install it (checked before an ingest reads anything)."""
    from kb.errors import KbError

    try:
        import ray
    except ImportError:
        raise KbError("--engine ray needs Ray: pip install 'kb[ray]'") from None
    return ray


def _run_ray(
    tasks: Sequence[tuple[Source, frozenset[int]]], options: RayOptions, max_words: int = MAX_WORDS
) -> Iterator[Any]:
    """The Ray Data pipeline: prepare (tasks) → embed (an actor pool) → Parquet shards, read back
    in task order. `options.address` (or RAY_ADDRESS, or a running `ray start`) names a cluster,
    whose workers need kb installed; without one Ray starts on this machine and stops after."""
    import json
    import logging
    import shutil
    import tempfile

    import numpy as np

    ray = ray_module()
    if not tasks:
        return
    from ray import data as ray_data

    started = not ray.is_initialized()
    if started:
        ray.init(
            address=options.address or os.environ.get("RAY_ADDRESS") or None,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    context = ray_data.DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True
    shards = tempfile.mkdtemp(prefix=".ray-shards-", dir=options.shards)
    try:
        rows = [{"n": n, "task": _task_json(source, shared)} for n, (source, shared) in enumerate(tasks)]
        (
            ray_data.from_items(rows)
            .map_batches(_prepare_rows, batch_size=4, fn_kwargs={"max_words": max_words})
            .map_batches(
                _EmbedRows,
                batch_size=16,
                concurrency=max(1, options.actors),
                num_gpus=options.gpus or None,
                fn_constructor_kwargs={"model": options.model},
            )
            .write_parquet(shards)
        )
        import pyarrow.parquet as pq

        table = pq.read_table(shards).sort_by("n")
        for row in table.to_pylist():
            result = _result_from_json(row["prepared"])
            if isinstance(result, Prepared):
                keys = json.loads(row["keys"])
                matrix = (
                    np.frombuffer(row["vectors"], dtype=np.float32).reshape(len(keys), -1) if keys else []
                )
                result = Prepared(
                    result.doc,
                    result.passages,
                    result.statistics,
                    result.claims,
                    tuple((k, bytes(v.tobytes())) for k, v in zip(keys, matrix)),
                )
            yield result
    finally:
        shutil.rmtree(shards, ignore_errors=True)
        if started:
            ray.shutdown()


# -- the Ray Data stages, and JSON for what crosses between processes ------------------------


def _task_json(source: Source, shared: frozenset[int]) -> str:
    import json
    from dataclasses import asdict

    return json.dumps({"source": asdict(source), "shared": sorted(shared)})


def _task_from_json(data: str) -> tuple[Source, frozenset[int]]:
    import json

    from kb.records import Metadata

    d = json.loads(data)
    src = d["source"]
    meta = Metadata(**src["meta"]) if src.get("meta") else None
    return Source(**{**src, "meta": meta}), frozenset(d["shared"])


def _result_json(result: Prepared | Skipped) -> str:
    import json
    from dataclasses import asdict

    if isinstance(result, Skipped):
        return json.dumps({"skipped": [result.path, result.reason]})
    d = asdict(result)
    d.pop("vectors")
    return json.dumps(d)


def _result_from_json(data: str) -> Prepared | Skipped:
    """The Prepared (or Skipped) that `_result_json` wrote, equal to the original."""
    import json

    from kb.records import Metadata, Removed

    d = json.loads(data)
    if "skipped" in d:
        return Skipped(*d["skipped"])
    doc = d["doc"]
    clean = CleanDoc(
        **{
            **doc,
            "meta": Metadata(**doc["meta"]),
            "removed": tuple(Removed(**r) for r in doc["removed"]),
            "pages": tuple(tuple(p) for p in doc["pages"]),
        }
    )
    passages = tuple(
        Passage(**{**p, "sentences": tuple(tuple(s) for s in p["sentences"])}) for p in d["passages"]
    )
    return Prepared(
        clean,
        passages,
        tuple(Statistic(**s) for s in d["statistics"]),
        tuple(Claim(**c) for c in d["claims"]),
    )


def _prepare_rows(batch: dict[str, Any], max_words: int = MAX_WORDS) -> dict[str, Any]:
    """Ray Data task stage: clean, segment and extract a batch of documents."""
    import numpy as np

    out = [_result_json(_prepare_pair(_task_from_json(t), max_words)) for t in batch["task"]]
    return {"n": np.asarray(batch["n"], dtype=np.int64), "prepared": np.array(out, dtype=object)}


class _EmbedRows:
    """Ray Data actor stage: the model, loaded once per actor, embeds what a batch of documents
    needs, each distinct text once across the batch."""

    def __init__(self, model: str) -> None:
        from kb.embed import embedder_for

        self.embedder = embedder_for(model)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import json

        import numpy as np

        results = [_result_from_json(p) for p in batch["prepared"]]
        plans = [
            embedding_plan(self.embedder.name, r.doc, r.passages, r.statistics)
            if isinstance(r, Prepared)
            else None
            for r in results
        ]
        texts = {k: t for plan in plans if plan for k, t in plan.texts.items()}
        order = list(texts)
        matrix = self.embedder.encode([texts[k] for k in order]) if order else np.zeros((0, 1), np.float32)
        row_of = {k: i for i, k in enumerate(order)}
        keys, vectors = [], []
        for plan in plans:
            mine = list(plan.texts) if plan else []
            keys.append(json.dumps(mine))
            block = np.asarray([matrix[row_of[k]] for k in mine], dtype=np.float32)
            vectors.append(block.tobytes())
        return {
            "n": np.asarray(batch["n"], dtype=np.int64),
            "prepared": np.asarray(batch["prepared"], dtype=object),
            "keys": np.array(keys, dtype=object),
            "vectors": np.array(vectors, dtype=object),
        }
