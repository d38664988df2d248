"""All of kb's SQL: one SQLite database holding documents, passages, sentences,
their vectors, statistics and claims, with FTS5 (BM25) over the passages.

The schema is built by ordered, named migrations recorded in `migrations`;
a shipped migration is never edited, a change is a new one. Writes of one
document happen in one transaction (or a savepoint of its batch's), and the `generation` counter in `meta`
goes up with every change to passages, so the faiss index (derived data,
see `kb.index`) can tell when it is stale.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import re
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from kb.errors import IndexMismatch, NotFound
from kb.records import Claim, CleanDoc, DocInfo, Passage, Statistic

log = logging.getLogger(__name__)

SCHEMA_VERSION = 11


M001_INITIAL = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            sha TEXT NOT NULL,
            clean_sha TEXT NOT NULL,
            encoding TEXT,
            pipeline TEXT NOT NULL,
            title TEXT, author TEXT, date TEXT, publisher TEXT, url TEXT, language TEXT,
            citekey TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,
            removed TEXT NOT NULL DEFAULT '[]',
            ingested_at TEXT NOT NULL
        );
        CREATE TABLE vectors (key TEXT PRIMARY KEY, data BLOB NOT NULL);
        CREATE TABLE passages (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            text TEXT NOT NULL,
            context TEXT NOT NULL DEFAULT '',
            vector_key TEXT NOT NULL
        );
        CREATE INDEX passages_doc ON passages(doc_id);
        CREATE TABLE sentences (
            rowid INTEGER PRIMARY KEY,
            passage_rowid INTEGER NOT NULL REFERENCES passages(rowid) ON DELETE CASCADE,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            vector_key TEXT NOT NULL
        );
        CREATE INDEX sentences_passage ON sentences(passage_rowid);
        CREATE VIRTUAL TABLE passages_fts USING fts5(
            text, context, content='passages', content_rowid='rowid',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
            INSERT INTO passages_fts(rowid, text, context) VALUES (new.rowid, new.text, new.context);
        END;
        CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
            INSERT INTO passages_fts(passages_fts, rowid, text, context)
            VALUES ('delete', old.rowid, old.text, old.context);
        END;
        CREATE TABLE statistics (
            id TEXT PRIMARY KEY,
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            value REAL NOT NULL,
            unit TEXT NOT NULL,
            population TEXT,
            source TEXT,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX statistics_doc ON statistics(doc_id);
        CREATE TABLE claims (
            id TEXT PRIMARY KEY,
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            speaker TEXT,
            organization TEXT,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX claims_doc ON claims(doc_id);
"""

# The line keys of each document's source (kb.ingest.boilerplate): lines found in two or
# more documents are site chrome. shared_fp records which shared lines a document was cleaned with.
M002_DOC_LINES = """
        CREATE TABLE doc_lines (
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            key INTEGER NOT NULL,
            PRIMARY KEY (doc_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX doc_lines_key ON doc_lines(key);
        ALTER TABLE documents ADD COLUMN shared_fp TEXT NOT NULL DEFAULT '';
"""


def m003_absolute_paths(db: sqlite3.Connection, index_dir: Path) -> None:
    """Documents were stored under paths relative to the directory `kb ingest` ran in; store them
    absolute. A relative path is resolved against the index's parent directory (where `kb ingest`
    runs with the default ./index), else against the current directory if the file is there."""
    rows = db.execute("SELECT id, path FROM documents").fetchall()
    for doc_id, path in rows:
        if os.path.isabs(path) or ":" in path.split("/")[0]:  # absolute, or a key such as a BEIR id
            continue
        candidates = [index_dir.parent / path, Path.cwd() / path]
        found = next((c for c in candidates if c.exists()), candidates[0])
        db.execute("UPDATE documents SET path = ? WHERE id = ?", (str(found.resolve()), doc_id))


# PDF documents: (page, start, end) of each page in the clean text, as JSON.
M004_PAGES = """
        ALTER TABLE documents ADD COLUMN pages TEXT NOT NULL DEFAULT '[]';
"""

# Web pages: the bytes each fetch returned, content-addressed, so documents from URLs can be
# shown, verified and rebuilt offline.
M005_SNAPSHOTS = """
        CREATE TABLE snapshots (
            sha TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            final_url TEXT NOT NULL,
            content_type TEXT,
            etag TEXT,
            last_modified TEXT,
            fetched_at TEXT NOT NULL,
            data BLOB NOT NULL
        );
        CREATE INDEX snapshots_url ON snapshots(url, fetched_at);
"""

# Metadata a user corrected with `kb meta`, by source locator: it outlives re-ingests.
M006_META_OVERRIDES = """
        CREATE TABLE meta_overrides (
            path TEXT PRIMARY KEY,
            title TEXT, author TEXT, date TEXT, publisher TEXT, url TEXT
        );
"""

# Which of a document's lines were shared (site chrome) when it was cleaned, so `kb verify` re-cleans
# it with exactly those, even when an interrupted ingest stored it before the documents that share
# them. NULL: cleaned by an older kb, whose shared lines are recomputed from the collection.
M007_SHARED_LINES = """
        ALTER TABLE doc_lines ADD COLUMN shared INTEGER;
"""

# Copies of one work (the same article saved twice, or syndicated): each document's group, named by
# the smallest document id in it (kb.ingest.boilerplate.copy_groups), kept current by ingest.
M008_COPY_GROUPS = """
        CREATE TABLE doc_groups (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            grp TEXT NOT NULL
        );
        CREATE INDEX doc_groups_grp ON doc_groups(grp);
"""

# Statistics and claims by the sentences that hold them (a statistic's figure lies inside the
# sentence; a claim overlaps it), so queries rank records by the sentence vectors ingest stored,
# through a faiss index of these sentences; and each statistic's conflict blocks
# (kb.linking.conflict_keys), so the figures it may disagree with are found by index, not by scan.
M009_RECORD_LINKS = """
        CREATE TABLE record_sentences (
            sentence_rowid INTEGER NOT NULL REFERENCES sentences(rowid) ON DELETE CASCADE,
            record_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (sentence_rowid, record_id)
        ) WITHOUT ROWID;
        CREATE INDEX record_sentences_record ON record_sentences(record_id);
        CREATE TABLE stat_keys (
            unit TEXT NOT NULL,
            key TEXT NOT NULL,
            stat_id TEXT NOT NULL REFERENCES statistics(id) ON DELETE CASCADE,
            PRIMARY KEY (unit, key, stat_id)
        ) WITHOUT ROWID;
        CREATE INDEX stat_keys_stat ON stat_keys(stat_id);
        CREATE TABLE stat_terms (
            stat_id TEXT PRIMARY KEY REFERENCES statistics(id) ON DELETE CASCADE,
            pop TEXT NOT NULL,
            measure TEXT NOT NULL,
            sentence TEXT NOT NULL
        );
        CREATE INDEX stat_terms_sentence ON stat_terms(sentence);
        CREATE TABLE figure_terms (
            unit TEXT NOT NULL,
            value REAL NOT NULL,
            term TEXT NOT NULL,
            measure TEXT NOT NULL,
            stat_id TEXT NOT NULL REFERENCES statistics(id) ON DELETE CASCADE,
            PRIMARY KEY (unit, value, term, measure, stat_id)
        ) WITHOUT ROWID;
        CREATE INDEX figure_terms_stat ON figure_terms(stat_id);
        CREATE TABLE figure_groups (
            stat_id TEXT PRIMARY KEY REFERENCES statistics(id) ON DELETE CASCADE,
            grp TEXT NOT NULL
        );
        CREATE INDEX figure_groups_grp ON figure_groups(grp);
        CREATE TABLE statement_vectors (
            stat_id TEXT PRIMARY KEY REFERENCES statistics(id) ON DELETE CASCADE,
            vector_key TEXT NOT NULL
        );
        CREATE INDEX statistics_value ON statistics(unit, value);
        CREATE INDEX claims_kind ON claims(kind);
        CREATE INDEX documents_sha ON documents(sha);
        CREATE INDEX statistics_doc_value ON statistics(doc_id, unit, value);
"""

_RECORD_SENTENCES = """
        INSERT OR IGNORE INTO record_sentences
        SELECT s.rowid, st.id, 'statistic' FROM statistics st
        JOIN passages p ON p.doc_id = st.doc_id JOIN sentences s ON s.passage_rowid = p.rowid
        WHERE st.start_char >= s.start_char AND st.end_char <= s.end_char {where};
        INSERT OR IGNORE INTO record_sentences
        SELECT s.rowid, c.id, 'claim' FROM claims c
        JOIN passages p ON p.doc_id = c.doc_id JOIN sentences s ON s.passage_rowid = p.rowid
        WHERE c.start_char < s.end_char AND s.start_char < c.end_char {where2};
"""


