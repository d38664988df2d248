"""Turn a Source into a CleanDoc: the article's text with page chrome removed.

- HTML: trafilatura finds the main content and the metadata (meta tags,
  JSON-LD, bylines, htmldate for dates); kb walks its XML tree so headings stay
  headings and lists stay lists, then drops chrome trafilatura kept.
- Plain-text scrapes: kb's own block classifier (`textclean`).
- Markdown: markdown-it-py parses it; the rendered blocks then go through the
  same classifier, so chrome in Markdown exported from pages goes too.

Clean text layout: blocks separated by a blank line, list items one per line.
"""

from __future__ import annotations

import logging
import re

from kb.errors import EmptyDocument
from kb.ingest import textclean
from kb.records import CleanDoc, Metadata, Removed, Source

log = logging.getLogger(__name__)

_SPACE = re.compile(r"[ \t\u00a0\u2009\u200a\u202f]+")


def clean(source: Source, shared: frozenset[int] = frozenset()) -> CleanDoc:
    """Clean a decoded document of any supported kind.

    `shared` holds the keys of lines that recur across the collection (site chrome, see
    `boilerplate`); it applies to text scrapes and Markdown."""
    from kb.sources import FORMATS, merge_metadata

    fmt = FORMATS.get(source.kind) or FORMATS["txt"]
    cleaned = fmt.clean(source, shared)
    if not cleaned.text.strip():
        raise EmptyDocument(source.path, "no article text found after cleaning")
    meta = merge_metadata(source.meta, cleaned.meta) if source.meta else cleaned.meta
    if meta.author:  # persons only: no roles, dates, agencies or site names in citations
        from dataclasses import replace

        from kb.cite import clean_author

        meta = replace(meta, author=clean_author(meta.author))
    return CleanDoc(
        path=source.path,
        kind=source.kind,
        sha=source.sha,
        text=cleaned.text,
        meta=meta,
        removed=cleaned.removed,
        pages=cleaned.pages,
    )


def _join(blocks: list[tuple[str, bool]]) -> str:
    """Join (text, is_list_item) blocks: blank line between blocks, newline between list items."""
    out: list[str] = []
    prev_item = False
    for text, item in blocks:
        if out:
            out.append("\n" if item and prev_item else "\n\n")
        out.append(text)
        prev_item = item
    return "".join(out)


def source_line_keys(source: Source) -> frozenset[int]:
    """The line keys of what the block classifier reads for this source (none for HTML,
    whose chrome trafilatura removes)."""
    from kb.sources import FORMATS

    fmt = FORMATS.get(source.kind) or FORMATS["txt"]
    return fmt.line_keys(source)


def clean_plain(text: str, shared: frozenset[int] = frozenset()) -> tuple[str, Metadata, list[Removed]]:
    """Clean a plain-text scrape with the block classifier."""
    spans, meta, removed = textclean.clean_text_scrape(text, shared)
    blocks = [(text[a:b], textclean.is_bullet(text[a:b])) for a, b in spans]
    return _join(blocks), meta, removed


# --- HTML -----------------------------------------------------------------


def _text_of(el) -> str:
    return _SPACE.sub(" ", " ".join("".join(el.itertext()).split())).strip()


def _html_blocks(body) -> list[tuple[str, bool, str]]:
    """(text, is_list_item, tag) for each block of trafilatura's XML body."""
    blocks: list[tuple[str, bool, str]] = []
    for el in body:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "list":
            for item in el.iter("item"):
                text = _text_of(item)
                if text:
                    blocks.append((f"- {text}", True, "item"))
        elif tag == "table":
            for row in el.iter("row"):
                cells = [_text_of(c) for c in row if isinstance(c.tag, str)]
                cells = [c for c in cells if c]
                if cells:
                    blocks.append((" | ".join(cells), False, "row"))
        else:
            text = _text_of(el)
            if text:
                blocks.append((text, False, tag))
    return blocks


def clean_html(html: str) -> tuple[str, Metadata, list[Removed]]:
    """Main content and metadata of an HTML page, via trafilatura plus kb's chrome filter."""
    from trafilatura import bare_extraction

    removed: list[Removed] = []
    try:
        doc = bare_extraction(
            html,
            fast=True,
            include_comments=False,
            include_formatting=True,
            include_tables=True,
            with_metadata=True,
        )
    except Exception as exc:
        log.warning("trafilatura failed (%s); falling back to visible text", exc)
        doc = None
    meta = Metadata()
    blocks: list[tuple[str, bool, str]] = []
    if doc is not None:
        meta = Metadata(
            title=_none(getattr(doc, "title", None)),
            author=_none(getattr(doc, "author", None)),
            date=_none(getattr(doc, "date", None)),
            publisher=_none(getattr(doc, "sitename", None)),
            url=_none(getattr(doc, "url", None)),
            language=_none(getattr(doc, "language", None)),
        )
        if getattr(doc, "body", None) is not None:
            blocks = _html_blocks(doc.body)
    if not blocks:
        # Nothing recognised as an article: keep the page's visible text, cleaned as a scrape.
        text = _visible_text(html)
        spans, text_meta, removed = textclean.clean_text_scrape(text)
        blocks = [(text[a:b], textclean.is_bullet(text[a:b]), "p") for a, b in spans]
        meta = Metadata(**{k: getattr(meta, k) or getattr(text_meta, k) for k in Metadata.__slots__})
    kept = _filter_blocks(blocks, meta, removed)
    return _join(kept), meta, removed


