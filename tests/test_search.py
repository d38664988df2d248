"""Fusion and ranking on small fixtures."""

from __future__ import annotations

from pathlib import Path

from kb.intent import cue_score, expanded_query, intents_of, topic_of
from kb.search import Filters, rrf
from kb.store import fts_query


def test_rrf_prefers_items_ranked_well_by_both() -> None:
    scores = rrf([[1, 2, 3], [3, 1, 4]])
    assert max(scores, key=scores.get) == 1
    assert scores[3] > scores[2]
    assert scores[4] < scores[2]


def test_fts_query_is_safe() -> None:
    assert fts_query('what "blocks" collaboration? OR NOT *') == '"blocks" OR "collaboration" OR "not"'
    assert fts_query("???") is None


def test_intents() -> None:
    obstacle = intents_of("what blocks collaboration")
    assert [i.name for i in obstacle] == ["obstacle"]
    assert "barrier" in expanded_query("what blocks collaboration", obstacle)
    assert cue_score("Teams are siloed and lack trust, a barrier to progress.", obstacle) == 1.0
    assert cue_score("The weather was pleasant.", obstacle) == 0.0
    assert intents_of("the history of the company") == []


def test_statements_carry_no_intent() -> None:
    # A claim to check names no answer type, even with an obstacle verb in it.
    assert intents_of("Active Ly49Q prevents neutrophil polarization.") == []
    assert intents_of("Aspirin blocks the synthesis of prostaglandins in platelets") == []
    assert [i.name for i in intents_of("Why do projects fail")] == ["obstacle"]
    assert [i.name for i in intents_of("barriers to collaboration")] == ["obstacle"]
    assert [i.name for i in intents_of("Is lack of trust a barrier to collaboration?")] == ["obstacle"]


def test_filters() -> None:
    from kb.records import DocInfo

    doc = DocInfo("a", "p", "txt", "s", "c", "t", None, "2010-10-04", "CIO", None, None, "k")
    assert Filters(since="2010").allows(doc)
    assert not Filters(since="2011-01-01").allows(doc)
    assert Filters(until="2010").allows(doc)
    assert not Filters(publisher="Forbes").allows(doc)
    assert not Filters(doc_ids=("b",)).allows(doc)


def test_quantity_question_prefers_the_figure_about_its_topic(fake_kb, tmp_path) -> None:
    """Both passages carry a percentage; only one percentage measures what was asked."""
    doc = tmp_path / "docs" / "budgets.md"
    doc.parent.mkdir()
    doc.write_text(
        "# Marketing spend survey\n\n"
        "Asked about their plans, 64 percent of marketers said hiring analysts has been a challenge "
        "and most of them expect the marketing budget to shrink while technology spending grows.\n\n"
        "With 22 per cent of the marketing budget now going to technology, the survey finds the "
        "two teams must plan purchases together.\n",
        encoding="utf-8",
    )
    fake_kb.ingest([doc])
    hits = fake_kb.ask("What share of the marketing budget goes to technology?", k=2).hits
    assert hits[0].text.startswith("With 22 per cent")
    assert hits[0].components["intent"] > hits[1].components["intent"]


def test_a_question_that_only_implies_advice_gets_half_the_boost() -> None:
    """'should' may ask for advice or for what a thing is for; 'recommend' names the intent."""
    named = intents_of("What does Forrester recommend?")
    implied = intents_of("What should a third-party advisor bring?")
    assert [(i.name, i.strength) for i in named] == [("recommendation", 1.0)]
    assert [(i.name, i.strength) for i in implied] == [("recommendation", 0.5)]
    advice = "Teams should meet weekly and must share goals."
    assert cue_score(advice, named) == 1.0
    assert cue_score(advice, implied) == 0.5
    assert "should" not in topic_of("What should a third-party advisor bring?", implied)
    # "how can X improve" asks for advice whatever X is, one word or five
    for q in ("How can we improve retention?", "How can CMOs and CIOs improve their relationship?"):
        assert [(i.name, i.strength) for i in intents_of(q)] == [("recommendation", 1.0)]
    assert "CMOs and CIOs" in topic_of(
        "How can CMOs and CIOs improve it?", intents_of("How can CMOs and CIOs improve it?")
    )


