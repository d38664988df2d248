"""Each rule of the statistics extractor, on sentences of our own (news, science, reports)."""

from __future__ import annotations

import pytest

from kb.extract.stats import extract_statistics
from kb.extract.units import UNITS, canonical_unit
from kb.records import CleanDoc, Metadata


def stats_of(text: str) -> list:
    return extract_statistics(CleanDoc(path="t.txt", kind="txt", sha="0" * 64, text=text, meta=Metadata()))


def figures(text: str) -> list[tuple]:
    return [(s.value_text, s.value, s.unit) for s in stats_of(text)]


@pytest.mark.parametrize(
    ("text", "value_text", "value", "scale"),
    [
        ("The group raised $12.9bn from investors.", "$12.9bn", 12_900_000_000, "bn"),
        ("The county paid $449K for the study.", "$449K", 449_000, "K"),
        ("Losses reached £3.2 million in March.", "£3.2 million", 3_200_000, "million"),
        ("Exports were worth US$1.5 trillion.", "US$1.5 trillion", 1_500_000_000_000, "trillion"),
        ("The fund holds €800m in bonds.", "€800m", 800_000_000, "m"),
        ("The tab came to 5 million dollars.", "5 million dollars", 5_000_000, "million"),
    ],
)
def test_scale_gives_the_real_value(text: str, value_text: str, value: float, scale: str) -> None:
    (s,) = stats_of(text)
    assert (s.value_text, s.value, s.scale, s.unit) == (value_text, value, scale, "currency")


def test_a_range_keeps_both_ends_at_their_scale() -> None:
    (s,) = stats_of("Repairs will cost $40-50 billion, engineers estimate.")
    assert (s.value, s.value_high, s.value_text) == (40e9, 50e9, "$40-50 billion")


@pytest.mark.parametrize(
    ("text", "value_text", "value", "unit"),
    [
        ("The new plant adds 1.2 GW of capacity to the grid.", "1.2 GW", 1.2, "gigawatt"),
        ("Its turbines are rated at 15 MW each.", "15 MW", 15, "megawatt"),
        ("The pack stores 82 kWh of energy.", "82 kWh", 82, "kilowatt_hour"),
        ("Each tablet contains 250 mg of the drug.", "250 mg", 250, "milligram"),
        ("The bag weighs 13–17 ounces when full.", "13–17 ounces", 13, "ounce"),
        ("The trail runs 26 miles through the park.", "26 miles", 26, "mile"),
        ("The ship was stopped 12 km from the coast.", "12 km", 12, "kilometer"),
        ("The crane can lift 40 tons at once.", "40 tons", 40, "short_ton"),
        ("The engine makes 300 hp and 280 lb-ft of torque.", "300 hp", 300, "horsepower"),
        ("Water boils at 100 °C at sea level.", "100 °C", 100, "degree_Celsius"),
        ("Fasting glucose above 7.0 mmol/L indicates diabetes.", "7.0 mmol/L", 7.0, "millimolar"),
        ("The alloy contains 2.5 wt.% copper.", "2.5 wt.%", 2.5, "percent"),
        ("Participants had a mean age of 42 years.", "42 years", 42, "year"),
        ("Panels now cost $0.30/W to install.", "$0.30/W", 0.3, "currency"),
    ],
)
def test_measurements_with_units(text: str, value_text: str, value: float, unit: str) -> None:
    assert (value_text, value, unit) in figures(text)


def test_the_written_unit_is_kept_beside_the_normalised_one() -> None:
    (s,) = stats_of("The trail runs 26 miles through the park.")
    assert (s.unit, s.unit_text) == ("mile", "miles")


def test_tolerance_approximate_and_lists() -> None:
    (s,) = stats_of("The subjects were 42 ± 11 years old on average.")
    assert (s.value, s.tolerance, s.unit) == (42, 11, "year")
    (s,) = stats_of("The layer is ∼20 m thick.")
    assert (s.value, s.value_text, s.qualifier) == (20, "∼20 m", "∼")
    listed = stats_of("The two wells reached 2619.6 and 2614.7 m depth.")
    assert [(s.value, s.unit) for s in listed] == [(2619.6, "meter"), (2614.7, "meter")]
    (s,) = stats_of("The core spans depths from 2605 m to 2634 m.")
    assert (s.value, s.value_high) == (2605, 2634)


