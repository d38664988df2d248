"""Turn API results into text for people, JSON for machines, Markdown and CSV for drafts."""

from __future__ import annotations

import csv
import io
import json
import os
import textwrap
from collections.abc import Iterable
from typing import Any

from kb.records import DocInfo

MAX_SHOWN = 2000  # characters of one passage shown in terminal output


def _clip(text: str, limit: int = 600) -> str:
    """A quoted sentence for the terminal: whole up to `limit` characters, else its start and [...]."""
    return text if len(text) <= limit else text[: limit - 100].rstrip() + " […]"


def _quoted(text: str) -> str:
    """A sentence in quotation marks, unless it is one quotation already (no “““…”” doubling)."""
    text = _clip(text)
    inner = text[1:-1]
    if len(text) > 1 and text[0] in '“"' and text[-1] in '”"' and not any(c in inner for c in '“”"'):
        return text
    return f"“{text}”"


def where(path: str | None) -> str:
    """A stored (absolute) path as the terminal shows it: relative to the current directory when
    inside it, so `kb ask` output stays short; JSON output keeps the absolute path."""
    if path and "\n" in path:  # a newline in a file name must not split a listing's lines
        path = path.replace("\n", "\\n")
    if not path or not os.path.isabs(path):
        return path or ""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def short_citation(doc: DocInfo | dict[str, Any]) -> str:
    """'Title — Author, Publisher, 2010-10-04 (path)' with whatever is known."""
    d = doc.to_dict() if isinstance(doc, DocInfo) else doc
    parts = [p for p in (d.get("author"), d.get("publisher"), d.get("date")) if p]
    title = d.get("title") or where(d.get("path"))
    text = f"{title}" + (f" — {', '.join(parts)}" if parts else "")
    return " ".join(text.split())  # one line, whatever the metadata holds


def _highlight(text: str, span: tuple[int, int] | None, color: bool) -> str:
    if not span:
        return text
    a, b = span
    inner = text[a:b]
    marked = f"\x1b[1m{inner}\x1b[0m" if color else f"»{inner}«"
    return text[:a] + marked + text[b:]


def summary_text(summary: Any) -> list[str]:
    """The extractive answer: themes, quoted sentences with [n] markers, the numbered sources."""
    if summary is None or not summary.themes:
        return []
    lines = ["Answer (quoted from the sources):"]
    for theme in summary.themes:
        if theme.label:
            lines.append(f"  {theme.label}")
        for q in theme.quotes:
            marks = "".join(f"[{n}]" for n in q.sources)
            lines.append(
                textwrap.fill(
                    f"{_quoted(q.text)} {marks}",
                    width=96,
                    initial_indent="    • ",
                    subsequent_indent="      ",
                )
            )
    lines.append("Sources:")
    for n, doc in enumerate(summary.sources, start=1):
        lines.append(f"  [{n}] {short_citation(doc)} ({where(doc.path)})")
    lines.append("")
    lines.append("Passages:")
    return lines


def summary_json(summary: Any) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {
        "themes": [
            {
                "label": t.label,
                "sentences": [
                    {
                        "text": q.text,
                        "doc": q.doc_id,
                        "start": q.start,
                        "end": q.end,
                        "sources": list(q.sources),
                        "score": q.score,
                    }
                    for q in t.quotes
                ],
            }
            for t in summary.themes
        ],
        "sources": [{"n": n, **doc.to_dict()} for n, doc in enumerate(summary.sources, start=1)],
    }


def answer_text(answer: Any, color: bool = False, explain: bool = False) -> str:
    """The extractive answer, then ranked passages with the best sentence marked and a citation for each."""
    lines = [f"Q: {answer.query}", ""]
    lines.extend(summary_text(answer.summary))
    if not answer.hits:
        lines.append("No passages found.")
    elif not getattr(answer, "answered", True):
        lines += [no_answer_note(answer), "", "Nearest passages:"]
    for hit in answer.hits:
        rel = (
            (hit.best_sentence[0] - hit.start, hit.best_sentence[1] - hit.start)
            if hit.best_sentence
            else None
        )
        shown = hit.text
        if len(shown) > MAX_SHOWN:  # a 100,000-character "passage" is not read on a terminal
            shown = shown[: MAX_SHOWN - 300] + f" […] ({len(hit.text):,} characters; --json has them all)"
            rel = rel if rel and rel[1] <= MAX_SHOWN - 300 else None
        body = textwrap.fill(
            _highlight(shown, rel, False), width=96, initial_indent="    ", subsequent_indent="    "
        )
        if color:
            body = body.replace("»", "\x1b[1m").replace("«", "\x1b[0m")
        lines.append(f"#{hit.rank} {short_citation(hit.doc)}")
        if hit.also_in:
            lines.append(
                "    also in: " + "; ".join(f"{short_citation(d)} [@{d.citekey}]" for d in hit.also_in)
            )
        lines.append(
            f"    {where(hit.doc.path)}:{hit.start}-{hit.end}  [@{hit.doc.citekey}]  score {hit.score:.3f}"
        )
        lines.append(body)
        for s in hit.statistics:
            pop = f" of {s.population}" if s.population else ""
            lines.append(f"    • statistic: {s.value_text} ({_fmt_value(s.value)} {s.unit}{pop})")
        for c in hit.claims:
            who = c.speaker or c.organization or ""
            lines.append(f"    • {c.kind}{' by ' + who if who else ''}: {textwrap.shorten(c.text, 90)}")
        if explain:
            lines.append("    explain: " + ", ".join(f"{k}={v:.4f}" for k, v in hit.components.items()))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def no_answer_note(answer: Any) -> str:
    return (
        f"No passage answers this well (the closest is at similarity {answer.best_similarity:.2f}, "
        "below kb's threshold for an answer); these are the nearest."
    )


