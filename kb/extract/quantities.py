"""Find the quantities in one sentence: number, scale, currency, unit, range, tolerance, rate.

`find_quantities(sentence)` returns each figure with offsets relative to the sentence and its
value as the quantity the words state ("$12.9bn" -> 12,900,000,000; "one-third" -> 100/3
percent), computed with exact decimals so nothing is rounded. Whether a number is a
statistic at all (not a date, a year, a label like "Table 2", a model name like "777X", a
phone number) is decided here too, from the tables in `kb.extract.units`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from kb.extract import units as tables

# -- number grammar -----------------------------------------------------------------------

DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_UNITW = "|".join(sorted(tables.UNIT_WORDS, key=len, reverse=True))
_TENSW = "|".join(tables.TENS_WORDS)
_ONE_NINE = "|".join(list(tables.UNIT_WORDS)[1:10])
WORDNUM = (
    rf"(?:(?:{_TENSW})(?:[-\s](?:{_ONE_NINE}))?|{_UNITW}|a)"
    r"(?:[-\s]and[-\s]a[-\s]half)?(?:\s(?:hundred|thousand|dozen))?"
    r"|a\sdozen|dozen"
)
_FRACTION = (
    r"(?:(?:one|two|three|four|five|seven|nine|a|an)[-\s])?(?:halves|half|thirds?|quarters?|fifths?|sixths?|"
    r"eighths?|tenths?)"
)
# The start of a figure: digits, a number word, a share in words, "one in five", "twice".
_CORE = re.compile(
    rf"(?P<oneinb>(?<![\w.])(?P<a>one|two|three|four|\d+)\s(?:in|out\sof)\s(?P<b>{WORDNUM}|\d+)\b)"
    rf"|(?P<frac>(?<![\w-])(?:{_FRACTION})\b)"
    rf"|(?P<twice>\b(?:twice|thrice)\b)"
    rf"|(?P<num>(?<![\w.,])(?:{DIGITS})|(?<![\w-])(?:{WORDNUM})\b)",
    re.I,
)
_NUM = re.compile(rf"(?:{DIGITS})|(?:{WORDNUM})\b", re.I)
_SIGN = re.compile(r"(?P<sign>US\$|A\$|C\$|NZ\$|HK\$|S\$|R\$|Rs\.?|[$£€¥₹₩])\s?$")
_SIGN_AT = re.compile(r"(?P<sign>US\$|A\$|C\$|NZ\$|HK\$|S\$|R\$|[$£€¥₹₩])\s?")
_CODE = re.compile(r"\b(?P<code>" + "|".join(tables.CURRENCY_CODES) + r")\s?$")
_PREFIX = re.compile(r"(?P<pre>[~∼≈<>≤≥±]|(?<![\w)])[−-](?=\d))\s?$")
_SCALE_WORD = re.compile(
    r"[\s-]?(?P<scale>" + "|".join(sorted(tables.SCALES, key=len, reverse=True)) + r")\b(?!-)", re.I
)
_CURRENCY_SCALE = re.compile(r"\s?(?P<scale>bil|[kKmMbB])\b(?![-'’])")
_CURRENCY_WORD = re.compile(
    r"[\s-](?P<word>" + "|".join(sorted(tables.CURRENCY_WORDS, key=len, reverse=True)) + r")\b", re.I
)
_TOLERANCE = re.compile(rf"\s?(?:±|\+/-|\+-)\s?(?P<tol>{DIGITS})")
_RANGE_SEP = re.compile(r"\s?(?P<sep>[-–—]|to|and|or)\s?", re.I)
_TIMES_NEXT = re.compile(
    r"\s*(?:more|less|fewer|higher|lower|greater|faster|slower|larger|bigger|smaller|cheaper|as|"
    r"the|that|over|above|below|what|their|its|his|her|our|stronger|longer|richer|likelier|likely)\b",
    re.I,
)


def _unit_pattern() -> re.Pattern[str]:
    """One alternation over every written unit form, longest first."""
    forms: list[tuple[str, str]] = []
    for written, name in tables.UNITS:
        for w in written:
            forms.append((w, name))
    forms.sort(key=lambda f: -len(f[0]))
    parts = []
    for w, _ in forms:
        esc = re.escape(w)
        # symbols are case-sensitive; words are not (a word is 4+ letters, or lower-case with a space)
        if re.fullmatch(r"[A-Za-z][a-z]{3,}(?:[ -][A-Za-z]+)*", w):
            parts.append(f"(?i:{esc})")
        else:
            parts.append(esc)
    return re.compile(r"(?P<sep>[\s\u00a0]{0,2}|-)(?P<unit>" + "|".join(parts) + r")(?![\w%°])")


_UNIT = _unit_pattern()
_UNIT_NAMES = {w.lower(): n for written, n in tables.UNITS for w in written}
_UNIT_EXACT = {w: n for written, n in tables.UNITS for w in written}
_MONTH = "|".join(tables.MONTHS)
_DATE_BEFORE = re.compile(rf"\b(?:{_MONTH})\.?\s$")
_DATE_AFTER = re.compile(rf"^(?:st|nd|rd|th)?\s(?:of\s)?(?:{_MONTH})\b|^(?:st|nd|rd|th)\b")
_TIME_OF_DAY = re.compile(
    r"^(?::\d{2}|\s?(?:a\.m\.|p\.m\.|am\b|pm\b|AM\b|PM\b|o['’]clock|GMT|ET|EST|PST|UTC))"
)
_PHONE = re.compile(r"^\d{3}\)?[-.\s]\d{3}[-.]\d{4}|^\d{3}[-.]\d{4}\b|^\d{1}-\d{3}-\d{3}")
_STREET = re.compile(
    r"^\s(?:[NSEW]\.?\s)?(?:[A-Z][a-z]+\s){1,3}(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|"
    r"Lane|Ln\.?|Drive|Dr\.?|Way|Place|Pl\.?|Court|Ct\.?|Parkway|Pkwy\.?|Square|Plaza)\b"
)
_LABEL_BEFORE = re.compile(
    r"(?:^|[\s(\[])(?:" + "|".join(re.escape(w) for w in tables.LABEL_WORDS) + r")\s?$", re.I
)
_NAME_OK = re.compile(
    r"(?:In|Of|For|With|At|By|From|About|Some|Only|Just|All|The|Those|These|Its|Their|And|But|Or|To|Over|"
    r"Under|Nearly|Almost|Around|Roughly|Approximately|Another|Each|Every|Exactly|More|Less|Fewer|Than|"
    r"Since|Until|After|Before|During|Among|Between|Within|Up|Down|Some|Around|Another|Most|Least|Another|"
    r"Almost|Below|Above|Like|Another|Another|Estimated|An|A|Nearly|Only|Top|Overall|Another|Of)\s$"
)
_TIME_UNITS = {"year", "month", "week", "day", "hour", "minute", "second", "night"}
_POINTS_CUE = re.compile(
    r"\b(?:by|of|up|down|rose|rise|fell|fall|gained|gain|lost|led|lead|leads|trail\w*|margin|than|dropped|"
    r"jumped|climbed|slipped)\s+(?:(?:about|nearly|some|almost|roughly|just|over|more than)\s+)?\S+$",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Quantity:
    """One figure in a sentence; offsets relative to the sentence."""

    start: int
    end: int
    value: float
    unit: str  # percent | times | currency | count | dimensionless | a pint unit name
    unit_text: str | None = None  # the unit as written ("%", "bn", "lb-ft")
    value_high: float | None = None
    scale: str | None = None  # the scale as written ("billion", "K")
    currency: str | None = None  # ISO 4217 code
    per: str | None = None  # "$1.4 billion per month" -> "month"
    tolerance: float | None = None
    prefix: str | None = None  # "~", "<", "±" as written before the number
    role: str = "single"  # single | range | list | from | to
    number_end: int = 0  # end of the number (and unit) before any trailing noun


def _decimal(text: str) -> Decimal | None:
    t = text.strip().lower().replace(",", "")
    try:
        return Decimal(t)
    except InvalidOperation:
        pass
    half = False
    m = re.match(r"(.*?)[-\s]and[-\s]a[-\s]half$", t)
    if m:
        t, half = m.group(1), True
    mult = 1
    m = re.match(r"(.*?)\s(hundred|thousand|dozen)$", t)
    if m:
        t, mult = m.group(1), tables.MULTIPLIER_WORDS[m.group(2)]
    if t in ("a dozen", "dozen"):
        return Decimal(12)
    if t == "a":
        total = 1 if mult > 1 else None
        if total is None:
            return None
    else:
        total = 0
        for p in re.split(r"[-\s]+", t):
            if p in tables.TENS_WORDS:
                total += tables.TENS_WORDS[p]
            elif p in tables.UNIT_WORDS:
                total += tables.UNIT_WORDS[p]
            else:
                return None
    value = Decimal(total) * mult
    return value + Decimal("0.5") if half else value


def parse_number(text: str) -> float | None:
    """'1,100' -> 1100, '1.3' -> 1.3, 'Forty-five' -> 45, 'five-and-a-half' -> 5.5; None if not a number."""
    d = _decimal(text)
    return float(d) if d is not None else None


def _fraction_value(text: str) -> Fraction | None:
    """'two-thirds' -> 2/3, 'half' -> 1/2, 'a quarter' -> 1/4."""
    parts = re.split(r"[-\s]+", text.lower())
    head = parts[-1]
    head = {"halves": "half"}.get(head, head.rstrip("s") if head != "halves" else "half")
    base = tables.FRACTION_WORDS.get(head)
    if base is None:
        return None
    n = 1
    if len(parts) > 1 and parts[0] not in ("a", "an"):
        n = tables.UNIT_WORDS.get(parts[0], 0)
    return base * n if n else None


def _scaled(d: Decimal, scale: str | None, table: dict[str, int]) -> float:
    if scale:
        factor = table.get(scale) or table.get(scale.lower()) or tables.SCALES.get(scale.lower(), 1)
        d = d * factor
    return float(d)


@dataclass(slots=True)
class _Num:
    start: int
    end: int
    dec: Decimal
    scale: str | None = None
    factor_table: dict[str, int] | None = None
    currency: str | None = None
    prefix: str | None = None

    def value(self) -> float:
        return _scaled(self.dec, self.scale, self.factor_table or tables.SCALES)


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SCI = re.compile(r"\s?[×x]\s?10(?:\^|\s)?(?P<exp>[−-]?\d{1,3}|[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})(?!\d)")


def _read_number(s: str, start: int, end: int, currency: str | None) -> _Num | None:
    """The number at s[start:end] with any scale word after it."""
    d = _decimal(s[start:end])
    if d is None:
        return None
    n = _Num(start, end, d, currency=currency)
    sci = _SCI.match(s, end)
    if sci:  # "4.3 × 10−8", "6 × 10^6"
        exp = int(sci["exp"].translate(_SUPERSCRIPT).replace("−", "-"))
        n.dec, n.end, end = d * (Decimal(10) ** exp), sci.end(), sci.end()
    rest = s[end:]
    m = _SCALE_WORD.match(rest)
    if m and not (m["scale"].lower() == "hundred" and re.match(r"\d", s[start])):
        n.scale, n.end, n.factor_table = m["scale"], end + m.end(), tables.SCALES
    elif currency:
        m = _CURRENCY_SCALE.match(rest)
        if m:
            n.scale, n.end, n.factor_table = m["scale"], end + m.end(), tables.CURRENCY_SCALES
    return n


def _unit_at(s: str, pos: int) -> tuple[int, str, str] | None:
    """(end, pint name, written form) of a unit starting at s[pos]; None if there is none."""
    m = _UNIT.match(s, pos)
    if not m:
        return None
    written, sep = m["unit"], m["sep"]
    name = _UNIT_EXACT.get(written) or _UNIT_NAMES.get(written.lower())
    if name is None:
        return None
    one_letter = len(written) == 1 and written.isalpha()
    if one_letter and written.isupper() and re.match(r"\.\s[A-Z]", s[m.end() :]):
        return None  # "3170 W. Main St.": a street direction, not watts
    if one_letter and sep == "-":
        return None
    if written in ("K", "M", "A", "V", "W", "N", "J") and sep == "":
        return None  # "10K", "5M" are not kelvin and molar
    if written in ("a", "A", "in", "t", "l") and re.match(r"\s+[a-z]", s[m.end() :]):
        return None  # "5 s in the" is fine, "2 h of" fine; "20 s each" too rare to matter
    if name in ("times",) and written in ("times", "x"):
        if written == "x" and (sep != "" or not re.match(r"\s", s[m.end() : m.end() + 1] or " ")):
            return None
        if written == "times" and not _TIMES_NEXT.match(s[m.end() :]):
            return None  # "three times a week" is a frequency, not a multiplier
    if sep == "-" and name in _TIME_UNITS:
        return None  # "a 10-year bond", "30-day trial": a descriptor
    if written == "s" and sep == "":
        return None  # "the 1990s", "80s"
    if written.lower() in ("points", "point", "pts") and not _POINTS_CUE.search(s[max(0, pos - 60) : pos]):
        return None  # "30 points" is a margin only after "by", "of", "up", "lost"...
    end = m.end()
    # a compound unit: "mg/kg", "kg s−1", "U/ml", "W m−2"
    cm = re.match(r"(?:/|\s)(?P<u>[A-Za-zμµ]{1,4})(?P<exp>−1|-1|⁻¹|−2|-2|⁻²|2|3)?(?![\w%°])", s[end:])
    if cm and (cm["exp"] or s[end] == "/") and name not in ("percent", "times"):
        den = _UNIT_EXACT.get(cm["u"]) or _UNIT_NAMES.get(cm["u"].lower())
        if den:
            power = {"−2": 2, "-2": 2, "⁻²": 2}.get(cm["exp"] or "", 1)
            name = f"{name} / {den}" + (f" ** {power}" if power > 1 else "")
            written = s[m.start("unit") : end + cm.end()]
            end += cm.end()
    return end, name, written


def _rate_at(s: str, pos: int) -> tuple[int, str] | None:
    """'per month', 'a share', 'per diluted share', '/kg' after a figure: (end, what)."""
    m = re.match(
        r"\s(?:per|each|every)\s(?!(?:of|the|a|an|and|or|to|in|for|year of)\b)(?P<w>(?:[a-z]+(?:ed|ing|al)\s)?[a-zA-Z][\w-]*)"
        r"|\s(?:a|an)\s(?P<t>year|month|week|day|hour|share|head|person|barrel|gallon|pound|ton|ounce|unit|"
        r"night|minute|second|kilogram|kilo|litre|liter|mile)\b"
        r"|/(?P<u>[A-Za-z]{1,5})\b",
        s[pos:],
    )
    if not m:
        return None
    return pos + m.end(), (m["w"] or m["t"] or m["u"])


_PART_OF = re.compile(
    r"\b(?:" + "|".join(re.escape(w) for w in tables.LABEL_WORDS) + r")\s?\d+\s+of\s+$", re.I
)  # compiled once: it was built again for every number (a tenth of ingest's own work)


def _not_a_statistic(s: str, start: int, end: int, has_unit: bool) -> bool:
    """Numbers that are names, labels, dates, times, addresses, phone numbers or list markers."""
    before, after = s[:start], s[end:]
    text = s[start:end]
    if re.match(r"[A-Za-z]", after[:1]) and not has_unit:
        return True  # "777X", "5G", "3D"
    if re.search(r"[A-Za-z][-/]?$", before) or (re.search(r"\d[-/.]$", before) and not has_unit):
        return True  # "COVID-19", "PM2.5", "F-150", "24/7"
    if re.match(r"/\d", after) or re.match(r"\.\d", after):
        return True  # "9/11", versions "2.0.1"
    dated = _DATE_BEFORE.search(before) or _DATE_AFTER.match(after) or re.search(r"\b\d{1,2}\s?$", before)
    if dated and (not has_unit or _DATE_BEFORE.search(before)):
        return True  # "March 12", "12th", "12 March 2024"
    if _TIME_OF_DAY.match(after):
        return True
    if (re.match(r"\d", text) and _PHONE.match(s[start:])) or re.search(r"\(\d{3}\)\s?$", before):
        return True
    if _STREET.match(after) and not has_unit:
        return True
    if _LABEL_BEFORE.search(before) and not has_unit:
        return True
    if _PART_OF.search(before):
        return True  # "part 2 of 3", "page 4 of 12"
    if tables.NAME_NUMBER.search(before) and not has_unit:
        return True
    if (
        not has_unit
        and re.search(r"(?<![.!?:;]\s)(?<!^)\b[A-Z][\w&.'’-]*\s$", before)
        and not _NAME_OK.search(before)
    ):
        return True  # a name with a number: "Fortune 500", "Highway 101"
    if re.search(r"(?:^|\s)[\[(]$", before) and re.match(r"(?:[,–-]\s?\d+)*[\])]", after) and not has_unit:
        return True  # a citation or list marker: "[12]", "(3)"
    if (
        not has_unit
        and re.fullmatch(r"\d{1,2}", text)
        and re.match(r"^[.)](?:\s|$)", after)
        and not before.strip()
    ):
        return True  # "1. First item"
    if re.match(r"-year-old|-years?-old", after, re.I) or (
        re.match(r",\s", after) and re.search(r"\b[A-Z][a-z]+,\s$", before)
    ):
        return True  # ages of people: "a 45-year-old", "John Smith, 45, said"
    if re.match(r"\(k\)", after):
        return True  # "401(k)"
    # a ratio or a score: "50:50", "3:1"
    return bool(re.match(r":\d", after) or re.search(r"\d:$", before))


def _is_year(n: _Num, s: str) -> bool:
    t = s[n.start : n.end]
    return bool(re.fullmatch(r"\d{4}", t)) and 1500 <= n.dec <= 2100 and n.scale is None


def find_quantities(s: str) -> list[Quantity]:
    """Every figure in sentence `s`, in order, with offsets relative to `s`."""
    out: list[Quantity] = []
    pos = 0
    while True:
        m = _CORE.search(s, pos)
        if not m:
            break
        pos = m.end()
        if m["oneinb"]:
            a, b = _decimal(m["a"]), _decimal(m["b"])
            if a and b and a < b and not re.match(r"\s*(?:years?|days?|months?)\b", s[m.end() :]):
                out.append(
                    Quantity(
                        m.start(),
                        m.end(),
                        float(Fraction(a) / Fraction(b) * 100),
                        "percent",
                        unit_text=None,
                        number_end=m.end(),
                    )
                )
            continue
        if m["frac"]:
            q = _fraction(s, m)
            if q:
                out.append(q)
            continue
        if m["twice"]:
            if _TIMES_NEXT.match(s[m.end() :]):
                v = 2.0 if m["twice"].lower() == "twice" else 3.0
                out.append(Quantity(m.start(), m.end(), v, "times", unit_text=m["twice"], number_end=m.end()))
            continue
        bench = _BENCHMARK.match(s, m.start("num"))
        if bench:
            pos = bench.end()
            continue
        found = _figure(s, m.start("num"), m.end("num"))
        if found and out and _is_conversion(s, out[-1], found[0]):
            pos = max(pos, max(q.end for q in found))
            continue
        if found:
            out.extend(found)
            pos = max(pos, max(q.end for q in found))
            # a range or list consumed more than the first number
            pos = max(pos, max(q.number_end for q in found))
    return out


_BENCHMARK = re.compile(r"(?:zero|0)\s?(?:-|–|to)\s?(?:60|62|100)\b(?:\s?(?:mph|km/h|kph))?", re.I)


def _is_conversion(s: str, prev: Quantity, q: Quantity) -> bool:
    """'2,300 tons (2,095 metric tons)', '60 mph (97 kph)': the same figure restated in other units."""
    if not (prev.unit and q.unit) or "percent" in (prev.unit, q.unit) or "times" in (prev.unit, q.unit):
        return False
    return bool(
        re.fullmatch(
            r"\s?\(\s?(?:about|approximately|roughly|around|or|nearly|some)?\s?", s[prev.end : q.start]
        )
    )


def _fraction(s: str, m: re.Match[str]) -> Quantity | None:
    """A share in words, only as a share of a group ("two-thirds of", "half (52%)" is skipped)."""
    frac = _fraction_value(m["frac"])
    if frac is None or frac >= 1:
        return None
    rest, before = s[m.end() :], s[: m.start()]
    if re.match(r"\s*\(\s*[~∼]?\d", rest):
        return None  # "two-thirds (64 percent)": the figure in brackets is the statistic
    if not re.match(r"\s+of\b", rest):
        return None
    if re.search(r"\b(?:first|second|last|latter|former|the|this|that|each|every)\s*$", before, re.I):
        return None  # "in the first half of", "the second quarter of"
    if re.match(r"\s+of\s+(?:the\s+)?(?:year|century|decade|season|game|match|month|day|week|\d{4})\b", rest):
        return None
    return Quantity(m.start(), m.end(), float(frac * 100), "percent", unit_text=None, number_end=m.end())


def _currency_before(s: str, start: int) -> tuple[str | None, int]:
    """A currency sign or code right before s[start]: (ISO code, where it starts)."""
    sm = _SIGN.search(s[:start])
    if sm:
        sign = sm["sign"]
        return tables.CURRENCY_SIGNS.get(sign) or tables.CURRENCY_SIGNS.get(sign.rstrip(".")), sm.start()
    cm = _CODE.search(s[:start])
    if cm:
        return cm["code"], cm.start()
    return None, start


def _number_with_unit(
    s: str, start: int, end: int, currency: str | None
) -> tuple[_Num, tuple[int, str, str] | None, int] | None:
    """A number, its scale, and the unit after it: (number, unit, end of the figure)."""
    n = _read_number(s, start, end, currency)
    if n is None:
        return None
    if currency:
        wm = re.match(r"[\s-](?:dollars?|euros?)\b", s[n.end :], re.I)
        return n, None, n.end + (wm.end() if wm else 0)
    unit = _unit_at(s, n.end)
    return n, unit, unit[0] if unit else n.end


_PERIOD_BEFORE = re.compile(
    r"\b(?:(?:past|last|next|previous|coming|first|final|recent|following)|(?:over|within|during|throughout|"
    r"for|in)\s+the(?:\s+(?:past|last|next|previous|coming|first|final|recent|following))?)\s+"
    r"(?:(?:about|nearly|almost|some|few|several)\s+)?$",
    re.I,
)
_OVER = re.compile(r"\b(?:over|within|during|throughout)\s+$", re.I)
_LASTED = re.compile(
    r"\b(?:lasted|lasts|last|took|takes|take|spent|spend|spends|waited|wait|running|ran)\s+\w*\s*$", re.I
)
_PERIOD_AFTER = re.compile(
    r"^\s+(?:ago|earlier|later|before|after|from now|old|running|straight|in a row)\b", re.I
)
_PEOPLE_AFTER = re.compile(
    r"\s(?:people|adults|respondents|participants|students|patients|workers|employees|households)\b"
)
_CHANGE_FROM = re.compile(
    r"\b(?:"
    + "|".join(tables.UP_WORDS + tables.DOWN_WORDS)
    + r"|went|go|goes|going|moved|moving|changed|changing|"
    r"shifted|swung|grown|fallen|expand|expanding|cut|cutting|boost|boosting|double|doubling)\s+"
    r"(?:[^.;:\s]+\s+){0,6}from\s+(?:about\s+|around\s+|nearly\s+)?$",
    re.I,
)
_CHANGE_WORD = re.compile(r"\b(?:" + "|".join(tables.UP_WORDS + tables.DOWN_WORDS) + r")\b", re.I)
_RANGE_CUE = re.compile(
    r"\b(?:between|from|ranging from|range of|ranges? from|ranged from)\s+(?:about\s+|approximately\s+|around\s+)?$",
    re.I,
)


def _figure(s: str, start: int, end: int) -> list[Quantity]:
    """The figure that starts with the number at s[start:end]: sign, scale, range or list, unit, rate."""
    text = s[start:end]
    if text.lower() in ("a", "one", "dozen"):
        return []  # "a", "one" alone are articles, not counts
    if sum(ch.isdigit() for ch in text) > 15:
        return []  # more digits than a double holds exactly: a number kb cannot keep as written
    digits = bool(re.match(r"\d", text))
    currency, lo = _currency_before(s, start) if digits else (None, start)
    prefix = None
    pm = _PREFIX.search(s[:lo])
    if pm and digits:
        prefix, lo = pm["pre"], pm.start()
    got = _number_with_unit(s, start, end, currency)
    if got is None:
        return []
    first, unit, first_end = got
    if prefix in ("−", "-"):
        first.dec = -first.dec
    tolerance = None
    tm = _TOLERANCE.match(s, first.end)
    if tm and unit is None:
        tolerance = float(Decimal(tm["tol"].replace(",", "")))
        unit = _unit_at(s, tm.end())
        first_end = unit[0] if unit else tm.end()
    quantities: list[tuple[_Num, int, int]] = [(first, lo, first_end)]  # (number, start, end)
    role = "single"
    # a second number: a range ("40 to 80 percent", "13–17 ounces", "$40-50 billion") or a change
    rng = _RANGE_SEP.match(s, first_end)
    if rng and tolerance is None:
        sep = rng["sep"].lower()
        cur2: str | None = None
        s2 = rng.end()
        sm = _SIGN_AT.match(s, s2)
        if sm:
            cur2 = tables.CURRENCY_SIGNS.get(sm["sign"]) or tables.CURRENCY_SIGNS.get(sm["sign"].rstrip("."))
            s2 = sm.end()
            s2 += len(s[s2:]) - len(s[s2:].lstrip(" "))
        n2m = _NUM.match(s, s2)
        before = s[:lo]
        ok_sep = sep in "-–—" or sep == "to" or (sep in ("and", "or") and _RANGE_CUE.search(before))
        if (
            n2m
            and ok_sep
            and bool(re.match(r"\d", n2m.group(0))) == digits
            and n2m.group(0).lower() not in ("a", "one")
            and (cur2 is None or cur2 == currency)
            and not (currency and cur2 is None and sep == "to" and not _RANGE_CUE.search(before))
        ):
            got2 = _number_with_unit(s, n2m.start(), n2m.end(), currency)
            if got2 is not None:
                second, unit2, end2 = got2
                years = _is_year(first, s) and (len(n2m.group(0)) in (2, 4) or _is_year(second, s))
                compatible = (
                    (unit is None or unit2 is None or unit[1] == unit2[1])
                    and not (unit is not None and unit2 is None and sep == "to" and not currency)
                    and not re.match(r"[A-Za-z]", s[end2 : end2 + 1])
                )
                if compatible and not years:
                    if first.scale is None and second.scale is not None:
                        first.scale, first.factor_table = second.scale, second.factor_table
                    unit = unit or unit2
                    if sep == "to" and (
                        _CHANGE_FROM.search(before)
                        or (
                            re.search(r"\bfrom\s+(?:about\s+|around\s+|nearly\s+)?$", before)
                            and _CHANGE_WORD.search(before)
                            and not re.search(
                                r"\b(?:rang\w*|var\w*|span\w*|anywhere|depths?)\b", before, re.I
                            )
                        )
                    ):
                        role = "from"
                        quantities.append((second, sm.start() if sm else second.start, end2))
                    else:
                        role = "range"
                        quantities = [(first, lo, end2)]
                        quantities.append((second, second.start, end2))
    # a list sharing a trailing unit: "2619.6 and 2614.7 m", "34, 36 and 38 °C"
    if role == "single" and unit is None and not currency and tolerance is None:
        lm = re.match(rf"(?P<rest>(?:,\s?{DIGITS})*),?\s(?:and|or)\s(?P<last>{DIGITS})", s[first.end :])
        if lm:
            last_start = first.end + lm.start("last")
            u = _unit_at(s, first.end + lm.end())
            if u and u[1] != "times":
                role = "list"
                for nm in re.finditer(DIGITS, lm.group("rest")):
                    n = _read_number(s, first.end + nm.start(), first.end + nm.end(), None)
                    if n:
                        quantities.append((n, n.start, n.end))
                last = _read_number(s, last_start, first.end + lm.end("last"), None)
                if last:
                    quantities.append((last, last.start, u[0]))
                unit = u
    if not currency and not unit:
        wm = _CURRENCY_WORD.match(s, first.end)
        if wm and role == "single":
            currency = tables.CURRENCY_WORDS[wm["word"].lower()]
            if wm["word"].lower() in ("cents", "pence"):
                first.dec = first.dec / 100  # "10 cents" is $0.10
            quantities = [(first, lo, wm.end())]
    if (
        unit
        and unit[1] in _TIME_UNITS
        and role == "single"
        and tolerance is None
        and (
            _PERIOD_BEFORE.search(s[:lo])
            or _PERIOD_AFTER.match(s[unit[0] :])
            or (_OVER.search(s[:lo]) and not _LASTED.search(s[:lo]))
        )
    ):
        return []  # a period of time, not a measurement: "over the past three years", "two weeks ago"
    has_unit = bool(unit or currency)
    if _not_a_statistic(s, start, first.end, has_unit):
        return []
    if (
        not has_unit
        and (_is_year(first, s) or re.fullmatch(r"\d{4}s", s[start : first.end + 1]))
        and not _PEOPLE_AFTER.match(s[first.end :])
    ):
        return []  # a year: "in 2019", "the 1990s"
    end_all = max(e for _, _, e in quantities)
    per = None
    rate = _rate_at(s, end_all)
    if rate and has_unit:
        end_all, per = rate
        quantities[-1] = (quantities[-1][0], quantities[-1][1], end_all)
    if currency:
        unit_name, unit_text = "currency", None
    elif unit:
        unit_name, unit_text = unit[1], unit[2]
    else:
        unit_name, unit_text = "", None  # a count or a bare number: decided by the caller
    scale = first.scale or quantities[-1][0].scale
    common = {
        "unit": unit_name,
        "unit_text": unit_text,
        "currency": currency,
        "per": per,
        "tolerance": tolerance,
        "prefix": prefix,
        "scale": scale,
        "number_end": end_all,
    }
    if role == "range":
        return [
            Quantity(lo, end_all, first.value(), value_high=quantities[1][0].value(), role="range", **common)
        ]
    if role in ("from", "list"):
        roles = ("from", "to") if role == "from" else ("list",) * len(quantities)
        return [Quantity(a, b, n.value(), role=r, **common) for (n, a, b), r in zip(quantities, roles)]
    return [Quantity(lo, end_all, first.value(), **common)]
