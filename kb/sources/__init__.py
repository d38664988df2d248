"""The formats kb reads, registered in one place.

A format is one module with two functions: `to_text(data, name) -> (text, encoding, Metadata)`
turns a file's bytes into the text kb stores offsets into (decoding, or laying out a PDF), and
`clean(source, shared) -> Cleaned` removes page chrome. Adding a format is one module and one
`FORMATS` line below; `kb.ingest.read` finds files by these extensions and sniffs content with
`sniff`, `kb.ingest.clean` dispatches here, and the pipeline version hashes every module listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kb.records import Metadata, Removed, Source


@dataclass(frozen=True, slots=True)
class Cleaned:
    """What a format's cleaner returns: clean text, metadata, removed blocks, page spans."""

    text: str
    meta: Metadata
    removed: tuple[Removed, ...] = ()
    pages: tuple[tuple[int, int, int], ...] = ()  # (page, start, end) over the clean text


@dataclass(frozen=True, slots=True)
class Format:
    """One readable format: its extensions, how to get its text, how to clean it."""

    kind: str
    extensions: tuple[str, ...]
    binary: bool  # read as bytes by `to_text` (PDF, Word), not decoded as text
    magic: tuple[bytes, ...] = ()  # leading bytes that identify it whatever its extension
    to_text: Callable[[bytes, str], tuple[str, str, Metadata | None]] | None = None
    clean: Callable[[Source, frozenset[int]], Cleaned] = field(
        default=lambda s, k: Cleaned(s.text, Metadata())
    )
    line_keys: Callable[[Source], frozenset[int]] = field(default=lambda s: frozenset())
    modules: tuple[str, ...] = ()  # files (under kb/) whose code decides this format's records


def _txt_clean(source: Source, shared: frozenset[int]) -> Cleaned:
    from kb.ingest.clean import clean_plain

    text, meta, removed = clean_plain(source.text, shared)
    return Cleaned(text, meta, tuple(removed))


def _md_clean(source: Source, shared: frozenset[int]) -> Cleaned:
    from kb.ingest.clean import clean_markdown
    from kb.sources.frontmatter import split_front_matter

    meta_fm, body, removed_fm = split_front_matter(source.text)
    text, meta, removed = clean_markdown(body, shared)
    return Cleaned(text, _merge(meta_fm, meta), tuple(removed_fm) + tuple(removed))


def _html_clean(source: Source, shared: frozenset[int]) -> Cleaned:
    from kb.ingest.clean import clean_html

    text, meta, removed = clean_html(source.text)
    return Cleaned(text, meta, tuple(removed))


def _text_keys(source: Source) -> frozenset[int]:
    from kb.ingest.boilerplate import line_keys

    return line_keys(source.text)


def _md_keys(source: Source) -> frozenset[int]:
    from kb.ingest.boilerplate import line_keys
    from kb.ingest.clean import _md_blocks
    from kb.sources.frontmatter import split_front_matter

    return line_keys("\n".join(t for t, _, _ in _md_blocks(split_front_matter(source.text)[1])))


def _pdf_text(data: bytes, name: str) -> tuple[str, str, Metadata | None]:
    from kb.sources.pdf import pdf_to_text

    text, meta = pdf_to_text(data, name)
    return text, "pdf", meta


def _pdf_clean(source: Source, shared: frozenset[int]) -> Cleaned:
    from kb.sources.pdf import clean_pdf

    text, meta, removed, pages = clean_pdf(source.text)
    return Cleaned(text, meta, tuple(removed), tuple(pages))


def _docx_text(data: bytes, name: str) -> tuple[str, str, Metadata | None]:
    from kb.sources.docx import docx_to_text

    text, meta = docx_to_text(data, name)
    return text, "docx", meta


def _docx_clean(source: Source, shared: frozenset[int]) -> Cleaned:
    return Cleaned(source.text.strip(), Metadata())


def _merge(first: Metadata, second: Metadata) -> Metadata:
    """Fields of `first` where known, else those of `second`."""
    return Metadata(
        **{f: getattr(first, f) or getattr(second, f) for f in Metadata.__dataclass_fields__}  # type: ignore[arg-type]
    )


merge_metadata = _merge

FORMATS: dict[str, Format] = {
    f.kind: f
    for f in (
        Format(
            "txt",
            (".txt", ".text"),
            False,
            clean=_txt_clean,
            line_keys=_text_keys,
            modules=("ingest/textclean.py",),
        ),
        Format(
            "md",
            (".md", ".markdown"),
            False,
            clean=_md_clean,
            line_keys=_md_keys,
            modules=("ingest/textclean.py", "sources/frontmatter.py"),
        ),
        Format("html", (".html", ".htm", ".xhtml"), False, clean=_html_clean),
        Format(
            "pdf",
            (".pdf",),
            True,
            magic=(b"%PDF",),
            to_text=_pdf_text,
            clean=_pdf_clean,
            modules=("sources/pdf.py",),
        ),
        Format("docx", (".docx",), True, to_text=_docx_text, clean=_docx_clean, modules=("sources/docx.py",)),
    )
}

EXTENSIONS: dict[str, str] = {ext: f.kind for f in FORMATS.values() for ext in f.extensions}


def sniff(head: bytes) -> str | None:
    """The format a file's first bytes announce, whatever its extension (a PDF saved as .txt)."""
    for f in FORMATS.values():
        if any(head.startswith(m) for m in f.magic):
            return f.kind
    return None