def m009_record_links(db: sqlite3.Connection, index_dir: Path) -> None:
    """Create the record tables and fill them from the records an older kb stored."""
    from kb.linking import conflict_keys

    for statement in M009_RECORD_LINKS.split(";"):
        if statement.strip():
            db.execute(statement)
    for statement in _RECORD_SENTENCES.format(where="", where2="").split(";"):
        if statement.strip():
            db.execute(statement)
    from kb.linking import figure_groups

    rows = db.execute("SELECT id, unit, data FROM statistics").fetchall()
    records = [json.loads(data) for _, _, data in rows]
    db.executemany(
        "INSERT OR IGNORE INTO stat_keys VALUES (?, ?, ?)",
        [(r["unit"], key, r["id"]) for r in records for key in conflict_keys(r)],
    )
    db.executemany("INSERT OR IGNORE INTO stat_terms VALUES (?, ?, ?, ?)", [_terms_row(r) for r in records])
    db.executemany(
        "INSERT OR IGNORE INTO figure_terms VALUES (?, ?, ?, ?, ?)",
        [t for r in records for t in _figure_term_rows(r)],
    )
    copies = {r[0]: r[1] for r in db.execute("SELECT doc_id, grp FROM doc_groups")}
    db.executemany(
        "INSERT OR REPLACE INTO figure_groups VALUES (?, ?)",
        [
            (records[i]["id"], min(records[j]["id"] for j in group))
            for group in figure_groups(records, copies)
            for i in group
        ],
    )


def _figure_term_rows(record: dict[str, Any]) -> list[tuple[str, float, str, str, str]]:
    """(unit, value to 9 decimals, population word, measure word or "", id): the figures a
    statistic may be one with (kb.linking.same_figure) share its value, a population word and,
    when both state a measure, a measure word; these rows find them."""
    from kb.linking import about

    pop, measure, _ = about(record)
    value = round(float(record["value"]), 9)
    return [(record["unit"], value, p, m, record["id"]) for p in sorted(pop) for m in sorted(measure) or [""]]


def _terms_row(record: dict[str, Any]) -> tuple[str, str, str, str]:
    """(id, population terms, measure terms, sentence key) of a statistic: what kb.linking compares,
    computed once when it is stored."""
    from kb.linking import about
    from kb.records import content_id

    pop, measure, sentence = about(record)
    return record["id"], " ".join(sorted(pop)), " ".join(sorted(measure)), content_id(sentence)


M010_LINK_INDEXES = """
        CREATE TABLE figure_cells (
            unit TEXT NOT NULL,
            value REAL NOT NULL,
            term TEXT NOT NULL,
            measure TEXT NOT NULL,
            grp TEXT NOT NULL,
            stat_id TEXT NOT NULL REFERENCES statistics(id) ON DELETE CASCADE,
            PRIMARY KEY (unit, value, term, measure, grp, stat_id)
        ) WITHOUT ROWID;
        INSERT INTO figure_cells
        SELECT f.unit, f.value, f.term, f.measure, g.grp, f.stat_id
        FROM figure_terms f JOIN figure_groups g ON g.stat_id = f.stat_id;
        DROP TABLE figure_terms;
        CREATE INDEX figure_cells_stat ON figure_cells(stat_id);
        CREATE VIRTUAL TABLE stat_blocks USING fts5(keys, detail=none, columnsize=0)
"""
_STAT_BLOCKS_GONE = """
        CREATE TRIGGER stat_blocks_gone AFTER DELETE ON statistics BEGIN
            DELETE FROM stat_blocks WHERE rowid = old.rowid;
        END
"""


def m010_link_indexes(db: sqlite3.Connection, index_dir: Path) -> None:
    """Two link tables that cost a new document a bounded amount of work (see Store._cell_groups
    and Store.statistics_keyed): figure_terms gains each row's figure group (figure_cells), and
    the conflict blocks move from a B-tree of (unit, block, id) rows into a full-text index of
    one row a statistic, whose postings SQLite appends rather than inserting into a B-tree."""
    for statement in M010_LINK_INDEXES.split(";\n"):
        if statement.strip():
            db.execute(statement)
    db.execute(_STAT_BLOCKS_GONE)
    blocks: dict[int, list[str]] = {}
    for rowid, unit, key in db.execute(
        "SELECT s.rowid, k.unit, k.key FROM stat_keys k JOIN statistics s ON s.id = k.stat_id"
    ):
        blocks.setdefault(rowid, []).append(block_token(unit, key))
    db.executemany(
        "INSERT INTO stat_blocks(rowid, keys) VALUES (?, ?)", [(r, " ".join(t)) for r, t in blocks.items()]
    )
    db.execute("DROP TABLE stat_keys")


def m011_sentence_cells(db: sqlite3.Connection, index_dir: Path) -> None:
    """The same sentence becomes a figure cell (SENTENCE_CELL): a figure that many documents
    quote in one sentence costs a new copy one seek, where the sentence index returned them all."""
    db.executemany(
        "INSERT OR IGNORE INTO figure_cells VALUES (?, ?, ?, ?, ?, ?)",
        [
            (unit, round(float(value), 9), SENTENCE_CELL + sentence, "", grp, sid)
            for sid, unit, value, sentence, grp in db.execute(
                "SELECT s.id, s.unit, s.value, t.sentence, g.grp FROM statistics s"
                " JOIN stat_terms t ON t.stat_id = s.id JOIN figure_groups g ON g.stat_id = s.id"
            )
        ],
    )
    db.execute("DROP INDEX stat_terms_sentence")


# A figure_cells term that is a sentence key (stat_terms.sentence), not a population word: the
# figures of one value stated in the same sentence are one figure whatever their words
# (kb.linking.same_figure), and this cell finds them.
SENTENCE_CELL = "\x1fs:"


def block_token(unit: str, key: str) -> str:
    """A conflict block (kb.linking.conflict_keys, with its unit) as one full-text token."""
    return "b" + hashlib.blake2b(f"{unit}\x1f{key}".encode(), digest_size=10).hexdigest()


# Ordered, named migrations: (name, SQL script or a function of (connection, index directory)).
# Append new ones; never edit a shipped one.
MIGRATIONS: list[tuple[str, str | Callable[[sqlite3.Connection, Path], None]]] = [
    ("m001_initial", M001_INITIAL),
    ("m002_doc_lines", M002_DOC_LINES),
    ("m003_absolute_paths", m003_absolute_paths),
    ("m004_pages", M004_PAGES),
    ("m005_snapshots", M005_SNAPSHOTS),
    ("m006_meta_overrides", M006_META_OVERRIDES),
    ("m007_shared_lines", M007_SHARED_LINES),
    ("m008_copy_groups", M008_COPY_GROUPS),
    ("m009_record_links", m009_record_links),
    ("m010_link_indexes", m010_link_indexes),
    ("m011_sentence_cells", m011_sentence_cells),
]

_FTS_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FTS_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
    ]
)


def fts_query(text: str) -> str | None:
    """A safe FTS5 query from free text: its words, quoted, OR-ed; None if no words."""
    words = [w.lower() for w in _FTS_WORD.findall(text)]
    terms = [w for w in words if w not in _FTS_STOP] or words
    seen: list[str] = []
    for w in terms:
        if w not in seen:
            seen.append(w)
    return " OR ".join(f'"{w}"' for w in seen) if seen else None


class DocLines(NamedTuple):
    """What ingest needs to learn site chrome from a stored document."""

    sha: str
    pipeline: str
    shared_fp: str
    keys: frozenset[int]


def _record(data: str) -> dict[str, Any]:
    """A stored statistic or claim; a damaged row is a damaged index, said so in one line."""
    try:
        return json.loads(data)
    except ValueError as exc:
        raise IndexMismatch(
            "a stored record is damaged (its JSON does not parse); run `kb verify`, then `kb rebuild`"
        ) from exc


