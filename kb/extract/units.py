"""The tables the statistics extractor reads: number words, scales, currencies, units.

Every rule about *what a figure is* lives here as data, so that a reader can see at a glance
what kb recognises and a new unit is one line. Unit names are pint's canonical names
(`pint.UnitRegistry().parse_units(name)` accepts each; tests/test_units.py checks), so a
record's `unit` can be handed to pint for conversion; the written form is kept in `unit_text`.
"""

from __future__ import annotations

import re
from fractions import Fraction

# -- numbers written as words -------------------------------------------------------------

UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
MULTIPLIER_WORDS = {"hundred": 100, "thousand": 1_000, "dozen": 12}

# Shares written as words: value in percent, exact (no rounding: one-third is 100/3).
FRACTION_WORDS = {
    "half": Fraction(1, 2), "third": Fraction(1, 3), "quarter": Fraction(1, 4), "fifth": Fraction(1, 5),
    "sixth": Fraction(1, 6), "eighth": Fraction(1, 8), "tenth": Fraction(1, 10),
}  # fmt: skip

# Scale words after a number: "$12.9bn" is 12,900,000,000. Letters are scales only after a
# currency ("$449K", "£5m"); after a bare number "5 m" is metres.
SCALES = {
    "hundred": 10**2, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
    "mn": 10**6, "mln": 10**6, "bn": 10**9, "tn": 10**12, "trn": 10**12, "lakh": 10**5, "crore": 10**7,
}  # fmt: skip
CURRENCY_SCALES = {"k": 10**3, "K": 10**3, "m": 10**6, "M": 10**6, "b": 10**9, "B": 10**9, "bil": 10**9}

# -- currencies ---------------------------------------------------------------------------

CURRENCY_SIGNS = {
    "US$": "USD", "A$": "AUD", "C$": "CAD", "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "R$": "BRL",
    "$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR", "Rs.": "INR", "Rs": "INR", "₩": "KRW",
}  # fmt: skip
CURRENCY_CODES = ("USD", "EUR", "GBP", "JPY", "CNY", "INR", "CAD", "AUD", "CHF", "RMB", "KRW", "BRL")
CURRENCY_WORDS = {
    "dollars": "USD", "dollar": "USD", "euros": "EUR", "euro": "EUR", "pounds sterling": "GBP",
    "yen": "JPY", "yuan": "CNY", "rupees": "INR", "pesos": "MXN", "cents": "USD", "pence": "GBP",
}  # fmt: skip

# -- units --------------------------------------------------------------------------------
# (written forms, pint name). Forms are matched whole, longest first; symbols are
# case-sensitive ("mg" is not "Mg"), words are not. A unit may follow the number after a
# space, a hyphen ("275-horsepower") or nothing ("5mg").

