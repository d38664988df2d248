"""kb's command line: parse, call kb.api, render. Nothing else lives here."""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kb import __version__
from kb.errors import IndexMissing, KbError, UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
DEFAULT_CORPUS = "corpus"


def index_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--index DIR on every command (env KB_INDEX, default ./index)."""
    return click.option(
        "--index",
        "index_dir",
        envvar="KB_INDEX",
        default="index",
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Index directory (env KB_INDEX).",
    )(fn)


def model_option(help_text: str, default: str | None = None) -> Callable[..., Any]:
    """--model: one of the embedding models kb knows (kb.embed.MODELS)."""
    return click.option(
        "--model",
        type=click.Choice(["minilm", "bge-small"]),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


def quiet_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary on stderr.")(fn)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn kb's errors into one line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from exc
        except KbError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see main): transactions have rolled back
            click.echo(
                "kb: interrupted; what was committed before stays, run the command again to resume", err=True
            )
            sys.exit(130)
        except BrokenPipeError:  # `kb ... | head`
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            if exc.errno == 28:  # ENOSPC: SQLite rolled back; what was committed is intact
                raise click.ClickException(
                    "the disk is full; documents committed before stay, free some space and run it again"
                ) from exc
            raise
        except Exception as exc:
            import sqlite3

            if isinstance(exc, sqlite3.DatabaseError):  # a damaged page read by any command
                full = "full" in str(exc)
                raise click.ClickException(
                    "the disk is full; free some space and run it again"
                    if full
                    else f"the index database is damaged ({exc}). Your source files are untouched: move the "
                    "index aside and run `kb ingest PATHS` into a new one"
                ) from exc
            raise

    return wrapper


class BarProgress:
    """A tqdm bar on stderr, or nothing with --quiet or when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar = None

    def start(self, total: int, label: str) -> None:
        """A bar of `total` documents (0: not known yet), or the same bar with a new length."""
        if not self.enabled:
            return
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total or None, desc=label, unit="doc", file=sys.stderr, leave=False)
        else:
            self._bar.reset(total=total or None)
            self._bar.set_description(label)

    def stage(self, label: str) -> None:
        if self._bar is not None:
            self._bar.set_description(label, refresh=True)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _kb(index_dir: Path, model: str | None = None):
    from kb.api import KnowledgeBase

    kb = KnowledgeBase(index_dir, model=model)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:  # the store is closed (and its WAL checkpointed) when the command ends
        ctx.call_on_close(kb.close)
    return kb


def _emit(line: str) -> None:
    click.echo(line)


_CONTROL = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
_KB_COLOR = ("\x1b[1m", "\x1b[0m")  # the only escapes kb itself writes (bold answers with --color)


def _say(text: str, nl: bool = True, err: bool = False) -> None:
    """Text output for a terminal: control characters and escape sequences from documents and
    file names are dropped (a page cannot move the cursor or retitle the window); JSON output
    escapes them instead."""
    kept = text.replace(_KB_COLOR[0], "\ue000").replace(_KB_COLOR[1], "\ue001")
    kept = _CONTROL.sub("", kept).replace("\ue000", _KB_COLOR[0]).replace("\ue001", _KB_COLOR[1])
    click.echo(kept, nl=nl, err=err)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version")
@click.option("-v", "--verbose", count=True, help="Log more to stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """kb: an offline research knowledge base with cited answers and statistics.

    Ingest articles (txt, md, html), then ask questions and pull figures with
    citations that point to the exact place in the source.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="kb: %(message)s", stream=sys.stderr)
    if verbose < 2:  # libraries' own log lines ("empty HTML tree: None") are not kb's messages
        for name in ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer", "httpx",
                     "sentence_transformers", "transformers", "huggingface_hub", "faiss"):  # fmt: skip
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _ingest_report(report: Any, quiet: bool) -> None:
    if quiet:
        return
    parts = [
        f"{len(report.added)} added",
        f"{len(report.updated)} updated",
        f"{len(report.unchanged)} unchanged",
    ]
    if report.removed:
        parts.append(f"{len(report.removed)} removed")
    parts.append(f"{len(report.skipped)} skipped")
    click.echo(f"kb: {', '.join(parts)}; {report.embedded} texts embedded", err=True)