def answer_json(answer: Any, explain: bool = False) -> dict[str, Any]:
    return {
        "query": answer.query,
        "answered": getattr(answer, "answered", True),
        "best_similarity": getattr(answer, "best_similarity", None),
        "answer": summary_json(answer.summary),
        "results": [h.to_dict(explain=explain) for h in answer.hits],
        "statistics": list(answer.statistics.values()),
        "claims": list(answer.claims.values()),
    }


def _fmt_value(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def value_label(r: dict[str, Any]) -> str:
    """A statistic's real value and normalised unit: '12900000000 USD', '13–17 ounce (up)'."""
    value = _fmt_value(r["value"])
    if r.get("value_high") is not None:
        value += f"–{_fmt_value(r['value_high'])}"
    unit = r.get("currency_code") or r["unit"] if r["unit"] == "currency" else r["unit"]
    change = f" ({r['change']})" if r.get("change") else ""
    return f"{value} {unit}{change}"


def stats_text(records: Iterable[dict[str, Any]]) -> str:
    out = []
    for r in records:
        doc = r.get("doc") or {}
        pop = f"  population: {r['population']}" if r.get("population") else ""
        src = f"  source: {r['source']}" if r.get("source") else ""
        out.append(f"{value_label(r)}  «{r['value_text']}»{pop}{src}")
        if r.get("also_in"):
            out.append(f"    also reported in {len(r['also_in'])} other document(s)")
        if r.get("disputed"):
            out.append(
                f"    disputed: {len(r['disputed'])} other source(s) give another value (kb conflicts)"
            )
        out.append(f"    {r['sentence']}")
        out.append(f"    {where(doc.get('path'))}:{r['start']}-{r['end']}  [{r['id']}]")
    return "\n".join(out) + ("\n" if out else "No statistics found.\n")


def reference(doc: dict[str, Any]) -> str:
    """'Thomas Wailgum, "CMOs and CIOs: Can This Relationship Be Saved?", CIO, 2010-10-04. path'."""
    parts = [
        doc.get("author"),
        f"“{doc['title']}”" if doc.get("title") else None,
        doc.get("publisher"),
        doc.get("date"),
    ]
    text = ", ".join(p for p in parts if p) or doc.get("path", "")
    return f"{text}. {doc.get('url') or doc.get('path')}"


def stats_markdown(records: Iterable[dict[str, Any]]) -> str:
    """Draft-ready lines: the figure as written, who it is about, the study, a Pandoc citation
    (the study's key first when the source names one), and the verbatim sentence to check it against.
    `kb stats --bib/--csl` writes the bibliography those keys resolve to."""
    from kb.cite import study_key, study_of

    lines: list[str] = []
    shown: set[str] = set()
    for r in records:
        if r["id"] in shown:
            continue  # already listed as another source of a figure above
        shown.update(link["statistic"] for link in r.get("also_in", []))
        doc = r.get("doc") or {}
        keys = [doc.get("citekey") or doc.get("id", "source")]
        keys += [
            link["citekey"]
            for link in r.get("also_in", [])
            if link.get("citekey") and link["citekey"] not in keys
        ]
        study = study_of(r.get("source"))
        if study:
            year = (doc.get("date") or "")[:4]
            keys.insert(0, study_key(*study, year if year.isdigit() else ""))
        about = f" of {r['population']}" if r.get("population") and r["unit"] == "percent" else ""
        if r["unit"] == "count" and r.get("population") and r["population"] not in r["value_text"]:
            about = f" {r['population']}"
        measure = f" {r['measure']}" if r.get("measure") else ""
        source = f" ({r['source']})" if r.get("source") else ""
        cites = "; ".join(f"@{k}" for k in keys)
        if r.get("page"):
            cites += f", p. {r['page']}"  # Pandoc's locator on the last key (the document)
        lines.append(f"- {r['value_text']}{about}{measure}{source} [{cites}]")
        lines.append(f"  > {r['sentence']}")
    if not lines:
        return "No statistics found.\n"
    return "\n".join(lines) + "\n"


def stats_csv(records: Iterable[dict[str, Any]]) -> str:
    fields = [
        "id",
        "value",
        "value_high",
        "unit",
        "unit_text",
        "scale",
        "currency_code",
        "value_text",
        "qualifier",
        "change",
        "population",
        "measure",
        "source",
        "sentence",
        "doc_path",
        "start",
        "end",
    ]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writeheader()
    for r in records:
        row = dict(r)
        row["doc_path"] = (r.get("doc") or {}).get("path")
        w.writerow(row)
    return buf.getvalue()


def claims_text(records: Iterable[dict[str, Any]]) -> str:
    out = []
    for r in records:
        doc = r.get("doc") or {}
        who = ", ".join(x for x in (r.get("speaker"), r.get("organization")) if x)
        out.append(f"[{r['kind']}]{' ' + who if who else ''}")
        out.append(textwrap.fill(r["text"], 96, initial_indent="    ", subsequent_indent="    "))
        out.append(f"    {where(doc.get('path'))}:{r['start']}-{r['end']}  [{r['id']}]")
    return "\n".join(out) + ("\n" if out else "No claims found.\n")


def verify_json(report: Any) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "documents": report.documents,
        "records": report.records,
        "problems": [{"path": p.path, "kind": p.kind, "detail": p.detail} for p in report.problems],
    }


