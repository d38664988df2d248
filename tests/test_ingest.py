"""Ingest: idempotence, change, prune, offsets, bad files never lose what is indexed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.api import KnowledgeBase, clean_paths
from kb.embed import FakeEmbedder
from kb.errors import IndexLocked, IndexMismatch
from kb.ingest.segment import segment


def test_second_ingest_embeds_nothing(fake_kb: KnowledgeBase, corpus_copy: Path) -> None:
    first = fake_kb.ingest([corpus_copy])
    assert len(first.added) == 5 and first.embedded > 0
    before = {d.id: d.clean_sha for d in fake_kb.documents()}
    second = fake_kb.ingest([corpus_copy])
    assert second.embedded == 0
    assert len(second.unchanged) == 5 and not second.added and not second.updated
    assert {d.id: d.clean_sha for d in fake_kb.documents()} == before


def test_changed_file_replaces_its_records(fake_kb: KnowledgeBase, corpus_copy: Path) -> None:
    fake_kb.ingest([corpus_copy])
    path = corpus_copy / "003_4cd8be895641277d.txt"
    old = fake_kb.show(str(path))
    path.write_text(
        path.read_text()
        + "\nA brand new closing paragraph says that partnerships between marketing and technology leaders keep getting stronger every year.\n"
    )
    report = fake_kb.ingest([corpus_copy])
    assert len(report.updated) == 1 and len(report.unchanged) == 4
    assert 0 < report.embedded < 10  # only the new text is embedded
    new = fake_kb.show(str(path))
    assert new["id"] != old["id"]
    assert "brand new closing paragraph" in new["text"]
    assert len(fake_kb.documents()) == 5
    hits = fake_kb.ask("brand new closing paragraph partnerships stronger", k=3).hits
    assert hits[0].doc.id == new["id"]


def test_prune_drops_deleted_files(fake_kb: KnowledgeBase, corpus_copy: Path) -> None:
    fake_kb.ingest([corpus_copy])
    (corpus_copy / "000_5cbb94a0aa304e13.txt").unlink()
    report = fake_kb.ingest([corpus_copy])
    assert len(fake_kb.documents()) == 5  # without --prune nothing is dropped
    report = fake_kb.ingest([corpus_copy], prune=True)
    assert len(report.removed) == 1
    assert len(fake_kb.documents()) == 4
    assert all("000_" not in h.doc.path for h in fake_kb.ask("Felix and Oscar odd couples", k=10).hits)


def test_bad_files_are_skipped_and_nothing_is_lost(
    fake_kb: KnowledgeBase, corpus_copy: Path, tmp_path: Path
) -> None:
    fake_kb.ingest([corpus_copy])
    before = {d.id for d in fake_kb.documents()}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (bad / "script.html").write_bytes(
        b"<html><head><script>var x = 1;</script></head><body><script>run()</script></body></html>"
    )
    skipped: list[tuple[str, str]] = []
    report = fake_kb.ingest([bad, tmp_path / "missing.txt"], on_skip=lambda p, r: skipped.append((p, r)))
    assert not report.added
    assert len(report.skipped) == 5
    assert all(reason for _, reason in skipped)
    assert {d.id for d in fake_kb.documents()} == before
    assert fake_kb.ask("collaboration", k=3).hits


def test_every_hit_and_record_is_a_slice_of_the_clean_text(fake_kb: KnowledgeBase, corpus_copy: Path) -> None:
    fake_kb.ingest([corpus_copy])
    texts = {d.id: fake_kb.show(d.id)["text"] for d in fake_kb.documents()}
    for q in ["what blocks collaboration", "budget", "Forrester recommends", "digital strategy"]:
        for hit in fake_kb.ask(q, k=10).hits:
            assert texts[hit.doc.id][hit.start : hit.end] == hit.text
            if hit.best_sentence:
                s, e = hit.best_sentence
                assert hit.start <= s < e <= hit.end
    for r in fake_kb.statistics():
        text = texts[r["doc"]["id"]]
        assert text[r["start"] : r["end"]] == r["value_text"]
        assert text[r["sentence_start"] : r["sentence_end"]] == r["sentence"]
    claims = fake_kb.claims()
    assert {c["kind"] for c in claims} == {"quote", "finding", "recommendation", "assertion"}
    for c in claims:
        assert texts[c["doc"]["id"]][c["start"] : c["end"]] == c["text"]


def test_passages_cover_clean_text_with_valid_sentences(corpus_copy: Path) -> None:
    for doc in clean_paths([corpus_copy]):
        passages = segment(doc)
        assert passages
        for p in passages:
            assert doc.text[p.start : p.end] == p.text
            for s, e in p.sentences:
                assert p.start <= s < e <= p.end


def test_index_rebuilt_from_store_when_faiss_file_is_damaged(
    fake_kb: KnowledgeBase, corpus_copy: Path
) -> None:
    fake_kb.ingest([corpus_copy])
    expected = [h.passage_id for h in fake_kb.ask("marketing budget technology", k=5).hits]
    (fake_kb.directory / "vectors.faiss").write_bytes(b"garbage")
    fresh = KnowledgeBase(fake_kb.directory, embedder=FakeEmbedder())
    assert [h.passage_id for h in fresh.ask("marketing budget technology", k=5).hits] == expected
    fresh.close()


def test_model_mismatch_is_reported(fake_kb: KnowledgeBase, corpus_copy: Path) -> None:
    fake_kb.ingest([corpus_copy])
    other = FakeEmbedder()
    other.name = "another/model"
    with pytest.raises(IndexMismatch, match="kb rebuild"):
        KnowledgeBase(fake_kb.directory, embedder=other).ask("budget")


def test_second_writer_is_refused(fake_kb: KnowledgeBase, corpus_copy: Path) -> None:
    from filelock import FileLock

    fake_kb.directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(fake_kb.directory / "write.lock")), pytest.raises(IndexLocked):
        fake_kb.ingest([corpus_copy])


def test_rebuild_restores_everything(fake_kb: KnowledgeBase, corpus_copy: Path) -> None:
    os.chdir(corpus_copy.parent)
    fake_kb.ingest([corpus_copy])
    before = sorted((d.id, d.clean_sha) for d in fake_kb.documents())
    vectors = fake_kb.store.db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    report = fake_kb.rebuild()
    assert sorted((d.id, d.clean_sha) for d in fake_kb.documents()) == before
    assert report.embedded == 0  # unchanged text keeps its vectors: nothing is embedded again
    assert fake_kb.store.db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == vectors
    assert fake_kb.store.get_meta("model") == fake_kb.embedder.name
    assert fake_kb.ask("what blocks collaboration").hits


def test_grouped_batches_share_a_commit_and_a_failed_batch_undoes_only_itself(tmp_path: Path) -> None:
    """Inside Store.grouped, stored batches wait for one commit (a reader sees them together);
    a batch that fails is undone alone and the whole batches before and after it are committed;
    once the commit is due, each batch commits."""
    import sqlite3

    from kb.store import Store

    store = Store(tmp_path / "kb.sqlite")
    reader = sqlite3.connect(tmp_path / "kb.sqlite")

    def seen(key: str) -> bool:
        return reader.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None

    with store.grouped(seconds=3600, docs=1000):
        with store.transaction():
            store.set_meta("a", "1")
        assert not seen("a")
        with pytest.raises(RuntimeError), store.transaction():
            store.set_meta("b", "1")
            raise RuntimeError("the batch fails")
        with store.transaction():
            store.set_meta("c", "1")
    assert seen("a") and seen("c") and not seen("b")
    with store.grouped(seconds=0):
        with store.transaction():
            store.set_meta("d", "1")
        assert seen("d")
    with store.grouped(seconds=3600, docs=2):
        with store.transaction(docs=2):
            store.set_meta("e", "1")
        assert seen("e")
    with pytest.raises(RuntimeError), store.transaction():  # not grouped: its own transaction
        store.set_meta("f", "1")
        raise RuntimeError("the batch fails")
    assert not seen("f") and not store.db.in_transaction
    with store.transaction():
        store.set_meta("g", "1")
    assert seen("g") and not store.db.in_transaction
    reader.close()
    store.close()


def _doc(text: str, title: str | None = None):
    from kb.records import CleanDoc, Metadata

    return CleanDoc(path="note.txt", kind="txt", sha="0" * 64, text=text, meta=Metadata(title=title))


def _paragraph(n: int) -> str:
    return " ".join(f"Sentence {i} says that the tested alloy held under load." for i in range(n))


def test_a_paragraph_is_cut_only_where_the_model_window_ends() -> None:
    from kb.ingest.segment import window_words

    assert window_words(256) == 160 and window_words(512) == 320
    doc = _doc(_paragraph(25))  # 250 words: over MiniLM's window, inside bge-small's
    cut = segment(doc, window_words(256))
    whole = segment(doc, window_words(512))
    assert len(cut) == 2 and all(len(p.text.split()) <= 160 for p in cut)
    assert [(p.start, p.end) for p in whole] == [(0, len(doc.text))]


def test_a_text_opening_with_its_title_reads_its_passages_under_it() -> None:
    title = "Aspirin lowers the risk of a second stroke in older adults, a ten-year cohort study finds."
    body = _paragraph(3)
    passages = segment(_doc(f"{title}\n\n{body}", title=title))
    assert [p.text for p in passages] == [body]  # the title is a heading, not a passage
    assert passages[0].context == title
    # the same words without that title are a paragraph like any other
    assert [p.text for p in segment(_doc(f"{title}\n\n{body}"))] == [title, body]


def test_ingest_cuts_passages_to_the_model_window(tmp_path: Path) -> None:
    class WideFake(FakeEmbedder):
        name = "fake/wide"
        max_tokens = 512

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "long.txt").write_text(_paragraph(25) + "\n", encoding="utf-8")
    counts = {}
    for embedder in (FakeEmbedder(), WideFake()):
        kb = KnowledgeBase(tmp_path / embedder.name.replace("/", "-"), embedder=embedder)
        kb.ingest([tmp_path / "docs"], jobs=1)
        counts[embedder.name] = len(list(kb.store.passage_paths()))
        kb.close()
    assert counts == {"fake/hashed-words": 2, "fake/wide": 1}