@cli.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1)
@click.option(
    "--urls",
    "urls_file",
    type=click.File("r", encoding="utf-8"),
    help="Also fetch the web addresses in this file, one per line (# comments ignored).",
)
@click.option("--prune", is_flag=True, help="Drop documents whose files are gone.")
@click.option(
    "--follow-links", is_flag=True, help="Also read symbolic links that point outside the folders given."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    help="Worker processes that clean and extract (default: the cores kb may use).",
)
@model_option(
    "Embedding model of a new index (default bge-small). "
    "An existing index keeps its model; `kb rebuild --model` switches it."
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="ray: clean, extract and embed as a Ray Data pipeline (pip install 'kb[ray]').",
)
@click.option(
    "--address",
    "ray_address",
    metavar="ADDRESS",
    help="With --engine ray: the Ray cluster (ray://HOST:10001; default RAY_ADDRESS, else a local Ray).",
)
@click.option(
    "--actors",
    "ray_actors",
    type=click.IntRange(1, 1024),
    default=1,
    show_default=True,
    help="With --engine ray: embedding actors, each loading the model once.",
)
@click.option(
    "--gpus-per-actor",
    "ray_gpus",
    type=click.FloatRange(0),
    default=0.0,
    help="With --engine ray: GPUs each embedding actor asks for (where the cluster has them).",
)
@index_option
@quiet_option
@handle_errors
def ingest(
    paths: tuple[str, ...],
    urls_file: Any,
    prune: bool,
    follow_links: bool,
    model: str | None,
    jobs: int | None,
    engine: str,
    ray_address: str | None,
    ray_actors: int,
    ray_gpus: float,
    index_dir: Path,
    quiet: bool,
) -> None:
    """Add or update documents from files, folders and web addresses (default: corpus/).

    A web address (http or https) is fetched once and its bytes kept in the index, so show,
    verify and rebuild work offline; ingesting it again re-fetches it (conditionally) and
    updates the document in place.

    Unchanged files are skipped without embedding; changed files replace their
    old records; unreadable files are reported and skipped. Documents are stored
    under their absolute path, so --prune (alone: prune only) removes exactly the
    documents whose files are gone, whichever directory it runs in. Exits 1 when
    nothing given could be read.
    """
    from kb import render
    from kb.sources.web import is_url

    given: list[str | Path] = [p if is_url(p) else Path(p) for p in paths]
    if urls_file is not None:
        lines = (ln.strip() for ln in urls_file)
        given += [ln for ln in lines if ln and not ln.startswith("#")]
    kb = _kb(index_dir, model)
    report = kb.ingest(
        given or ([] if prune else [Path(DEFAULT_CORPUS)]),  # --prune alone prunes, nothing else
        prune=prune,
        progress=BarProgress(not quiet and sys.stderr.isatty()),
        on_skip=lambda p, r: _say(f"kb: skipped {render.where(p)}: {r}", err=True),
        on_note=lambda p, r: _say(f"kb: note: {render.where(p)}: {r}", err=True),
        follow_links=follow_links,
        jobs=jobs,
        engine=engine,
        ray_address=ray_address,
        ray_actors=ray_actors,
        ray_gpus=ray_gpus,
    )
    _ingest_report(report, quiet)
    if report.nothing_read:
        raise click.ClickException(
            f"none of the {len(report.skipped)} files given could be read; nothing was ingested"
        )
    failed = [p for p, _ in report.skipped if is_url(p)]
    if failed:
        raise click.ClickException(f"{len(failed)} web address(es) could not be ingested (see above)")


def _ensure_index(kb: Any, quiet: bool) -> None:
    """Build the index from the shipped corpus on first use of the default index."""
    if kb.exists:
        return
    corpus = Path(os.environ.get("KB_CORPUS", DEFAULT_CORPUS))
    if not corpus.is_dir():
        raise IndexMissing(f"no index at {kb.directory}; run `kb ingest PATH` first")
    if not quiet:
        click.echo(
            f"kb: no index at {kb.directory.absolute()} yet; building it from {corpus}/ (first use)", err=True
        )
    report = kb.ingest([corpus], progress=BarProgress(not quiet and sys.stderr.isatty()))
    _ingest_report(report, quiet)


