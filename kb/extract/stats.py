"""Statistics: every figure in a document as a structured, verbatim record.

A figure is a number a careful reader would cite: a percentage, an amount of money, a count
of people or things, a measurement with a unit, a multiplier, a change. `kb.extract.quantities`
finds the figures of a sentence (value, scale, unit, range); this module decides what each is
about: `population` (who or what it describes), `measure` (what is measured), `change`
(direction), `period`, `source` (the study the sentence or its paragraph attributes it to)
and `sample_size` (only when that same study states it). Dates, years, list numbers, labels
("Table 2"), names with numbers ("Fortune 500", "Boeing 777X"), phone numbers, addresses and
ages of people are not statistics. Where no rule names a population, or a measurement's rule only
falls back on a nearby phrase, and for a measurement's `measure`, the learned span rankers of
`kb.extract.entity` choose.
"""

from __future__ import annotations

import re
from dataclasses import replace

from kb.extract import entity
from kb.extract import units as tables
from kb.extract.quantities import Quantity, find_quantities, parse_number
from kb.ingest.segment import blocks, sentence_spans
from kb.records import CleanDoc, Statistic

__all__ = ["extract_statistics", "parse_number"]

_QUALIFIER = re.compile(
    r"(?:more than|less than|fewer than|greater than|nearly|almost|about|around|approximately|roughly|over|"
    r"under|just|only|at least|at most|up to|some|a mere|a paltry|close to|well over|upwards of|an estimated|"
    r"estimated|as many as|as much as|as few as|as little as|below|above|ca\.|c\.|~|∼|≈|<|>|≤|≥)\s*\(?\s*$",
    re.I,
)
_PEOPLE_HINT = re.compile(
    r"(?:officers?|executives?|execs|leaders?|managers?|marketers?|respondents?|people|participants?|adults?|"
    r"users?|customers?|consumers?|employees?|workers?|staff|students?|patients?|companies|firms|businesses|"
    r"organi[sz]ations|brands?|members?|voters?|households?|chiefs?|directors?|professionals?|decision makers?|"
    r"ceos|cios|cmos|cfos|ctos|individuals|children|women|men|girls|boys|americans|citizens|residents|teachers|"
    r"doctors|physicians|nurses|developers|engineers|researchers|scientists|subscribers|readers|viewers|"
    r"visitors|shoppers|buyers|owners|investors|startups|schools|hospitals|countries|cities|states|agencies|"
    r"vendors|suppliers|retailers|adolescents|volunteers|subjects|infants|babies|mothers|families|seniors)$",
    re.I,
)
_SAMPLE_CUE = re.compile(
    r"\b(survey\w*|interview\w*|poll\w*|questioned|respondents|sample|based on|studied|completed by|"
    r"responses from|study of)\b",
    re.I,
)
_STOP = set(
    (
        "said say says saying reported reporting believe believes believed noted "
        "stated indicated indicate indicates claimed agree agrees agreed think "
        "thought see sees saw are were is was be been being have has had who which that whose whom feel felt "
        "would will can could may might must shall should do does did versus vs compared while whereas but "
        "and or nor with to in for on by than as from when where according at into onto over under about "
        "after before during since until through throughout between among across against within without "
        "per via like if because so then also still already currently now just only even yet not no "
        "a an the this these those its their his her our your my each every some any all both either "
        "neither it they them he she we you i us there here what how why got get gets getting make makes "
        "made including include includes included such around nearly almost roughly approximately more "
        "less fewer most least much many several other another own up down out off back away ago ca ca. "
        "approx approx. c. = ≈ ~ ∼ < > ≤ ≥ ±"
        " near above below along beside behind beyond inside outside"
    ).split()
)
_VERBISH = re.compile(
    r"^(?:\w+ed|\w+ing)$|^(?:rose|fell|grew|sank|won|lost|hit|paid|cut|put|set|spent|left|held|took|made|"
    r"gave|came|went|became|began|got|saw|ran|sold|bought|built|brought|kept|met|told|found|led|"
    r"drove|wrote|chose|struck|stood|shut|seemed|looks?|seems?|remains?|stays?|gets?|goes|makes?)$",
    re.I,
)
_PLURAL_HEAD = re.compile(
    r"^(?:[\w-]{2,}[^s\W]s|[A-Z]{2,}s|people|staff|men|women|children|execs|personnel)$"
)
_PRONOUN = re.compile(r"^(?:them|they|those|these|respondents|the respondents)$", re.I)
_DETERMINER = re.compile(
    r"^(?:the|a|an|all|its|their|his|her|those|these|our|this|that|some|each|every|such|other|of)$", re.I
)
_SOURCE_PATTERNS = [
    re.compile(
        r"\b(?:study|survey|report|research|poll|white paper|paper|analysis|index)\s+(?:by|from|of|conducted by)\s+"
        r"(?P<src>(?:the\s)?[A-Z][\w&.\-’']*(?:(?:,\s|\s|,?\sand\s(?:the\s)?|\s(?:for|of|on|de)\s(?:the\s)?)"
        r"[A-Z][\w&.\-’']*){0,8})"
    ),
    re.compile(
        r"(?P<src>[A-Z][\w&.\-]*(?:\s[A-Z][\w&.\-]*){0,4})(?:'s|’s)\s(?:[^.;:]{0,60}?\s)?(?:report|study|survey|research|poll|analysis)\b"
    ),
    re.compile(
        r"\b(?:report|study|survey)\s+(?:from|by)\s+(?:the\s)?(?P<src>[A-Z][\w&.\-]*(?:\s(?:and\s)?[A-Z][\w&.\-]*){0,5})"
    ),
    re.compile(
        r"\b[Aa]ccording to\s+(?:a\s+|an\s+|the\s+)?(?:(?:new|recent|latest|annual)\s+)?(?:(?:report|study|survey|"
        r"analysis|data|figures|estimates?)\s+(?:by|from)\s+)?(?:the\s)?"
        r"(?P<src>[A-Z][\w&.\-’']*(?:\s(?:of\s|for\s|and\s)?[A-Z][\w&.\-’']*){0,6})"
    ),
    re.compile(
        r"(?P<src>(?:the\s)?[A-Z][\w&.\-]*(?:\s(?:of\s|for\s)?[A-Z][\w&.\-]*){0,5})\s+"
        r"(?:data|figures|estimates|researchers|analysts)\s+(?:show|showed|found|find|say|said|estimate|estimated)\b"
    ),
]
_SOURCE_NOT = re.compile(r"^(?:The|A|An|This|That|It|He|She|They|We|In|On|At|For|But|And|Its|His|Her)$")
_REFERS_BACK = re.compile(
    r"\b(?:the|this|that|its|their)\s+(?:survey|study|report|poll|research|analysis|findings|data|paper)\b|"
    r"\b(?:respondents|surveyed|those polled|participants|according to the)\b",
    re.I,
)
_TITLE = re.compile(r"[“\"](?P<title>[A-Z][^”\"]{8,120})[”\"]")
_TITLE_CUE = re.compile(r"\b(?:study|report|survey|white paper|paper|research)\b", re.I)
_VERSUS = re.compile(r"\b(?:versus|vs\.?|compared (?:with|to))\b", re.I)
_MORE_LIKELY = re.compile(
    r"(?P<a>[A-Z][\w-]*(?:\s[\w-]+){0,3}?)\s+(?:are|were|is|was)?\s*(?:far|much|significantly|slightly)?\s*"
    r"(?:more|less) likely than\s+(?P<b>[\w-]+(?:\s[\w-]+){0,3}?)\s+to\b"
)
_SUBJECT_VERB = re.compile(
    r"(?:^|[,;:(]\s|\bthat\s|\band\s|\bwhile\s|\bbut\s|\bas\s|\bwhere\s|\bwhen\s)?"
    r"(?P<np>(?:[\w&.'’/-]+\s){0,5}?[\w&.'’/-]+)\s+"
    r"(?:(?:has|have|had|is|are|was|were|will|would|could|may|might|also|now|still|already|each|reportedly|"
    r"only|just|collectively|together|combined|respectively)\s+)*"
    r"(?:been\s+)?(?P<verb>"
    + "|".join(tables.UP_WORDS + tables.DOWN_WORDS)
    + r"|is|are|was|were|totaled|totalled|"
    r"totals|total|reached|reach|reaches|hit|hits|stood|stands|amounted|amounts|averaged|averages|"
    r"earned|earns|made|makes|cost|costs|spent|spends|paid|pays|weighs|weighed|measures|measured|"
    r"offers|offered|produces|produced|generates|generated|delivers|delivered|holds|held|has|had|have|"
    r"employs|employed|serves|served|topped|tops|exceeded|exceeds|came|comes|accounted|accounts|"
    r"represented|represents|sold|sells|got|gets|goes|went|runs|ran|lasted|lasts|covers|covered|"
    r"counted|recorded|registered|reported|posted|logged|saw|sees|returned|returns|yields|yielded|"
    r"equals|equaled|exceeded|approached|approaches|ranged|ranges|varied|varies)\b"
    r"(?P<gap>[^.;:,\d]{0,40}?)$",
    re.I,
)
_OF_BEFORE = re.compile(
    r"(?P<np>(?:[\w&'’/-]+\s){0,4}?[\w&'’/-]+)\s+(?:of|at|was|is|=|:|reached|hit|to|around|near|as high as|"
    r"as low as|down to|up to)\s+(?:(?:about|around|nearly|approximately|roughly|just|some|only|an estimated|"
    r"over|under|more than|less than|at least|almost)\s+)?\(?$",
    re.I,
)
_PERIOD = re.compile(
    r"\b(?:(?:in|during|between|from|since|through|by|for|as of)\s+(?:(?:January|February|March|April|May|June|"
    r"July|August|September|October|November|December)\s+)?(?:through\s+\w+\s+)?(?:fiscal\s+)?(?:19|20)\d{2}"
    r"(?:[-–](?:19|20)?\d{2})?|(?:in|during|for)\s+the\s+(?:first|second|third|fourth|last|latest)\s+quarter"
    r"|over the (?:past|last|next) \w+ \w+|(?:last|this|next) (?:year|month|week|quarter)|a year earlier"
    r"|year[- ]over[- ]year|per year|a year ago)\b",
    re.I,
)
_UP = re.compile(r"\b(?:" + "|".join(tables.UP_WORDS) + r"|increase|gain|growth|jump|rise|hike)\b", re.I)
_DOWN = re.compile(
    r"\b(?:" + "|".join(tables.DOWN_WORDS) + r"|decrease|loss|drop|decline|fall|cut|reduction)\b", re.I
)
_MEASURE_CUE = re.compile(
    r"(?:\b(?:of|=|to|at|was|were|is|are|by|from|than|reached|hit|scored?|rating|ratings|index|ratio|rate|"
    r"coefficient|average|mean|median|about|around|approximately|nearly|score|value|level|n|p|r|t|F|χ2|"
    r"OR|HR|RR|CI|SD|age|aged|ages|ranged|between|and|or|only|just)|[=<>≤≥:(,∼~≈±])\s*$",
)
_COUNT_AFTER_OF = re.compile(r"^\s+of\s+(?:the|these|those|its|their|all)\s+(?:\S+\s+){0,2}?\S+")


