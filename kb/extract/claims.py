"""Claims: attributed assertions, quotes, findings and recommendations."""

from __future__ import annotations

from kb.records import Claim, CleanDoc


def extract_claims(doc: CleanDoc) -> list[Claim]:
    """Every claim in the document, in order."""
    return []
