"""PDF reports: text in reading order, paragraphs rebuilt, running headers and footers removed.

pypdfium2 (PDFium, Apache/BSD) gives each page's text runs with their boxes. From the boxes kb
rebuilds lines (runs on one baseline), columns (a page whose lines sit in two x ranges reads left
column first), paragraphs (a larger gap, an indent, or a short line ending a sentence starts a new
one), and joins words hyphenated at a line end ("commu-" + "nication"). Lines in the top or bottom
margin that repeat across pages (digits folded, so "Page 3 of 12" repeats) or that are only a page
number are running headers and footers: `clean_pdf` removes them and lists them as removed chrome.

`pdf_to_text` lays a PDF out as plain text (paragraphs separated by a blank line, pages by a form
feed, margin lines marked), deterministically, so `kb verify` can re-extract and compare.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from kb.errors import EmptyDocument, UnsupportedFile
from kb.records import Metadata, Removed

PAGE_BREAK = "\f"
MARGIN = "\u2063"  # invisible separator: starts a line that sat in the top or bottom margin
SMALL = "\u2064"  # invisible plus: a margin line set in smaller type than the body
_MARGIN_SHARE = 0.075  # top and bottom 7.5% of the page height
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?[-–]?\s*\d{1,4}\s*[-–]?\s*(?:(?:of|/)\s*\d{1,4})?\s*$", re.I)


@dataclass(slots=True)
class _Line:
    left: float
    bottom: float
    right: float
    top: float
    text: str


def pdf_to_text(data: bytes, name: str) -> tuple[str, Metadata]:
    """The PDF's text laid out as paragraphs and pages, and its metadata (info dictionary, XMP)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower() or "security" in reason.lower():
            raise UnsupportedFile(name, "encrypted PDF (kb does not read password-protected files)") from exc
        raise UnsupportedFile(name, f"broken PDF ({reason})") from exc
    try:
        pages: list[str] = []
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                pages.append(_page_text(page))
            finally:
                page.close()
        meta = _metadata(pdf)
    finally:
        pdf.close()
    if not any(p.replace(MARGIN, "").replace(SMALL, "").strip() for p in pages):
        raise EmptyDocument(name, "PDF has no text layer (a scan?); kb does not run OCR")
    return PAGE_BREAK.join(pages), meta