def extract_statistics(doc: CleanDoc) -> list[Statistic]:
    """Every statistic in the document, in order, with population and source resolved."""
    text = doc.text
    stats: list[Statistic] = []
    study_source: str | None = None  # the study the document named most recently
    study_title: str | None = None
    study_sample: int | None = None
    study_block = -1  # the block that named it
    for block_no, (b_start, b_end) in enumerate(blocks(text)):
        last_population: str | None = None
        block_subject: str | None = None
        for s_start, s_end in sentence_spans(text[b_start:b_end], b_start):
            sentence = text[s_start:s_end]
            src = _source_in(sentence)
            title = _report_title(sentence)
            if src:
                study_source, study_block, study_sample = src, block_no, None
                if not title:
                    study_title = None
            if title:
                study_title, study_block = title, block_no
            # A study named in another paragraph applies to survey shares (the article reports
            # its findings) and where the sentence refers back to it; not to an amount of money
            # or a measurement that the sentence does not attribute.
            refers = bool(_REFERS_BACK.search(sentence))
            quantities = find_quantities(sentence)
            subject = clause_subject(sentence)
            if subject and re.fullmatch(r"(?i:it|they|he|she|this|that|these|those)", subject):
                subject = block_subject
            elif subject:
                block_subject = subject
            comparative = _MORE_LIKELY.search(sentence)
            versus_pair: list[Quantity] = []
            if comparative and _VERSUS.search(sentence):
                versus_pair = [q for q in quantities if q.unit == "percent"][:2]
            classified = [(q, *_classify(sentence, q)) for q in quantities]
            # the sample a study states ("A survey of 1,000 adults found 40 percent of them...")
            sentence_sample = None
            if _SAMPLE_CUE.search(sentence):
                people = [
                    int(q.value)
                    for q, unit, np in classified
                    if unit == "count" and np and _PEOPLE_HINT.search(np.split()[-1])
                ]
                sentence_sample = sum(people) if people else None
            if sentence_sample and (src or title or study_block == block_no or refers):
                study_sample = sentence_sample
            for q, unit, noun_phrase in classified:
                if unit is None:
                    continue
                before = sentence[: q.start]
                qm = _QUALIFIER.search(before)
                qualifier = (
                    qm.group(0).strip(" (").lower()
                    if qm
                    else (q.prefix if q.prefix not in ("-", "−") else None)
                )
                prev = stats[-1] if stats and stats[-1].sentence_start == s_start else None
                joined = prev is not None and re.fullmatch(
                    r",?\s(?:to|or|and|,)\s(?:about\s|nearly\s)?", text[prev.end : s_start + q.start]
                )
                if prev is not None and (q.role == "to" or joined) and prev.population:
                    population = prev.population  # "rose from 23% to 35%", "0.25 percent or $63.1 billion"
                else:
                    population, rule = _population(
                        sentence, q, unit, noun_phrase, comparative, versus_pair, last_population, subject
                    )
                    if entity.ranks(rule, unit):
                        # no rule, or only a fallback, named it: the ranker decides, told the rules' pick
                        population = (
                            entity.measured_entity(
                                sentence, q.start, q.end, unit, population, rule, _plain_np
                            )
                            or population
                        )
                if population:
                    last_population = population
                attributed = (
                    src is not None
                    or title is not None
                    or study_block == block_no
                    or refers
                    or (unit in ("percent", "times") and q.currency is None)
                )
                source = study_source if attributed else None
                if attributed and study_title:
                    source = f"{source}, “{study_title}”" if source else f"“{study_title}”"
                comparison = None
                if q in versus_pair:
                    comparison = sentence[versus_pair[0].start : versus_pair[-1].end]
                stats.append(
                    Statistic(
                        doc_id=doc.id,
                        value=q.value,
                        unit=unit,
                        value_text=sentence[q.start : q.end],
                        start=s_start + q.start,
                        end=s_start + q.end,
                        sentence=sentence,
                        sentence_start=s_start,
                        sentence_end=s_end,
                        qualifier=qualifier,
                        population=population,
                        measure=_measure_of(sentence, q, unit, population),
                        comparison=comparison,
                        source=source,
                        sample_size=(
                            sentence_sample
                            if unit == "count"
                            else study_sample
                            if attributed and unit in ("percent", "times")
                            else None
                        ),
                        period=_period(sentence),
                        currency_code=q.currency,
                        value_high=q.value_high,
                        scale=q.scale,
                        unit_text=q.unit_text,
                        change=_change(sentence, q),
                        per=q.per,
                        tolerance=q.tolerance,
                        page=doc.page_at(s_start + q.start),
                    )
                )
            _share_predicates(stats, s_start)
    return stats


