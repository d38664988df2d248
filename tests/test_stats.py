"""Statistics extraction on varied sentences of our own (news, reports, other topics)."""

from __future__ import annotations

import pytest

from kb.extract.stats import extract_statistics, parse_number
from kb.records import CleanDoc, Metadata


def stats_of(text: str) -> list:
    return extract_statistics(CleanDoc(path="t.txt", kind="txt", sha="0" * 64, text=text, meta=Metadata()))


def one(text: str):
    found = stats_of(text)
    assert len(found) == 1, [(s.value, s.unit, s.value_text) for s in found]
    return found[0]


@pytest.mark.parametrize(
    ("text", "value", "unit", "population"),
    [
        ("About 27% of nurses said they planned to leave the profession.", 27, "percent", "nurses"),
        ("Sixty-two percent of voters backed the measure.", 62, "percent", "voters"),
        ("Only 9 per cent of small businesses export goods.", 9, "percent", "small businesses"),
        ("Shares fell 12% after the announcement.", 12, "percent", None),
        ("Electric cars are 3x cheaper to run than petrol cars.", 3, "times", None),
        ("Renters were 2.5 times more likely to move within a year.", 2.5, "times", None),
        ("The city spent $4.5 million on the new bridge.", 4_500_000, "currency", None),
        ("The survey polled 2,000 adults in March.", 2000, "count", "adults"),
    ],
)
def test_single_figures(text: str, value: float, unit: str, population: str | None) -> None:
    s = one(text)
    assert s.value == value and s.unit == unit
    if population:
        assert s.population == population
    assert text[s.start - 0 : s.end] == s.value_text
    assert s.sentence == text


def test_qualifier_and_verbatim_value() -> None:
    s = one("Nearly 40 percent of teachers reported burnout.")
    assert s.qualifier == "nearly" and s.value_text == "40 percent"


def test_range() -> None:
    s = one("Between 20 and 30 percent of patients respond to the drug.")
    assert (s.value, s.value_high, s.unit) == (20, 30, "percent")


def test_rose_from_to_gives_two_figures() -> None:
    found = stats_of("Unemployment rose from 4% to 9% over two years.")
    assert [(s.value, s.unit) for s in found] == [(4, "percent"), (9, "percent")]


def test_fractions_only_without_explicit_figure() -> None:
    assert [(s.value, s.unit) for s in stats_of("Two-thirds of respondents agreed.")] == [
        (200 / 3, "percent")
    ]
    assert [s.value for s in stats_of("Nearly two-thirds (64 percent) of marketers agreed.")] == [64]
    assert [s.value for s in stats_of("One in five children lives in poverty.")] == [20]
    assert [s.value for s in stats_of("A third of the budget went to staff.")] == [100 / 3]


def test_currency_codes() -> None:
    assert one("Revenue reached €200 million last year.").currency_code == "EUR"
    assert one("The fine was £30,000.").currency_code == "GBP"


@pytest.mark.parametrize(
    "text",
    [
        "The report was published on Oct 04, 2010.",
        "In early 2006 the company hired a new chief executive.",
        "Two new studies show the trend is real.",
        "The two functions have been on a collision course.",
        "Growth was measured over the past three years.",
        "Call 555-0123 to book.",
        "They outperformed their Fortune 500 counterparts.",
        "Step 3 is to review the plan with your team.",
        "Draft of 12 March 2024, part 2 of 3.",
        "He was promoted two weeks ago.",
    ],
)
def test_non_statistics(text: str) -> None:
    assert stats_of(text) == []


def test_population_from_comparison_and_pronouns() -> None:
    text = (
        "CIOs are far more likely than CMOs to say it improved: 34 percent versus 25 percent. "
        "Engineers had their say as well: 30 percent noted delays; 39 percent of them said costs rose."
    )
    found = stats_of(text)
    assert [(s.value, s.population) for s in found] == [
        (34, "CIOs"),
        (25, "CMOs"),
        (30, "Engineers"),
        (39, "Engineers"),
    ]


def test_source_resolved_across_sentences() -> None:
    text = (
        "A new survey by the Pew Research Center covered the topic. "
        "According to the survey, 45 percent of adults use the app daily."
    )
    s = stats_of(text)[-1]
    assert s.source and "Pew Research Center" in s.source


def test_parse_number() -> None:
    assert parse_number("1,100") == 1100
    assert parse_number("Forty-five") == 45
    assert parse_number("1.3") == 1.3
    assert parse_number("many") is None
