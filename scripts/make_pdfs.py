"""Render articles as PDF reports, to test kb's PDF reader against their text versions.

    python3 scripts/make_pdfs.py ../shared/eval/news-dev /tmp/news-pdf

Each article is cleaned as `kb clean` cleans it, then laid out with reportlab as a report: the
title as a heading, every other article in two columns, a running header and a "Page N of M"
footer on every page, the author and date in the PDF's info dictionary. Nothing is written into
the repository; the PDFs go to the folder given.
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer

from kb.api import clean_paths
from kb.records import CleanDoc


class _Report(BaseDocTemplate):
    """A document that knows its page count, for "Page N of M" footers (two passes)."""

    def __init__(self, *args, header: str, total: int = 0, columns: int = 1, **kw) -> None:
        super().__init__(*args, **kw)
        self.header, self.total = header, total
        w, h = letter
        if columns == 2:
            gap, col = 18, (w - 144 - 18) / 2
            frames = [
                Frame(72, 72, col, h - 144, id="left"),
                Frame(72 + col + gap, 72, col, h - 144, id="right"),
            ]
        else:
            frames = [Frame(72, 72, w - 144, h - 144, id="body")]
        self.addPageTemplates([PageTemplate(id="page", frames=frames, onPage=self._decorate)])

    def _decorate(self, canvas, doc) -> None:
        w, h = letter
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, h - 48, self.header)
        canvas.drawRightString(w - 72, 40, f"Page {doc.page} of {self.total or '?'}")
        canvas.restoreState()


def render(doc: CleanDoc, out: Path, columns: int) -> None:
    styles = getSampleStyleSheet()
    paragraphs = [p for p in doc.text.split("\n\n") if p.strip()]
    title = doc.meta.title or paragraphs[0]
    body = paragraphs[1:] if paragraphs and paragraphs[0] == title else paragraphs

    def story() -> list:  # flowables are consumed by a build: a fresh story for each pass
        out = [Paragraph(escape(title), styles["Title"]), Spacer(1, 12)]
        out += [Paragraph(escape(line), styles["BodyText"]) for p in body for line in p.split("\n")]
        return out

    header = f"{doc.meta.publisher or 'Research'} report: {title[:60]}"
    kw = {"title": title, "author": doc.meta.author or "", "header": header, "columns": columns}
    first = _Report(str(out), pagesize=letter, **kw)
    first.build(story())
    _Report(str(out), pagesize=letter, total=first.page, **kw).build(story())


def main(src: str, dest: str) -> None:
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    for i, doc in enumerate(d for d in clean_paths([src]) if isinstance(d, CleanDoc)):
        render(doc, out / (Path(doc.path).stem + ".pdf"), columns=2 if i % 2 else 1)
        print(out / (Path(doc.path).stem + ".pdf"), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
