"""Attacks on input, storage and the command line (issue: data safety), each reproduced here."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.api import KnowledgeBase
from kb.cli import cli
from kb.embed import FakeEmbedder

ARTICLE = (
    "Hospitals are short of nurses. About 27 percent of nurses said they planned to leave the "
    "profession within two years, a survey of 3,000 nurses found, and 4\u200b5 percent of them "
    "said pay was the main reason.\n"
)


@pytest.fixture
def runner(fake_env: dict[str, str]) -> CliRunner:
    return CliRunner()


def test_only_regular_files_are_read_and_sizes_hold_while_reading(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "good.txt").write_text(ARTICLE)
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    (folder / "zero.txt").symlink_to("/dev/zero")  # its size reads as 0, and it never ends
    t = time.monotonic()
    result = runner.invoke(cli, ["ingest", str(folder)], catch_exceptions=False)
    assert time.monotonic() - t < 30
    assert result.exit_code == 0
    assert "pipe.txt: not a regular file" in result.stderr
    assert "1 added" in result.stderr


def test_a_file_name_that_is_not_utf8_is_skipped_not_fatal(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "good.txt").write_text(ARTICLE)
    bad = os.path.join(os.fsencode(folder), b"caf\xe9.txt")
    with open(bad, "wb") as f:
        f.write(b"Some text about a cafe and 12 percent of its customers.")
    for _ in range(2):  # and a second run does not crash at the same file
        result = runner.invoke(cli, ["ingest", str(folder)], catch_exceptions=False)
        assert result.exit_code == 0
        assert "file name is not valid UTF-8" in result.stderr


def test_utf8_with_a_bad_byte_stays_utf8_and_invisible_characters_do_not_split_numbers(
    runner: CliRunner, tmp_path: Path
) -> None:
    page = tmp_path / "page.txt"
    page.write_bytes(("The CIO’s café budget. " + ARTICLE).encode() + b"\xff")
    result = runner.invoke(cli, ["ingest", str(page)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "not UTF-8 were replaced" in result.stderr
    text = json.loads(runner.invoke(cli, ["show", str(page), "--json"]).stdout)["text"]
    assert "CIO’s café" in text and "CIOâ" not in text
    values = [json.loads(x)["value"] for x in runner.invoke(cli, ["stats", "--json"]).stdout.splitlines()]
    assert 45 in values and 5 not in values
    draft = tmp_path / "draft.md"
    draft.write_text("Nearly 45 percent of nurses said pay was the main reason.\n")
    check = json.loads(runner.invoke(cli, ["check", str(draft), "--json"]).stdout.splitlines()[0])
    assert check["status"] == "sourced"


@pytest.mark.parametrize("name", ["a#b", "pct%41x", "why?not"])
def test_uri_characters_in_the_index_path(runner: CliRunner, tmp_path: Path, name: str) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    index = tmp_path / name
    assert runner.invoke(cli, ["ingest", str(tmp_path / "a.txt"), "--index", str(index)]).exit_code == 0
    assert (index / "kb.sqlite").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.txt", name])


def test_index_files_are_private_and_a_file_in_the_way_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    index = tmp_path / "private"
    assert runner.invoke(cli, ["ingest", str(tmp_path / "a.txt"), "--index", str(index)]).exit_code == 0
    assert index.stat().st_mode & 0o777 == 0o700
    for name in ("kb.sqlite", "vectors.faiss", "manifest.json"):
        assert (index / name).stat().st_mode & 0o077 == 0, name
    result = runner.invoke(
        cli, ["ingest", str(tmp_path / "a.txt"), "--index", str(tmp_path / "a.txt" / "sub")]
    )
    assert (
        result.exit_code == 1 and "a file is in the way" in result.stderr and "Traceback" not in result.output
    )


def test_a_truncated_or_damaged_store_is_one_line_that_loses_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    index = tmp_path / "idx"
    assert runner.invoke(cli, ["ingest", str(tmp_path / "a.txt"), "--index", str(index)]).exit_code == 0
    (index / "kb.sqlite").write_bytes(b"")  # as a crashed disk or a careless `: > kb.sqlite` leaves it
    for name in ("kb.sqlite-wal", "kb.sqlite-shm"):
        (index / name).unlink(missing_ok=True)
    for command in (["verify"], ["ask", "nurses"], ["docs"], ["stats"]):
        result = runner.invoke(cli, [*command, "--index", str(index)])
        assert result.exit_code == 1, command
        assert "is empty (0 bytes)" in result.stderr and "Traceback" not in result.output
        assert "kb rebuild" not in result.stderr  # advice that cannot work is never given


def test_numbers_too_long_to_keep_are_not_statistics() -> None:
    from kb.extract.stats import extract_statistics
    from kb.records import CleanDoc, Metadata

    doc = CleanDoc("t", "txt", "0" * 64, "Growth hit 99999999999999999999999 percent.", Metadata())
    assert extract_statistics(doc) == []


def test_cli_mistakes_get_a_clear_message(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    assert runner.invoke(cli, ["ingest", str(tmp_path / "a.txt")]).exit_code == 0
    for bad in ("yesterday", "2019-13-45"):
        result = runner.invoke(cli, ["ask", "nurses", "--since", bad])
        assert result.exit_code == 2 and "is not a date" in result.output
    batch = tmp_path / "q.txt"
    batch.write_text("# questions for the draft\n\nwhy do nurses leave\n")
    out = runner.invoke(cli, ["ask", "--batch", str(batch), "--json"]).stdout.splitlines()
    assert [json.loads(x)["query"] for x in out] == ["why do nurses leave"]
    empty = runner.invoke(cli, ["docs", "--index", str(tmp_path / "empty-index")])
    assert empty.exit_code == 1  # no index there at all
    kb = KnowledgeBase(tmp_path / "blank", embedder=FakeEmbedder())
    kb.ingest([tmp_path / "a.txt"])
    kb.store.delete_documents([d.path for d in kb.documents()])
    kb.close()
    result = runner.invoke(cli, ["docs", "--index", str(tmp_path / "blank")])
    assert "holds no documents" in result.stderr


def _write_site(folder: Path, n: int) -> None:
    """Pages of one site: a shared menu and footer (site chrome), and an article of their own."""
    folder.mkdir()
    for i in range(n):
        body = " ".join(
            f"Paragraph {k} of story {i} says {i * 7 + k} percent of readers agreed." for k in range(20)
        )
        (folder / f"p{i:03d}.txt").write_text(
            "Home | World | Business | Sign in to your account today\n\n"
            f"Story number {i}\n\n{body}\n\n"
            "Copyright 2019 Example Media Group, all rights reserved worldwide.\n"
        )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_ingest_keeps_what_it_committed_and_verifies(tmp_path: Path, sig: int) -> None:
    site = tmp_path / "site"
    _write_site(site, 150)
    env = dict(os.environ, KB_EMBEDDER="fake", KB_INDEX=str(tmp_path / "index"))
    kb = [sys.executable, "-m", "kb"]
    proc = subprocess.Popen([*kb, "ingest", str(site), "-q"], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for the first commit, then interrupt
        db = tmp_path / "index" / "kb.sqlite"
        if db.exists() and db.stat().st_size > 0:
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
                    if con.execute("SELECT count(*) FROM documents").fetchone()[0] > 0:
                        break
            except sqlite3.Error:
                pass
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), err
    if proc.returncode == 130:
        assert "interrupted" in err and "Traceback" not in err
    verify = subprocess.run([*kb, "verify", "--json"], env=env, capture_output=True, text=True)
    report = json.loads(verify.stdout)
    assert report["documents"] > 0
    assert verify.returncode == 0, report["problems"][:3]
    ask = subprocess.run([*kb, "ask", "readers agreed"], env=env, capture_output=True, text=True)
    assert ask.returncode == 0 and "#1 " in ask.stdout
    again = subprocess.run([*kb, "ingest", str(site), "-q"], env=env, capture_output=True, text=True)
    assert again.returncode == 0
    assert (
        len(
            subprocess.run(
                [*kb, "docs", "--json"], env=env, capture_output=True, text=True
            ).stdout.splitlines()
        )
        == 150
    )


def test_terminal_escapes_in_documents_never_reach_the_terminal(runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "evil.txt"
    page.write_text("Budgets \x1b]0;pwned\x07rose \x1b[2J12 percent among 400 nurses in the survey.\n")
    assert runner.invoke(cli, ["ingest", str(page)]).exit_code == 0
    for command in (["show", str(page)], ["stats"], ["ask", "budgets"], ["docs"]):
        out = runner.invoke(cli, command).stdout
        assert "\x1b" not in out and "\x07" not in out, command
    raw = runner.invoke(cli, ["show", str(page), "--json"]).stdout
    assert "\\u001b" in raw  # JSON keeps them, escaped


def test_damaged_pages_are_found_by_verify_and_one_line_everywhere(runner: CliRunner, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", tmp_path / "corpus")
    index = tmp_path / "idx"
    assert runner.invoke(cli, ["ingest", str(tmp_path / "corpus"), "--index", str(index)]).exit_code == 0
    db = index / "kb.sqlite"
    data = bytearray(db.read_bytes())
    for page in range(3, len(data) // 4096, 5):  # scribble over every fifth page
        data[page * 4096 + 100 : page * 4096 + 400] = b"\xde\xad" * 150
    db.write_bytes(bytes(data))
    verify = runner.invoke(cli, ["verify", "--index", str(index)])
    assert verify.exit_code == 1 and "Traceback" not in verify.output
    for command in (["ask", "what blocks collaboration"], ["docs"], ["stats"], ["claims"], ["rebuild"]):
        result = runner.invoke(cli, [*command, "--index", str(index)])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            command,
            result.exception,
        )
        if result.exit_code:
            assert len(result.stderr.strip().splitlines()) == 1, (command, result.stderr)


def test_links_out_of_the_folder_are_not_followed_unless_asked(runner: CliRunner, tmp_path: Path) -> None:
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "passwords.txt").write_text("The admin password is hunter2, and 12 percent of staff know it.")
    (secret / "notes.txt").write_text("Private notes: 30 percent of the budget is unallocated this year.")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE)
    (folder / "leak.txt").symlink_to(secret / "passwords.txt")
    (folder / "docs").symlink_to(secret)
    (folder / "inside.txt").symlink_to(folder / "a.txt")  # a link inside the folder is fine
    result = runner.invoke(cli, ["ingest", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0
    assert (
        "leak.txt: link to a file outside" in result.stderr
        and "docs: link to a folder outside" in result.stderr
    )
    assert "hunter2" not in runner.invoke(cli, ["ask", "admin password"]).stdout
    followed = runner.invoke(cli, ["ingest", str(folder), "--follow-links"], catch_exceptions=False)
    assert followed.exit_code == 0 and "2 added" in followed.stderr  # the private file and the notes


def test_verify_checks_every_vector_not_a_sample(tmp_path: Path) -> None:
    import shutil

    from kb.index import VectorIndex

    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", tmp_path / "corpus")
    kb = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())
    kb.ingest([tmp_path / "corpus"])
    assert kb.verify().ok
    vindex = kb.vector_index()
    ids, vectors = vindex.all_vectors()
    vectors = vectors.copy()
    vectors[len(ids) // 2 + 3] *= -1  # one vector of many, where a 1-in-N sample would miss it
    m = vindex.manifest
    VectorIndex.build(ids, vectors, m.model, m.dim, m.generation).save(tmp_path / "idx")
    kb.close()
    kb = KnowledgeBase(tmp_path / "idx", embedder=FakeEmbedder())
    problems = [p for p in kb.verify().problems if p.kind == "index"]
    assert problems and "disagrees with the store for 1 passages" in problems[0].detail


def test_huge_passages_newlines_in_names_and_bad_eval_input(runner: CliRunner, tmp_path: Path) -> None:
    long = tmp_path / "long.txt"
    long.write_text("Budgets " + "grew again and again " * 5000 + "by 12 percent.\n")
    odd = tmp_path / "two\nlines.txt"
    odd.write_text(ARTICLE)
    assert runner.invoke(cli, ["ingest", str(long), str(odd)]).exit_code == 0
    out = runner.invoke(cli, ["ask", "budgets grew"]).stdout
    assert len(out) < 20_000 and "--json has them all" in out
    listing = runner.invoke(cli, ["docs"]).stdout.splitlines()
    assert len(listing) == 2 and any("two\\nlines.txt" in line for line in listing)
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_bytes(b'{"_id": "1", "text": ["not", "a", "string"]}\n')
    (beir / "queries.jsonl").write_text('{"_id": "q", "text": "budgets"}\n')
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq\t1\t1\n")
    result = runner.invoke(cli, ["eval", str(beir)])
    assert (
        result.exit_code == 1
        and "'text' is not a string" in result.stderr
        and "Traceback" not in result.output
    )
    (beir / "corpus.jsonl").write_bytes(b'{"_id": "1", "text": "caf\xe9"}\n')
    result = runner.invoke(cli, ["eval", str(beir)])
    assert result.exit_code == 1 and "not UTF-8" in result.stderr


def test_deeply_nested_markdown_is_read_not_dropped(tmp_path: Path) -> None:
    from kb.api import clean_paths

    lines = ["# Notes", "", "Intro: 12 percent of people agreed with the plan this year.", ""]
    lines += ["  " * i + f"- point {i} about the budget" for i in range(300)]
    lines += ["", "After the list, 30 percent of people said the plan was too slow to help them."]
    note = tmp_path / "deep.md"
    note.write_text("\n".join(lines))
    (doc,) = clean_paths([note])
    assert "30 percent of people said the plan was too slow" in doc.text  # nothing after it is lost
    said = doc.text + " ".join(r.text for r in doc.removed)
    assert "point 250 about the budget" in said  # kept or listed as removed, never dropped in silence


def test_a_full_disk_is_one_line_and_loses_nothing(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    import shutil

    from kb.store import Store

    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", tmp_path / "corpus")
    (tmp_path / "more").mkdir()
    for i in range(3):
        (tmp_path / "more" / f"n{i}.txt").write_text(
            f"Note {i}: {i + 20} percent of nurses said pay matters most.\n"
        )
    assert runner.invoke(cli, ["ingest", str(tmp_path / "corpus")]).exit_code == 0
    real = Store.replace_document
    calls = {"n": 0}

    def full(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Store, "replace_document", full)
        result = runner.invoke(cli, ["ingest", str(tmp_path / "more")])
    assert result.exit_code == 1 and "the disk is full" in result.stderr and "Traceback" not in result.output
    assert not list((tmp_path / "index").glob("*.tmp"))
    verify = runner.invoke(cli, ["verify"])
    assert verify.exit_code == 0, verify.output
    assert runner.invoke(cli, ["ingest", str(tmp_path / "more")]).exit_code == 0  # resumes
    assert len(runner.invoke(cli, ["docs", "--json"]).stdout.splitlines()) == 8


def test_verify_during_an_ingest_sees_one_consistent_state(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _write_site(site, 40)
    env = dict(os.environ, KB_EMBEDDER="fake", KB_INDEX=str(tmp_path / "index"))
    kb = [sys.executable, "-m", "kb"]
    first = subprocess.run([*kb, "ingest", str(site / "p000.txt"), "-q"], env=env, capture_output=True)
    assert first.returncode == 0
    _write_site(tmp_path / "more", 150)
    proc = subprocess.Popen([*kb, "ingest", str(tmp_path / "more"), "-q"], env=env, stderr=subprocess.PIPE)
    reports = []
    while proc.poll() is None and len(reports) < 6:
        verify = subprocess.run([*kb, "verify", "--json"], env=env, capture_output=True, text=True)
        reports.append(json.loads(verify.stdout))
    proc.wait()
    assert reports
    for report in reports:
        assert not [p for p in report["problems"] if p["kind"] in ("index", "mismatch", "damaged")], report


def test_a_read_only_index_is_opened_read_only(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    """Tests run as root, where chmod cannot make a file read-only: the store's refusal is simulated."""
    from kb.store import Store

    (tmp_path / "a.txt").write_text(ARTICLE)
    assert runner.invoke(cli, ["ingest", str(tmp_path / "a.txt")]).exit_code == 0
    real_init = Store.__init__

    def read_only(self, path, readonly=False):
        if not readonly:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        real_init(self, path, readonly=True)

    with monkeypatch.context() as patch:
        patch.setattr(Store, "__init__", read_only)
        result = runner.invoke(cli, ["ask", "nurses"])
        assert result.exit_code == 0 and "#1 " in result.stdout
        assert runner.invoke(cli, ["stats"]).exit_code == 0


def test_a_deleted_wal_file_is_not_a_dead_end(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    assert runner.invoke(cli, ["ingest", str(tmp_path / "a.txt")]).exit_code == 0
    (tmp_path / "index" / "kb.sqlite-wal").unlink(missing_ok=True)
    for command in (["verify"], ["ask", "nurses"], ["ingest", str(tmp_path / "a.txt")]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0 or (
            len(result.stderr.strip().splitlines()) == 1 and "kb rebuild" not in result.stderr
        )