def _contains(haystack: str | None, needle: str) -> bool:
    """SQL kb_contains(a, b): whether b occurs in a, ignoring case (Unicode-aware, unlike LIKE)."""
    return bool(haystack) and needle.lower() in haystack.lower()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """The SQLite database of one index directory."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self._group: dict[str, float] | None = None  # see grouped()
        # a path with '#', '?' or '%' in it must be escaped inside a file: URI
        quoted = urllib.parse.quote(str(self.path.absolute()))
        uri = f"file:{quoted}?mode=ro" if readonly else f"file:{quoted}"
        # a read-only store may be shared by threads that take turns (kb serve holds a lock)
        self.db = sqlite3.connect(
            uri, uri=True, timeout=30.0, isolation_level=None, check_same_thread=not readonly
        )
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        # 64 MB of page cache (SQLite's default is 2 MB): a large collection's index pages stay
        # cached across a batch of documents instead of being read again for each one
        self.db.execute("PRAGMA cache_size = -65536")
        self.db.create_function("kb_contains", 2, _contains, deterministic=True)
        if not readonly:
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            # checkpoint the WAL every ~40 MB rather than 4 MB: pages a batch rewrites again and
            # again (index interiors, the generation row) are copied into the database once
            self.db.execute("PRAGMA wal_autocheckpoint = 10000")
            self._migrate()
        else:
            self._check_schema()

    # -- schema ---------------------------------------------------------------

    def _applied(self) -> set[str]:
        exists = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='migrations'"
        ).fetchone()
        if not exists:
            return set()
        return {r[0] for r in self.db.execute("SELECT name FROM migrations")}

    def _migrate(self) -> None:
        """Apply the migrations this database lacks, each in its own transaction."""
        self.db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        applied = self._applied()
        unknown = applied - {name for name, _ in MIGRATIONS}
        if unknown:
            raise IndexMismatch(
                f"the index at {self.path.parent} was written by a newer kb "
                f"(migrations {sorted(unknown)}); upgrade kb or run `kb rebuild`"
            )
        for name, sql in MIGRATIONS:
            if name in applied:
                continue
            log.info("applying migration %s", name)
            try:
                if callable(sql):
                    self.db.execute("BEGIN IMMEDIATE")
                    sql(self.db, self.path.parent)
                    self.db.execute("INSERT INTO migrations VALUES (?, ?)", (name, _now()))
                    self.db.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                    )
                    self.db.execute("COMMIT")
                    continue
                # executescript commits any open transaction first, so BEGIN goes inside the script.
                self.db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\n"
                    f"INSERT INTO migrations VALUES ('{name}', '{_now()}');\n"
                    f"INSERT OR REPLACE INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');\n"
                    "COMMIT;"
                )
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def _check_schema(self) -> None:
        applied = self._applied()
        expected = {name for name, _ in MIGRATIONS}
        if applied != expected:
            raise IndexMismatch(
                f"the index at {self.path.parent} has schema {sorted(applied)}, this kb expects "
                f"{sorted(expected)}; run `kb ingest` to migrate or `kb rebuild`"
            )

    def close(self) -> None:
        self.db.close()

    # -- meta -----------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        return int(self.get_meta("generation", "0") or 0)

    # -- documents ------------------------------------------------------------

    def _doc(self, row: sqlite3.Row) -> DocInfo:
        return DocInfo(
            id=row["id"],
            path=row["path"],
            kind=row["kind"],
            sha=row["sha"],
            clean_sha=row["clean_sha"],
            title=row["title"],
            author=row["author"],
            date=row["date"],
            publisher=row["publisher"],
            url=row["url"],
            language=row["language"],
            citekey=row["citekey"],
            ingested_at=row["ingested_at"],
        )

    _DOC_COLS = (
        "id, path, kind, sha, clean_sha, title, author, date, publisher, url, language, citekey, ingested_at"
    )

    def documents(self) -> list[DocInfo]:
        rows = self.db.execute(f"SELECT {self._DOC_COLS} FROM documents ORDER BY path")
        return [self._doc(r) for r in rows]

    def doc_state(self, path: str) -> tuple[str, str, str, str, str] | None:
        """(id, sha, clean_sha, pipeline, shared_fp) of the document stored for a path."""
        row = self.db.execute(
            "SELECT id, sha, clean_sha, pipeline, shared_fp FROM documents WHERE path = ?", (path,)
        ).fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]

    def doc_shared_keys(self, doc_id: str) -> frozenset[int] | None:
        """The shared lines a document was cleaned with; None when an older kb cleaned it."""
        rows = self.db.execute("SELECT key, shared FROM doc_lines WHERE doc_id = ?", (doc_id,)).fetchall()
        if not rows or any(r[1] is None for r in rows):
            return None
        return frozenset(r[0] for r in rows if r[1])

    def doc_line_keys(self) -> dict[str, DocLines]:
        """For each stored document's path: its sha, pipeline, shared-lines fingerprint and line keys."""
        keys: dict[str, set[int]] = {}
        for doc_id, key in self.db.execute("SELECT doc_id, key FROM doc_lines"):
            keys.setdefault(doc_id, set()).add(key)
        return {
            path: DocLines(sha, pipeline, fp, frozenset(keys.get(doc_id, ())))
            for doc_id, path, sha, pipeline, fp in self.db.execute(
                "SELECT id, path, sha, pipeline, shared_fp FROM documents"
            )
        }

    def lines_of(self, paths: Sequence[str]) -> dict[str, DocLines]:
        """`doc_line_keys` for some documents only, by path (ingest touches these, not all)."""
        docs = self._select_in(
            "SELECT id, path, sha, pipeline, shared_fp FROM documents WHERE path IN ({keys})", list(paths)
        )
        by_id = {r[0]: r for r in docs}
        keys: dict[str, set[int]] = {}
        for doc_id, key in self._select_in(
            "SELECT doc_id, key FROM doc_lines WHERE doc_id IN ({keys})", list(by_id)
        ):
            keys.setdefault(doc_id, set()).add(key)
        return {r[1]: DocLines(r[2], r[3], r[4], frozenset(keys.get(r[0], ()))) for r in by_id.values()}

    def line_df(self, keys: Iterable[int]) -> dict[int, int]:
        """How many stored documents have each line key (the doc_lines_key index counts them)."""
        rows = self._select_in("SELECT key, COUNT(*) FROM doc_lines WHERE key IN ({keys}) GROUP BY key", keys)
        return {r[0]: r[1] for r in rows}

    def line_postings(self, keys: Iterable[int]) -> dict[int, set[str]]:
        """The paths of the stored documents that have each line key."""
        out: dict[int, set[str]] = {}
        for key, path in self._select_in(
            "SELECT l.key, d.path FROM doc_lines l JOIN documents d ON d.id = l.doc_id WHERE l.key IN ({keys})",
            keys,
        ):
            out.setdefault(key, set()).add(path)
        return out

    def line_status(self, keys: Iterable[int]) -> dict[int, bool] | None:
        """Whether each stored line key was shared when its documents were cleaned; None when a
        document holding one of them was cleaned by an older kb (no record of it)."""
        out: dict[int, bool] = {}
        for key, shared, unknown in self._select_in(
            "SELECT key, MAX(shared), SUM(shared IS NULL) FROM doc_lines WHERE key IN ({keys}) GROUP BY key",
            keys,
        ):
            if unknown:
                return None
            out[key] = bool(shared)
        return out

    def shared_flags(self, paths: Sequence[str]) -> dict[str, frozenset[int] | None]:
        """The shared lines each document was cleaned with (None: cleaned by an older kb)."""
        flags: dict[str, set[int]] = {}
        unknown: set[str] = set()
        for path, key, shared in self._select_in(
            "SELECT d.path, l.key, l.shared FROM doc_lines l JOIN documents d ON d.id = l.doc_id"
            " WHERE d.path IN ({keys})",
            list(paths),
        ):
            if shared is None:
                unknown.add(path)
            elif shared:
                flags.setdefault(path, set()).add(key)
        return {p: None if p in unknown else frozenset(flags.get(p, ())) for p in paths}

    def path_groups(self, paths: Sequence[str]) -> dict[str, str]:
        """The copy group (its smallest document id) of each of these documents that has copies."""
        rows = self._select_in(
            "SELECT d.path, g.grp FROM doc_groups g JOIN documents d ON d.id = g.doc_id"
            " WHERE d.path IN ({keys})",
            list(paths),
        )
        return {r[0]: r[1] for r in rows}

    def group_paths(self, groups: Sequence[str]) -> dict[str, set[str]]:
        """The paths of the documents in some copy groups."""
        out: dict[str, set[str]] = {}
        for grp, path in self._select_in(
            "SELECT g.grp, d.path FROM doc_groups g JOIN documents d ON d.id = g.doc_id WHERE g.grp IN ({keys})",
            list(groups),
        ):
            out.setdefault(grp, set()).add(path)
        return out

    def doc_ids(self, paths: Sequence[str]) -> dict[str, str]:
        rows = self._select_in("SELECT path, id FROM documents WHERE path IN ({keys})", list(paths))
        return {r[0]: r[1] for r in rows}

    def doc_with_sha(self, sha: str) -> str | None:
        row = self.db.execute("SELECT path FROM documents WHERE sha = ?", (sha,)).fetchone()
        return row[0] if row else None

    def find_doc(self, ref: str) -> DocInfo:
        """A document by id, id prefix (6+ characters), path as ingested, or citation key."""
        row = self.db.execute(
            f"SELECT {self._DOC_COLS} FROM documents WHERE id = ? OR path = ? OR citekey = ?",
            (ref, ref, ref),
        ).fetchone()
        if row is None and len(ref) >= 6 and re.fullmatch(r"[0-9a-f]+", ref):
            rows = self.db.execute(
                f"SELECT {self._DOC_COLS} FROM documents WHERE id LIKE ?", (ref + "%",)
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
        if row is None:
            raise NotFound(f"no document {ref!r} in the index (try `kb docs`)")
        return self._doc(row)

    def doc_text(self, doc_id: str) -> str:
        row = self.db.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise NotFound(f"no document {doc_id!r}")
        return row[0]

    def doc_pages(self, doc_id: str) -> list[tuple[int, int, int]]:
        """(page, start, end) of each page of a PDF document's clean text; [] for others."""
        row = self.db.execute("SELECT pages FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return [tuple(p) for p in json.loads(row[0])] if row and row[0] else []

    def doc_removed(self, doc_id: str) -> list[dict[str, str]]:
        row = self.db.execute("SELECT removed FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else []

    def _citekey(self, base: str, doc_id: str) -> str:
        """`base`, or the first of base+a … base+zz free (BibTeX's 2019a, 2019b), else base-ID with
        as many id digits as it takes; looked up by range on the citekey index, not by a scan."""

        def free(key: str) -> bool:
            return not self.db.execute(
                "SELECT 1 FROM documents WHERE citekey = ? AND id != ?", (key, doc_id)
            ).fetchone()

        if free(base):
            return base
        # only base+a … base+zz are read, and not even those once all 702 are taken: a base that
        # thousands of documents share (a site's articles without an author) costs a count
        letters = "abcdefghijklmnopqrstuvwxyz"
        suffixes = [*letters, *(a + b for a in letters for b in letters)]
        span = (
            "SELECT {what} FROM documents WHERE citekey > ? AND citekey < ? AND id != ?"
            " AND (substr(citekey, ?) GLOB '[a-z]' OR substr(citekey, ?) GLOB '[a-z][a-z]')"
        )
        args = (base, base + "\U0010ffff", doc_id, len(base) + 1, len(base) + 1)
        if self.db.execute(span.format(what="count(*)"), args).fetchone()[0] < len(suffixes):
            taken = {r[0] for r in self.db.execute(span.format(what="citekey"), args)}
            for suffix in suffixes:
                if base + suffix not in taken:
                    return base + suffix
        for n in range(6, len(doc_id) + 1):
            if free(key := f"{base}-{doc_id[:n]}"):
                return key
        return f"{base}-{doc_id}"

    def replace_document(
        self,
        doc: CleanDoc,
        encoding: str,
        pipeline: str,
        citekey: str,
        passages: Sequence[Passage],
        passage_keys: Sequence[str],
        sentence_keys: Sequence[Sequence[str]],
        new_vectors: dict[str, np.ndarray],
        statistics: Iterable[Statistic],
        claims: Iterable[Claim],
        line_keys: Iterable[int] = (),
        shared_fp: str = "",
        shared_keys: Iterable[int] | None = None,
        statement_keys: dict[str, str] | None = None,
    ) -> None:
        """Store a document and everything derived from it, replacing what its path held, atomically.
        `statement_keys`: the vector key of each statistic's own clause (kb.records.figure_statement)."""
        import hashlib

        clean_sha = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
        statistics = list(statistics)
        own = not self.db.in_transaction  # else a savepoint inside the caller's batch (`transaction`)
        self.db.execute("BEGIN IMMEDIATE" if own else "SAVEPOINT document")
        try:
            dirty = self._figure_groups_of_docs(
                "SELECT id FROM documents WHERE path = ? OR id = ?", (doc.path, doc.id)
            )
            self.db.execute("DELETE FROM documents WHERE path = ? OR id = ?", (doc.path, doc.id))
            self.db.executemany(
                "INSERT OR IGNORE INTO vectors VALUES (?, ?)",
                [(k, v.astype(np.float32).tobytes()) for k, v in new_vectors.items()],
            )
            m = doc.meta
            self.db.execute(
                "INSERT INTO documents (id, path, kind, sha, clean_sha, encoding, pipeline, title, author,"
                " date, publisher, url, language, citekey, text, removed, ingested_at, shared_fp, pages)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    doc.id,
                    doc.path,
                    doc.kind,
                    doc.sha,
                    clean_sha,
                    encoding,
                    pipeline,
                    m.title,
                    m.author,
                    m.date,
                    m.publisher,
                    m.url,
                    m.language,
                    self._citekey(citekey, doc.id),
                    doc.text,
                    json.dumps([{"text": r.text, "reason": r.reason} for r in doc.removed]),
                    _now(),
                    shared_fp,
                    json.dumps([list(p) for p in doc.pages]),
                ),
            )
            shared = None if shared_keys is None else set(shared_keys)
            self.db.executemany(
                "INSERT INTO doc_lines (doc_id, key, shared) VALUES (?, ?, ?)",
                [(doc.id, k, None if shared is None else int(k in shared)) for k in line_keys],
            )
            for p, key, skeys in zip(passages, passage_keys, sentence_keys):
                cur = self.db.execute(
                    "INSERT INTO passages (id, doc_id, ordinal, start_char, end_char, text, context, vector_key)"
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (p.id, p.doc_id, p.ordinal, p.start, p.end, p.text, p.context, key),
                )
                self.db.executemany(
                    "INSERT INTO sentences (passage_rowid, start_char, end_char, vector_key) VALUES (?,?,?,?)",
                    [(cur.lastrowid, s, e, k) for (s, e), k in zip(p.sentences, skeys)],
                )
            self.db.executemany(
                "INSERT OR REPLACE INTO statistics VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        s.id,
                        s.doc_id,
                        s.value,
                        s.unit,
                        s.population,
                        s.source,
                        s.start,
                        s.end,
                        json.dumps(s.to_dict()),
                    )
                    for s in statistics
                ],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO claims VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        c.id,
                        c.doc_id,
                        c.kind,
                        c.speaker,
                        c.organization,
                        c.start,
                        c.end,
                        json.dumps(c.to_dict()),
                    )
                    for c in claims
                ],
            )
            cells = self._link_records(doc.id, statistics)
            self._relink_figures([st.id for st in statistics], dirty, cells)
            self.db.executemany(
                "INSERT OR REPLACE INTO statement_vectors VALUES (?, ?)", list((statement_keys or {}).items())
            )
            self._bump()
            self.db.execute("COMMIT" if own else "RELEASE document")
        except BaseException:
            if own:
                self.db.execute("ROLLBACK")
            else:
                self.db.execute("ROLLBACK TO document")
                self.db.execute("RELEASE document")
            raise

    @contextmanager
    def transaction(self, docs: int = 1) -> Iterator[None]:
        """A batch of `docs` documents, stored whole or not at all: its own write transaction, or
        inside grouped() a savepoint of the group's transaction, which commits when it is due."""
        # not grouped: a group of its own, due at once (a caller's open transaction is the caller's)
        own = self._group is None and not self.db.in_transaction
        group = self._group or {"seconds": 0.0 if own else math.inf, "docs": 0, "since": 0.0, "stored": 0}
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            group["since"], group["stored"] = time.monotonic(), 0
        self.db.execute("SAVEPOINT batch")
        try:
            yield
            self.db.execute("RELEASE batch")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK TO batch")
                self.db.execute("RELEASE batch")
                if own:
                    self.db.execute("ROLLBACK")
            raise
        group["stored"] += docs
        due = group["stored"] >= group["docs"] > 0 or time.monotonic() - group["since"] >= group["seconds"]
        if due and self.db.in_transaction:
            self.db.execute("COMMIT")

    @contextmanager
    def grouped(self, seconds: float = 5.0, docs: int = 512) -> Iterator[None]:
        """Let the batches stored inside share commits: one when `seconds` have passed since the
        last, or `docs` documents are waiting, and one at the end (also on an error or Ctrl-C,
        for the batches already whole). Every commit writes each page a batch dirtied, and at
        10,000 documents a 32-document batch dirtied ~5,000 pages (each new row lands on a page
        of its own in the link indexes), so commits were a sixth of ingest's own time. A kill
        loses at most the last `seconds` of stored work; a reader sees new documents that late."""
        self._group = {"seconds": seconds, "docs": docs, "since": 0.0, "stored": 0}
        try:
            yield
        finally:
            self._group = None
            if self.db.in_transaction:
                try:
                    self.db.execute("COMMIT")
                except sqlite3.Error:
                    self.db.execute("ROLLBACK")
                    raise

    def _link_records(self, doc_id: str, statistics: Sequence[Statistic]) -> list[tuple[Any, ...]]:
        """The rows of record_sentences, stat_blocks and stat_terms for one document's new records;
        their figure_cells rows are returned, to be stored once their groups are known."""
        from kb.linking import conflict_keys

        for statement in _RECORD_SENTENCES.format(
            where="AND st.doc_id = :doc", where2="AND c.doc_id = :doc"
        ).split(";"):
            if statement.strip():
                self.db.execute(statement, {"doc": doc_id})
        records = [s.to_dict() for s in statistics]
        rowids = dict(
            self.db.execute("SELECT id, rowid FROM statistics WHERE doc_id = ?", (doc_id,)).fetchall()
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO stat_blocks(rowid, keys) VALUES (?, ?)",
            [
                (rowids[r["id"]], " ".join(block_token(r["unit"], k) for k in keys))
                for r in records
                if (keys := conflict_keys(r)) and r["id"] in rowids
            ],
        )
        terms = [_terms_row(r) for r in records]
        self.db.executemany("INSERT OR REPLACE INTO stat_terms VALUES (?, ?, ?, ?)", terms)
        cells = []
        for r, (sid, pop, measure, sentence) in zip(records, terms, strict=True):
            value = round(float(r["value"]), 9)  # the rows of _figure_term_rows, from the same terms
            cells += [(r["unit"], value, p, m, sid) for p in pop.split() for m in measure.split() or [""]]
            cells.append((r["unit"], value, SENTENCE_CELL + sentence, "", sid))
        return cells

    # -- one figure in many documents --------------------------------------------
    # figure_groups holds each statistic's group of statistics that report one figure (kb.linking
    # .same_figure, joined transitively), named by its smallest id. It is kept current as documents
    # come and go, inside their transaction: a new statistic is compared with its quantity bucket
    # only; a group that lost a member (or whose documents' copy groups changed) is linked anew.

    _LINKABLE = (
        "SELECT s.id, s.doc_id, s.unit, s.value, json_extract(s.data, '$.value_high'),"
        " json_extract(s.data, '$.currency_code'), t.pop, t.measure, t.sentence"
        " FROM statistics s JOIN stat_terms t ON t.stat_id = s.id"
    )

    @staticmethod
    def _linkable(row: sqlite3.Row) -> tuple[dict[str, Any], Any]:
        """(the fields kb.linking compares, its About) of a _LINKABLE row."""
        rec = {
            "id": row[0],
            "doc_id": row[1],
            "unit": row[2],
            "value": row[3],
            "value_high": row[4],
            "currency_code": row[5],
        }
        return rec, (frozenset(row[6].split()), frozenset(row[7].split()), row[8])

    def _figure_groups_of_docs(self, docs_sql: str, args: tuple[Any, ...]) -> set[str]:
        rows = self.db.execute(
            "SELECT DISTINCT f.grp FROM figure_groups f JOIN statistics s ON s.id = f.stat_id"
            f" WHERE s.doc_id IN ({docs_sql})",
            args,
        )
        return {r[0] for r in rows}

    def _figure_groups_of(self, stat_ids: Sequence[str]) -> set[str]:
        return {
            r[0] for r in self._select_in("SELECT grp FROM figure_groups WHERE stat_id IN ({keys})", stat_ids)
        }

    def _relink_figures(
        self, fresh: Sequence[str], dirty: Iterable[str], new_cells: Sequence[tuple[Any, ...]] = ()
    ) -> None:
        """Bring figure_groups up to date for new statistics (`fresh`) and groups that may have
        split (`dirty`: their members are linked anew), inside the caller's transaction. A
        statistic is compared only with figures of its value that share a population word, its
        sentence or its copy group (the only ones kb.linking.same_figure can join it with), and
        with one member of a group at a time: the work does not grow with the collection."""
        from kb.linking import quantity_key, same_figure, same_words

        members = [
            r[0]
            for r in self._select_in("SELECT stat_id FROM figure_groups WHERE grp IN ({keys})", list(dirty))
        ]
        todo = list(dict.fromkeys([*fresh, *members]))
        if not todo:
            return
        self.db.executemany("INSERT OR REPLACE INTO figure_groups VALUES (?, ?)", [(i, i) for i in todo])
        self.db.executemany(
            "UPDATE figure_cells SET grp = stat_id WHERE stat_id = ?", [(i,) for i in members]
        )
        parent: dict[str, str] = {}

        def find(label: str) -> str:
            while parent.get(label, label) != label:
                label = parent[label]
            return label

        linkable: dict[str, tuple[dict[str, Any], Any] | None] = {}

        def row(sid: str) -> tuple[dict[str, Any], Any] | None:
            if sid not in linkable:
                found = self.db.execute(self._LINKABLE + " WHERE s.id = ?", (sid,)).fetchone()
                linkable[sid] = None if found is None else self._linkable(found)
            return linkable[sid]

        # the statistics to link are read at once (a document's figures are one another's candidates)
        linkable.update(
            (r[0], self._linkable(r))
            for r in self._select_in(self._LINKABLE + " WHERE s.id IN ({keys})", todo)
        )

        copy_of: dict[str, str | None] = {}

        def copy_groups(docs: Iterable[str]) -> dict[str, str]:
            need = [d for d in docs if d not in copy_of]
            if need:
                found = self.groups_of(need)
                copy_of.update((d, found.get(d)) for d in need)
            return {d: g for d in docs if (g := copy_of[d]) is not None}

        for sid in todo:
            mine = row(sid)
            if mine is None:
                continue
            a, ta = mine
            value = round(float(a["value"]), 9)
            near = (a["unit"], value - 1e-9, value + 1e-9)
            own_group = copy_groups([a["doc_id"]]).get(a["doc_id"])
            cells: list[tuple[str, str | None]] = [
                (p, m) for p in sorted(ta[0]) for m in [*sorted(ta[1]), ""]
            ]
            if not ta[1]:  # no measure: a figure of any measure may be the same
                cells = [(p, None) for p in sorted(ta[0])]
            cells.append((SENTENCE_CELL + ta[2], ""))  # and one stated in the same sentence
            # (group, its members) to try: same value and words or sentence (cells), the same work
            grouped = self._cell_groups(a["unit"], value, cells, lambda g, sid=sid: find(g) == find(sid))
            others: list[tuple[str, Iterable[tuple[str, Any]]]] = []
            if own_group:
                others += [
                    (g, [(o, None)])
                    for o, g in self.db.execute(
                        "SELECT s.id, g.grp FROM doc_groups d JOIN statistics s ON s.doc_id = d.doc_id"
                        " JOIN figure_groups g ON g.stat_id = s.id WHERE d.grp = ? AND s.unit = ?"
                        " AND s.value BETWEEN ? AND ?",
                        (own_group, *near),
                    )
                ]
            key = quantity_key(a)
            for grp, members in itertools.chain(grouped, others):
                for other, words in members:
                    if find(grp) == find(sid):
                        break  # this group is joined already: one member of it is enough
                    if words is not None and not own_group and not same_words(ta, words):
                        continue  # (not copies: same_figure needs the same words or sentence)
                    theirs = row(other) if other != sid else None
                    if theirs is None or theirs[0]["doc_id"] == a["doc_id"] or quantity_key(theirs[0]) != key:
                        continue
                    b, tb = theirs
                    if same_figure(a, b, ta, tb, copy_groups([a["doc_id"], b["doc_id"]])):
                        x, y = find(sid), find(grp)
                        parent[max(x, y)] = min(x, y)  # a group is named by its smallest id
        renamed = [(find(label), label) for label in parent if find(label) != label]
        # (figure_cells by its members' ids, so it needs no index of groups of its own)
        self.db.executemany(
            "UPDATE figure_cells SET grp = ? WHERE stat_id IN (SELECT stat_id FROM figure_groups WHERE grp = ?)",
            renamed,
        )
        self.db.executemany("UPDATE figure_groups SET grp = ? WHERE grp = ?", renamed)
        # a new document's cells are stored last, under their groups: written once, not renamed.
        # (Its statistics are not one another's candidates, so none of them had to find the others.)
        self.db.executemany(
            "INSERT OR IGNORE INTO figure_cells VALUES (?, ?, ?, ?, ?, ?)",
            [(*t[:4], find(t[4]), t[4]) for t in new_cells],
        )

    def _seek(self, column: str, where: str, key: tuple[Any, ...], after: str | None) -> str | None:
        """The least `column` of figure_cells rows matching `where` (and above `after`): one index
        seek, so a cell's distinct values are read without reading its rows."""
        above = "" if after is None else f" AND {column} > ?"
        found = self.db.execute(
            f"SELECT {column} FROM figure_cells WHERE {where}{above} ORDER BY {column} LIMIT 1",
            key if after is None else (*key, after),
        ).fetchone()
        return None if found is None else found[0]

    def _cell_groups(
        self, unit: str, value: float, cells: list[tuple[str, str | None]], joined: Callable[[str], bool]
    ) -> Iterator[tuple[str, Iterator[tuple[str, Any]]]]:
        """(group, its members in the cell with what they are about, read lazily) for each figure group with a statistic of
        this value in one of the cells (population word, measure word; None: any measure). A cell
        is read a group at a time, each by a seek past the one before; a group `joined` already
        costs that seek and nothing more, however many statistics it holds."""
        for term, measure in cells:
            measures: Iterable[str] = [measure] if measure is not None else self._measures(unit, value, term)
            for m in measures:
                where = "unit = ? AND value = ? AND term = ? AND measure = ?"
                key = (unit, value, term, m)
                grp = self._seek("grp", where, key, None)
                while grp is not None:
                    if not joined(grp):
                        rows = self.db.execute(
                            "SELECT c.stat_id, t.pop, t.measure, t.sentence FROM figure_cells c"
                            " JOIN stat_terms t ON t.stat_id = c.stat_id WHERE c.unit = ? AND c.value = ?"
                            " AND c.term = ? AND c.measure = ? AND c.grp = ?",
                            (*key, grp),
                        )
                        yield (
                            grp,
                            ((r[0], (frozenset(r[1].split()), frozenset(r[2].split()), r[3])) for r in rows),
                        )
                    grp = self._seek("grp", where, key, grp)

    def _measures(self, unit: str, value: float, term: str) -> Iterator[str]:
        """The distinct measure words of a cell's statistics, one seek each."""
        key = (unit, value, term)
        m = self._seek("measure", "unit = ? AND value = ? AND term = ?", key, None)
        while m is not None:
            yield m
            m = self._seek("measure", "unit = ? AND value = ? AND term = ?", key, m)

    def touch_pipeline(self, doc_id: str, pipeline: str) -> None:
        """Record that a document was re-checked by a newer pipeline and nothing changed."""
        self.db.execute("UPDATE documents SET pipeline = ? WHERE id = ?", (pipeline, doc_id))

    def delete_documents(self, paths: Iterable[str]) -> int:
        paths = list(paths)
        if not paths:
            return 0
        self.db.execute("BEGIN IMMEDIATE")
        try:
            n = 0
            for path in paths:
                dirty = self._figure_groups_of_docs("SELECT id FROM documents WHERE path = ?", (path,))
                n += self.db.execute("DELETE FROM documents WHERE path = ?", (path,)).rowcount
                self._relink_figures([], dirty)
            self._bump()
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return n

    def _bump(self) -> None:
        self.db.execute(
            "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def integrity_problems(self) -> list[str]:
        """SQLite's own check of every page, and the full-text index's check of itself."""
        problems = [r[0] for r in self.db.execute("PRAGMA quick_check").fetchall() if r[0] != "ok"]
        for table, what in (("passages_fts", "full-text index"), ("stat_blocks", "conflict-block index")):
            try:
                self.db.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
            except sqlite3.DatabaseError as exc:
                if not any(w in str(exc) for w in ("readonly", "locked")):  # a writer at work: not damage
                    problems.append(f"{what}: {exc}")
        return problems

    # -- copies of one work -----------------------------------------------------

    def copy_groups(self) -> dict[str, str]:
        """Each document's group of copies (documents without copies are their own group)."""
        return {r[0]: r[1] for r in self.db.execute("SELECT doc_id, grp FROM doc_groups")}

    def groups_of(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The copy groups of some documents (those with copies only)."""
        rows = self._select_in("SELECT doc_id, grp FROM doc_groups WHERE doc_id IN ({keys})", list(doc_ids))
        return {r[0]: r[1] for r in rows}

    def group_members(self, groups: Sequence[str]) -> dict[str, list[str]]:
        """The documents of some copy groups."""
        rows = self._select_in("SELECT grp, doc_id FROM doc_groups WHERE grp IN ({keys})", list(groups))
        out: dict[str, list[str]] = {}
        for grp, doc_id in rows:
            out.setdefault(grp, []).append(doc_id)
        return out

    def update_copy_groups(self, doc_ids: Iterable[str], groups: dict[str, str]) -> None:
        """Re-record the groups of some documents (`groups`: doc id → group, for those with copies),
        leaving every other document's group as it is; one transaction."""
        doc_ids = list(doc_ids)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            before = self.groups_of(doc_ids)
            self.db.executemany("DELETE FROM doc_groups WHERE doc_id = ?", [(i,) for i in doc_ids])
            self.db.executemany("INSERT OR REPLACE INTO doc_groups VALUES (?, ?)", list(groups.items()))
            # copies are one source: the figures of documents whose group changed are linked anew
            moved = [i for i in doc_ids if before.get(i, i) != groups.get(i, i)]
            if moved:
                rows = self._select_in("SELECT id FROM statistics WHERE doc_id IN ({keys})", moved)
                self._relink_figures([r[0] for r in rows], self._figure_groups_of([r[0] for r in rows]))
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    # -- metadata corrections -------------------------------------------------

    _OVERRIDE_FIELDS = ("title", "author", "date", "publisher", "url")

    def meta_override(self, path: str) -> dict[str, str]:
        """The fields a user set for a document's source with `kb meta`."""
        row = self.db.execute(
            "SELECT title, author, date, publisher, url FROM meta_overrides WHERE path = ?", (path,)
        ).fetchone()
        return {f: row[f] for f in self._OVERRIDE_FIELDS if row and row[f]} if row else {}

    def set_meta_override(self, doc_id: str, fields: dict[str, str], citekey: str) -> None:
        """Remember corrected fields for a document's source and apply them to the document now."""
        path = self.db.execute("SELECT path FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
        merged = self.meta_override(path) | fields
        cols = self._OVERRIDE_FIELDS
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                f"INSERT OR REPLACE INTO meta_overrides (path, {', '.join(cols)}) VALUES (?,?,?,?,?,?)",
                (path, *(merged.get(c) for c in cols)),
            )
            sets = ", ".join(f"{c} = ?" for c in fields)
            self.db.execute(f"UPDATE documents SET {sets} WHERE id = ?", (*fields.values(), doc_id))
            self.db.execute(
                "UPDATE documents SET citekey = ? WHERE id = ?", (self._citekey(citekey, doc_id), doc_id)
            )
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    # -- web snapshots --------------------------------------------------------

    def put_snapshot(self, snap: Any) -> None:
        """Keep a fetched page's bytes (kb.sources.web.Snapshot); committed at once."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?,?,?,?,?,?,?,?)",
                (
                    snap.sha,
                    snap.url,
                    snap.final_url,
                    snap.content_type,
                    snap.etag,
                    snap.last_modified,
                    snap.fetched_at,
                    snap.data,
                ),
            )

    def snapshot_for(self, url: str) -> Any:
        """The latest snapshot fetched for an address, or None."""
        from kb.sources.web import Snapshot

        row = self.db.execute(
            "SELECT url, final_url, sha, data, content_type, etag, last_modified, fetched_at FROM snapshots"
            " WHERE url = ? ORDER BY fetched_at DESC, rowid DESC LIMIT 1",
            (url,),
        ).fetchone()
        return Snapshot(*row[:3], bytes(row[3]), *row[4:]) if row else None

    def all_snapshots(self) -> list[Any]:
        """Every snapshot, for carrying them into a rebuilt index."""
        from kb.sources.web import Snapshot

        rows = self.db.execute(
            "SELECT url, final_url, sha, data, content_type, etag, last_modified, fetched_at FROM snapshots"
        ).fetchall()
        return [Snapshot(*r[:3], bytes(r[3]), *r[4:]) for r in rows]

    def gc_snapshots(self) -> int:
        """Drop snapshots no document was read from (older versions of a re-fetched page)."""
        with self.db:
            return self.db.execute(
                "DELETE FROM snapshots WHERE sha NOT IN (SELECT sha FROM documents)"
            ).rowcount

    def import_vectors(self, other: Path) -> int:
        """Copy another index's cached vectors into this one (`kb rebuild`): their keys hash the
        model and the text, so only texts this store's documents share with it, embedded by the
        same model, are ever used; `gc_vectors` drops the rest."""
        self.db.execute("ATTACH DATABASE ? AS other", (f"file:{urllib.parse.quote(str(other))}?mode=ro",))
        try:
            with self.db:
                return self.db.execute(
                    "INSERT OR IGNORE INTO vectors SELECT key, data FROM other.vectors"
                ).rowcount
        finally:
            self.db.execute("DETACH DATABASE other")

    def gc_vectors(self) -> int:
        """Drop vectors no passage or sentence refers to any more."""
        return self.db.execute(
            "DELETE FROM vectors WHERE key NOT IN (SELECT vector_key FROM passages)"
            " AND key NOT IN (SELECT vector_key FROM sentences)"
            " AND key NOT IN (SELECT vector_key FROM statement_vectors)"
        ).rowcount

    # -- vectors --------------------------------------------------------------

    def known_vectors(self, keys: Iterable[str]) -> set[str]:
        return {r[0] for r in self._select_in("SELECT key FROM vectors WHERE key IN ({keys})", keys)}

    def passage_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, vectors) of every passage, for building the faiss index."""
        return self._id_vectors(
            "SELECT p.rowid, v.data FROM passages p JOIN vectors v ON v.key = p.vector_key ORDER BY p.rowid",
            dim,
        )

    def _id_vectors(self, sql: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of the (id, vector blob) rows of `sql`, as arrays for faiss."""
        rows = self.db.execute(sql).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        vecs = np.zeros((len(rows), dim), dtype=np.float32)
        for i, r in enumerate(rows):
            vecs[i] = np.frombuffer(r[1], dtype=np.float32)
        return ids, vecs

    def vectors(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors by key (content hash of model and text); absent keys are left out."""
        rows = self._select_in("SELECT key, data FROM vectors WHERE key IN ({keys})", keys)
        return {key: np.frombuffer(data, dtype=np.float32) for key, data in rows}

    def doc_passages(self, doc_id: str) -> list[tuple[int, int, int, str]]:
        """(rowid, start, end, text) of a document's passages, in order."""
        return [
            tuple(r)  # type: ignore[misc]
            for r in self.db.execute(
                "SELECT rowid, start_char, end_char, text FROM passages WHERE doc_id = ? ORDER BY start_char",
                (doc_id,),
            )
        ]

    def doc_sentences(self, doc_id: str) -> list[tuple[int, int, int]]:
        """(passage rowid, start, end) of a document's sentences."""
        return [
            tuple(r)  # type: ignore[misc]
            for r in self.db.execute(
                "SELECT s.passage_rowid, s.start_char, s.end_char FROM sentences s"
                " JOIN passages p ON p.rowid = s.passage_rowid WHERE p.doc_id = ?",
                (doc_id,),
            )
        ]

    def missing_vectors(self, dim: int) -> int:
        """How many passages and sentences lack a stored vector of the index's dimension."""
        size = dim * 4
        q = (
            "SELECT count(*) FROM {t} x LEFT JOIN vectors v ON v.key = x.vector_key"
            " WHERE v.key IS NULL OR length(v.data) != ?"
        )
        return sum(
            int(self.db.execute(q.format(t=t), (size,)).fetchone()[0]) for t in ("passages", "sentences")
        )

    def passage_paths(self) -> list[tuple[int, str]]:
        """(passage rowid, document path) for every passage."""
        return [
            (int(r[0]), r[1])
            for r in self.db.execute(
                "SELECT p.rowid, d.path FROM passages p JOIN documents d ON d.id = p.doc_id"
            )
        ]

    def passage_ids(self) -> np.ndarray:
        """The rowids of every passage, in order (to bring a saved vector index up to date)."""
        rows = self.db.execute("SELECT rowid FROM passages ORDER BY rowid").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def record_sentence_ids(self) -> np.ndarray:
        """The rowids of the sentences that hold a statistic or claim, in order."""
        rows = self.db.execute("SELECT DISTINCT sentence_rowid FROM record_sentences ORDER BY 1").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def record_sentence_count(self) -> int:
        return int(
            self.db.execute("SELECT count(DISTINCT sentence_rowid) FROM record_sentences").fetchone()[0]
        )

    def record_sentence_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, vectors) of every sentence that holds a record, for building its faiss index."""
        return self._id_vectors(
            "SELECT s.rowid, v.data FROM sentences s JOIN vectors v ON v.key = s.vector_key"
            " WHERE s.rowid IN (SELECT sentence_rowid FROM record_sentences) ORDER BY s.rowid",
            dim,
        )

    def sentence_vectors_for(self, rowids: Sequence[int]) -> dict[int, np.ndarray]:
        rows = self._select_in(
            "SELECT s.rowid, v.data FROM sentences s JOIN vectors v ON v.key = s.vector_key WHERE s.rowid IN ({keys})",
            rowids,
        )
        return {int(r[0]): np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def documents_in(self, doc_ids: Iterable[str]) -> dict[str, DocInfo]:
        """Documents by id, only those asked for (a query's records, not the collection)."""
        rows = self._select_in(f"SELECT {self._DOC_COLS} FROM documents WHERE id IN ({{keys}})", doc_ids)
        return {r["id"]: self._doc(r) for r in rows}

    def passage_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM passages").fetchone()[0])

    # -- search ---------------------------------------------------------------

    def lexical(self, query: str, limit: int) -> list[tuple[int, float]]:
        """(passage rowid, BM25 score; higher is better) for the best FTS5 matches."""
        match = fts_query(query)
        if not match:
            return []
        rows = self.db.execute(
            "SELECT rowid, bm25(passages_fts, 1.0, 0.3) AS s FROM passages_fts WHERE passages_fts MATCH ?"
            " ORDER BY s LIMIT ?",
            (match, limit),
        ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def _select_in(self, sql: str, keys: Iterable[Any], before: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of `sql`, whose `{keys}` becomes one placeholder per key, in queries of at most 500
        keys (under SQLite's parameter limit); no query for no keys. Each key's rows come from one
        query, so `GROUP BY` the key stays right. `before`: the values of placeholders ahead of them."""
        keys = list(dict.fromkeys(keys))
        rows: list[sqlite3.Row] = []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            sql_i = sql.format(keys=",".join("?" * len(chunk)))
            rows += self.db.execute(sql_i, [*before, *chunk]).fetchall()
        return rows

    def passages(self, rowids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Passage rows with their document, by rowid."""
        doc_cols = ", ".join("d." + c + " AS d_" + c for c in self._DOC_COLS.split(", "))
        rows = self._select_in(
            "SELECT p.rowid AS rowid, p.id AS pid, p.doc_id, p.start_char, p.end_char, p.text, p.context,"
            f" {doc_cols} FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.rowid IN ({{keys}})",
            rowids,
        )
        out = {}
        for r in rows:
            doc = DocInfo(**{c: r["d_" + c] for c in self._DOC_COLS.split(", ")})
            out[int(r["rowid"])] = {
                "id": r["pid"],
                "doc": doc,
                "start": r["start_char"],
                "end": r["end_char"],
                "text": r["text"],
                "context": r["context"],
            }
        return out

    def list_items(self, rowids: Sequence[int]) -> dict[int, list[int]]:
        """For each given passage that is a list's lead-in (its text ends with a colon), the rowids
        of the list's items (passages of the same document that have it as context), in order."""
        rows = self._select_in(
            "SELECT l.rowid, p.rowid FROM passages l JOIN passages p ON p.doc_id = l.doc_id"
            " AND p.ordinal > l.ordinal AND p.context != '' AND rtrim(l.text, ': ') = rtrim(p.context, ': ')"
            " WHERE l.rowid IN ({keys}) AND l.text LIKE '%:' ORDER BY l.rowid, p.ordinal",
            rowids,
        )
        out: dict[int, list[int]] = {}
        for lead, item in rows:
            out.setdefault(int(lead), []).append(int(item))
        return out

    def _sentences_by(self, column: str, keys: Sequence[Any]) -> dict[Any, list[tuple[int, int, np.ndarray]]]:
        """Sentences (start, end, vector) of the passages whose `column` is in keys, grouped by it."""
        rows = self._select_in(
            f"SELECT {column}, s.start_char, s.end_char, v.data FROM sentences s"
            f" JOIN passages p ON p.rowid = s.passage_rowid JOIN vectors v ON v.key = s.vector_key"
            f" WHERE {column} IN ({{keys}}) ORDER BY s.rowid",
            keys,
        )
        out: dict[Any, list[tuple[int, int, np.ndarray]]] = {}
        for r in rows:
            out.setdefault(r[0], []).append((r[1], r[2], np.frombuffer(r[3], dtype=np.float32)))
        return out

    def sentences(self, rowids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        """Sentences (start, end, vector) of passages given by rowid."""
        return self._sentences_by("p.rowid", rowids)

    def passage_sentences(self, passage_ids: Sequence[str]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        """Sentences (start, end, vector) of passages given by passage id."""
        return self._sentences_by("p.id", passage_ids)

    def passage_contexts(self, passage_ids: Sequence[str]) -> dict[str, str]:
        """The heading or list lead-in of passages given by passage id."""
        return {
            r[0]: r[1]
            for r in self._select_in("SELECT id, context FROM passages WHERE id IN ({keys})", passage_ids)
        }

    def passage_vectors_for(self, rowids: Sequence[int]) -> dict[int, np.ndarray]:
        rows = self._select_in(
            "SELECT p.rowid, v.data FROM passages p JOIN vectors v ON v.key = p.vector_key WHERE p.rowid IN ({keys})",
            rowids,
        )
        return {int(r[0]): np.frombuffer(r[1], dtype=np.float32) for r in rows}

    # -- statistics and claims -------------------------------------------------

    def statistics(self, doc_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT data FROM statistics"
        args: tuple[Any, ...] = ()
        if doc_id:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        rows = self.db.execute(sql + " ORDER BY doc_id, start_char", args).fetchall()
        return [_record(r[0]) for r in rows]

    def statistics_in(self, rowids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Statistics whose figure lies inside each of the given passages, by passage rowid."""
        rows = self._select_in(
            "SELECT p.rowid, s.data FROM passages p JOIN statistics s ON s.doc_id = p.doc_id"
            " AND s.start_char >= p.start_char AND s.end_char <= p.end_char"
            " WHERE p.rowid IN ({keys}) ORDER BY s.start_char",
            rowids,
        )
        out: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            out.setdefault(int(r[0]), []).append(_record(r[1]))
        return out

    def claims(self, doc_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT data FROM claims"
        args: tuple[Any, ...] = ()
        if doc_id:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        rows = self.db.execute(sql + " ORDER BY doc_id, start_char", args).fetchall()
        return [_record(r[0]) for r in rows]

    def statistics_where(
        self,
        doc_id: str | None = None,
        unit: str | None = None,
        currency: str | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        population: str | None = None,
        source: str | None = None,
    ) -> list[dict[str, Any]]:
        """Statistics that pass the filters of `kb stats`, found by SQL (population and source
        match case-insensitively as substrings, as the CLI documents)."""
        where, args = [], []
        for clause, arg in (
            ("doc_id = ?", doc_id),
            ("unit = ? COLLATE NOCASE", unit),
            ("json_extract(data, '$.currency_code') = ?", currency),
            ("value >= ?", minimum),
            ("value <= ?", maximum),
            ("kb_contains(population, ?)", population),
            ("kb_contains(source, ?)", source),
        ):
            if arg is not None and arg != "":
                where.append(clause)
                args.append(arg)
        sql = "SELECT data FROM statistics" + (" WHERE " + " AND ".join(where) if where else "")
        return [_record(r[0]) for r in self.db.execute(sql + " ORDER BY doc_id, start_char", args)]

    def claims_where(
        self, doc_id: str | None = None, kind: str | None = None, speaker: str | None = None
    ) -> list[dict[str, Any]]:
        """Claims that pass the filters of `kb claims` (speaker matches speaker or organisation)."""
        where, args = [], []
        if doc_id:
            where.append("doc_id = ?")
            args.append(doc_id)
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if speaker:
            where.append("kb_contains(coalesce(speaker, '') || ' ' || coalesce(organization, ''), ?)")
            args.append(speaker)
        sql = "SELECT data FROM claims" + (" WHERE " + " AND ".join(where) if where else "")
        return [_record(r[0]) for r in self.db.execute(sql + " ORDER BY doc_id, start_char", args)]

    def unit_counts(self, doc_id: str | None = None) -> dict[str, int]:
        """How many statistics each unit has (most first), for telling a user what units exist."""
        sql = "SELECT unit, count(*) AS n FROM statistics"
        args: tuple[Any, ...] = ()
        if doc_id:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        return {r[0]: int(r[1]) for r in self.db.execute(sql + " GROUP BY unit ORDER BY n DESC, unit", args)}

    def record_count(self, kind: str) -> int:
        table = {"statistic": "statistics", "claim": "claims"}[kind]
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def records_in_sentences(self, kind: str, rowids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Statistics or claims (`kind`) held by each of the given sentences, by sentence rowid."""
        table = {"statistic": "statistics", "claim": "claims"}[kind]
        rows = self._select_in(
            f"SELECT rs.sentence_rowid, t.data FROM record_sentences rs JOIN {table} t ON t.id = rs.record_id"
            " WHERE rs.kind = '" + kind + "' AND rs.sentence_rowid IN ({keys})",
            rowids,
        )
        out: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            out.setdefault(int(r[0]), []).append(_record(r[1]))
        return out

    def record_vectors(self, record_ids: Sequence[str]) -> dict[str, list[np.ndarray]]:
        """The stored vectors of the sentences that hold each record, by record id."""
        rows = self._select_in(
            "SELECT rs.record_id, v.data FROM record_sentences rs JOIN sentences s ON s.rowid = rs.sentence_rowid"
            " JOIN vectors v ON v.key = s.vector_key WHERE rs.record_id IN ({keys})",
            record_ids,
        )
        out: dict[str, list[np.ndarray]] = {}
        for r in rows:
            out.setdefault(r[0], []).append(np.frombuffer(r[1], dtype=np.float32))
        return out

    def statistics_valued(self, unit: str, value: float, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Statistics of some documents in one unit whose value rounds to `value`'s to 9 decimals."""
        want = round(float(value), 9)
        rows = self._select_in(
            "SELECT value, data FROM statistics WHERE unit = ? AND value BETWEEN ? AND ? AND doc_id IN ({keys})"
            " ORDER BY doc_id, start_char",
            doc_ids,
            before=(unit, want - 1e-9, want + 1e-9),
        )
        return [_record(r[1]) for r in rows if round(float(r[0]), 9) == want]

    def documents_by_citekey(self, keys: Sequence[str]) -> list[DocInfo]:
        rows = self._select_in(f"SELECT {self._DOC_COLS} FROM documents WHERE citekey IN ({{keys}})", keys)
        return [self._doc(r) for r in rows]

    def statistics_keyed(
        self, unit: str, keys: Sequence[str], low: float = -math.inf, high: float = math.inf
    ) -> list[dict[str, Any]]:
        """Statistics of one unit, valued from `low` to `high`, that share a conflict block
        (kb.linking.conflict_keys) with `keys`; each with `_about`, its stored population and
        measure terms."""
        return list(self.iter_statistics_keyed(unit, keys, low, high))

    def iter_statistics_keyed(
        self, unit: str, keys: Sequence[str], low: float = -math.inf, high: float = math.inf
    ) -> Iterator[dict[str, Any]]:
        """`statistics_keyed`, read and decoded as it is consumed (oldest first within each
        chunk of 200 blocks), so that a caller needing only the first few stops early."""
        tokens = sorted({block_token(unit, k) for k in keys})
        seen: set[str] = set()
        for i in range(0, len(tokens), 200):
            # (CROSS JOIN: the full-text match first; else SQLite may walk the value index and
            # run the match once a row)
            for sid, data, pop, measure in self.db.execute(
                "SELECT s.id, s.data, t.pop, t.measure FROM stat_blocks b CROSS JOIN statistics s"
                " ON s.rowid = b.rowid JOIN stat_terms t ON t.stat_id = s.id"
                " WHERE stat_blocks MATCH ? AND s.unit = ? AND s.value BETWEEN ? AND ?",
                (" OR ".join(tokens[i : i + 200]), unit, low, high),
            ):
                if sid not in seen:
                    seen.add(sid)
                    row = _record(data)
                    # what it is about, as ingest computed it (kb.linking.about, without the sentence)
                    row["_about"] = (frozenset(pop.split()), frozenset(measure.split()), "")
                    yield row

    def figure_group_members(self, stat_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """For each statistic, the statistics that report the same figure (itself included)."""
        rows = self._select_in(
            "SELECT me.stat_id, s.data FROM figure_groups me JOIN figure_groups f ON f.grp = me.grp"
            " JOIN statistics s ON s.id = f.stat_id WHERE me.stat_id IN ({keys}) ORDER BY s.doc_id, s.start_char",
            stat_ids,
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            out.setdefault(r[0], []).append(_record(r[1]))
        return out

    def figure_group_ids(self) -> dict[str, str]:
        """Every statistic's figure group (for checking the stored groups against a recomputation)."""
        return {r[0]: r[1] for r in self.db.execute("SELECT stat_id, grp FROM figure_groups")}

    def values_stated(self, doc_ids: Sequence[str], unit: str) -> set[tuple[str, float]]:
        """(document, value to 9 decimals) of every statistic in `unit` the documents state."""
        rows = self._select_in(
            "SELECT doc_id, value FROM statistics WHERE unit = ? AND doc_id IN ({keys})",
            doc_ids,
            before=(unit,),
        )
        return {(r[0], round(float(r[1]), 9)) for r in rows}

    def record(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """A statistic or claim by id: ("statistic" | "claim", record)."""
        for table, kind in (("statistics", "statistic"), ("claims", "claim")):
            row = self.db.execute(f"SELECT data FROM {table} WHERE id = ?", (record_id,)).fetchone()
            if row:
                return kind, _record(row[0])
        return None
