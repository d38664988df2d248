"""The faiss vector index: derived data, rebuilt from the store when stale.

`vectors.faiss` holds inner-product search over L2-normalised passage vectors
(= cosine), keyed by passage rowid; `manifest.json` beside it names the model,
dimension, count, the store generation it was built from, and the kb version.
Both are written to a temporary file and renamed into place, index first, so a
crash leaves either the old pair or a manifest that no longer matches the store
(and the next open updates or rebuilds). An index of an earlier generation is updated in
place: the store's passage ids are compared with the index's, new vectors are added, removed
ones deleted (flat) or marked as tombstones (HNSW cannot delete; search skips them, and past
TOMBSTONE_SHARE the index is rebuilt, which compacts it). Flat (exact) search up to HNSW_THRESHOLD vectors,
HNSW above it. Loading memory-maps the vectors (faiss's IO_FLAG_MMAP_IFC), so they
stay in the page cache rather than each process's heap.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

INDEX_FILE = "vectors.faiss"
MANIFEST_FILE = "manifest.json"
HNSW_THRESHOLD = 50_000  # flat search of 100k vectors takes ~20 ms on 2 cores; HNSW ~1 ms
HNSW_M = 32
HNSW_EF_SEARCH = 128


TOMBSTONE_SHARE = 0.2  # above this share of deleted vectors an HNSW index is rebuilt (compacted)


@dataclass(frozen=True, slots=True)
class Manifest:
    model: str
    dim: int
    count: int  # live vectors: those the index holds less the tombstones
    generation: int
    kind: str
    kb_version: str
    tombstones: tuple[int, ...] = ()  # rowids removed from an HNSW index (it cannot delete in place)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file of this process's own (readers may save concurrently), owner-only,
    then rename over `path`; a failed write (a full disk) leaves no temporary file behind."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class VectorIndex:
    """A faiss index over passage vectors, searched by inner product."""

    def __init__(self, index, manifest: Manifest) -> None:
        self._index = index
        self.manifest = manifest
        self._dead = frozenset(manifest.tombstones)

    @classmethod
    def build(
        cls, ids: np.ndarray, vectors: np.ndarray, model: str, dim: int, generation: int
    ) -> VectorIndex:
        import faiss

        from kb import __version__

        if len(ids) >= HNSW_THRESHOLD:
            base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = 80
            kind = "hnsw"
        else:
            base = faiss.IndexFlatIP(dim)
            kind = "flat"
        index = faiss.IndexIDMap2(base)
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
        manifest = Manifest(
            model=model, dim=dim, count=len(ids), generation=generation, kind=kind, kb_version=__version__
        )
        return cls(index, manifest)

    def save(self, directory: Path) -> None:
        import faiss

        directory.mkdir(parents=True, exist_ok=True)
        data = faiss.serialize_index(self._index)
        _write_atomic(directory / INDEX_FILE, bytes(data))
        _write_atomic(directory / MANIFEST_FILE, json.dumps(asdict(self.manifest)).encode())

    @staticmethod
    def read_manifest(directory: Path) -> Manifest | None:
        try:
            data = json.loads((directory / MANIFEST_FILE).read_text())
            data["tombstones"] = tuple(data.get("tombstones") or ())
            return Manifest(**data)
        except (OSError, ValueError, TypeError):
            return None

    @classmethod
    def load_for_update(cls, directory: Path, model: str, dim: int) -> VectorIndex | None:
        """The saved index of an earlier generation, read into memory so it can be updated in place."""
        manifest = cls.read_manifest(directory)
        if manifest is None or (manifest.model, manifest.dim) != (model, dim):
            return None
        import faiss

        try:
            index = faiss.read_index(str(directory / INDEX_FILE))
        except RuntimeError:
            return None
        if index.ntotal - len(manifest.tombstones) != manifest.count or index.d != dim:
            return None  # a torn save: the index and its manifest disagree
        return cls(index, manifest)

    def update(self, added: np.ndarray, vectors: np.ndarray, removed: np.ndarray, generation: int) -> bool:
        """Add and remove passages in place; False when a rebuild is better (too many tombstones,
        or a flat index that has grown past the HNSW threshold)."""
        import faiss

        dead = set(self._dead)
        if len(removed):
            if self.manifest.kind == "flat":
                self._index.remove_ids(faiss.IDSelectorBatch(removed.astype(np.int64)))
            else:
                dead.update(int(i) for i in removed)
        if len(added):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), added.astype(np.int64))
        live = self._index.ntotal - len(dead)
        if len(dead) > TOMBSTONE_SHARE * max(self._index.ntotal, 1):
            return False
        if self.manifest.kind == "flat" and live >= HNSW_THRESHOLD:
            return False
        self._dead = frozenset(dead)
        self.manifest = Manifest(
            model=self.manifest.model,
            dim=self.manifest.dim,
            count=live,
            generation=generation,
            kind=self.manifest.kind,
            kb_version=self.manifest.kb_version,
            tombstones=tuple(sorted(dead)),
        )
        return True

    @classmethod
    def load(cls, directory: Path, model: str, dim: int, generation: int, count: int) -> VectorIndex | None:
        """The saved index if it matches the store (model, dimension, generation, count), else None."""
        manifest = cls.read_manifest(directory)
        if manifest is None:
            return None
        if (manifest.model, manifest.dim, manifest.generation, manifest.count) != (
            model,
            dim,
            generation,
            count,
        ):
            log.info("vector index is stale (%s); rebuilding from the store", manifest)
            return None
        import faiss

        # Memory-map the stored vectors (flat and HNSW storage alike) instead of reading them
        # into the heap: a query process loads in milliseconds and shares the page cache.
        mmap = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP)
        try:
            index = faiss.read_index(str(directory / INDEX_FILE), mmap | faiss.IO_FLAG_READ_ONLY)
        except RuntimeError:
            try:
                index = faiss.read_index(str(directory / INDEX_FILE))
            except RuntimeError as exc:
                log.warning("vector index unreadable (%s); rebuilding from the store", exc)
                return None
        if index.ntotal - len(manifest.tombstones) != manifest.count or index.d != dim:
            log.warning("vector index does not match its manifest; rebuilding from the store")
            return None
        return cls(index, manifest)

    def ids(self) -> np.ndarray:
        """The passage rowids the index holds."""
        import faiss

        held = faiss.vector_to_array(self._index.id_map)
        return held[~np.isin(held, np.fromiter(self._dead, dtype=np.int64))] if self._dead else held

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything the index holds, in id order, for checking it whole."""
        import faiss

        ids = faiss.vector_to_array(self._index.id_map)
        if not len(ids):
            return ids, np.zeros((0, self.manifest.dim), dtype=np.float32)
        base = faiss.downcast_index(self._index.index)
        vectors = base.reconstruct_n(0, base.ntotal)
        if self._dead:
            live = ~np.isin(ids, np.fromiter(self._dead, dtype=np.int64))
            ids, vectors = ids[live], vectors[live]
        order = np.argsort(ids, kind="stable")
        return ids[order], vectors[order]

    def vector(self, rowid: int) -> np.ndarray:
        """The stored vector of one passage (for consistency checks)."""
        return self._index.reconstruct(int(rowid))

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(passage rowid, cosine) of the k nearest passages."""
        if self.manifest.count == 0 or k <= 0:
            return []
        if self.manifest.kind == "hnsw":
            import faiss

            faiss.downcast_index(self._index.index).hnsw.efSearch = max(HNSW_EF_SEARCH, k)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        want = min(k + min(len(self._dead), k), self._index.ntotal)  # tombstones are filtered out after
        while True:
            if self.manifest.kind == "hnsw":
                import faiss

                faiss.downcast_index(self._index.index).hnsw.efSearch = max(HNSW_EF_SEARCH, want)
            scores, ids = self._index.search(q, want)
            hits = [
                (int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1 and int(i) not in self._dead
            ]
            if len(hits) >= k or want >= self._index.ntotal:
                return hits[:k]
            want = min(want * 4, self._index.ntotal)
