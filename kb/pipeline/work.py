"""The per-document work of ingest that needs no store: clean, segment, extract. A plain function
of its inputs, so it runs the same in this process, in worker processes (`kb ingest --jobs N`)
or as Ray tasks (`--engine ray`); the one writer embeds and commits what comes back."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kb.records import Claim, CleanDoc, Passage, Source, Statistic

PARALLEL_MIN = 8  # fewer documents than this are prepared in-process: a worker pool costs ~0.3 s to start
ENGINES = ("local", "ray")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A cleaned document with its passages and records, ready to embed and store."""

    doc: CleanDoc
    passages: tuple[Passage, ...]
    statistics: tuple[Statistic, ...]
    claims: tuple[Claim, ...]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A document that has no usable text after cleaning, and why."""

    path: str
    reason: str


def prepare(source: Source, shared: frozenset[int]) -> Prepared | Skipped:
    """Clean `source` (with the collection's shared line keys), segment it, extract its records."""
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
    return Prepared(doc, tuple(segment(doc)), tuple(extract_statistics(doc)), tuple(extract_claims(doc)))


def _prepare_pair(task: tuple[Source, frozenset[int]]) -> Prepared | Skipped:
    return prepare(*task)


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run(
    tasks: Sequence[tuple[Source, frozenset[int]]], jobs: int = 1, engine: str = "local"
) -> Iterator[Prepared | Skipped]:
    """`prepare` over `tasks`, results in task order: in-process for one job or a few documents,
    else in `jobs` worker processes, or as Ray tasks on the cluster `ray.init()` finds."""
    if engine == "ray":
        yield from _run_ray(tasks)
        return
    if jobs <= 1 or len(tasks) < PARALLEL_MIN:
        for task in tasks:
            yield _prepare_pair(task)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: workers start from a clean interpreter, not a copy of this one (threads, sqlite), and
    # are this process's own children, so they die with it (_worker_init)
    context = multiprocessing.get_context("spawn")
    chunk = max(1, min(16, len(tasks) // (jobs * 4)))
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),)
    )
    try:
        yield from pool.map(_prepare_pair, tasks, chunksize=chunk)
    finally:  # Ctrl-C or an error: queued work is dropped, not finished
        pool.shutdown(wait=False, cancel_futures=True)


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


def _run_ray(tasks: Sequence[tuple[Source, frozenset[int]]]) -> Iterator[Any]:
    """Ray tasks, a few per CPU in flight so memory stays bounded by that window; results in order.
    RAY_ADDRESS (or a running `ray start`) names a cluster, whose workers need kb installed;
    without one Ray starts on this machine for the run and stops after it."""
    import logging

    ray = ray_module()
    started = not ray.is_initialized()
    if started:
        ray.init(
            address=os.environ.get("RAY_ADDRESS") or None,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    try:
        remote = ray.remote(_prepare_pair)
        window = max(2, int(ray.cluster_resources().get("CPU", 1)) * 4)
        inflight: list[Any] = []
        for task in tasks:
            inflight.append(remote.remote(task))
            if len(inflight) >= window:
                yield ray.get(inflight.pop(0))
        for ref in inflight:
            yield ray.get(ref)
    finally:
        if started:
            ray.shutdown()
