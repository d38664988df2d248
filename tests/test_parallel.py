"""`kb ingest --jobs N`: cleaning and extraction in worker processes give the same index as one
process, skips are reported the same way, and a writer killed mid-ingest leaves no worker behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.api import KnowledgeBase
from kb.cli import cli
from kb.embed import FakeEmbedder
from kb.pipeline import work
from tests.conftest import CORPUS


def _collection(folder: Path, n: int = 14) -> Path:
    shutil.copytree(CORPUS, folder)
    for i in range(n):
        (folder / f"note{i:03d}.md").write_text(
            f"# Field note {i}\n\n"
            f"In survey {i}, {i % 90 + 5} percent of CIOs said collaboration with marketing improved, "
            f"and spending rose {i + 1}.5% to ${i + 2} billion.\n\n"
            f'"Budgets still block us," said Dana Lee {i}, the chief information officer.\n',
            encoding="utf-8",
        )
    (folder / "empty.md").write_text("   \n", encoding="utf-8")
    return folder


def _snapshot(kb: KnowledgeBase) -> dict[str, object]:
    docs = kb.documents()
    return {
        "docs": sorted((Path(d.path).name, d.id, d.clean_sha) for d in docs),
        "stats": sorted((r["id"], r["value"], r["population"]) for r in kb.statistics()),
        "claims": sorted((r["id"], r.get("speaker")) for r in kb.claims()),
        "text": {Path(d.path).name: kb.show(d.id)["text"] for d in docs},
    }


def test_workers_build_the_same_index(tmp_path: Path) -> None:
    corpus = _collection(tmp_path / "c")
    assert len(list(corpus.iterdir())) >= work.PARALLEL_MIN  # enough for the pool to be used
    results = {}
    for jobs in (1, 2):
        kb = KnowledgeBase(tmp_path / f"idx{jobs}", embedder=FakeEmbedder())
        skipped: list[tuple[str, str]] = []
        report = kb.ingest(
            [corpus], jobs=jobs, on_skip=lambda p, r, out=skipped: out.append((Path(p).name, r))
        )
        results[jobs] = (_snapshot(kb), sorted(skipped), len(report.added))
        kb.close()
    assert results[1] == results[2]
    snapshot, skipped, added = results[2]
    assert added == 5 + 14 and [name for name, _ in skipped] == ["empty.md"]
    assert len(snapshot["stats"]) > 14 * 2 and any(s for _, s in snapshot["claims"])


def test_prepare_gives_the_same_results_in_task_order(tmp_path: Path) -> None:
    from kb.pipeline.ingest import read_sources

    corpus = _collection(tmp_path / "c", n=10)
    sources = sorted(
        (s for s in read_sources([corpus]) if not isinstance(s, Exception)), key=lambda s: s.path
    )
    tasks = [(s, frozenset()) for s in sources]
    local = list(work.run(tasks, jobs=1))
    pooled = list(work.run(tasks, jobs=2))
    assert pooled == local and len(pooled) == len(tasks) == 15
    assert [r.doc.path for r in pooled] == [s.path for s in sources]  # in task order


def test_what_crosses_to_ray_comes_back_equal(tmp_path: Path) -> None:
    """Tasks and results travel between Ray processes and Parquet shards as JSON (no pickles) and
    come back equal, skips included."""
    from kb.pipeline.ingest import read_sources

    corpus = _collection(tmp_path / "c", n=3)
    sources = [s for s in read_sources([corpus]) if not isinstance(s, Exception)]
    for source in sources:
        task = (source, frozenset({3, 1, 2}))
        assert work._task_from_json(work._task_json(*task)) == task
        result = work.prepare(*task)
        assert work._result_from_json(work._result_json(result)) == result
    assert len(sources) >= 8
    skipped = work.Skipped("a.txt", "no text left after cleaning")
    assert work._result_from_json(work._result_json(skipped)) == skipped


def test_ray_engine_builds_the_same_index(tmp_path: Path) -> None:
    """Ray Data on this machine (a local instance for the run, as without RAY_ADDRESS): prepared
    by tasks, embedded by an actor, bulk-loaded from Parquet shards, it stores the same documents,
    records, links and vectors, bit for bit, as one process; no shard is left behind."""
    pytest.importorskip("ray.data")
    corpus = _collection(tmp_path / "c", n=6)
    snapshots = []
    for engine in ("local", "ray"):
        kb = KnowledgeBase(tmp_path / f"idx-{engine}", embedder=FakeEmbedder())
        report = kb.ingest([corpus], jobs=1, engine=engine)
        db = kb.store.db
        snapshots.append(
            _snapshot(kb)
            | {
                "vectors": db.execute("SELECT key, data FROM vectors ORDER BY key").fetchall(),
                "figures": sorted(kb.store.figure_group_ids().items()),
                "record sentences": db.execute("SELECT count(*) FROM record_sentences").fetchone()[0],
                "embedded": report.embedded,
            }
        )
        assert not list((tmp_path / f"idx-{engine}").glob(".ray-shards-*"))
        kb.close()
    assert snapshots[0] == snapshots[1] and len(snapshots[1]["docs"]) == 11
    assert len(snapshots[1]["vectors"]) > 100 and snapshots[1]["embedded"] == len(snapshots[1]["vectors"])
    import ray

    assert not ray.is_initialized()  # the instance kb started is stopped again


def test_jobs_and_engine_options(
    tmp_path: Path, fake_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _collection(tmp_path / "c", n=9)
    runner = CliRunner()
    ok = runner.invoke(cli, ["ingest", str(corpus), "--jobs", "2", "-q"])
    assert ok.exit_code == 0, ok.output
    assert runner.invoke(cli, ["ingest", str(corpus), "--jobs", "0"]).exit_code == 2
    monkeypatch.setitem(sys.modules, "ray", None)  # as where Ray is not installed
    no_ray = runner.invoke(cli, ["ingest", str(corpus / "note000.md"), "--engine", "ray"])
    assert no_ray.exit_code == 1 and "pip install 'kb[ray]'" in no_ray.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_writer_leaves_no_worker(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    for i in range(400):  # enough cleaning for the kill to land while workers run
        (corpus / f"n{i:04d}.md").write_text(
            f"# Note {i}\n\n" + f"In {i} cases, {i % 97} percent agreed. " * 200
        )
    env = {**os.environ, "KB_EMBEDDER": "fake", "KB_INDEX": str(tmp_path / "idx")}
    cmd = [
        sys.executable,
        "-c",
        "from kb.cli import main; main()",
        "ingest",
        str(corpus),
        "-q",
        "--jobs",
        "2",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not _children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert workers, "no worker process started"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stderr.read()  # returns only when no process holds the pipe open
    time.sleep(0.5)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
    assert alive == []


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except OSError:
        return "Z"