UNITS: list[tuple[tuple[str, ...], str]] = [
    # shares and multipliers
    (
        ("%", "percent", "per cent", "pct", "percentage points", "percentage point", "points", "pts"),
        "percent",
    ),
    (("times", "x", "-fold", "fold", "×"), "times"),
    (("‰", "per mil", "per mille"), "permille"),
    # length
    (("km", "kilometres", "kilometers", "kilometre", "kilometer"), "kilometer"),
    (("m", "metres", "meters", "metre", "meter"), "meter"),
    (("cm", "centimetres", "centimeters", "centimetre", "centimeter"), "centimeter"),
    (("mm", "millimetres", "millimeters", "millimetre", "millimeter"), "millimeter"),
    (("μm", "µm", "um", "microns", "micron", "micrometres", "micrometers"), "micrometer"),
    (("nm", "nanometres", "nanometers", "nanometre", "nanometer"), "nanometer"),
    (("miles", "mile", "mi"), "mile"),
    (("feet", "foot", "ft"), "foot"),
    (("inches", "inch", "in."), "inch"),
    (("yards", "yard", "yd"), "yard"),
    (("light-years", "light years", "light-year"), "light_year"),
    (("AU",), "astronomical_unit"),
    (("Rp", "RJ", "R⊕"), "planetary_radius"),
    # area and volume
    (("km2", "km²", "square kilometres", "square kilometers"), "kilometer ** 2"),
    (("m2", "m²", "square metres", "square meters"), "meter ** 2"),
    (("cm2", "cm²"), "centimeter ** 2"),
    (("square miles", "square mile", "sq mi"), "mile ** 2"),
    (("square feet", "square foot", "sq ft"), "foot ** 2"),
    (("acres", "acre"), "acre"),
    (("hectares", "hectare", "ha"), "hectare"),
    (("m3", "m³", "cubic metres", "cubic meters"), "meter ** 3"),
    (("cm3", "cm³", "cc"), "centimeter ** 3"),
    (("cubic feet", "cubic foot", "cu ft"), "foot ** 3"),
    (("litres", "liters", "litre", "liter", "L", "l"), "liter"),
    (("mL", "ml", "millilitres", "milliliters"), "milliliter"),
    (("μL", "µL", "μl", "µl", "microlitres", "microliters"), "microliter"),
    (("gallons", "gallon", "gal"), "gallon"),
    (("barrels", "barrel", "bbl"), "oil_barrel"),
    # mass
    (("kg", "kilograms", "kilogram", "kilos", "kilo"), "kilogram"),
    (("g", "grams", "gram", "gm"), "gram"),
    (("mg", "milligrams", "milligram"), "milligram"),
    (("μg", "µg", "ug", "micrograms", "microgram", "mcg"), "microgram"),
    (("ng", "nanograms"), "nanogram"),
    (("metric tons", "metric tonnes", "tonnes", "tonne", "t"), "metric_ton"),
    (("tons", "ton"), "short_ton"),
    (("Mt", "megatonnes", "megatons"), "megametric_ton"),
    (("Gt", "gigatonnes", "gigatons"), "gigametric_ton"),
    (("pounds", "pound", "lbs", "lb"), "pound"),
    (("ounces", "ounce", "oz"), "ounce"),
    # time
    (("years", "year", "yrs", "yr"), "year"),
    (("months", "month"), "month"),
    (("weeks", "week", "wk"), "week"),
    (("days", "day", "d"), "days"),
    (("nights", "night"), "night"),
    (("hours", "hour", "hrs", "hr", "h"), "hour"),
    (("minutes", "minute", "mins", "min"), "minute"),
    (("seconds", "second", "secs", "sec", "s"), "second"),
    (("ms", "milliseconds", "millisecond"), "millisecond"),
    (("μs", "µs", "microseconds"), "microsecond"),
    (("ka", "kyr"), "kiloyear"),
    (("byr", "Byr"), "gigayear"),
    (("Ma", "Myr"), "megayear"),
    (("Ga", "Gyr"), "gigayear"),
    # energy, power, electricity
    (("GW", "gigawatts", "gigawatt"), "gigawatt"),
    (("MW", "megawatts", "megawatt"), "megawatt"),
    (("kW", "kilowatts", "kilowatt"), "kilowatt"),
    (("W", "watts", "watt"), "watt"),
    (("TWh", "terawatt-hours", "terawatt hours"), "terawatt_hour"),
    (("GWh", "gigawatt-hours", "gigawatt hours"), "gigawatt_hour"),
    (("MWh", "megawatt-hours", "megawatt hours"), "megawatt_hour"),
    (("kWh", "kilowatt-hours", "kilowatt hours", "kilowatt-hour"), "kilowatt_hour"),
    (("J", "joules", "joule"), "joule"),
    (("kJ", "kilojoules"), "kilojoule"),
    (("MJ", "megajoules"), "megajoule"),
    (("eV", "electronvolts"), "electron_volt"),
    (("keV",), "kiloelectron_volt"),
    (("MeV",), "megaelectron_volt"),
    (("kcal", "calories", "calorie", "cal"), "kilocalorie"),
    (("V", "volts", "volt"), "volt"),
    (("mV", "millivolts"), "millivolt"),
    (("kV", "kilovolts"), "kilovolt"),
    (("A", "amps", "amperes"), "ampere"),
    (("mA", "milliamps"), "milliampere"),
    (("mAh",), "milliampere_hour"),
    (("Ω", "ohms", "ohm"), "ohms"),
    (("hp", "horsepower", "bhp"), "horsepower"),
    (("lb-ft", "lb.-ft.", "pound-feet", "pound-foot", "lb ft"), "foot_pound"),
    (("Nm", "N·m", "newton-metres", "newton meters"), "newton * meter"),
    (("N", "newtons", "newton"), "newton"),
    (("kN", "kilonewtons"), "kilonewton"),
    # speed, rate, frequency
    (("mph", "miles per hour"), "mile / hour"),
    (("km/h", "kph", "kilometres per hour", "kilometers per hour"), "kilometer / hour"),
    (("m/s", "m s−1", "m s-1", "metres per second", "meters per second"), "meter / second"),
    (("km/s", "km s−1", "km s-1"), "kilometer / second"),
    (("mpg", "miles per gallon"), "mile / gallon"),
    (("Hz", "hertz"), "hertz"),
    (("kHz",), "kilohertz"),
    (("MHz",), "megahertz"),
    (("GHz",), "gigahertz"),
    (("rpm",), "revolutions_per_minute"),
    (("bpm",), "beats_per_minute"),
    (("Mbps", "Mbit/s"), "megabit / second"),
    (("Gbps", "Gbit/s"), "gigabit / second"),
    # temperature, pressure
    (("°C", "ºC", "° C", "degrees Celsius", "degrees celsius", "degrees C", "C°"), "degree_Celsius"),
    (("°F", "ºF", "° F", "degrees Fahrenheit", "degrees fahrenheit", "degrees F"), "degree_Fahrenheit"),
    (("K", "kelvin", "kelvins"), "kelvin"),
    (("°", "degrees", "degree"), "degree"),
    (("Pa", "pascals"), "pascal"),
    (("kPa",), "kilopascal"),
    (("MPa",), "megapascal"),
    (("GPa",), "gigapascal"),
    (("bar", "bars"), "bars"),
    (("mbar",), "millibar"),
    (("μbar", "µbar"), "microbar"),
    (("atm",), "atmosphere"),
    (("psi",), "pound_force_per_square_inch"),
    (("mmHg",), "millimeter_Hg"),
    # concentration and chemistry
    (("mmol/L", "mmol/l", "mmol L−1", "mM"), "millimolar"),
    (("μmol/L", "µmol/L", "μM", "µM"), "micromolar"),
    (("mol/L", "M"), "molar"),
    (("mol", "moles"), "mole"),
    (("mmol",), "millimole"),
    (("mg/L", "mg/l", "mg L−1"), "milligram / liter"),
    (("mg/kg", "mg kg−1"), "milligram / kilogram"),
    (("g/L", "g/l", "g L−1"), "gram / liter"),
    (("g/mol", "g mol−1", "g mol-1"), "gram / mole"),
    (("mg/dL", "mg/dl"), "milligram / deciliter"),
    (("ppm",), "ppm"),
    (("ppb",), "parts_per_billion"),
    (("ppt",), "parts_per_trillion"),
    (("Å", "angstroms", "ångströms"), "angstrom"),
    (("mdeg",), "millidegree"),
    (("°N", "°S", "°E", "°W"), "degree"),
    (("nJ",), "nanojoule"),
    (("μJ", "µJ"), "microjoule"),
    (("mJ",), "millijoule"),
    (("U/ml", "U/mL", "IU"), "enzyme_unit"),
    (("cells/ml", "cells/mL"), "cell / milliliter"),
    (("wt.%", "wt%", "wt. %", "mol%", "vol%", "at.%"), "percent"),
    (("dB", "decibels"), "decibel"),
    (("cm−1", "cm-1"), "1 / centimeter"),
    (("Da", "kDa"), "dalton"),
    (("bp", "kb", "Mb"), "base_pair"),
    # data
    (("TB", "terabytes"), "terabyte"),
    (("GB", "gigabytes"), "gigabyte"),
    (("MB", "megabytes"), "megabyte"),
    (("KB", "kilobytes"), "kilobyte"),
]