def _classify(sentence: str, q: Quantity) -> tuple[str | None, str | None]:
    """The record's unit, and for a count the noun phrase it counts; (None, None) if it is not a figure."""
    if q.unit:
        return q.unit, None
    rest = sentence[q.number_end :]
    words = rest.split()
    np = _clean_np(words[:6], count=True) if words and rest[:1] in (" ", "\u00a0", "-") else None
    if np and rest[:1] == "-":
        return None, None  # "four-cylinder", "two-door": a descriptor, not a count
    word = sentence[q.start : q.end]
    if (
        np
        and re.match(r"(?:\w+est|most|least)$", np.split()[0], re.I)
        and np.split()[0].lower()
        not in (
            "west",
            "interest",
            "forest",
            "guest",
            "chest",
            "nest",
            "test",
            "protest",
            "request",
            "contest",
            "harvest",
        )
    ):
        return None, None  # "the world's two largest economies": a ranking, not a count
    if (
        np
        and re.fullmatch(r"[A-Za-z-]+", word)
        and (
            np.split()[-1].lower() in tables.DISCOURSE_NOUNS
            or re.search(
                r"\b(?:the|both|these|those|its|their|our|his|her|my|your|first|last)\s+$",
                sentence[: q.start],
                re.I,
            )
        )
    ):
        return None, None  # "two new studies", "the two functions": things named in prose, not a figure
    if np:
        # "the 20 million residents of Delhi", "62 satellites of Saturn": whose they are belongs to it
        tail = rest[rest.find(np) + len(np) :] if np in rest else ""
        of = re.match(r"\s+of\s+((?:the\s+)?(?:[A-Z][\w’'-]*|[a-z][\w-]*)(?:\s+[A-Z][\w’'-]*){0,2})", tail)
        if of and (not _PLURAL_HEAD.match(of.group(1).split()[-1]) or of.group(1)[:1].isupper()):
            np = f"{np} of {of.group(1)}"
        return "count", np
    m = _COUNT_AFTER_OF.match(rest)
    if m:  # "11 of the 12 cities", "2.5 million of these deaths"
        tail = [w for w in rest.split()[1:8]]
        while tail and (_DETERMINER.match(tail[0]) or re.match(r"^\d", tail[0])):
            tail.pop(0)
        np = _clean_np(tail, count=True)
        if np:
            return "count", np
    if _MEASURE_CUE.search(sentence[: q.start]) or re.match(
        r"\s*(?:[),;]|\.$|$|\s(?:and|or|in|on|at)\b)", rest
    ):
        if re.fullmatch(r"[A-Za-z-]+", sentence[q.start : q.end]):
            return None, None  # "two" with nothing after it is not a figure
        return "dimensionless", None
    return None, None


