"""Nothing is lost whichever directory kb runs in, whatever is mistyped, however a rebuild ends."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from kb.api import KnowledgeBase
from kb.cli import cli
from kb.embed import FakeEmbedder

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture
def setup(fake_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A corpus under tmp/work, an index at tmp/work/index, and two other directories."""
    monkeypatch.delenv("KB_INDEX")
    work = tmp_path / "work"
    shutil.copytree(CORPUS, work / "corpus")
    for name in ("elsewhere", "deep/er"):
        (tmp_path / name).mkdir(parents=True)
    return {"work": work, "index": work / "index", "a": tmp_path / "elsewhere", "b": tmp_path / "deep/er"}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def docs(index: Path) -> list[dict]:
    code, out, _ = invoke("docs", "--json", "--index", str(index))
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


def test_ingest_prune_and_verify_from_three_directories(setup: dict[str, Path], monkeypatch) -> None:
    index = setup["index"]
    monkeypatch.chdir(setup["work"])
    assert invoke("ingest", "corpus", "-q", "--index", str(index))[0] == 0
    before = docs(index)
    assert len(before) == 5 and all(Path(d["path"]).is_absolute() for d in before)
    for where in (setup["a"], setup["b"], setup["work"]):
        monkeypatch.chdir(where)
        code, _, err = invoke("ingest", "--prune", "--index", str(index))
        assert code == 0, err
        assert "0 added" in err and "removed" not in err  # --prune alone adds nothing, removes nothing
        code, out, _ = invoke("verify", "--json", "--index", str(index))
        assert code == 0 and json.loads(out)["ok"]
        assert docs(index) == before
    (setup["work"] / "corpus" / "000_5cbb94a0aa304e13.txt").unlink()
    monkeypatch.chdir(setup["a"])
    code, _, err = invoke("ingest", "--prune", "--index", str(index))
    assert code == 0 and "1 removed" in err
    assert len(docs(index)) == 4


def test_an_index_with_relative_paths_is_migrated(setup: dict[str, Path], monkeypatch) -> None:
    index = setup["index"]
    monkeypatch.chdir(setup["work"])
    assert invoke("ingest", "corpus", "-q", "--index", str(index))[0] == 0
    db = sqlite3.connect(index / "kb.sqlite")  # what kb wrote before paths were absolute
    with db:
        for doc_id, path in db.execute("SELECT id, path FROM documents").fetchall():
            db.execute("UPDATE documents SET path = ? WHERE id = ?", ("corpus/" + Path(path).name, doc_id))
        db.execute("DELETE FROM migrations WHERE name = 'm003_absolute_paths'")
    db.close()
    monkeypatch.chdir(setup["b"])  # migrated from another directory: resolved against the index's parent
    code, out, _ = invoke("verify", "--json", "--index", str(index))
    assert code == 0, out
    assert all(d["path"].startswith(str(setup["work"].resolve())) for d in docs(index))


def test_a_mistyped_path_or_a_url_is_an_error_and_creates_no_index(
    setup: dict[str, Path], monkeypatch
) -> None:
    monkeypatch.chdir(setup["work"])
    code, _, err = invoke("ingest", "corpu", "--index", "new-index")
    assert code == 1 and "corpu: no such file or folder" in err
    assert not (setup["work"] / "new-index").exists()
    code, _, err = invoke("ingest", "ftp://files.invalid/report.pdf", "--index", "new-index")
    assert code == 1 and "only http and https addresses are fetched, not ftp:" in err
    (setup["work"] / "pics").mkdir()
    (setup["work"] / "pics" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (setup["work"] / "pics" / "b.txt").write_bytes(b"")
    code, _, err = invoke("ingest", "pics", "--index", "new-index")
    assert code == 1 and "nothing was ingested" in err and "b.txt: empty file" in err
    assert not (setup["work"] / "new-index" / "kb.sqlite").exists()


def _kb(index: Path) -> KnowledgeBase:
    return KnowledgeBase(index, embedder=FakeEmbedder())


def test_rebuild_takes_the_lock_before_touching_anything(setup: dict[str, Path]) -> None:
    index = setup["index"]
    kb = _kb(index)
    kb.ingest([setup["work"] / "corpus"])
    kb.close()
    with FileLock(str(index / "write.lock")):
        code, _, err = invoke("rebuild", "--index", str(index))
        assert code == 1 and "another kb process is writing" in err
    assert len(docs(index)) == 5


def test_an_interrupted_rebuild_leaves_the_old_index_whole(setup: dict[str, Path], monkeypatch) -> None:
    index = setup["index"]
    kb = _kb(index)
    kb.ingest([setup["work"] / "corpus"])
    before = [d.id for d in kb.documents()]
    calls = {"n": 0}
    original = KnowledgeBase.ingest

    def interrupted(self, paths, **kw):
        if self.directory != index:  # the new index being built beside the old one
            calls["n"] += 1
            original(self, paths[:2], **kw)
            raise KeyboardInterrupt
        return original(self, paths, **kw)

    monkeypatch.setattr(KnowledgeBase, "ingest", interrupted)
    with pytest.raises(KeyboardInterrupt):
        kb.rebuild()
    assert calls["n"] == 1
    kb = _kb(index)
    assert [d.id for d in kb.documents()] == before
    assert kb.ask("what blocks collaboration").hits
    assert kb.verify().ok
    assert not [p for p in index.iterdir() if p.name.startswith(".rebuild-")]
    monkeypatch.setattr(KnowledgeBase, "ingest", original)
    report = kb.rebuild()
    assert len(report.added) == 5 and [d.id for d in kb.documents()] == before and kb.verify().ok


def test_rebuild_refuses_to_drop_documents_whose_files_are_gone(setup: dict[str, Path]) -> None:
    index = setup["index"]
    kb = _kb(index)
    kb.ingest([setup["work"] / "corpus"])
    kb.close()
    (setup["work"] / "corpus" / "001_1ef42641c07f7103.txt").unlink()
    code, _, err = invoke("rebuild", "--index", str(index))
    assert code == 1 and "1 indexed source files are gone" in err
    assert len(docs(index)) == 5
