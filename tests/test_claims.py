"""Claim extraction on text of our own: speakers, multi-paragraph quotes, findings, recommendations."""

from __future__ import annotations

from kb.extract.claims import extract_claims
from kb.records import CleanDoc, Metadata

TEXT = "\n\n".join(
    [
        "Hospitals are struggling to hire nurses, according to a new survey by the National Health Forum.",
        "“We are losing experienced staff faster than we can train new ones,” says Maria Gomez, chief nursing officer at Lakeside Hospital.",
        "Gomez added that overtime has doubled. “Nobody can keep this pace for long,” Gomez said.",
        "Head of research at the Forum, Daniel Okafor, said the numbers surprised his team.",
        "“The shortage is worst in rural areas,” he said. “Clinics there have waited months.",
        "“Some have closed their night shifts entirely.”",
        "To close the gap, the Forum recommends:",
        "• Raising pay for night shifts.\n• Funding training places in rural areas.",
    ]
)


def claims() -> list:
    return extract_claims(CleanDoc(path="t.md", kind="md", sha="1" * 64, text=TEXT, meta=Metadata()))


def test_claims_are_verbatim_slices() -> None:
    for c in claims():
        assert TEXT[c.start : c.end] == c.text


def test_quote_speakers_with_roles_surnames_and_pronouns() -> None:
    quotes = [c for c in claims() if c.kind == "quote"]
    assert quotes[0].speaker == "Maria Gomez, chief nursing officer at Lakeside Hospital"
    assert quotes[0].organization == "Lakeside Hospital"
    assert quotes[1].speaker.startswith("Maria Gomez")  # surname resolved
    okafor = quotes[2]
    assert okafor.speaker.startswith("Daniel Okafor")  # "he" resolved
    assert (
        "rural areas" in okafor.text and "night shifts entirely" in okafor.text
    )  # one claim over two paragraphs


def test_findings_and_recommendations() -> None:
    found = claims()
    assert any(c.kind == "finding" and "new survey" in c.text for c in found)
    recs = [c for c in found if c.kind == "recommendation"]
    assert [c.text for c in recs] == [
        "• Raising pay for night shifts.",
        "• Funding training places in rural areas.",
    ]
    assert all(c.organization == "Forum" for c in recs)


# A test set of attribution patterns, written for these tests: (paragraphs, expected speakers in order).
ATTRIBUTIONS = [
    (
        [
            "Governor Ellen Park spoke first.",
            "“We will fix the roads,” Park said.",
            "Mayor Tom Reyes, who has split from his party on taxes, told reporters the plan was late.",
            "“It is far too slow,” he said.",
        ],
        ["Ellen Park", "Tom Reyes"],  # surname; "he" is the nearest person named before it
    ),
    (
        [
            "“The data are clear,” said Amy Liu, an economist at the Urban Institute.",
            "Rates rose again in May, said Omar Haddad, a lender in Ohio. “Nobody expected it,” he said.",
        ],
        ["Amy Liu", "Omar Haddad"],  # the name in the quote's own paragraph beats the previous speaker
    ),
    (
        [
            "Omar Haddad runs a bakery.",
            "“Flour doubled in price,” according to Priya Nair, who supplies him.",
        ],
        ["Priya Nair"],
    ),
    (
        [
            "Trump praised the deal. “It is the best deal ever made,” he said.",
            "Despite a “historic” agreement, talks stalled.",  # a term in quotes, not a quotation
        ],
        ["Trump"],
    ),
    (
        [
            "“We are done negotiating,” Chen wrote in an email. “The offer stands.",
            "“Take it or leave it.”",  # the quote runs over two paragraphs: one claim
        ],
        ["Chen"],
    ),
]


def test_quote_attribution_patterns() -> None:
    for paragraphs, speakers in ATTRIBUTIONS:
        text = "\n\n".join(paragraphs)
        doc = CleanDoc(path="t.txt", kind="txt", sha="2" * 64, text=text, meta=Metadata())
        quotes = [c for c in extract_claims(doc) if c.kind == "quote"]
        got = [(c.speaker or "").split(",")[0] for c in quotes]
        assert got == speakers, (paragraphs, got)