@cli.command(context_settings=CONTEXT)
@click.argument("question", required=False)
@click.option(
    "-k", "k", default=5, show_default=True, type=click.IntRange(1, 1000), help="Passages to return."
)
@click.option("--batch", type=click.File("r"), help="File of questions, one per line ('-' for stdin).")
@click.option("--json", "as_json", is_flag=True, help="JSON output (one object per question).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md"]),
    default="text",
    show_default=True,
    help="md: the answer and passages as Markdown with Pandoc citations, ready to paste.",
)
@click.option("--explain", is_flag=True, help="Show the score components of each hit.")
@click.option("--doc", "docs", multiple=True, help="Only these documents (id or path); repeatable.")
@click.option("--since", help="Only documents dated on or after (YYYY[-MM[-DD]]).")
@click.option("--until", help="Only documents dated on or before.")
@click.option("--publisher", help="Only documents from this publisher.")
@index_option
@quiet_option
@handle_errors
def ask(
    question: str | None,
    k: int,
    batch: Any,
    as_json: bool,
    fmt: str,
    explain: bool,
    docs: tuple[str, ...],
    since: str | None,
    until: str | None,
    publisher: str | None,
    index_dir: Path,
    quiet: bool,
) -> None:
    """Answer QUESTION with ranked, cited passages from the knowledge base."""
    from kb import render
    from kb.search import Filters

    if not question and batch is None:
        raise click.UsageError("give a QUESTION or --batch FILE")
    kb = _kb(index_dir)
    _ensure_index(kb, quiet)
    doc_ids = tuple(kb.store.find_doc(_ref(d)).id for d in docs)
    for name, value in (("--since", since), ("--until", until)):
        if value is not None:
            _check_date(name, value)
    filters = Filters(doc_ids=doc_ids, since=since, until=until, publisher=publisher)
    # blank lines and "# comments" in a batch file are not questions
    questions = (
        [question] if question else [q.strip() for q in batch if q.strip() and not q.lstrip().startswith("#")]
    )
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    for q in questions:
        answer = kb.ask(q, k=k, filters=filters)
        if as_json:
            _emit(render.dumps(render.answer_json(answer, explain=explain)))
        elif fmt == "md":
            _say(render.answer_markdown(answer))
        else:
            _say(render.answer_text(answer, color=color, explain=explain))


def _ref(ref: str) -> str:
    from kb.api import _doc_ref

    return _doc_ref(ref)


@cli.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per file, with metadata and removed blocks."
)
@handle_errors
def clean(paths: tuple[Path, ...], as_json: bool) -> None:
    """Print the cleaned article text of files, without indexing them."""
    from kb import render
    from kb.api import clean_paths
    from kb.errors import InputError

    failed = 0
    for result in clean_paths(paths):
        if isinstance(result, InputError):
            failed += 1
            click.echo(f"kb: skipped {render.where(result.path)}: {result.reason}", err=True)
            if as_json:
                _emit(render.dumps({"path": result.path, "text": "", "error": result.reason}))
            continue
        if as_json:
            m = result.meta
            _emit(
                render.dumps(
                    {
                        "path": result.path,
                        "id": result.id,
                        "text": result.text,
                        "title": m.title,
                        "author": m.author,
                        "date": m.date,
                        "publisher": m.publisher,
                        "url": m.url,
                        "language": m.language,
                        "removed": [{"text": r.text, "reason": r.reason} for r in result.removed],
                    }
                )
            )
        else:
            if len(paths) > 1:
                click.echo(f"==> {result.path} <==")
            click.echo(result.text)
    if failed and failed == len(paths):
        sys.exit(1)


@cli.command(context_settings=CONTEXT)
@click.argument("doc")
@click.option("--json", "as_json", is_flag=True, help="Metadata and full clean text as JSON.")
@click.option("--removed", is_flag=True, help="Show the blocks the cleaner removed, with reasons.")
@index_option
@handle_errors
def show(doc: str, as_json: bool, removed: bool, index_dir: Path) -> None:
    """Show an indexed document (DOC: id, path as ingested, or citation key)."""
    from kb import render

    record = _kb(index_dir).show(doc)
    if as_json:
        _emit(render.dumps(record))
        return
    for key in ("id", "path", "title", "author", "date", "publisher", "url", "citekey"):
        if record.get(key):
            _say(f"{key}: {record[key]}")
    click.echo("")
    if removed:
        for r in record["removed"]:
            _say(f"[{r['reason']}] {r['text']}")
    else:
        _say(record["text"])


