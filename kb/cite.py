"""Citations for documents, statistics and claims in the formats writers' tools read.

Every format is rendered from one CSL-JSON item per work (the format Zotero and
Pandoc exchange), so the fields agree across formats. A statistic that reports a
named study cites the study too, as read "via" the document that reports it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from kb.records import Metadata

FORMATS = ("md", "csl-json", "bibtex", "ris", "apa")

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# "CMO Council and Accenture, “The CMO-CIO Alignment Imperative”" -> organisation, title
_STUDY = re.compile(r"^(?P<org>.+?),\s*[“\"](?P<title>[^”\"]+)[”\"]\s*$")


def ascii_word(text: str) -> str:
    """Lower-case ASCII letters and digits of a word, for citation keys."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


_NOT_PEOPLE = re.compile(
    r"^(?:staff|staff reports?|editorial|editors?|editorial staff|newsroom|news desk|web desk|wire services?|"
    r"associated press|the associated press|ap|afp|reuters|bloomberg|cnn|bbc|npr|futurism|admin|administrator|"
    r"guest|guest author|contributor|team|bureau|agencies|press release|sponsored|partner content)$",
    re.I,
)
_ORG_WORDS = re.compile(
    r"\b(?:staff|bureau|desk|team|editorial|news|press|media|wire|services|sport|sports|network|agency|"
    r"admin|magazine|times|post|journal|daily|weekly|online|digital|group|inc|ltd|llc)\b",
    re.I,
)
_ROLE_TAIL = re.compile(
    r"\s+(?:is\s+an?\s+.*|was\s+an?\s+.*|(?:senior\s+|chief\s+|staff\s+|contributing\s+|associate\s+)*"
    r"(?:news\s+|auto\s+|science\s+|tech\s+|political\s+|business\s+)?(?:reporter|correspondent|writer|"
    r"editor|columnist|contributor|journalist|producer|author)s?\b.*|published\b.*|updated\b.*|"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b.*)$",
    re.I,
)
_CALENDAR = set(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday today yesterday".split()
)
_DEGREE = re.compile(r"^(?:MS|MA|MD|RD|RDN|PhD|Ph\.D\.|MPH|MBA|BSc|MSc|DO|RN|CPA|JD|Esq\.?|Jr\.?|Sr\.?)$")


def people(author: str | None) -> list[str]:
    """The persons a byline names, without roles, degrees, dates, agencies or site names:
    'Tom Krisher; Ap Auto Writer' -> ['Tom Krisher']; 'Phil Helsel is a reporter' -> ['Phil Helsel']."""
    if not author:
        return []
    out: list[str] = []
    for part in re.split(r"\s*;\s*|\s+and\s+|\s*&\s*|,\s*(?=[A-Z][a-z]+\s+[A-Z])", author):
        part = re.sub(r"^(?:by|written by|von|par)\s+", "", part.strip(), flags=re.I)
        part = _ROLE_TAIL.sub("", part).strip(" ,.-|")
        words = [w for w in part.split() if not _DEGREE.match(w.strip(","))]
        part = " ".join(words).strip(" ,")
        if not part or re.search(r"\d|@|https?:|www\.", part) or _NOT_PEOPLE.match(part):
            continue
        if _ORG_WORDS.search(part) or (part.isupper() and len(part) > 3):
            continue  # "Telegraph Sport", "News Nation Bureau", "REUTERS"
        if len(words) == 1 and (
            re.search(r"[a-z][A-Z]|-[A-Z]$", part)
            or part.lower().endswith("admin")
            or part.lower() in _CALENDAR
        ):
            continue  # a user name ("LinkNaija", "Jdadmin", "Kevin-R") or a date word ("November")
        if part[:1].islower():
            continue  # a role, not a name: "writer, P. T. S."
        if len(words) > 5:
            continue
        if part not in out:
            out.append(part)
    return out


def clean_author(author: str | None) -> str | None:
    """A byline as kb stores it: the persons it names, separated by '; ' (None when it names none)."""
    names = people(author)
    return "; ".join(names) if names else None


