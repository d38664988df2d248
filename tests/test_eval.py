"""`kb eval`: metrics against hand-computed values, MaxP document runs, and the command on a toy folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.evaluate import doc_run, metrics


def test_metrics_match_hand_computation() -> None:
    qrels = {"q1": {"d1": 1, "d2": 1}, "q2": {"d9": 2}}
    run = {"q1": {"d3": 3.0, "d1": 2.0, "d2": 1.0}, "q2": {f"x{i}": 20.0 - i for i in range(12)}}
    run["q2"]["d9"] = 1.0  # ranked 13th: outside the top 10, inside the top 100
    means, per_query = metrics(qrels, run)
    ndcg_q1 = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert per_query["q1"]["ndcg@10"] == pytest.approx(ndcg_q1)
    assert per_query["q1"]["mrr@10"] == pytest.approx(0.5)
    assert per_query["q2"] == {"ndcg@10": 0.0, "recall@100": 1.0, "mrr@10": 0.0}
    assert means["ndcg@10"] == pytest.approx(ndcg_q1 / 2)
    assert means["recall@100"] == 1.0 and means["mrr@10"] == pytest.approx(0.25)


def test_doc_run_keeps_each_documents_best_passage() -> None:
    passages = [(10, 0.9), (11, 0.8), (20, 0.7), (12, 0.6), (30, 0.5)]
    doc_of = {10: "a", 11: "a", 12: "a", 20: "b", 30: "c"}
    run = doc_run(passages, doc_of, limit=2)
    assert list(run) == ["a", "b"] and run["a"] > run["b"]


def _toy(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    docs = [
        (
            "d1",
            "Aspirin and heart attacks",
            "Daily aspirin lowers the risk of a first heart attack in adults.",
        ),
        ("d2", "Vitamin D and bones", "Vitamin D supplements strengthen bones in elderly women."),
        ("d3", "Exercise and sleep", "Regular aerobic exercise improves sleep quality in insomnia."),
    ]
    (folder / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in docs)
    )
    queries = [("q1", "aspirin heart attack"), ("q2", "insomnia exercise"), ("q3", "unjudged question")]
    (folder / "queries.jsonl").write_text("\n".join(json.dumps({"_id": i, "text": x}) for i, x in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    return folder


def test_eval_command_on_a_toy_folder(fake_env: dict[str, str], tmp_path: Path) -> None:
    folder = _toy(tmp_path / "toy")
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", str(folder), "--retriever", "bm25", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # q1 finds d1 first; q2's judged document (d2) never matches its words: MRR (1 + 0) / 2.
    assert report["queries"] == 2 and report["mrr@10"] == 0.5 and report["ndcg@10"] == 0.5
    assert report["timings"]["texts_embedded"] > 0
    again = json.loads(runner.invoke(cli, ["eval", str(folder), "--retriever", "full", "--json"]).stdout)
    assert again["timings"]["texts_embedded"] == 0  # the cached index is reused
    assert set(again) >= {"ndcg@10", "recall@100", "mrr@10", "timings"}


def test_eval_refuses_a_folder_that_is_not_beir(fake_env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", str(tmp_path)])
    assert result.exit_code == 1 and "not a BEIR folder" in result.stderr


def test_cross_encoder_reads_question_and_passage_together() -> None:
    from kb.rerank import CrossEncoder

    ce = CrossEncoder()
    question = "What lowers the risk of a heart attack?"
    logits = ce.score(
        question,
        [
            "Vitamin D supplements strengthen bones in elderly women.",
            "Daily aspirin lowers the risk of a first heart attack in adults.",
        ],
    )
    assert logits[1] > logits[0] + 3
    # one pair at a time: a passage's score does not depend on what it is scored with
    alone = ce.score(question, ["Daily aspirin lowers the risk of a first heart attack in adults."])
    assert alone[0] == pytest.approx(logits[1], abs=1e-5)


def test_eval_with_the_cross_encoder_reorders_the_head(fake_env: dict[str, str], tmp_path: Path) -> None:
    folder = _toy(tmp_path / "toy")
    # a question that shares no word with its answer: the fake embedder's hashed words miss it
    (folder / "queries.jsonl").write_text(
        json.dumps({"_id": "q9", "text": "Which drug prevents cardiac infarction?"})
    )
    (folder / "qrels" / "test.tsv").write_text("q9\td1\t1\n")
    runner = CliRunner()
    plain = json.loads(runner.invoke(cli, ["eval", str(folder), "--retriever", "dense", "--json"]).stdout)
    result = runner.invoke(
        cli, ["eval", str(folder), "--retriever", "dense", "--cross-encoder", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["retriever"] == "dense+cross-encoder@3" and plain["retriever"] == "dense"
    assert plain["mrr@10"] < 1.0 and report["mrr@10"] == 1.0  # read with the question, aspirin is first


@pytest.mark.slow
@pytest.mark.parametrize("model", ["minilm", "bge-small"])
def test_eval_builds_its_index_with_the_model_asked_for(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.api import KnowledgeBase
    from kb.embed import MODELS
    from kb.evaluate import corpus_key

    monkeypatch.delenv("KB_EMBEDDER", raising=False)
    folder = _toy(tmp_path / "toy")
    cache = tmp_path / "cache"
    args = ["eval", str(folder), "--model", model, "--cache", str(cache), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ndcg@10"] > 0
    kb = KnowledgeBase(cache / corpus_key(folder, MODELS[model]))
    assert kb.store.get_meta("model") == MODELS[model]
    kb.close()