@cli.command(context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
@index_option
@handle_errors
def docs(as_json: bool, index_dir: Path) -> None:
    """List the indexed documents."""
    from kb import render

    found = _kb(index_dir).documents()
    if not found and not as_json:
        click.echo("kb: the index holds no documents; add some with `kb ingest PATHS`", err=True)
    for d in found:
        if as_json:
            _emit(render.dumps(d.to_dict()))
        else:
            _say(f"{d.id}  {d.citekey:<24} {render.where(d.path)}  {render.short_citation(d)}")


@cli.command(context_settings=CONTEXT)
@click.argument("doc")
@click.option("--title", help="The document's title.")
@click.option("--author", help="Its authors, separated by ';' (Ana Ruiz; Tom Lee).")
@click.option("--date", help="Its date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--publisher", help="Its publisher or site.")
@click.option("--url", help="Its address.")
@click.option("--json", "as_json", is_flag=True, help="Print the document's metadata as JSON.")
@index_option
@handle_errors
def meta(
    doc: str,
    title: str | None,
    author: str | None,
    date: str | None,
    publisher: str | None,
    url: str | None,
    as_json: bool,
    index_dir: Path,
) -> None:
    """Correct a document's metadata (DOC = id, path or citation key).

    The correction is kept across re-ingests of the same source and is used by citations
    and the citation key.
    """
    from kb import render

    info = _kb(index_dir).set_metadata(
        doc, title=title, author=author, date=date, publisher=publisher, url=url
    )
    if as_json:
        _emit(render.dumps(info.to_dict()))
    else:
        click.echo(f"{info.citekey}  {render.short_citation(info)}")


@cli.command(context_settings=CONTEXT)
@click.argument("query", required=False)
@click.option(
    "--json", "as_json", is_flag=True, help='JSON lines: {"figures": [statistic records]} per conflict.'
)
@index_option
@handle_errors
def conflicts(query: str | None, as_json: bool, index_dir: Path) -> None:
    """Figures that disagree: different values for one measure of one population, from different works.

    Copies of one article and changes over time ("rose from 23% to 35%") are not conflicts.
    With QUERY, the most relevant first.
    """
    from kb import render

    found = _kb(index_dir).conflicts(query)
    if as_json:
        for c in found:
            _emit(render.dumps(c))
    else:
        _say(render.conflicts_text(found), nl=False)


@cli.command(context_settings=CONTEXT)
@click.argument("query", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one record per line.")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "csv"]), default="text", show_default=True)
@click.option(
    "--unit",
    help="Only this unit: percent, count, times, currency, dimensionless, a unit name or symbol "
    "(kilometer, km, mg, kWh) or a currency code (EUR).",
)
@click.option("--min", "minimum", type=float, help="Only values >= this (real values: $1.2bn is 1200000000).")
@click.option("--max", "maximum", type=float, help="Only values <= this.")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "value", "-value"]),
    default="relevance",
    show_default=True,
    help="Order by relevance to QUERY (else document order) or by real value.",
)
@click.option("--population", help="Only populations containing this text.")
@click.option("--source", help="Only sources containing this text.")
@click.option("--doc", help="Only this document (id or path).")
@click.option(
    "-k", "limit", type=click.IntRange(1), help="At most this many (default: all; 10 with a QUERY)."
)
@click.option(
    "--bib",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the BibTeX bibliography of the listed statistics here.",
)
@click.option(
    "--csl",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the CSL-JSON bibliography of the listed statistics here.",
)
@index_option
@handle_errors
def stats(
    query: str | None,
    as_json: bool,
    fmt: str,
    unit: str | None,
    minimum: float | None,
    maximum: float | None,
    population: str | None,
    source: str | None,
    doc: str | None,
    limit: int | None,
    sort: str,
    bib: Path | None,
    csl: Path | None,
    index_dir: Path,
) -> None:
    """List statistics: value, unit, population, source and the verbatim sentence.

    With QUERY, the most relevant first; --format md prints draft-ready lines with Pandoc
    citations, and --bib/--csl write the bibliography they resolve to
    (pandoc --citeproc --bibliography refs.bib draft.md).
    """
    from kb import render

    kb = _kb(index_dir)
    records = kb.statistics(
        query=query,
        doc=doc,
        unit=unit,
        minimum=minimum,
        maximum=maximum,
        population=population,
        source=source,
        limit=limit or (10 if query else None),
        sort=sort,
    )
    if as_json:
        for r in records:
            _emit(render.dumps(r))
    elif fmt == "csv":
        _say(render.stats_csv(records), nl=False)
    elif fmt == "md":
        _say(render.stats_markdown(records), nl=False)
    else:
        _say(render.stats_text(records), nl=False)
    for path, bib_fmt in ((bib, "bibtex"), (csl, "csl-json")):
        if path is not None:
            path.write_text(kb.bibliography(records, bib_fmt), encoding="utf-8")
            click.echo(f"wrote {path}", err=True)