def document_key(meta: Metadata, doc_id: str, name: str | None = None) -> str:
    """A BibTeX-style key: author surname (else publisher, else first title word), year when
    known, and a title word: 'wailgum2010cmos', 'smithcio', 'buddycios'. Without a title the
    file name stands in ('quicktodo'); never a hash, and never "nd" (a style adds "n.d.")."""
    skip = {
        "the",
        "a",
        "an",
        "of",
        "and",
        "on",
        "in",
        "for",
        "to",
        "whos",
        "who",
        "your",
        "what",
        "how",
        "why",
    }
    title_words = [ascii_word(w) for w in (meta.title or "").split()]
    title_words = [w for w in title_words if w and w not in skip]
    if not title_words and name:
        stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name.rsplit("/", 1)[-1])
        title_words = [w for w in (ascii_word(x) for x in re.split(r"[\W_]+", stem)) if w and not w.isdigit()]
        title_words = [w for w in title_words if not re.fullmatch(r"[0-9a-f]{8,}", w)] or title_words[:0]
    who = ""
    persons = people(meta.author)
    if persons:
        who = ascii_word(persons[0].split()[-1])
    if not who and meta.publisher:
        who = ascii_word(meta.publisher.split()[0])
    if not who and title_words:
        who = title_words.pop(0)
    year = (meta.date or "")[:4] if (meta.date or "")[:4].isdigit() else ""
    what = title_words[0] if title_words else ""
    return f"{who}{year}{what}" or "doc"


def _names(author: str | None) -> list[dict[str, str]]:
    """'Thomas Wailgum' -> [{'family': 'Wailgum', 'given': 'Thomas'}], for each person of the byline."""
    out = []
    for person in people(author):
        words = person.split()
        if len(words) == 1:
            out.append({"literal": words[0]})
        else:
            out.append({"family": words[-1], "given": " ".join(words[:-1])})
    return out


def _date_parts(date: str | None) -> list[int]:
    if not date:
        return []
    return [int(p) for p in date.split("-")[:3] if p.isdigit()]


def study_of(source: str | None) -> tuple[str, str] | None:
    """(organisation, title) when a statistic's source names a titled study, else None."""
    if not source:
        return None
    m = _STUDY.match(source.strip())
    return (m.group("org").strip(), m.group("title").strip()) if m else None


def study_key(org: str, title: str, year: str) -> str:
    """A stable key for a study: first word of the organisation, year, first title word."""
    skip = {"the", "a", "an", "of", "and", "on", "in", "for", "to"}
    word = next((ascii_word(w) for w in title.split() if ascii_word(w) and ascii_word(w) not in skip), "")
    return f"{ascii_word(org.split()[0])}{year}{word or 'study'}"


def document_item(doc: dict[str, Any]) -> dict[str, Any]:
    """The CSL-JSON item of an indexed document."""
    # Saved pages and scrapes are web pages (URL or not); Markdown notes are manuscripts.
    kind = (
        "report"
        if doc.get("kind") in ("pdf", "docx")
        else "manuscript"
        if doc.get("kind") == "md" and not doc.get("url")
        else "webpage"
    )
    item: dict[str, Any] = {"id": doc["citekey"], "type": kind}
    if doc.get("title"):
        item["title"] = doc["title"]
    else:
        item["title"] = doc["path"].rsplit("/", 1)[-1]
    names = _names(doc.get("author"))
    if names:
        item["author"] = names
    parts = _date_parts(doc.get("date"))
    if parts:
        item["issued"] = {"date-parts": [parts]}
    if doc.get("publisher"):
        item["container-title"] = doc["publisher"]
        item["publisher"] = doc["publisher"]
    if doc.get("url"):
        item["URL"] = doc["url"]
    accessed = _date_parts(doc.get("accessed"))
    if accessed:  # a fetched web page: when kb fetched this version
        item["accessed"] = {"date-parts": [accessed]}
    item["note"] = f"kb document {doc['id']}, {doc['path']}"
    return item


