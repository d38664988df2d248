"""Statistics: every figure in a document as a structured, verbatim record.

Rule-based and generic: a figure is a number with a unit (percent, times,
currency), a share in words ("two-thirds", "one in five"), or a count of
people or organisations ("1,100 executives"). Dates, durations, ordinary
counts ("two studies"), list numbers and names with numbers ("Fortune 500")
are not statistics. For each figure kb records what it is about (population),
what is measured, the study it comes from (resolved across sentences), and
the verbatim sentence with offsets into the clean text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.ingest.segment import blocks, sentence_spans
from kb.records import CleanDoc, Statistic

_UNITS_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS_WORDS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_WORD_NUM = (
    r"(?:(?:" + "|".join(_TENS_WORDS) + r")(?:[-\s](?:" + "|".join(list(_UNITS_WORDS)[1:10]) + r"))?"
    r"|" + "|".join(sorted(_UNITS_WORDS, key=len, reverse=True)) + r"|a hundred|one hundred)"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:\s?(?:million|billion|trillion|bn|mn|m|k)\b)?"
_CURRENCY_SIGNS = {"$": "USD", "US$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "A$": "AUD", "C$": "CAD"}
_CURRENCY_WORDS = {"dollars": "USD", "euros": "EUR", "pounds": "GBP", "yen": "JPY"}

_PERCENT = re.compile(
    rf"(?<![\w.,])(?P<num>{_DIGITS}|{_WORD_NUM})(?:\s?(?P<unit>%|percent\b|per\s?cent\b|percentage points?\b|pct\b))",
    re.I,
)
_RANGE = re.compile(
    rf"\bbetween\s+(?P<lo>{_DIGITS})\s*(?:%|percent|per cent)?\s+and\s+(?P<hi>{_DIGITS})\s?(?P<unit>%|percent\b|per\s?cent\b)",
    re.I,
)
_TIMES = re.compile(
    rf"(?<![\w.])(?P<num>{_DIGITS}|{_WORD_NUM})(?P<unit>\s?times\b|x\b|-fold\b|\s?fold\b)", re.I
)
_CURRENCY = re.compile(
    rf"(?P<sign>US\$|A\$|C\$|[$£€¥])\s?(?P<num>{_DIGITS})(?P<scale>{_SCALE})"
    rf"|(?<![\w.])(?P<num2>{_DIGITS})(?P<scale2>{_SCALE})\s(?P<word>dollars|euros|pounds|yen)\b",
    re.I,
)
_FRACTION = re.compile(
    r"\b(?P<frac>(?:one|two|three|four)[-\s](?:half|halves|thirds?|quarters?|fifths?|tenths?)|half|a third|a quarter|"
    r"a fifth|a tenth)\b(?!\s*\(\s*\d)",
    re.I,
)
_ONE_IN = re.compile(
    r"\b(?P<a>one|two|three|\d+)\s+(?:in|out of)\s+(?P<b>two|three|four|five|six|seven|eight|nine|ten|\d+)\b",
    re.I,
)
_COUNT = re.compile(
    rf"(?<![\w.,$£€¥])(?P<num>{_DIGITS})(?P<scale>\s(?:million|billion|thousand))?\s+"
    r"(?P<np>(?:[\w&/-]+\s+){0,5}?(?P<noun>[a-z][\w-]*(?:s|people|staff|personnel|men|women|children)))\b"
)
_QUALIFIER = re.compile(
    r"(?:more than|less than|fewer than|greater than|nearly|almost|about|around|approximately|roughly|over|"
    r"under|just|only|at least|at most|up to|some|a mere|a paltry|close to|well over|upwards of)\s*\(?\s*$",
    re.I,
)
_FRACTION_VALUES = {
    "half": 50.0,
    "one half": 50.0,
    "a third": 33.33,
    "one third": 33.33,
    "two thirds": 66.67,
    "a quarter": 25.0,
    "one quarter": 25.0,
    "three quarters": 75.0,
    "a fifth": 20.0,
    "one fifth": 20.0,
    "two fifths": 40.0,
    "three fifths": 60.0,
    "four fifths": 80.0,
    "a tenth": 10.0,
    "one tenth": 10.0,
}
_TIME_NOUNS = re.compile(
    r"^(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|quarters?|times|"
    r"percent|per|points?|fold|am|pm|s)$",
    re.I,
)
_PEOPLE_HINT = re.compile(
    r"(?:officers?|executives?|execs|leaders?|managers?|marketers?|respondents?|people|participants?|adults?|"
    r"users?|customers?|consumers?|employees?|workers?|staff|students?|patients?|companies|firms|businesses|"
    r"organi[sz]ations|brands?|members?|voters?|households?|chiefs?|directors?|professionals?|decision makers?|"
    r"ceos|cios|cmos|cfos|ctos|individuals|children|women|men|americans|citizens|residents|teachers|doctors|"
    r"nurses|developers|engineers|researchers|scientists|subscribers|readers|viewers|visitors|shoppers|buyers|"
    r"owners|investors|startups|schools|hospitals|countries|cities|states|agencies|vendors|suppliers|retailers)$",
    re.I,
)
_SAMPLE_CUE = re.compile(
    r"\b(survey\w*|interview\w*|poll\w*|questioned|respondents|sample|based on|studied)\b", re.I
)
_NP_STOP = re.compile(
    r"^(?:said|say|says|saying|reported|report|reports|reporting|believe[ds]?|believing|noted|note|notes|stated|state|"
    r"states|indicated?|indicates|claim(?:s|ed)?|agree[ds]?|think|thought|see|sees|saw|are|were|is|was|have|has|had|"
    r"who|which|that|feel|felt|expect\w*|plan\w*|use[ds]?|using|now|going|want\w*|would|will|can|could|do|does|did|"
    r"versus|vs|compared|while|whereas|but|and|or|with|to|in|for|on|by|than|as|from|when|where|according|"
    r"surveyed|interviewed|polled|questioned|participating|responding|reveal\w*|show\w*|admit\w*|consider\w*|"
    r"rate[ds]?|rank\w*|named?|cite[ds]?|identif\w*|list\w*|describ\w*|mention\w*|choos\w*|chose|"
    r"strongly|also|still|already|currently|either|each|this|these)$",
    re.I,
)
_PLURAL_HEAD = re.compile(r"^(?:[\w-]{2,}[^s\W]s|[A-Z]{2,}s|people|staff|men|women|children|execs)$")
_PRONOUN = re.compile(r"^(?:them|they|those|these|respondents|the respondents)$", re.I)
_SOURCE_PATTERNS = [
    re.compile(
        r"\b(?:study|survey|report|research|poll|white paper|paper|analysis|index)\s+(?:by|from|of|conducted by)\s+"
        r"(?P<src>(?:the\s)?[A-Z][\w&.\-’']*(?:(?:,\s|\s|,?\sand\s(?:the\s)?|\s(?:for|of|on|de)\s(?:the\s)?)"
        r"[A-Z][\w&.\-’']*){0,8})"
    ),
    re.compile(
        r"(?P<src>[A-Z][\w&.\-]*(?:\s[A-Z][\w&.\-]*){0,4})(?:'s|’s)\s(?:[^.;:]{0,60}?\s)?(?:report|study|survey|research)\b"
    ),
    re.compile(
        r"\b(?:report|study|survey)\s+(?:from|by)\s+(?:the\s)?(?P<src>[A-Z][\w&.\-]*(?:\s(?:and\s)?[A-Z][\w&.\-]*){0,5})"
    ),
]
_TITLE = re.compile(r"[“\"](?P<title>[A-Z][^”\"]{8,120})[”\"]")
_TITLE_CUE = re.compile(r"\b(?:study|report|survey|white paper|paper|research)\b", re.I)
_VERSUS = re.compile(r"\b(?:versus|vs\.?|compared (?:with|to))\b", re.I)
_MORE_LIKELY = re.compile(
    r"(?P<a>[A-Z][\w-]*(?:\s[\w-]+){0,3}?)\s+(?:are|were|is|was)?\s*(?:far|much|significantly|slightly)?\s*"
    r"(?:more|less) likely than\s+(?P<b>[\w-]+(?:\s[\w-]+){0,3}?)\s+to\b"
)


def parse_number(text: str) -> float | None:
    """'1,100' -> 1100, '1.3' -> 1.3, 'Forty-five' -> 45; None if it is not a number."""
    t = text.strip().lower().replace(",", "")
    try:
        return float(t)
    except ValueError:
        pass
    if t in ("a hundred", "one hundred"):
        return 100.0
    parts = re.split(r"[-\s]+", t)
    total = 0
    for p in parts:
        if p in _TENS_WORDS:
            total += _TENS_WORDS[p]
        elif p in _UNITS_WORDS:
            total += _UNITS_WORDS[p]
        else:
            return None
    return float(total)


@dataclass(slots=True)
class _Figure:
    start: int  # absolute offsets of value_text
    end: int
    value: float
    unit: str
    value_high: float | None = None
    currency: str | None = None
    np: str | None = None  # noun phrase right after a count


def _figures(sentence: str, base: int) -> list[_Figure]:
    """Figures in one sentence, non-overlapping, in order."""
    found: list[_Figure] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(fig: _Figure) -> None:
        a, b = fig.start - base, fig.end - base
        if free(a, b):
            taken.append((a, b))
            found.append(fig)

    for m in _RANGE.finditer(sentence):
        lo, hi = parse_number(m["lo"]), parse_number(m["hi"])
        if lo is not None and hi is not None:
            add(_Figure(base + m.start("lo"), base + m.end(), lo, "percent", value_high=hi))
    for m in _PERCENT.finditer(sentence):
        v = parse_number(m["num"])
        if v is None:
            continue
        unit = "percentage points" if "point" in m["unit"].lower() else "percent"
        add(_Figure(base + m.start(), base + m.end(), v, unit))
    for m in _CURRENCY.finditer(sentence):
        num = m["num"] or m["num2"]
        v = parse_number(num)
        if v is None:
            continue
        code = _CURRENCY_SIGNS.get(m["sign"] or "") or _CURRENCY_WORDS.get((m["word"] or "").lower())
        add(_Figure(base + m.start(), base + m.end(), v, "currency", currency=code))
    for m in _TIMES.finditer(sentence):
        v = parse_number(m["num"])
        unit = m["unit"].strip().lower()
        if v is None or (
            unit == "times"
            and not re.match(
                r"\s*(?:more|less|higher|lower|as|greater|faster|larger|bigger|smaller)\b",
                sentence[m.end() :],
            )
        ):
            continue  # "three times a week" is a frequency, not a multiplier
        add(_Figure(base + m.start(), base + m.end(), v, "times"))
    for m in _FRACTION.finditer(sentence):
        key = re.sub(r"[-\s]+", " ", m["frac"].lower()).replace("halves", "half").rstrip("s")
        key = {"one half": "half", "two third": "two thirds", "three quarter": "three quarters"}.get(key, key)
        key = key if key in _FRACTION_VALUES else key + "s" if key + "s" in _FRACTION_VALUES else key
        value = _FRACTION_VALUES.get(key)
        # Only a share of a group ("half of", "two-thirds of"), not "in the first half".
        if (
            value is not None
            and re.match(r"\s+(?:of|\()", sentence[m.end() :])
            and not re.search(r"\b(?:first|second|last|latter|former|the)\s*$", sentence[: m.start()], re.I)
        ):
            add(_Figure(base + m.start(), base + m.end(), value, "percent"))
    for m in _ONE_IN.finditer(sentence):
        a, b = parse_number(m["a"]), parse_number(m["b"])
        if a and b and a < b and not re.match(r"\s*(?:years?|days?|months?)\b", sentence[m.end() :]):
            add(_Figure(base + m.start(), base + m.end(), round(100.0 * a / b, 2), "percent"))
    for m in _COUNT.finditer(sentence):
        num = m["num"]
        v = parse_number(num)
        if v is None:
            continue
        noun = m["noun"]
        first_word = m["np"].split()[0]
        before = sentence[: m.start()]
        if _TIME_NOUNS.match(first_word) or _TIME_NOUNS.match(noun):
            continue
        if 1900 <= v <= 2100 and "," not in num:
            continue  # a year
        if re.search(r"[A-Z][\w-]*\s$", before) and not _QUALIFIER.search(before):
            continue  # a name with a number: "Fortune 500 companies"
        if re.search(r"(?:No\.|#|page|p\.|chapter|section|step|level|phase|version|v)\s*$", before, re.I):
            continue
        if not _PEOPLE_HINT.search(noun):
            continue  # "two studies", "3 reasons": counts of things in ordinary prose
        np_text = m["np"]
        add(
            _Figure(
                base + m.start("num"), base + m.end("num") + len(m["scale"] or ""), v, "count", np=np_text
            )
        )
    found.sort(key=lambda f: f.start)
    return found


def _clean_np(words: list[str]) -> str | None:
    out: list[str] = []
    for w in words:
        bare = w.strip("“”\"'(),.;:")
        if not bare or _NP_STOP.match(bare) or re.match(r"^\d", bare):
            break
        out.append(bare)
        if w.endswith((",", ";", ":", ".", ")", "”", '"')):
            break
        if _PLURAL_HEAD.match(bare):
            break  # the head noun of the group: what follows is usually the verb ("voters backed")
    while out and out[0].lower() in ("the", "all", "its", "their", "those", "these", "our"):
        out.pop(0)
    return " ".join(out) or None


def _population_after(sentence: str, rel_end: int) -> str | None:
    """'40 percent of nurses said...' -> 'nurses'; '31 per cent at small firms' -> 'small firms'."""
    rest = sentence[rel_end:]
    m = re.match(r"\s*\)?\s*(?:of|at|among|in)\s+(?:the\s+|all\s+|those\s+)?(.*)", rest, re.S)
    if not m:
        return None
    words = m.group(1).split()
    np = _clean_np(words[:10])
    if np and _PRONOUN.match(np):
        return "PRONOUN"
    return np


def _subject_before(sentence: str, rel_start: int) -> str | None:
    """The subject of a lead-in clause: 'Engineers had their say too: 30 percent noted' -> 'Engineers'."""
    prefix = sentence[:rel_start]
    if ":" not in prefix:
        return None
    lead = prefix.split(":")[0]
    words = lead.split()
    np = _clean_np(words[:5])
    return np if np and re.search(r"s$|execs|staff|people", np) else None


def _measure(sentence: str, rel_end: int, population: str | None) -> str | None:
    """What is counted: the clause after the figure's population, up to the next clause or figure."""
    start = rel_end
    if population:
        at = sentence.find(population, rel_end)
        if 0 <= at <= rel_end + 12:
            start = at + len(population)
    rest = sentence[start:]
    rest = re.split(
        r";|\.\s|\.$|\s(?:versus|vs\.?|while|whereas)\s|,\s(?:the|and|but|while|which|whereas)\s|,?\sand\s(?=[\w-]*\d)|:\s",
        rest,
    )[0]
    text = rest.strip(' ,)”"')
    text = re.sub(r"^(?:who|that|(?:of|among)\s+(?:them|those|these))\s+", "", text)
    return text[:200] or None


