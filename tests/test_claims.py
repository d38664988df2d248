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
