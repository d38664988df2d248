"""Word documents (.docx) with python-docx: paragraphs in order, headings and list items kept
apart, tables row by row; title, author and date from the document's core properties."""

from __future__ import annotations

import io

from kb.errors import EmptyDocument, UnsupportedFile
from kb.records import Metadata


def docx_to_text(data: bytes, name: str) -> tuple[str, Metadata]:
    """The document's text (paragraphs separated by a blank line) and its core properties."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise UnsupportedFile(name, f"not a readable Word document ({exc})") from exc
    except Exception as exc:  # a zip that is not a Word package raises many kinds of error
        raise UnsupportedFile(name, f"not a readable Word document ({type(exc).__name__})") from exc
    blocks = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                blocks.append(" | ".join(dict.fromkeys(cells)))
    if not blocks:
        raise EmptyDocument(name, "Word document has no text")
    props = document.core_properties
    date = props.created.date().isoformat() if props.created else None
    meta = Metadata(title=props.title or None, author=props.author or None, date=date)
    return "\n\n".join(blocks), meta