def study_item(org: str, title: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The CSL-JSON item of a study known only through the document that reports it."""
    year = (doc.get("date") or "")[:4]
    item: dict[str, Any] = {
        "id": study_key(org, title, year if year.isdigit() else ""),
        "type": "report",
        "title": title,
        "author": [{"literal": org}],
        "note": f"Cited in {doc['citekey']}",
    }
    if year.isdigit():
        item["issued"] = {"date-parts": [[int(year)]]}
    return item


def items_for(
    kind: str, record: dict[str, Any], doc: dict[str, Any], also: Iterable[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The works to cite for a document, statistic or claim: its document, a titled study, and
    for a figure that other documents report too (`also`), those documents."""
    items = [document_item(doc)]
    if kind == "statistic":
        study = study_of(record.get("source"))
        if study:
            items.append(study_item(*study, doc))
    return items + [document_item(d) for d in also]


# -- formats -------------------------------------------------------------------


def _human_date(item: dict[str, Any]) -> str | None:
    parts = (item.get("issued") or {}).get("date-parts", [[]])[0]
    if len(parts) == 3:
        return f"{parts[2]} {_MONTHS[parts[1] - 1][:3]} {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTHS[parts[1] - 1]} {parts[0]}"
    return str(parts[0]) if parts else None


def _display_names(item: dict[str, Any]) -> str | None:
    names = [n.get("literal") or f"{n['given']} {n['family']}" for n in item.get("author", [])]
    return " and ".join(names) if names else None


def _short(item: dict[str, Any]) -> str:
    """'Wailgum 2010' for in-text "via" mentions."""
    authors = item.get("author") or []
    who = (authors[0].get("family") or authors[0].get("literal")) if authors else item["title"]
    parts = (item.get("issued") or {}).get("date-parts", [[]])[0]
    return f"{who} {parts[0] if parts else 'n.d.'}"


def reference_md(item: dict[str, Any], via: dict[str, Any] | None = None) -> str:
    """'Thomas Wailgum, “Title”, Publisher, 4 Oct 2010. URL' (a study: its title in italics, via ...)."""
    if item["type"] == "report" and via is not None:
        parts = [_display_names(item), f"*{item['title']}*", _human_date(item)]
        return ", ".join(p for p in parts if p) + f", via {_short(via)}."
    parts = [_display_names(item), f"“{item['title']}”", item.get("container-title"), _human_date(item)]
    text = ", ".join(p for p in parts if p) + "."
    return f"{text} {item['URL']}" if item.get("URL") else text


def markdown(entries: Iterable[tuple[str, dict[str, Any], list[dict[str, Any]]]]) -> str:
    """A footnote per cited work, and for statistics and claims the sentence to paste with its marker."""
    out: list[str] = []
    notes: dict[str, str] = {}
    for kind, record, items in entries:
        doc_item = items[0]
        key = doc_item["id"]
        studied = kind == "statistic" and study_of(record.get("source")) is not None
        if studied:  # a statistic from a titled study: its footnote names the study, via the document
            key = items[1]["id"]
            notes.setdefault(key, reference_md(items[1], via=doc_item))
        else:
            notes.setdefault(key, reference_md(doc_item))
        also = items[1 + studied :]  # other documents that report the same figure
        for item in also:
            notes.setdefault(item["id"], reference_md(item))
        marks = "".join(f"[^{k}]" for k in [key, *(item["id"] for item in also)])
        page = f" (p. {record['page']})" if kind != "document" and record.get("page") else ""
        if kind == "statistic":
            out.append(f"> {record['sentence']}{page}{marks}")
        elif kind == "claim":
            out.append(f"> {record['text']}{page}{marks}")
        if kind != "document":
            out.append("")
    out.extend(f"[^{k}]: {v}" for k, v in notes.items())
    return "\n".join(out) + "\n"


def csl_json(items: Iterable[dict[str, Any]]) -> str:
    return json.dumps(_unique(items), ensure_ascii=False, indent=2) + "\n"


def _unique(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(item["id"], item)
    return list(seen.values())


_BIB_ESCAPE = {c: "\\" + c for c in "&%$#_{}"}
_BIB_ESCAPE.update({"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"})


def _bib(text: str) -> str:
    return "".join(_BIB_ESCAPE.get(c, c) for c in text)


def bibtex(items: Iterable[dict[str, Any]]) -> str:
    """BibTeX entries (@misc for pages and articles, @techreport for studies)."""
    out = []
    for item in _unique(items):
        kind = "techreport" if item["type"] == "report" else "misc"
        fields: list[tuple[str, str]] = []
        names = item.get("author") or []
        if names:
            fields.append(
                (
                    "author",
                    " and ".join(
                        "{" + _bib(n["literal"]) + "}"
                        if "literal" in n
                        else f"{_bib(n['family'])}, {_bib(n['given'])}"
                        for n in names
                    ),
                )
            )
        fields.append(("title", "{" + _bib(item["title"]) + "}"))
        parts = (item.get("issued") or {}).get("date-parts", [[]])[0]
        if parts:
            fields.append(("year", str(parts[0])))
        if len(parts) >= 2:
            fields.append(("month", _MONTHS[parts[1] - 1][:3].lower()))
        if len(parts) == 3:
            fields.append(("date", "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))))
        if item.get("container-title"):
            fields.append(("howpublished", _bib(item["container-title"])))
        if kind == "techreport":
            # a study's organisation, or the publisher of a report written by people
            org = item.get("publisher") or next((n["literal"] for n in names if "literal" in n), None)
            fields.append(("institution", _bib(org) if org else "unknown"))
        if item.get("URL"):
            fields.append(("url", item["URL"]))
        if item.get("note"):
            fields.append(("note", _bib(item["note"])))
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        out.append(f"@{kind}{{{item['id']},\n{body}\n}}\n")
    return "\n".join(out)


def ris(items: Iterable[dict[str, Any]]) -> str:
    """RIS records for reference managers (EndNote, Zotero, Mendeley)."""
    out = []
    for item in _unique(items):
        kind = {"report": "RPRT", "webpage": "ELEC"}.get(item["type"], "GEN")
        lines = [f"TY  - {kind}", f"ID  - {item['id']}"]
        for n in item.get("author") or []:
            lines.append(f"AU  - {n.get('literal') or n['family'] + ', ' + n['given']}")
        lines.append(f"TI  - {item['title']}")
        parts = (item.get("issued") or {}).get("date-parts", [[]])[0]
        if parts:
            lines.append(f"PY  - {parts[0]}")
            lines.append("DA  - " + "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)))
        if item.get("container-title"):
            lines.append(f"PB  - {item['container-title']}")
        if item.get("URL"):
            lines.append(f"UR  - {item['URL']}")
        if item.get("note"):
            lines.append(f"N1  - {item['note']}")
        lines.append("ER  - ")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def apa(items: Iterable[dict[str, Any]]) -> str:
    """APA 7 reference-list entries as plain text (titles as the source writes them)."""
    out = []
    for item in _unique(items):
        names = item.get("author") or []
        authors = []
        for n in names:
            if "literal" in n:
                authors.append(n["literal"])
            else:
                initials = " ".join(f"{g[0]}." for g in n["given"].replace("-", " ").split())
                authors.append(f"{n['family']}, {initials}")
        who = (
            authors[0]
            if len(authors) == 1
            else ", ".join(authors[:-1]) + (", & " + authors[-1] if authors else "")
        )
        parts = (item.get("issued") or {}).get("date-parts", [[]])[0]
        if len(parts) == 3:
            when = f"({parts[0]}, {_MONTHS[parts[1] - 1]} {parts[2]})"
        elif len(parts) == 2:
            when = f"({parts[0]}, {_MONTHS[parts[1] - 1]})"
        else:
            when = f"({parts[0]})" if parts else "(n.d.)"
        title = _sentence_end(item["title"])
        tail = f" {_sentence_end(item['container-title'])}" if item.get("container-title") else ""
        url = f" {item['URL']}" if item.get("URL") else ""
        if who:
            out.append(f"{_sentence_end(who)} {when}. {title}{tail}{url}")
        else:  # no author: the title moves to the author position
            out.append(f"{title} {when}.{tail}{url}")
    return "\n".join(out) + "\n"


def _sentence_end(text: str) -> str:
    """Text ending in one full stop (or the ? or ! it already ends with)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def render(fmt: str, entries: list[tuple[str, dict[str, Any], list[dict[str, Any]]]]) -> str:
    """Render (kind, record, items) entries in one of FORMATS."""
    items = [i for _, _, its in entries for i in its]
    if fmt == "md":
        return markdown(entries)
    if fmt == "csl-json":
        return csl_json(items)
    if fmt == "bibtex":
        return bibtex(items)
    if fmt == "ris":
        return ris(items)
    if fmt == "apa":
        return apa(items)
    raise ValueError(f"unknown citation format {fmt!r}; choose from {', '.join(FORMATS)}")