def _clean_np(words: list[str], count: bool = False) -> str | None:
    """The noun phrase at the start of `words`, up to its head noun."""
    out: list[str] = []
    for w in words:
        bare = w.strip("“”\"'(),.;:!?[]")
        low = bare.lower()
        stop = low in _STOP and not (bare.isupper() and len(bare) > 1)  # "IT" is not "it"
        if count and low in ("and", "&") and out and not _PLURAL_HEAD.match(out[-1]) and w == bare:
            out.append(bare)  # "1,100 top IT and marketing executives"
            continue
        if (
            not bare
            or (stop and not (out == [] and _DETERMINER.match(bare) and not count))
            or re.match(r"^\d", bare)
        ):
            break
        if (
            out
            and _VERBISH.match(bare)
            and not re.search(r"ing$", bare)
            and len(out) >= 1
            and _PLURAL_HEAD.match(out[-1])
        ):
            break
        if count and not out and low in ("percent", "per"):
            return None
        if count and not out and _VERBISH.match(bare) and bare.endswith("ed"):
            nxt = words[1].strip("“”\"'(),.;:!?[]").lower() if len(words) > 1 else ""
            if not nxt or nxt in _STOP or words[0].endswith((",", ".", ";")):
                return None  # "six arrested in", not "two infected individuals"
        if count and bare[:1].isupper() and low in {m.lower() for m in tables.MONTHS + tables.WEEKDAYS}:
            break
        out.append(bare)
        if w.endswith((",", ";", ":", ".", ")", "”", '"', "!", "?")):
            break
        if _PLURAL_HEAD.match(bare):
            break  # the head noun of the group: what follows is usually the verb ("voters backed")
    while out and _DETERMINER.match(out[0]):
        out.pop(0)
    if count and out and _VERBISH.match(out[-1]) and out[-1].endswith("ed") and len(out) == 1:
        return None
    return " ".join(out) or None