def _source_in(sentence: str) -> str | None:
    for pattern in _SOURCE_PATTERNS:
        m = pattern.search(sentence)
        if m:
            src = m["src"].strip(" ,.")
            src = re.sub(r"^the\s", "", src)
            if len(src) > 2:
                return src
    return None


_SPEECH_AFTER = re.compile(
    r"^\W{0,3}\s*(?:the\s+\w+\s+|\w+\s+)?(?:states?|says?|said|notes?|noted|writes?|adds?|added)\b", re.I
)


def _report_title(sentence: str) -> str | None:
    """A quoted title named as a study or report ('The study, “Cutting Across...”'), not a quote."""
    for t in _TITLE.finditer(sentence):
        before = sentence[max(0, t.start() - 25) : t.start()]
        after = sentence[t.end() : t.end() + 20]
        if _SPEECH_AFTER.match(after):
            continue
        if _TITLE_CUE.search(before) or re.match(
            r"\s*(?:\[\w+\]\s*)?(?:white paper|report|study|survey)\b", after, re.I
        ):
            return t["title"].strip(" ,.")
    return None


def extract_statistics(doc: CleanDoc) -> list[Statistic]:
    """Every statistic in the document, in order, with population and source resolved."""
    text = doc.text
    stats: list[Statistic] = []
    current_source: str | None = None
    current_title: str | None = None
    sample_size: int | None = None
    for b_start, b_end in blocks(text):
        last_population: str | None = None
        for s_start, s_end in sentence_spans(text[b_start:b_end], b_start):
            sentence = text[s_start:s_end]
            src = _source_in(sentence)
            title = None
            title = _report_title(sentence)
            if src:
                current_source = src
                if not title:
                    current_title = None
            if title:
                current_title = title
            figures = _figures(sentence, s_start)
            comparative = _MORE_LIKELY.search(sentence)
            versus_pair: list[_Figure] = []
            if comparative and _VERSUS.search(sentence):
                versus_pair = [f for f in figures if f.unit == "percent"][:2]
            sentence_sample = None
            for f in figures:
                rel_s, rel_e = f.start - s_start, f.end - s_start
                before = sentence[:rel_s]
                q = _QUALIFIER.search(before)
                qualifier = q.group(0).strip(" (").lower() if q else None
                if f.unit == "count":
                    population = re.sub(r"^(?:the|all|of)\s+", "", (f.np or "").strip()) or None
                else:
                    population = _population_after(sentence, rel_e)
                    if population == "PRONOUN":
                        population = last_population
                    if f in versus_pair and comparative:
                        population = comparative["a"] if versus_pair.index(f) == 0 else comparative["b"]
                        population = _clean_np(population.split()) or population
                    if not population:
                        population = _subject_before(sentence, rel_s) or last_population
                if population:
                    last_population = population
                if f.unit == "count" and _SAMPLE_CUE.search(sentence):
                    sentence_sample = (
                        int(f.value) if sentence_sample is None else sentence_sample + int(f.value)
                    )
                source = current_source
                if current_title and source:
                    source = f"{source}, “{current_title}”"
                elif current_title:
                    source = f"“{current_title}”"
                comparison = None
                if f in versus_pair:
                    comparison = sentence[versus_pair[0].start - s_start : versus_pair[-1].end - s_start]
                stats.append(
                    Statistic(
                        doc_id=doc.id,
                        value=f.value,
                        unit=f.unit,
                        value_text=text[f.start : f.end],
                        start=f.start,
                        end=f.end,
                        sentence=sentence,
                        sentence_start=s_start,
                        sentence_end=s_end,
                        qualifier=qualifier,
                        population=population,
                        measure=_measure(sentence, rel_e, population) if f.unit != "count" else None,
                        comparison=comparison,
                        source=source,
                        sample_size=(sentence_sample if f.unit == "count" else sample_size),
                        period=_period(sentence),
                        currency_code=f.currency,
                        value_high=f.value_high,
                    )
                )
            if sentence_sample:
                sample_size = sentence_sample
            _share_predicates(stats, s_start)
    return stats


def _share_predicates(stats: list[Statistic], sentence_start: int) -> None:
    """'80 percent of X and 68 percent of Y said Z': both figures measure Z."""
    from dataclasses import replace

    idx = [i for i, st in enumerate(stats) if st.sentence_start == sentence_start and st.unit != "count"]
    following: str | None = None
    for i in reversed(idx):
        if stats[i].measure is None and following:
            stats[i] = replace(stats[i], measure=following)
        elif stats[i].measure:
            following = stats[i].measure


_PERIOD = re.compile(
    r"\b(?:(?:in|during|between|from|since|through)\s+(?:(?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\s+)?(?:through\s+\w+\s+)?(?:19|20)\d{2}|over the (?:past|last) \w+ \w+)",
)


def _period(sentence: str) -> str | None:
    m = _PERIOD.search(sentence)
    return m.group(0) if m else None