@cli.command(context_settings=CONTEXT)
@click.argument("ids", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "csl-json", "bibtex", "ris", "apa"]),
    default="md",
    show_default=True,
)
@index_option
@handle_errors
def cite(ids: tuple[str, ...], fmt: str, index_dir: Path) -> None:
    """Cite documents, statistics or claims (IDS: ids, paths or citation keys).

    md prints a footnote per source and, for statistics and claims, the sentence to paste;
    csl-json (Zotero, Pandoc), bibtex, ris and apa print the bibliography.
    """
    click.echo(_kb(index_dir).cite(list(ids), fmt), nl=False)


@cli.command(context_settings=CONTEXT)
@click.argument("query", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one record per line.")
@click.option(
    "--kind", type=click.Choice(["quote", "finding", "recommendation", "assertion"]), help="Only this kind."
)
@click.option("--speaker", help="Only claims whose speaker or organisation contains this text.")
@click.option("--doc", help="Only this document (id or path).")
@click.option(
    "-k", "limit", type=click.IntRange(1), help="At most this many (default: all; 10 with a QUERY)."
)
@index_option
@handle_errors
def claims(
    query: str | None,
    as_json: bool,
    kind: str | None,
    speaker: str | None,
    doc: str | None,
    limit: int | None,
    index_dir: Path,
) -> None:
    """List claims: quotes with their speaker, study findings, recommendations.

    With QUERY, the most relevant first.
    """
    from kb import render

    records = _kb(index_dir).claims(
        query=query, doc=doc, kind=kind, speaker=speaker, limit=limit or (10 if query else None)
    )
    if as_json:
        for r in records:
            _emit(render.dumps(r))
    else:
        _say(render.claims_text(records), nl=False)


@cli.command(context_settings=CONTEXT)
@model_option("Re-embed with this model (default: the index's own).")
@index_option
@quiet_option
@handle_errors
def rebuild(index_dir: Path, quiet: bool, model: str | None) -> None:
    """Rebuild the index from the source files of every stored document (--model: re-embed
    with another model)."""
    kb = _kb(index_dir)
    report = kb.rebuild(progress=BarProgress(not quiet and sys.stderr.isatty()), model=model)
    _ingest_report(report, quiet)


@cli.command(context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: counts and problems.")
@index_option
@quiet_option
@handle_errors
def verify(as_json: bool, index_dir: Path, quiet: bool) -> None:
    """Prove every stored passage, statistic and claim is verbatim at its offsets.

    Re-reads and re-cleans each source file; reports missing and stale sources, records that
    do not match, and a vector index that disagrees with the store. Exit 1 on any problem.
    """
    from kb import render

    report = _kb(index_dir).verify(progress=BarProgress(not quiet and sys.stderr.isatty()))
    if as_json:
        _emit(render.dumps(render.verify_json(report)))
    else:
        _say(render.verify_text(report), nl=False)
    if not report.ok:
        sys.exit(1)


@cli.command(context_settings=CONTEXT)
@click.argument("draft", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one per figure.")
@index_option
@handle_errors
def check(draft: Path, as_json: bool, index_dir: Path) -> None:
    """Check every figure in a Markdown DRAFT against the indexed statistics.

    Each figure is sourced (with its citation), mismatched (the sources give another value
    for that statement) or unsourced. Exit 1 when any figure is mismatched.
    """
    from kb import render

    try:
        text = draft.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise click.ClickException(f"{draft}: cannot read the draft as UTF-8 text ({exc})") from exc
    results = _kb(index_dir).check(text)
    if as_json:
        for r in results:
            _emit(render.dumps(r.to_dict()))
    else:
        _say(render.check_text(results, str(draft)), nl=False)
    if any(r.status == "mismatched" for r in results):
        sys.exit(1)


@cli.command(context_settings=CONTEXT)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback is reachable from the network (warned).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the search page in a browser.")
@index_option
@quiet_option
@handle_errors
def serve(port: int, host: str, open_browser: bool, index_dir: Path, quiet: bool) -> None:
    """Serve the index as local web pages (read-only), printing the address on stderr.

    \b
    /?q=QUESTION     the answer, its sources and passages (filters: doc, since, until, publisher)
    /doc/ID?start=&end=   a document with the cited span marked, its citation, statistics,
                     claims, and the blocks the cleaner removed
    /stats?q=&unit=&min=&max=&population=&source=&sort=value
                     the statistics table; select rows, export md, csv, bibtex or csl-json
    /check           paste a draft: each figure sourced, mismatched or unsourced
    /api/ask?q=&k=, /api/stats?..., /api/doc/ID   the CLI's --json records
    """
    from kb.web import serve as run

    kb = _kb(index_dir)
    _ensure_index(kb, quiet)
    kb.close()
    run(index_dir, host, port, open_browser, say=lambda line: click.echo(line, err=True))


@cli.command("eval", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv to score.")
@click.option(
    "--retriever",
    type=click.Choice(["bm25", "dense", "hybrid", "full"]),
    default="full",
    show_default=True,
    help="bm25 (FTS5), dense (faiss), hybrid (RRF of both), full (hybrid + rerank, as `kb ask`).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: metrics and timings.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N judged queries.")
@click.option(
    "--cross-encoder",
    "cross_encoder",
    type=click.IntRange(1),
    help="Reorder the retriever's first N passages with the ms-marco cross-encoder (measured here; "
    "kb ask does not use it).",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where evaluation indexes are kept (default: INDEX/eval).",
)
@model_option("Embedding model of the evaluation index.", default="bge-small")
@index_option
@quiet_option
@handle_errors
def eval_(
    folder: Path,
    split: str,
    retriever: str,
    as_json: bool,
    limit: int | None,
    cross_encoder: int | None,
    cache: Path | None,
    model: str,
    index_dir: Path,
    quiet: bool,
) -> None:
    """Measure retrieval on a BEIR-format FOLDER: nDCG@10, Recall@100, MRR@10 and timings.

    The corpus is indexed once into a throw-away index keyed by its content (reused by later runs).
    """
    from kb import render
    from kb.evaluate import evaluate

    report = evaluate(
        folder,
        split,
        retriever,
        cache or index_dir / "eval",
        model=model,
        progress=BarProgress(not quiet and sys.stderr.isatty()),
        limit=limit,
        cross_encoder=cross_encoder or 0,
    )
    if as_json:
        _emit(render.dumps(report.to_dict()))
    else:
        m, t = report.metrics, report.timings
        click.echo(
            f"{folder.name} {split} ({report.queries} queries), {report.retriever}: "
            f"nDCG@10 {m['ndcg@10']:.4f}  Recall@100 {m['recall@100']:.4f}  MRR@10 {m['mrr@10']:.4f}"
        )
        click.echo(
            f"index {t['index_s']:.1f} s ({int(t['texts_embedded'])} texts embedded), "
            f"query encode {t['query_encode_ms']:.1f} ms, search p50 {t['search_p50_ms']:.1f} ms"
        )


def _check_date(option: str, value: str) -> None:
    """YYYY, YYYY-MM or YYYY-MM-DD, and a real date."""
    from kb.search import check_date

    check_date(option, value)


def main() -> None:
    """The `kb` command: Ctrl-C and SIGTERM end it with one line; committed documents stay."""
    import signal

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)  # unwind as for Ctrl-C: open transactions roll back
    cli(prog_name="kb")


if __name__ == "__main__":
    main()