def _page_text(page) -> str:
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        runs = []
        for i in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(i)
            text = textpage.get_text_bounded(left, bottom, right, top).replace("\r", "").replace("\n", " ")
            # PDFium marks a hyphen that ends a line with \x02; other control characters are noise
            text = _CONTROL.sub("", text.replace("\x02", "-").replace("\u00ad", "-"))
            text = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text)
            if text.strip():
                runs.append(_Line(left, bottom, right, top, text.strip()))
    finally:
        textpage.close()
    lines, columns = _layout(runs, width)
    margin = [
        ln for ln in lines if ln.top > height * (1 - _MARGIN_SHARE) or ln.bottom < height * _MARGIN_SHARE
    ]
    body = sorted(ln.top - ln.bottom for ln in lines if ln not in margin)
    typical = body[len(body) // 2] if body else 0.0

    def marked(ln: _Line) -> str:  # a margin line in smaller type than the body is page furniture
        return (SMALL if typical and ln.top - ln.bottom < typical * 0.85 else MARGIN) + ln.text

    ordered = sorted(margin, key=lambda ln: (-ln.top, ln.left))
    out = [marked(ln) for ln in ordered if ln.top > height / 2]
    for column in columns:
        out.extend(_paragraphs([ln for ln in column if ln not in margin]))
    out.extend(marked(ln) for ln in ordered if ln.top <= height / 2)
    return "\n".join(out)


def _layout(runs: list[_Line], width: float) -> tuple[list[_Line], list[list[_Line]]]:
    """All lines, and the lines in reading order as columns: full-width lines above the columns,
    the left column, the right column, then full-width lines below."""
    gutter = _gutter(runs, width)
    if gutter is None:
        lines = _merge_runs(runs)
        return lines, [sorted(lines, key=lambda ln: (-ln.top, ln.left))]
    left = _merge_runs([r for r in runs if r.right <= gutter])
    right = _merge_runs([r for r in runs if r.left >= gutter])
    spanning = _merge_runs([r for r in runs if r.left < gutter < r.right])
    top = max(ln.top for ln in left + right)
    above = [ln for ln in spanning if ln.bottom >= top - 1]
    below = [ln for ln in spanning if ln not in above]
    order = [sorted(group, key=lambda ln: (-ln.top, ln.left)) for group in (above, left, right, below)]
    return left + right + spanning, [g for g in order if g]


def _gutter(runs: list[_Line], width: float) -> float | None:
    """The x of the gap between two columns: a vertical band near the middle that almost no text
    run crosses while both sides hold text; None for a one-column page."""
    if len(runs) < 6:
        return None
    best, best_cover = None, len(runs)
    x = width * 0.3
    while x <= width * 0.7:
        cover = sum(1 for r in runs if r.left < x < r.right)
        if cover < best_cover:
            best, best_cover = x, cover
        x += 2.0
    if best is None or best_cover > max(3, len(runs) * 0.08):  # titles and page numbers may cross it
        return None
    n_left = sum(1 for r in runs if r.right <= best)
    n_right = sum(1 for r in runs if r.left >= best)
    return best if min(n_left, n_right) >= max(3, 0.2 * len(runs)) else None


def _merge_runs(runs: list[_Line]) -> list[_Line]:
    """Runs on one baseline and close together make a line."""
    runs.sort(key=lambda r: (-round(r.bottom), r.left))
    lines: list[_Line] = []
    for r in runs:
        last = lines[-1] if lines else None
        height = max(r.top - r.bottom, 1.0)
        if last and abs(last.bottom - r.bottom) < height * 0.5 and 0 <= r.left - last.right < height * 2.5:
            gap = " " if r.left - last.right > height * 0.15 else ""
            last.text += gap + r.text
            last.right, last.top = max(last.right, r.right), max(last.top, r.top)
        else:
            lines.append(_Line(r.left, r.bottom, r.right, r.top, r.text))
    return lines


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Lines of one column as text: a newline inside a paragraph, a blank line between them."""
    if not lines:
        return []
    gaps = [a.bottom - b.top for a, b in itertools.pairwise(lines) if a.bottom - b.top > -1]
    typical = sorted(gaps)[len(gaps) // 2] if gaps else 0.0
    margin_left = Counter(round(ln.left) for ln in lines).most_common(1)[0][0]
    widest = max(ln.right for ln in lines)

    def starts_paragraph(prev: _Line, ln: _Line) -> bool:
        height = max(ln.top - ln.bottom, 1.0)
        return (
            prev.bottom - ln.top > max(typical * 1.8, typical + height * 0.6)  # a larger gap
            or (
                ln.left - margin_left > height * 0.8 and abs(prev.left - margin_left) < height * 0.5
            )  # indent
            or (
                prev.right < widest - height * 4 and bool(re.search(r"[.!?:”\"]$", prev.text))
            )  # short last line
        )

    paragraphs: list[list[str]] = [[lines[0].text]]
    for prev, ln in itertools.pairwise(lines):
        if starts_paragraph(prev, ln):
            paragraphs.append([ln.text])
        else:
            paragraphs[-1].append(ln.text)
    return ["\n\n".join("\n".join(p) for p in paragraphs)]


def _metadata(pdf) -> Metadata:
    info = pdf.get_metadata_dict(skip_empty=True)

    def clean(value: str | None) -> str | None:
        value = (value or "").strip()
        return None if not value or value.lower() in ("(unspecified)", "untitled", "unknown") else value

    date = None
    m = re.match(r"D:(\d{4})(\d{2})?(\d{2})?", info.get("CreationDate") or "")
    if m:
        date = "-".join(p for p in m.groups() if p)
    return Metadata(title=clean(info.get("Title")), author=clean(info.get("Author")), date=date)


def join_lines(paragraph: str) -> str:
    """A paragraph's lines as one line: 'commu-' + 'nication' -> 'communication'."""
    out = paragraph.split("\n")
    text = out[0]
    for line in out[1:]:
        if re.search(r"[A-Za-z]-$", text) and re.match(r"[a-z]", line):
            text = text[:-1] + line
        else:
            text = f"{text} {line}"
    return text


def clean_pdf(text: str) -> tuple[str, Metadata, list[Removed], list[tuple[int, int, int]]]:
    """Clean text from `pdf_to_text`: running headers, footers and page numbers removed, lines of a
    paragraph joined. Returns the text, its metadata from page one, what was removed, and
    (page, start, end) of each page in the clean text."""
    pages = text.split(PAGE_BREAK)
    margins = [[ln[1:] for ln in p.split("\n") if ln.startswith((MARGIN, SMALL))] for p in pages]
    shape = Counter(re.sub(r"\d+", "#", ln.strip().lower()) for lines in margins for ln in set(lines))
    repeated = {k for k, n in shape.items() if n >= max(2, len(pages) // 2)}
    out: list[str] = []
    removed: list[Removed] = []
    spans: list[tuple[int, int, int]] = []
    pos = 0
    for number, page in enumerate(pages, start=1):
        kept: list[str] = []
        for ln in page.split("\n"):
            if not ln.startswith((MARGIN, SMALL)):
                kept.append(ln)
                continue
            key = re.sub(r"\d+", "#", ln[1:].strip().lower())
            if key in repeated or _PAGE_NUMBER.match(ln[1:]) or ln.startswith(SMALL):
                removed.append(Removed(ln[1:].strip(), "running header, footer or page number"))
            else:  # text in the margin that does not repeat is content (a one-page note, a caption)
                kept.extend(["", ln[1:], ""])
        body = "\n".join(kept)
        paragraphs = [join_lines(p.strip()) for p in re.split(r"\n\s*\n", body) if p.strip()]
        if not paragraphs:
            continue
        chunk = "\n\n".join(re.sub(r"[ \t]+", " ", p) for p in paragraphs)
        if out:
            pos += 2
        spans.append((number, pos, pos + len(chunk)))
        out.append(chunk)
        pos += len(chunk)
    first = out[0].split("\n\n", 1)[0] if out else ""
    title = first if 3 <= len(first.split()) <= 20 and not re.search(r"[.!?]$", first) else None
    return "\n\n".join(out), Metadata(title=title), removed, spans