@pytest.mark.parametrize(
    ("text", "value", "population"),
    [
        ("The trial enrolled 496 adolescent girls from six schools.", 496, "adolescent girls"),
        ("More than 4,000 people attended the rally.", 4000, "people"),
        ("The airline ordered 30 Boeing jets this year.", 30, "Boeing jets"),
        ("Five samples were taken from each site.", 5, "samples"),
    ],
)
def test_counts_of_people_and_things(text: str, value: float, population: str) -> None:
    found = [s for s in stats_of(text) if s.unit == "count" and s.value == value]
    assert found and found[0].population == population


@pytest.mark.parametrize(
    ("text", "values", "change"),
    [
        ("The index fell 0.5% on Friday.", [0.5], "down"),
        ("Shares were up 0.35% in early trading.", [0.35], "up"),
        ("Sales plunged 10 percent in the quarter.", [10], "down"),
        ("The tax rose from 23% to 35% in a decade.", [23, 35], "up"),
        ("Costs dropped from $4 million to $3 million.", [4e6, 3e6], "down"),
    ],
)
def test_changes_and_their_direction(text: str, values: list[float], change: str) -> None:
    found = stats_of(text)
    assert [s.value for s in found] == values
    assert all(s.change == change for s in found)


@pytest.mark.parametrize(
    "text",
    [
        "Boeing delayed the 777X again.",
        "The index .DJI closed higher.",
        "The S&P 500 closed the week flat.",
        "Jane Smith, 45, runs the bakery.",
        "The store at 1200 Market Street reopened.",
        "Call (212) 555-0199 for tickets.",
        "The meeting is on March 12, 2024 at 10 a.m.",
        "1. Open the lid and wait.",
        "See Table 2 and Fig. 3 for details.",
        "In Study 2, participants were told nothing.",
        "In survey 6,200, the CIO and the CMO agreed.",
        "COVID-19 cases were reported in the city.",
        "The 1990s were a decade of growth.",
        "A 401(k) plan is offered to staff.",
    ],
)
def test_not_statistics(text: str) -> None:
    assert figures(text) == []


def test_multipliers_and_shares_in_words() -> None:
    assert figures("Solar is now three times cheaper than coal.") == [("three times", 3, "times")]
    assert figures("The ads generate twice the clicks.") == [("twice", 2, "times")]
    (s,) = stats_of("Nearly one-third of voters stayed home.")
    assert s.value == 100 / 3 and s.value_text == "one-third"  # not rounded


def test_population_measure_and_period() -> None:
    (s,) = stats_of("Comparable sales rose 3.6 percent in the third quarter.")
    assert s.population == "Comparable sales" and s.change == "up"
    (s,) = stats_of("The company reported revenue of $27.53 billion in 2019.")
    assert s.population == "revenue" and s.period == "in 2019"
    (s,) = stats_of("The car gets a 275-horsepower electric motor.")
    assert s.population == "electric motor"


def test_a_source_is_not_borrowed_from_another_paragraph() -> None:
    text = (
        "A survey by Gallup of 1,000 adults found that 40 percent of them trust the press.\n\n"
        "The newspaper spent $4 million on a new printing press.\n\n"
        "According to Edmunds.com, the average car costs $47,000."
    )
    found = stats_of(text)
    by_text = {s.value_text: s for s in found}
    assert by_text["40 percent"].source == "Gallup" and by_text["40 percent"].sample_size == 1000
    assert by_text["$4 million"].source is None and by_text["$4 million"].sample_size is None
    assert by_text["$47,000"].source == "Edmunds.com"


def test_value_text_is_verbatim_at_its_offsets() -> None:
    text = "Revenue rose 3.5 percent to $27.2 billion, and 11 of the 12 cities grew."
    for s in stats_of(text):
        assert text[s.start : s.end] == s.value_text
        assert text[s.sentence_start : s.sentence_end] == s.sentence


def test_unit_names_are_pint_units() -> None:
    pint = pytest.importorskip("pint")
    ureg = pint.UnitRegistry()
    # kb's own record units, and a few domain units pint does not define
    skip = {
        "times",
        "planetary_radius",
        "night",
        "beats_per_minute",
        "cell / milliliter",
        "base_pair",
        "parts_per_billion",
        "parts_per_trillion",
    }
    for _, name in UNITS:
        if name not in skip:
            ureg.parse_units(name)  # raises if pint does not know it
    assert canonical_unit("km") == "kilometer" and canonical_unit("%") == "percent"
    assert canonical_unit("EUR") == "currency" and canonical_unit("percnt") is None
