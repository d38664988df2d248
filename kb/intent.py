"""Question intents: what kind of answer a question wants, and how to find it.

A question like "what blocks collaboration" asks for obstacles, yet the words
of good answers ("misaligned goals", "lack of trust") share nothing with it,
and a small sentence model does not bridge the gap. Classic QA systems match
the question type to an answer type; kb does the same with a few generic
English lexicons: each intent adds terms to the lexical query and gives a
bounded boost to passages that carry its answer type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    trigger: re.Pattern[str]  # matched against the question
    expansion: tuple[str, ...]  # extra lexical query terms
    cue: re.Pattern[str]  # matched against passages; hits count toward the boost
    implied_by: re.Pattern[str] | None = None  # words that imply the intent without naming it
    strength: float = 1.0  # of the boost: 1 when the question names the intent, IMPLIED when it implies it


INTENTS: tuple[Intent, ...] = (
    Intent(
        "obstacle",
        re.compile(
            r"\b(block\w*|barrier\w*|obstacle\w*|hinder\w*|imped\w*|prevent\w*|stand\w* in the way|hold\w* back|"
            r"challenge\w*|problem\w*|difficult\w*|struggl\w*|friction|tension\w*|conflict\w*|"
            r"what stops|why .{0,40}\b(fail|struggle|not work|don'?t work|bypass\w*))\b",
            re.I,
        ),
        (
            "barrier",
            "obstacle",
            "impediment",
            "roadblock",
            "bottleneck",
            "challenge",
            "challenged",
            "problem",
            "conflict",
            "lack",
            "misaligned",
            "hinder",
            "struggle",
            "disconnect",
            "bypass",
            "resistance",
            "silo",
            "siloed",
            "friction",
            "tension",
            "difficult",
            "gap",
            "distrust",
            "mistrust",
            "rivalry",
            "odds",
        ),
        re.compile(
            r"\b(barrier|obstacle|challeng|problem|conflict|lack|misalign|hinder|struggl|disconnect|bypass|"
            r"resist|silo|friction|tension|difficult|dissonan|odds|strain|isolat|fail|poor|dysfunction|"
            r"trouble|blame|exacerbat|impediment|roadblock|bottleneck|distrust|mistrust|rivalr|"
            r"not (?:seen|aligned|speaking|effective))\w*",
            re.I,
        ),
    ),
    Intent(
        "quantity",
        re.compile(
            r"\b(how many|how much|what (?:share|percent\w*|proportion|fraction|number|portion)|"
            r"how (?:often|likely|prepared|common|widespread)|statistic\w*|figures?)\b",
            re.I,
        ),
        (),
        re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|percent|per cent)|\b(?:half|third|quarter|fifth)\b", re.I),
    ),
    Intent(
        "recommendation",
        re.compile(
            r"\b(recommend\w*|advi[cs]e\w*|suggest\w*|how (?:to|can|could|do|does|should)(?=(?: \w+){0,5}? improve)|best practice\w*)\b",
            re.I,
        ),
        ("recommends", "recommendation", "should", "advice", "improve"),
        re.compile(
            r"\b(recommend\w*|should|must|advice|need to|step|start|improv\w*)\b|^[•\-*]\s", re.I | re.M
        ),
        # "What should an advisor bring?" may want advice, or what an advisor is for.
        implied_by=re.compile(r"\bshould\b", re.I),
    ),
)


_INTERROGATIVE = re.compile(
    r"^\W*(?:what|which|who|whom|whose|why|how|where|when|is|are|was|were|do|does|did|can|could|should|"
    r"would|will|has|have|had|list|name|show|find|give|tell)\b",
    re.I,
)
KEYWORD_QUERY_WORDS = 6
IMPLIED = 0.5  # the boost of an intent the question only implies


def is_question(text: str) -> bool:
    """A question or a short keyword query, as opposed to a statement ("Aspirin blocks COX-1.").

    Statements, such as the claims of a fact-checking set, say what they are about but ask
    for no answer type, so no intent applies to them.
    """
    text = text.strip()
    if text.endswith("?") or _INTERROGATIVE.match(text):
        return True
    return len(text.split()) <= KEYWORD_QUERY_WORDS and not text.endswith(".")


def intents_of(question: str) -> list[Intent]:
    """The intents a question expresses (possibly none; none for a statement); one it only implies
    ("should") comes with strength IMPLIED."""
    if not is_question(question):
        return []
    found = []
    for intent in INTENTS:
        if intent.trigger.search(question):
            found.append(intent)
        elif intent.implied_by is not None and intent.implied_by.search(question):
            found.append(replace(intent, strength=IMPLIED))
    return found


def expanded_query(question: str, intents: list[Intent]) -> str:
    """The question with each intent's expansion terms appended, for lexical search."""
    extra = [t for i in intents for t in i.expansion]
    return " ".join([question, *extra]) if extra else question


def topic_of(question: str, intents: list[Intent]) -> str:
    """The question without the words that only state its intent ("what blocks X" -> "what X")."""
    for intent in intents:
        question = intent.trigger.sub(" ", question)
        if intent.implied_by is not None:
            question = intent.implied_by.sub(" ", question)
    return question


def cue_score(text: str, intents: list[Intent]) -> float:
    """0..1: how strongly a passage carries the answer types the question asks for.

    Two cue words saturate the score: a passage naming two obstacles is as much an
    answer as one naming five, and longer passages should not win by length alone.
    """
    if not intents:
        return 0.0
    best = 0.0
    for intent in intents:
        hits = len(intent.cue.findall(text))
        best = max(best, intent.strength * min(1.0, hits / 2.0))
    return best