def _np_before(text: str) -> str | None:
    """The noun phrase that ends `text`: 'Comparable sales' in 'Comparable sales rose'."""
    words = text.split()
    out: list[str] = []
    for w in reversed(words[-6:]):
        bare = w.strip("“”\"'(),.;:!?[]")
        if not bare or (w.endswith((",", ";", ":", ".", ")", "”", '"')) and out):
            break
        stop = bare.lower() in _STOP and not (bare.isupper() and len(bare) > 1)
        if stop and not (bare.lower() in ("of", "and", "&") and out):
            break
        if not out and bare.lower() in ("of", "and", "&", "or"):
            break  # a noun phrase does not end in "of": "the age of 65 years"
        if re.match(r"^\d", bare) and not re.search(r"[A-Za-z]", bare):
            break
        if (
            out
            and _VERBISH.match(bare)
            and bare.lower() not in ("funding", "spending", "housing", "marketing")
        ):
            idx = len(words) - len(out) - 2
            prev = words[idx].lower() if idx >= 0 else ""
            if not _DETERMINER.match(prev):
                break  # "researchers observed Europa" -> "Europa"
        out.insert(0, bare)
    while out and (out[0].lower() in ("of", "and") or _DETERMINER.match(out[0])):
        out.pop(0)
    return " ".join(out) or None


def _population(
    sentence: str,
    q: Quantity,
    unit: str,
    noun_phrase: str | None,
    comparative: re.Match[str] | None,
    versus_pair: list[Quantity],
    last_population: str | None,
    subject: str | None = None,
) -> tuple[str | None, str | None]:
    """Who or what the figure describes, by the first rule that finds a noun phrase, and that rule's name.

    `subject` is the subject of the sentence (or the previous one's, for a pronoun). The name lets
    the caller tell a rule that ties a phrase to the figure ("40 percent of nurses") from a fallback
    (the clause's subject, the nearest noun phrase), which the ranker may overrule (`entity.RANKED_RULES`)."""
    if unit == "count":
        return noun_phrase, "counted_noun" if noun_phrase else None
    after = _population_after(sentence, q.end)
    if after == "PRONOUN":
        return last_population, "pronoun"
    if q in versus_pair and comparative:
        pop = comparative["a"] if versus_pair.index(q) == 0 else comparative["b"]
        return _clean_np(pop.split()) or pop, "versus"
    if after:
        return after, "after"
    before = sentence[: q.start]
    nxt = sentence[q.end :]
    if unit not in ("percent", "currency", "times"):
        # a measurement: the thing measured is usually the subject of its clause
        # ("clay mineral values are greater than 10%", "PTh is near ... 20–25 monomer units")
        np, rule = _first_rule(_MEASUREMENT_RULES, sentence, before, nxt, unit)
        if np:
            return np, rule
        if subject and _good_np(subject) and subject not in sentence[q.start : q.end]:
            return subject, "subject"  # not "nm" for "4 nm was typical": the figure's own unit is no subject
        np = _nearest_np(before)
        return np, "nearest" if np else None
    np, rule = _first_rule(_SHARE_RULES, sentence, before, nxt, unit)
    if np:
        return np, rule
    if subject:
        return subject, "subject"
    if unit in ("percent", "times") and last_population:
        return last_population, "last"  # survey prose: "They are 1.3 times more likely", "31 percent said"
    return None, None


_COMPARATIVE = re.compile(
    r"^(?:\w+er|more|less|fewer|most|least|much|many|as|so|too|very|than|same|equivalent|worth|-\w+)$", re.I
)


def _good_np(np: str) -> bool:
    """Not a comparative, a unit, a verb or a lone function word."""
    words = np.split()
    first, last = words[0], words[-1]
    if (
        _COMPARATIVE.match(first)
        and len(words) == 1
        and first.lower() not in ("users", "customers", "others")
    ):
        return first.lower() in (
            "water",
            "paper",
            "power",
            "number",
            "order",
            "computer",
            "member",
            "player",
            "driver",
        )
    if last.lower() in _UNIT_WORDS or first.lower() in _UNIT_WORDS:
        return False
    if len(words) == 1 and (_VERBISH.match(first) or first.lower() in _STOP or _AUX.match(first)):
        return False
    return not _PRONOUN.match(np) and np.lower() not in ("it", "that", "which", "this", "what", "who")


def _plain_np(np: str) -> bool:
    """A phrase the ranker may name instead of a rule's: a good noun phrase, not a clause or a fragment
    ("China dropped", "Modi pledged that his", "kph) in", "Although CBP's guidelines", "November 3")."""
    words = np.split()
    first, last = words[0].lower(), words[-1].lower()
    return (
        _good_np(np)
        and not _NOT_IN_NP.search(np)
        and np.count("(") == np.count(")")
        and last not in _DANGLING
        and first not in _SUBORDINATORS
        and (first not in _STOP or first in _DETERMINERS)
        and not (
            len(words) == 1 and (parse_number(first) is not None or first == "half")
        )  # "from zero to 60"
        and not any(_AUX.match(w) or w.lower() in _CLAUSE_WORDS or w in _CALENDAR for w in words)
    )


