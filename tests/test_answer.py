"""The extractive answer: verbatim sentences, merged duplicates, themes, and [n] markers that
point at the right numbered source."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from kb.answer import Candidate, summarise
from kb.cli import cli
from kb.records import DocInfo


def _doc(i: str) -> DocInfo:
    return DocInfo(i, f"{i}.txt", "txt", "s", "c", f"Title {i}", None, None, None, None, None, f"key{i}")


def _vec(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_duplicates_merge_and_cite_both_sources_and_themes_group() -> None:
    a, b, c = _doc("a"), _doc("b"), _doc("c")
    q = _vec(1, 0, 0)
    cands = [
        Candidate(
            a,
            0,
            50,
            "Teams are siloed and budgets are tight in most companies today.",
            _vec(1, 0.5, 0),
            1,
            1.0,
        ),
        Candidate(
            b, 10, 60, "Teams are siloed and budgets are tight in most firms today.", _vec(1, 0.51, 0), 2, 1.0
        ),
        Candidate(
            c,
            5,
            70,
            "Executives disagree about strategy and ownership of the digital agenda.",
            _vec(0.6, -0.3, 0.74),
            3,
            1.0,
        ),
        Candidate(c, 80, 90, "Too short here.", _vec(1, 0, 0), 3, 1.0),
    ]
    summary = summarise("what blocks collaboration", q, cands)
    quotes = [qq for t in summary.themes for qq in t.quotes]
    assert quotes[0].text.startswith("Teams are siloed")
    assert quotes[0].sources == (1, 2)  # the same statement in two sources cites both
    assert [d.id for d in summary.sources] == ["a", "b", "c"]
    assert len(quotes) == 2 and len(summary.themes) == 2  # dissimilar sentences: separate themes
    assert all(t.label and t.label.lower() not in ("what", "blocks", "collaboration") for t in summary.themes)


def test_list_items_are_grouped_under_their_lead_in() -> None:
    d = _doc("d")
    q = _vec(1, 0)
    lead = "To improve this relationship, Forrester recommends:"
    cands = [
        Candidate(
            d,
            0,
            40,
            "• Clarifying roles, with innovation needs at the core.",
            _vec(0.1, 1),
            1,
            0.3,
            0.8,
            lead,
        ),
        Candidate(
            d,
            41,
            90,
            "• Sharing aligned goals centred on customer obsession today.",
            _vec(1, -0.3),
            2,
            0.3,
            0.7,
            lead,
        ),
    ]
    summary = summarise("What does Forrester recommend?", q, cands)
    assert [t.label for t in summary.themes] == ["To improve this relationship, Forrester recommends"]
    assert len(summary.themes[0].quotes) == 2


def test_answer_json_sentences_are_verbatim_and_markers_map_to_sources(fake_env, corpus_copy: Path) -> None:
    runner = CliRunner()
    out = json.loads(runner.invoke(cli, ["ask", "what blocks collaboration", "--json"]).stdout)
    answer = out["answer"]
    assert answer["themes"] and answer["sources"]
    sources = {s["n"]: s for s in answer["sources"]}
    for theme in answer["themes"]:
        for sentence in theme["sentences"]:
            first = sources[sentence["sources"][0]]
            assert first["id"] == sentence["doc"]
            shown = json.loads(runner.invoke(cli, ["show", sentence["doc"], "--json"]).stdout)
            assert shown["text"][sentence["start"] : sentence["end"]] == sentence["text"]