# What people write after a figure that makes it a rate ("$1.4 billion per month").
RATE_WORDS = r"(?:per|a|an|each|every|/)"

# -- change words -------------------------------------------------------------------------

UP_WORDS = (
    "rose rise rises rising risen increased increase increases increasing grew grow grows growing "
    "climbed climb climbs jumped jump jumps soared soar soars surged surge surges gained gain gains "
    "up higher raised raise raises boosted boost added doubled tripled spiked rebounded expanded "
    "expand improved"
).split()
DOWN_WORDS = (
    "fell fall falls falling fallen dropped drop drops dropping declined decline declines declining "
    "decreased decrease decreases decreasing plunged plunge plunges sank sink sinks sinking slid "
    "slide slides slipped slip tumbled tumble lost lose loses down lower lowered lowering cut cuts "
    "reduced reduce reduces reducing shrank shrink shrinks slumped slump dipped dip eased contracted "
    "lowering"
).split()

# -- words around a number that make it something other than a statistic ------------------

MONTHS = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
).split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()

# A number right after one of these is a label, not a quantity ("Table 2", "No. 5", "page 4").
LABEL_WORDS = (
    "fig fig. figs figure figures table tables eq eq. eqs equation equations section sections sec "
    "chapter chapters appendix page pages p. pp. no. nos. # step steps part parts level phase stage "
    "grade class category type version v ver. ver release model series route highway interstate "
    "flight room suite apt apartment unit building floor gate platform lane exit article rule title "
    "item items question questions ref ref. refs. reference references line lines sample samples "
    "experiment case patient site station plot zone district ward precinct episode season week "
    "day round game act vol. vol volume issue number survey surveys study studies wave trial cohort"
).split()