_DANGLING = _STOP | {"of"}  # words a noun phrase does not end with ("rate of", "kph) in")
_NOT_IN_NP = re.compile(r"[,;:\"“”]")  # a span across phrases (and so are unbalanced brackets)
_CLAUSE_WORDS = frozenset(["that", "which", "who", "whom", "whose", "whereas", "while", "because"])
_CALENDAR = frozenset(tables.MONTHS + tables.WEEKDAYS)  # "November 3": a date, not a population
_SUBORDINATORS = frozenset("although though because if when while whereas since as unless until".split())
_DETERMINERS = frozenset(
    "a an the this these those its their his her our your my each every some any all both other another "
    "several many most".split()
)


_UNIT_WORDS = {w.lower() for written, _ in tables.UNITS for w in written if len(w) > 2} | {"percent", "cent"}


def _in_brackets(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """'native ad units (38%)'."""
    if re.search(r"\($", before.rstrip()) and re.match(r"\s*\)", nxt):
        return _np_before(before.rstrip()[:-1])
    return None


def _as_many(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """'10 times as many cases', 'twice the CTR', '50 times the level'."""
    if unit != "times":
        return None
    m = re.match(r"\s+(?:as\s+(?:many|much)|the|that\s+of)\s+(.*)", nxt)
    return _clean_np(m.group(1).split()[:5]) if m else None


def _modifies(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """The noun a figure modifies: 'a 275-horsepower motor', '$70,000 bond', 'a 9% funding increase'."""
    rest = re.sub(r"^-[a-z]+(?:-[a-z]+)*", "", nxt)  # "1,900-mile-wide Europa"
    words = rest.split()
    while words and (
        re.search(r"\d", words[0])
        or (re.fullmatch(r"(?:\w+-)+\w+", words[0]) and _NUMBER_WORD.match(words[0]))
    ):
        words.pop(0)  # "176 hp 2.5-liter four-cylinder gas engine"
    if not words or not re.match(r"[\s-]", nxt[:1] or "x") or not re.match(r"[a-z]", words[0]):
        return None
    if words[0].lower() in _STOP or words[0].lower() in ("a", "an", "the"):
        return None  # "450 K near the vent": a place follows, not the noun the figure modifies
    np = _clean_np(words[:5])
    if not np:
        return None
    if _VERBISH.match(np.split()[0]) and len(np.split()) == 1:
        return None
    determiner = re.search(
        r"\b(?:a|an|the|its|their|his|her|this|that|each|per|every)\s+(?:\S+\s+){0,2}$", before, re.I
    )
    return np if determiner or unit not in ("percent",) else None


def _measured_for(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """'a value of 111 MPa was measured for the unmodified epoxy polymer'."""
    m = re.match(
        r"\s+(?:was|were|is|are)\s+(?:\w+ly\s+)?(?:measured|found|obtained|recorded|observed|calculated|"
        r"estimated|determined|reported|achieved|used)\s+(?:for|in|on|at|by|with)\s+(?:the\s+|a\s+|an\s+)?(.*)",
        nxt,
    )
    return _clean_np(m.group(1).split()[:6]) if m else None


def _nearest_np(before: str) -> str | None:
    """The last noun phrase before the figure, when no clause structure was found."""
    words = before.split()
    while words and (
        words[-1].lower().strip("(,") in _STOP | {"of", "and", "or"} or re.search(r"\d", words[-1])
    ):
        words.pop()
    np = _np_before(" ".join(words))
    return np if np and _good_np(np) else None


def _modifies_hyphen(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """'a 275-horsepower motor', 'a 15.6-inch touch screen': the figure is an adjective."""
    if not re.search(r"\b(?:a|an|the|its|their|his|her|this|each)\s+$", before, re.I):
        return None
    return _modifies(sentence, before, nxt, unit)


_CLAUSE_SPLIT = re.compile(
    r"[;:]\s|,\s(?=(?:which|where|while|whereas|and|but|whilst|although|though|when)\s)|\s(?=(?:where|whereas|while|"
    r"whilst|which|that|when)\s)|\(|\s[–—]\s"
)


def _clause_np(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """The subject of the clause that holds the figure: the noun phrase before its first verb."""
    parts = _CLAUSE_SPLIT.split(before)
    for k in range(len(parts) - 1, -1, -1):
        words = parts[k].split()
        if words and words[0].lower() in (
            "which",
            "that",
            "where",
            "when",
            "while",
            "whereas",
            "whilst",
            "and",
            "but",
        ):
            words = words[1:]
        for i, w in enumerate(words):
            bare = w.strip("“”\"'(),.;:!?")
            prev = words[i - 1] if i else ""
            if _AUX.match(bare) or (
                bare.endswith("ed") and len(bare) > 4 and i > 0 and not _DETERMINER.match(prev)
            ):
                if i == 0:
                    break  # "which is 20 m": the subject is before the clause
                lead = " ".join(words[:i])
                if lead.endswith(","):
                    lead = lead[:-1]
                lead = re.split(r",\s", lead)[-1]
                return _np_before(lead)
        else:
            if k == len(parts) - 1:
                continue
            return None
    return None


_NUMBER_WORD = re.compile(r"^(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|\d[\d.,]*)-", re.I)


def _colon_lead(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    return _subject_before(sentence, len(before))


def _leading_of(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """'Of the total participants who filled in the survey, 65 percent were white' -> 'total participants'."""
    m = re.match(r"\s*(?:Of|Among)\s+(?:the\s+|all\s+|those\s+|these\s+)?(.*)", before)
    if not m or "," not in before:
        return None
    return _clean_np(m.group(1).split()[:6])


def _object_by(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """What a change changes: 'reduce GDP by 0.25 percent', 'capacity from 175 gigawatts'."""
    m = re.search(
        r"(?P<np>(?:[\w&'’/-]+\s){0,4}?[\w&'’/-]+)\s+(?:by|from)\s+(?:(?:about|nearly|around|some|almost|roughly|"
        r"just|more than|less than|an estimated)\s+)?$",
        before,
    )
    return _np_unless_verb(m["np"]) if m else None


def _np_unless_verb(text: str) -> str | None:
    """The noun phrase ending `text`, unless it ends in a verb ('start at' is not a population)."""
    np = _np_before(text)
    return None if np and _is_verb(np.split()[-1]) else np


def _is_verb(word: str) -> bool:
    """A verb form, for cutting noun phrases: 'rose', 'boosted' (not 'spending', 'funding')."""
    w = word.lower()
    return bool(_AUX.match(w)) or (
        w.endswith("ed") and len(w) > 4 and w not in ("need", "seed", "speed", "feed")
    )


_NEAR_AUX = re.compile(
    r"(?P<np>(?:[\w&.'’/-]+\s){0,5}?[\w&.'’/-]+)\s+(?:that[’']s|which is|that is|that are|who are|will|would|"
    r"can|could|may|might|is|are|was|were|has|have|had|should|must|gets|get|got|offers|delivers|makes|"
    r"produces|generates)\s+(?P<gap>[^,;:\d]{0,50})$",
    re.I,
)


def _near_subject(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """The subject of the clause the figure is in: 'the wagon will be able to go 300 miles',
    'an engine that’s 20% more powerful'."""
    m = None
    for m in _NEAR_AUX.finditer(before):  # noqa: B007 - the last match is the nearest clause
        pass
    if not m:
        return None
    np = _np_before(m["np"])
    return np


def _of_before(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """'revenue of $27.53 billion', 'sales growth of 1.8 percent', 'a margin of 20 points'."""
    m = _OF_BEFORE.search(before)
    return _np_unless_verb(m["np"]) if m else None


def _verb_subject(sentence: str, before: str, nxt: str, unit: str) -> str | None:
    """The subject of the verb right before the figure: 'Comparable sales rose 3.6 percent'."""
    if len(before) > _SUBJECT_REACH:  # a match spans a few words: search the tail, from a word's start
        before = before[-_SUBJECT_REACH:].split(" ", 1)[-1]
    m = _SUBJECT_VERB.search(before)
    return _np_before(m["np"]) if m else None


_SUBJECT_REACH = 200  # characters before the figure that `_SUBJECT_VERB` can span; searching all is slow


_AUX = re.compile(
    r"^(?:is|are|was|were|be|been|has|have|had|will|would|can|could|may|might|should|must|does|do|did|"
    r"goes|go|went|gets|got|offers|offer|offered|starts|start|started|generates|generate|generated|makes|made|"
    r"costs|cost|takes|took|needs|needed|uses|used|gives|gave|sees|saw|holds|held|reached|hit|hits|"
    r"topped|tops|posted|reported|reports|said|says|expects|expected|plans|planned|wants|wanted|"
    r"rose|fell|grew|jumped|climbed|dropped|declined|increased|decreased|gained|lost|earned|spent|paid|"
    r"totaled|totalled|accounted|accounts|came|comes|remains|remained|stands|stood|produces|produced|"
    r"delivers|delivered|features|featured|includes|included|contains|contained|measures|measured|"
    r"weighs|weighed|boasts|boasted|carries|carried|provides|provided|runs|ran|lasts|lasted|sits|sat)$",
    re.I,
)


def clause_subject(sentence: str) -> str | None:
    """The subject of a sentence's main clause: the noun phrase before its first verb."""
    words = sentence.split()
    for i, w in enumerate(words[:14]):
        bare = w.strip("“”\"'(),.;:!?").lower()
        if i == 0 and re.fullmatch(r"(?:it|they|he|she)[’'](?:s|re|ll|d)", bare):
            return "It"
        verb = _AUX.match(bare) or (
            bare.endswith("ed") and len(bare) > 4 and i > 0 and not _DETERMINER.match(words[i - 1])
        )
        if verb and i > 0:
            lead = " ".join(words[:i])
            lead = lead.rsplit(",", 1)[-1] if lead.count(",") and not lead.endswith(",") else lead
            np = _np_before(lead)
            if np and len(np.split()) <= 6:
                return np
            return None
    return None


def _first_rule(
    rules: tuple, sentence: str, before: str, nxt: str, unit: str
) -> tuple[str | None, str | None]:
    """The noun phrase of the first rule that finds a good one, and the rule's name (its function's, unprefixed)."""
    for rule in rules:
        np = rule(sentence, before, nxt, unit)
        if np and _good_np(np):
            return np, rule.__name__.lstrip("_")
    return None, None


# Who or what a figure describes, by the kind of figure: each rule looks at the sentence around the
# figure and returns a noun phrase or None; the first good one wins (see each rule's docstring).
_MEASUREMENT_RULES = (
    _in_brackets,  # "film (<200 nm)"
    _modifies_hyphen,  # "a 275-horsepower motor"
    _measured_for,  # "111 MPa was measured for the epoxy"
    _modifies,  # "10 μM FeCl3"
    _clause_np,  # "clay mineral values are greater than 10%"
    _near_subject,  # "the wagon will be able to go 300 miles"
    _verb_subject,  # "Comparable sales rose 3.6 percent"
)
_SHARE_RULES = (
    _in_brackets,  # "native ad units (38%)"
    _as_many,  # "10 times as many cases"
    _modifies,  # "a 9% funding increase", "$70,000 bond"
    _colon_lead,  # "IT execs had their say: 30 percent noted"
    _leading_of,  # "Of the participants, 65 percent were white"
    _object_by,  # "reduce GDP by 0.25 percent"
    _of_before,  # "revenue of $27.53 billion"
    _verb_subject,  # "Comparable sales rose 3.6 percent"
    _near_subject,  # "an engine that's 20% more powerful"
)


def _population_after(sentence: str, rel_end: int) -> str | None:
    """'40 percent of nurses said...' -> 'nurses'; '$20 billion in farm products' -> 'farm products'."""
    rest = sentence[rel_end:]
    m = re.match(r"\s*\)?\s*(?:of|at|among|in|worth of|for)\s+(?:the\s+|all\s+|those\s+)?(.*)", rest, re.S)
    if not m:
        return None
    words = m.group(1).split()
    if words and re.match(r"^\d", words[0]):
        return None
    np = _clean_np(words[:10])
    if np and _PRONOUN.match(np):
        return "PRONOUN"
    if np and (
        np.lower() in {m.lower() for m in tables.MONTHS}
        or re.fullmatch(r"(?:19|20)\d\d", np)
        or re.search(
            r"\b(?:quarter|year|month|week|day|season|period|decade|half|morning|afternoon|evening|"
            r"session|trading|months|years|weeks|days)$",
            np,
            re.I,
        )
        or np.split()[0] in tables.MONTHS + tables.WEEKDAYS
    ):
        return None
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


def _measure_of(sentence: str, q: Quantity, unit: str, population: str | None) -> str | None:
    """What is measured: the property ranker's span for a measurement, else the clause rule's."""
    if entity.unit_class(unit) in entity.PROPERTY_UNITS:
        found = entity.measured_property(sentence, q.start, q.end, unit, population)
        if found:
            return found
    return _measure(sentence, q.end, population) if unit != "count" else None


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


def _change(sentence: str, q: Quantity) -> str | None:
    """'up' or 'down' when the figure is a change ('fell 0.5%', 'a 9% increase'), else None."""
    if q.role in ("from", "to"):
        return (
            "up"
            if _UP.search(sentence[max(0, q.start - 40) : q.start])
            else "down"
            if _DOWN.search(sentence[max(0, q.start - 40) : q.start])
            else None
        )
    before = sentence[max(0, q.start - 30) : q.start]
    after = sentence[q.end : q.end + 25]
    m = re.search(
        r"(\w+)\s+(?:by\s+)?(?:(?:about|nearly|around|some|almost|roughly|more than|just)\s+)?\(?$", before
    )
    if m:
        w = m.group(1).lower()
        if w in tables.UP_WORDS:
            return "up"
        if w in tables.DOWN_WORDS:
            return "down"
    m = re.match(
        r"\s(?:\w+\s)?(increase|gain|growth|jump|rise|hike|rally|surge|drop|decline|fall|loss|cut|reduction|decrease|slump)\b",
        after,
        re.I,
    )
    if m:
        return (
            "up"
            if m.group(1).lower() in ("increase", "gain", "growth", "jump", "rise", "hike", "rally", "surge")
            else "down"
        )
    return None


def _source_in(sentence: str) -> str | None:
    for pattern in _SOURCE_PATTERNS:
        m = pattern.search(sentence)
        if m:
            src = m["src"].strip(" ,.")
            src = re.sub(r"^the\s", "", src)
            if len(src) > 2 and not _SOURCE_NOT.match(src):
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


def _share_predicates(stats: list[Statistic], sentence_start: int) -> None:
    """'80 percent of X and 68 percent of Y said Z': both figures measure Z."""
    idx = [i for i, st in enumerate(stats) if st.sentence_start == sentence_start and st.unit == "percent"]
    following: str | None = None
    for i in reversed(idx):
        if stats[i].measure is None and following:
            stats[i] = replace(stats[i], measure=following)
        elif stats[i].measure:
            following = stats[i].measure


def _period(sentence: str) -> str | None:
    m = _PERIOD.search(sentence)
    return m.group(0) if m else None