def verify_text(report: Any) -> str:
    lines = [f"{p.kind:<9} {where(p.path)}: {p.detail}" for p in report.problems]
    verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
    lines.append(f"verified {report.documents} documents, {report.records} records: {verdict}")
    return "\n".join(lines) + "\n"


def check_text(results: Iterable[Any], draft: str) -> str:
    """One line per draft figure: verdict, where, the figure; then the source that decides it."""
    out = []
    counts: dict[str, int] = {}
    for r in results:
        f = r.figure
        counts[r.status] = counts.get(r.status, 0) + 1
        out.append(
            f"{r.status.upper():<10} {draft}:{f.line}  {f.value_text}  — {textwrap.shorten(f.sentence, 80)}"
        )
        if r.match is not None:
            m = r.match
            doc = m.get("doc") or {}
            if r.status == "mismatched":
                out.append(
                    f"           the source says {m['value_text']}: {textwrap.shorten(m['sentence'], 100)}"
                )
            out.append(f"           {r.citation}  {where(doc.get('path'))}:{m['start']}-{m['end']}")
            for c in getattr(r, "contradicted_by", ()):
                cdoc = c.get("doc") or {}
                out.append(
                    f"           but [@{cdoc.get('citekey')}] says {c['value_text']}: {textwrap.shorten(c['sentence'], 90)}"
                )
    summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("sourced", "mismatched", "unsourced"))
    out.append(f"{sum(counts.values())} figures: {summary}" if counts else "No figures found in the draft.")
    return "\n".join(out) + "\n"


def conflicts_text(conflicts: list[dict[str, Any]]) -> str:
    """Each conflict: its figures side by side, each with its sentence and citation."""
    out = []
    for n, c in enumerate(conflicts, start=1):
        figures = c["figures"]
        values = " vs ".join(f"{f['value_text']}" for f in figures)
        out.append(f"#{n} {figures[0].get('population') or ''}: {values}")
        for f in figures:
            doc = f.get("doc") or {}
            out.append(
                f"    {_fmt_value(f['value'])} {f['unit']}  [@{doc.get('citekey')}]  {_clip(f['sentence'], 300)}"
            )
        out.append("")
    return "\n".join(out) + ("" if out else "No conflicting figures found.\n")


def answer_markdown(answer: Any) -> str:
    """The answer and its passages as Markdown with Pandoc citations, ready to paste into a draft
    (`pandoc --citeproc --bibliography refs.bib`; `kb cite --format bibtex` writes the entries)."""
    summary = answer.summary
    keys = [f"@{d.citekey}" for d in (summary.sources if summary else ())]
    lines = [f"## {answer.query}", ""]
    if answer.hits and not getattr(answer, "answered", True):
        lines += [f"*{no_answer_note(answer)}*", ""]
    for theme in summary.themes if summary else ():
        if theme.label:
            lines += [f"**{theme.label}**", ""]
        for q in theme.quotes:
            cites = "; ".join(keys[n - 1] for n in q.sources if 0 < n <= len(keys))
            lines.append(f"- {_quoted(q.text)} [{cites}]" if cites else f"- {_quoted(q.text)}")
        lines.append("")
    if answer.hits:
        lines += ["### Passages", ""]
    for hit in answer.hits:
        locator = f", p. {hit.page}" if hit.page else ""
        text = " ".join(hit.text.split())
        if len(text) > MAX_SHOWN:
            text = text[: MAX_SHOWN - 300] + " […]"
        lines += [f"{hit.rank}. > {text}", f"   [@{hit.doc.citekey}{locator}]", ""]
    if not answer.hits:
        lines.append("No passages found.")
    return "\n".join(lines).rstrip() + "\n"
