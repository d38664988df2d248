"""Split a document's clean text into passages and sentences, keeping offsets.

A passage is a paragraph; a list item is a passage of its own, embedded with
its lead-in sentence as context; a heading is not a passage but the context of
the passages under it, and so is the document's title when its text opens with
it; a paragraph longer than the model's window is cut at sentence boundaries.
Sentence boundaries come from `sentencex`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kb.ingest.textclean import is_bullet
from kb.records import CleanDoc, Passage

MAX_WORDS = 160  # ~210 word pieces, inside MiniLM's 256-token window
WORDS_PER_TOKEN = 0.625  # English prose runs ~1.3 word pieces a word; the rest is room for the context


def window_words(max_tokens: int) -> int:
    """The longest passage, in words, that a model reading `max_tokens` word pieces sees whole.

    A paragraph is one passage when it fits: cut in two, each half's vector misses what the
    other says (SciFact abstracts, bge-small's 512 tokens: dense nDCG@10 0.733 cut at 160 words,
    0.754 whole)."""
    return max(MAX_WORDS, int(max_tokens * WORDS_PER_TOKEN))


_BLOCK_SEP = re.compile(r"\n\s*\n")


def framed(text: str, context: str = "") -> str:
    """A passage's text as a model reads it: its heading or lead-in, then the text."""
    return f"{context}\n{text}" if context else text


def embed_text(passage: Passage) -> str:
    """What the embedder sees for a passage (`framed`).

    Lives here, in a module the pipeline version hashes, so changing it re-embeds."""
    return framed(passage.text, passage.context)


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in `text`, shifted by `offset`, whitespace trimmed."""
    from sentencex import get_sentence_boundaries

    spans = []
    for b in get_sentence_boundaries("en", text):
        start, end = b["start_index"], b["end_index"]
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if end - trail > start + lead:
            begin = offset + start + lead
            # A "sentence" that starts in lower case or with "%", ")" or a digit continues the one
            # before: sentencex broke it after an abbreviation ("10 wt.% NaCl", "Fig. 3 shows").
            if (
                spans
                and re.match(r"[a-z%)\],;:\d]", text[start + lead])
                and not re.match(r"\d+\.\s", text[start + lead :])
            ):
                spans[-1] = (spans[-1][0], offset + end - trail)
            else:
                spans.append((begin, offset + end - trail))
    if not spans and text.strip():
        lead = len(text) - len(text.lstrip())
        spans.append((offset + lead, offset + len(text.rstrip())))
    return spans


def blocks(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each blank-line-separated block, whitespace trimmed."""
    pos = 0
    for m in [*_BLOCK_SEP.finditer(text), None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            yield pos + lead, pos + len(chunk.rstrip())
        pos = m.end() if m else len(text)


def is_heading(text: str) -> bool:
    """A short line without sentence-final punctuation (questions allowed) reads as a heading."""
    words = text.split()
    return (
        0 < len(words) <= 10
        and "\n" not in text
        and not text.rstrip().endswith((".", "!", ":", '"', "”", ";", ","))
    )


def segment(doc: CleanDoc, max_words: int = MAX_WORDS) -> list[Passage]:
    """Passages of a clean document, in order, each with its sentences; none longer than
    `max_words` unless one sentence is (see `window_words`)."""
    text = doc.text
    title = " ".join((doc.meta.title or "").split())
    passages: list[Passage] = []
    heading = ""
    previous = ""  # the last paragraph, lead-in of a list that follows it

    def add(start: int, end: int, context: str) -> None:
        sents = tuple(sentence_spans(text[start:end], start))
        passages.append(
            Passage(
                doc_id=doc.id,
                ordinal=len(passages),
                start=start,
                end=end,
                text=text[start:end],
                context=context,
                sentences=sents,
            )
        )

    for start, end in blocks(text):
        block = text[start:end]
        if title and not passages and not heading and " ".join(block.split()) == title:
            # A text that opens with its own title (a BEIR abstract, a note): the title heads what
            # follows, however long it is, as a short heading would.
            heading = block
            continue
        lines = block.split("\n")
        if len(lines) > 1 or is_bullet(block):
            # A list (or a block of lines): one passage per line, with the lead-in as context.
            lead_in = previous if previous.rstrip().endswith(":") else heading
            pos = start
            for line in lines:
                s = pos + len(line) - len(line.lstrip())
                e = pos + len(line.rstrip())
                if e > s:
                    add(s, e, lead_in)
                pos += len(line) + 1
            continue
        if is_heading(block):
            heading = block
            continue
        words = len(block.split())
        if words <= max_words:
            add(start, end, heading)
        else:
            chunk_start = chunk_end = None
            count = 0
            for s, e in sentence_spans(block, start):
                n = len(text[s:e].split())
                if chunk_start is not None and count + n > max_words:
                    add(chunk_start, chunk_end, heading)
                    chunk_start, count = None, 0
                if chunk_start is None:
                    chunk_start = s
                chunk_end = e
                count += n
            if chunk_start is not None:
                add(chunk_start, chunk_end, heading)
        previous = block
    return passages