def _filter_blocks(
    blocks: list[tuple[str, bool, str]], meta: Metadata, removed: list[Removed]
) -> list[tuple[str, bool]]:
    """Drop the title (it is metadata) and chrome that survived extraction; cut at end markers."""
    kept: list[tuple[str, bool]] = []
    total = sum(len(t.split()) for t, _, _ in blocks)
    seen_words = 0
    title_norm = textclean._normal(meta.title or "")
    for i, (text, item, _tag) in enumerate(blocks):
        block = textclean._block(text, 0, len(text))
        reason = textclean.chrome_reason(block) if block.words <= 15 else None
        if i == 0 and title_norm and textclean._normal(text) == title_norm:
            removed.append(Removed(text, "title (metadata)"))
            continue
        if reason in textclean.END_MARKERS and seen_words >= 0.6 * total:
            removed.extend(Removed(t, "after the article") for t, _, _ in blocks[i:])
            break
        if reason:
            removed.append(Removed(text, reason))
            continue
        seen_words += block.words
        kept.append((text, item))
    return kept


def _visible_text(html: str) -> str:
    """The page's visible text, one block per line (BeautifulSoup, scripts and styles removed)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "svg", "head"]):
        tag.decompose()
    return "\n".join(s.strip() for s in soup.get_text("\n").split("\n") if s.strip())


def _none(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --- Markdown ---------------------------------------------------------------


def _md_blocks(text: str) -> list[tuple[str, bool, bool]]:
    """Headings, paragraphs and list items of a Markdown document, as plain text:
    (text, is_list_item, is_subheading)."""
    from markdown_it import MarkdownIt

    # commonmark's nesting limit (20) drops everything after a deeper list without a word
    md = MarkdownIt("commonmark", {"maxNesting": 2000}).enable("table")
    tokens = md.parse(text)
    blocks: list[tuple[str, bool, bool]] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "inline":
            children = tok.children or []
            if children and all(
                c.type in ("link_open", "link_close", "text", "softbreak", "image") for c in children
            ):
                link_text = [c for c in children if c.type in ("link_open", "image")]
                plain = "".join(c.content for c in children if c.type == "text").strip()
                if link_text and len(plain.split()) <= 8:
                    continue  # a link-only line: navigation
            content = "".join(
                c.content
                if c.type in ("text", "code_inline")
                else (" " if c.type in ("softbreak", "hardbreak") else "")
                for c in children
            )
            content = _SPACE.sub(" ", content).strip()
            if not content:
                continue
            parent = tokens[i - 1] if i else None
            if depth and parent is not None and parent.type == "paragraph_open":
                blocks.append((f"- {content}", True, False))
            else:
                sub = parent is not None and parent.type == "heading_open" and parent.tag != "h1"
                blocks.append((content, False, sub))
        elif tok.type in ("fence", "code_block"):
            blocks.append((tok.content.rstrip(), False, False))
    return blocks


def _with_leading_headings(
    blocks: list[tuple[str, bool, bool]], spans: list[tuple[int, int]], removed: list[Removed]
) -> list[tuple[int, int]]:
    """Put back the subheadings right above the first kept block ("## Key findings" before the
    first paragraph): the classifier sees a short line before the article, Markdown says it is
    the article's own heading."""
    if not spans:
        return spans
    starts, pos = [], 0
    for t, _, _ in blocks:
        starts.append((pos, pos + len(t)))
        pos += len(t) + 1
    first = next((i for i, (a, _) in enumerate(starts) if a == spans[0][0]), None)
    if first is None:
        return spans
    back: list[tuple[int, int]] = []
    i = first - 1
    while i >= 0 and blocks[i][2]:
        back.insert(0, starts[i])
        i -= 1
    texts = {blocks[k][0] for k in range(i + 1, first)}
    removed[:] = [r for r in removed if not (r.reason == "before the article" and r.text in texts)]
    return back + spans


def clean_markdown(text: str, shared: frozenset[int] = frozenset()) -> tuple[str, Metadata, list[Removed]]:
    """Parse Markdown, drop link-only navigation, then classify blocks like a scrape."""
    blocks = _md_blocks(text)
    rendered = "\n".join(t for t, _, _ in blocks)
    spans, meta, removed = textclean.clean_text_scrape(rendered, shared)
    spans = _with_leading_headings(blocks, spans, removed)
    items = {t for t, item, _ in blocks if item}
    kept = [(rendered[a:b], rendered[a:b] in items) for a, b in spans]
    # A Markdown title is its first level-one heading.
    m = re.search(r"^#\s+(.+)$", text, re.M)
    if m:
        meta = Metadata(
            title=m.group(1).strip(),
            author=meta.author,
            date=meta.date,
            publisher=meta.publisher,
            url=meta.url,
            language=meta.language,
        )
    return _join(kept), meta, removed
