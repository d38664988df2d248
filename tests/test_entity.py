"""The measured-entity and property rankers: candidate spans, the shipped weights, and where stats use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.extract import entity
from kb.extract.stats import extract_statistics
from kb.records import CleanDoc, Metadata


def records(text: str) -> list:
    return extract_statistics(CleanDoc(path="t.txt", kind="txt", sha="0" * 64, text=text, meta=Metadata()))


def populations(text: str) -> list[tuple[str, str | None]]:
    return [(s.value_text, s.population) for s in records(text)]


def measures(text: str) -> list[tuple[str, str | None]]:
    return [(s.value_text, s.measure) for s in records(text)]


@pytest.fixture
def no_weights(monkeypatch):
    monkeypatch.setattr(entity, "WEIGHTS", Path("/nonexistent/entity_weights.json"))  # both tables
    entity.weights.cache_clear()
    yield
    entity.weights.cache_clear()


def test_candidates_are_word_spans_beside_the_figure() -> None:
    sentence = "After heating, 12 mg of residue remained in the platinum crucible."
    start = sentence.index("12 mg")
    spans, feats = entity.candidates(sentence, start, start + 5, "milligram")
    assert spans and len(spans) == len(feats)
    for a, b in spans:
        text = sentence[a:b]
        assert b <= start or a >= start + 5, text  # never the figure itself
        assert len(text.split()) <= entity.MAX_WORDS
        assert text[0].isalnum() and text[-1].isalnum()
    assert "platinum crucible" in {sentence[a:b] for a, b in spans}


def test_shipped_weights_name_an_entity_the_rules_miss() -> None:
    # no rule matches either sentence: the ranker names the thing measured, not a stray word
    text = "After heating, 12 mg remained in the crucible."
    [(_, named)] = populations(text)
    assert named and named in text and named not in ("12 mg", "mg", "in", "the", "After")
    assert populations("Around 2 mm separated the two electrodes.") == [("2 mm", "two electrodes")]


def test_without_weights_the_rules_choice_stands(no_weights) -> None:
    assert entity.measured_entity("Around 2 mm separated the two electrodes.", 7, 11, "millimeter") is None
    assert populations("Around 2 mm separated the two electrodes.") == [("2 mm", None)]


def test_the_ranker_does_not_replace_a_population_the_rules_found() -> None:
    assert populations("About 27% of nurses said they planned to leave.") == [("27%", "nurses")]
    assert populations("The lake water reached 18 °C in August.") == [("18 °C", "lake water")]


def test_a_figures_own_unit_or_a_preposition_is_not_its_population() -> None:
    [(_, probe)] = populations("The probe recorded 450 K near the vent.")
    assert probe in ("probe", "The probe")
    [(_, wafers)] = populations("Across the silicon wafers, 4 nm was typical.")
    assert wafers in ("silicon wafers", "the silicon wafers")


def test_the_ranker_overrules_a_fallback_rule_in_a_measurement() -> None:
    # the clause rule falls back on "thickness", which is what is measured, not what it is measured on
    text = "Across the silicon wafers, a thickness of 4 nm was typical."
    assert populations(text) == [("4 nm", "silicon wafers")]
    assert measures(text) == [("4 nm", "thickness")]


def test_a_fallback_rules_pick_stands_without_weights(no_weights) -> None:
    assert populations("Across the silicon wafers, a thickness of 4 nm was typical.") == [
        ("4 nm", "thickness")
    ]


def test_a_rule_that_ties_a_phrase_to_the_figure_is_not_overruled() -> None:
    assert populations("The engine is a 275-horsepower motor.") == [("275-horsepower", "motor")]
    assert populations("Around 4 kg of dried sediment was sieved.") == [("4 kg", "dried sediment")]


def test_the_rules_pick_is_evidence_by_rule_and_unit() -> None:
    assert entity.agreement("two electrodes", "two electrodes", "subject", "millimeter") == (
        "rm=eq",
        "rm=eq|subject",
        "rm=eq|measure",
    )
    assert entity.agreement("the two large electrodes", "electrodes", "nearest", "percent")[0] == "rm=lo"
    assert entity.agreement("x", None, None, None) == ("rm=none", "rm=none|none", "rm=none|none")


def test_the_ranker_may_not_name_a_clause() -> None:
    from kb.extract.stats import _plain_np

    for clause in ("China dropped", "Volkswagen says", "Modi pledged that his", "would work out"):
        assert not _plain_np(clause), clause
    # nor a fragment across phrases, a date or a number
    for fragment in (
        "kph) in",
        "Although CBP’s guidelines",
        "November 3",
        "zero",
        "get the equivalent",
        "rate of",
    ):
        assert not _plain_np(fragment), fragment
    for np in (
        "dried sediment",
        "silicon wafers",
        "thermosphere of HD209458b",
        "the small ribosomal subunit (SSU)",
        "Olympic-size swimming pool",
    ):
        assert _plain_np(np), np


def test_an_unacceptable_span_is_never_named() -> None:
    sentence = "Across the silicon wafers, a thickness of 4 nm was typical."
    start = sentence.index("4 nm")
    best = entity.measured_entity(sentence, start, start + 4, "nanometer", "thickness", "clause_np")
    assert best == "silicon wafers"
    refused = entity.measured_entity(
        sentence, start, start + 4, "nanometer", "thickness", "clause_np", lambda np: "wafers" not in np
    )
    assert refused and "wafers" not in refused
    # the rules' own pick is always acceptable: nothing else passes, so it stands
    assert (
        entity.measured_entity(
            sentence, start, start + 4, "nanometer", "thickness", "clause_np", lambda np: False
        )
        == "thickness"
    )


def test_token_f1_is_the_scorers_measure() -> None:
    assert entity.token_f1("the two electrodes", "two electrodes") == pytest.approx(0.8)
    assert entity.token_f1(None, "x") == 0.0


def test_the_property_ranker_names_what_a_measurement_measures() -> None:
    assert measures("The 5318 participants had a mean age of 54.8 years.") == [
        ("5318", None),
        ("54.8 years", "mean age"),
    ]
    assert measures("The cores had a porosity of 0.32 on average.") == [("0.32", "porosity")]


def test_a_measure_is_never_the_population_itself() -> None:
    for text in (
        "The 5318 participants had a mean age of 54.8 years.",
        "The lake water reached 18 °C in August.",
        "Around 2 mm separated the two electrodes.",
    ):
        for s in records(text):
            assert s.measure is None or s.measure != s.population, text


def test_without_the_property_table_a_measure_comes_from_the_rules(no_weights) -> None:
    [_, age] = records("The 5318 participants had a mean age of 54.8 years.")
    assert age.measure != "mean age"
    assert entity.measured_property("a mean age of 54.8 years", 15, 25, "year", None) is None


def test_survey_shares_keep_the_rules_measure() -> None:
    # the property ranker is for measurements; a share's measure is the clause the rules give
    [share] = records("About 27% of nurses said they planned to leave the profession.")
    assert share.measure == "said they planned to leave the profession"
