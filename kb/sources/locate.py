"""Where a stored document's source is now: a file on disk, or the snapshot of a web address.

`kb verify`, `kb ingest --prune` and `kb rebuild` ask here whether a document's source still
exists and what it holds, instead of asking the filesystem, so a fetched page is checked and
rebuilt from its snapshot, offline.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import InputError
from kb.records import Metadata, Source
from kb.sources.web import Snapshot, is_url

if TYPE_CHECKING:
    from kb.store import Store


def snapshot_source(snap: Snapshot) -> Source:
    """A fetched page read like a file: its kind from the content, the content type or the address."""
    from kb.ingest.read import _HTML_START, EXTENSIONS, source_from_bytes
    from kb.sources import sniff

    suffix = Path(snap.final_url.split("?", 1)[0]).suffix.lower()
    kind = sniff(snap.data) or snap.kind or EXTENSIONS.get(suffix)
    if kind is None:
        kind = "html" if _HTML_START.match(snap.data[:4096]) else "txt"
    return source_from_bytes(snap.url, snap.data, kind, suffix, meta=Metadata(url=snap.final_url))


def exists(locator: str, store: Store) -> bool:
    """Whether the source can still be read: the file is there, or the index holds the page."""
    if is_url(locator):
        return store.snapshot_for(locator) is not None
    return Path(locator).is_file()


def current_sha(locator: str, store: Store) -> str | None:
    """sha256 of what the source holds now (the file's bytes, or the latest snapshot)."""
    if is_url(locator):
        snap = store.snapshot_for(locator)
        return snap.sha if snap else None
    path = Path(locator)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def read_stored(locator: str, store: Store) -> Source:
    """The Source of a stored document, from disk or from its snapshot."""
    from kb.ingest.read import read_source

    if is_url(locator):
        snap = store.snapshot_for(locator)
        if snap is None:
            raise InputError(locator, "the index holds no snapshot of this address")
        return snapshot_source(snap)
    return read_source(Path(locator))