# After these, a number in a name stays a name ("Fortune 500", "Boeing 777X", "S&P 500").
NAME_NUMBER = re.compile(
    r"(?:Fortune|S&P|Russell|FTSE|Nikkei|Dow|DAX|CAC|Nasdaq|Boeing|Airbus|Model|Series|Galaxy|iPhone|"
    r"Windows|Android|iOS|Office|Xbox|PlayStation|Apollo|Artemis|Gemini|Covid|COVID|Section|Title|"
    r"Chapter|Proposition|Prop\.|Measure|Amendment|Highway|Route|Interstate|Flight|Formula|Pixel|Mark|"
    r"Gen|Level|Class|Category|Type|Phase|Stage|Grade|Tier|Studio|Channel|Ch\.|Top|Fig\.|Figure|Table|"
    r"Eq\.|Equation|Appendix|Page|Vol\.|No\.)\s$"
)

# Things counted in ordinary prose, not statistics, when a small number word counts them
# ("two new studies", "in two stages", "the two sides"); "six safety systems" is a figure.
DISCOURSE_NOUNS = frozenset(
    (
        "studies stages sides ways reasons steps parts things types kinds options questions examples "
        "factors roles functions aspects elements issues ideas words levels sections chapters pieces sets "
        "categories approaches methods components dimensions terms goals priorities challenges lessons tips "
        "rules principles pillars areas fronts camps phases rounds versions times occasions moments decades "
        "generations sentences paragraphs letters points things others ones leaders executives groups"
    ).split()
)


# Record units that are not pint units: what `kb stats --unit` also accepts for them.
RECORD_UNITS = {
    "percent": ("percent", "%", "pct", "percentage", "per cent", "percentage points", "points"),
    "currency": ("currency", "money", "$", "£", "€", "¥"),
    "count": ("count", "counts", "number", "people"),
    "times": ("times", "x", "multiplier", "fold"),
    "dimensionless": ("dimensionless", "ratio", "number without unit", "unitless"),
}


def canonical_unit(text: str) -> str | None:
    """The record unit a user means by `text`: 'km' -> 'kilometer', '%' -> 'percent', 'USD' -> 'currency'."""
    t = text.strip()
    low = t.lower()
    for name, forms in RECORD_UNITS.items():
        if low in forms:
            return name
    if t.upper() in CURRENCY_CODES or t in CURRENCY_SIGNS or low in CURRENCY_WORDS:
        return "currency"
    for written, name in UNITS:
        if t in written or low in (w.lower() for w in written) or low == name.lower():
            return name
    return None