BULLETS = (
    "Calling lapsed members within a week of their last visit.",
    "Pricing plans by the month rather than by the year.",
    "Rewarding every referral with a free month for both members.",
    "Logging each complaint and answering it within two days.",
)
SURVEY = "Membership clubs lost more members last year than in any year since the survey began."


def _club_docs(
    tmp_path: Path, paragraphs: list[str], lead_in: str, items: int, news: list[str] | None = None
) -> Path:
    """docs/advice.txt: a club report of `paragraphs`, then `lead_in` and the first `items` BULLETS;
    docs/news.txt of `news` paragraphs when given. Returns the folder."""
    docs = tmp_path / "docs"
    docs.mkdir()
    bullets = "".join(f"  • {b}\n" for b in BULLETS[:items])
    body = "".join(f"{p}\n\n" for p in paragraphs)
    (docs / "advice.txt").write_text(
        f"Club report: keeping members\n\n{body}{lead_in}\n\n{bullets}", encoding="utf-8"
    )
    if news:
        text = "".join(f"{p}\n\n" for p in news)
        (docs / "news.txt").write_text(f"Club news: a hard year\n\n{text}", encoding="utf-8")
    return docs


def test_a_list_follows_its_lead_in_and_counts_once(fake_kb, tmp_path) -> None:
    """Bullets share no word with the question; their lead-in does, and brings them up with it."""
    news = [
        "Churn rose at most clubs last year, Orbital says, and it will not reduce soon.",
        "Orbital surveyed two hundred clubs about churn and about what their members want.",
        "Orbital found that churn is highest in January, when new members reduce their visits.",
    ]
    docs = _club_docs(tmp_path, [SURVEY], "To reduce churn, Orbital recommends:", 4, news)
    fake_kb.ingest([docs])
    hits = fake_kb.ask("What does Orbital recommend to reduce churn?", k=6).hits
    texts = [h.text for h in hits]
    assert "To reduce churn, Orbital recommends:" in texts
    items = [k for k, t in enumerate(texts) if t.startswith("•")]
    assert len(items) == 4  # the whole list, though one document fills at most two of six places
    assert all("list" in hits[k].components for k in items)
    assert max(items) < texts.index(
        "Churn rose at most clubs last year, Orbital says, and it will not reduce soon."
    )


def test_list_items_that_retrieval_missed_are_scored_with_their_lead_in(
    fake_kb, tmp_path, monkeypatch
) -> None:
    """The first stage found only the lead-in: its items are fetched, scored and shown all the same."""
    import kb.search as search_module

    doc = _club_docs(tmp_path, [SURVEY], "To reduce churn, Orbital recommends:", 2) / "advice.txt"
    fake_kb.ingest([doc])
    real = search_module.retrieve

    def lead_in_only(store, vindex, query_vector, query, depth):
        found = real(store, vindex, query_vector, query, depth)
        rows = store.passages(list(found.fused))
        lead = [i for i in found.fused if rows[i]["text"].endswith(":")]
        return search_module.Retrieved(
            {i: found.dense.get(i, 0.0) for i in lead}, {}, {i: 1.0 for i in lead}, lead, []
        )

    monkeypatch.setattr(search_module, "retrieve", lead_in_only)
    hits = fake_kb.ask("What does Orbital recommend to reduce churn?", k=5).hits
    assert sorted(h.text[:9] for h in hits) == ["To reduce", "• Calling", "• Pricing"]
    assert all(h.components["list"] > 0 for h in hits if h.text.startswith("•"))


def test_a_list_whose_lead_in_is_capped_out_does_not_take_its_place(fake_kb, tmp_path) -> None:
    """Three places, two per document: a third passage of one document, lead-in or item, waits."""
    advice = [
        "Orbital recommends that clubs reduce churn, and Orbital says churn can fall.",
        "What does Orbital recommend? To reduce churn, Orbital recommends a plan.",
        SURVEY,
    ]
    news = [
        "Churn rose at most clubs last year, and it will not reduce soon.",
        "Members who leave rarely say why, the clubs told the survey.",
    ]
    docs = _club_docs(tmp_path, advice, "To reduce churn, clubs were told:", 2, news)
    fake_kb.ingest([docs])
    hits = fake_kb.ask("What does Orbital recommend to reduce churn?", k=3).hits
    assert sum(h.doc.path.endswith("advice.txt") for h in hits) == 2
    assert any(h.doc.path.endswith("news.txt") for h in hits)
