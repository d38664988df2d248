"""Exceptions raised by kb's library code.

The CLI turns each of these into one line on stderr and a non-zero exit; the
library itself never prints or exits.

    KbError
    ├── InputError            a file kb cannot read as a document
    │   ├── UnsupportedFile   binary, unknown type, or too large
    │   └── EmptyDocument     nothing left after decoding and cleaning
    ├── IndexError_           the index is missing, locked, corrupt or stale
    │   ├── IndexMissing      no index at the given path
    │   ├── IndexLocked       another process is writing the index
    │   └── IndexMismatch     built with another model/schema; run `kb rebuild`
    ├── NotFound              a document, statistic or claim id that is not stored
    ├── UsageError            an option value kb cannot use (an unknown unit, a bad date)
    └── ModelError            the embedding model cannot be loaded
"""

from __future__ import annotations


class KbError(Exception):
    """Base class of every error kb raises on purpose."""


class InputError(KbError):
    """A file that cannot become a document; carries the path."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedFile(InputError):
    """Binary content, an unknown type, or a file over the size limit."""


class EmptyDocument(InputError):
    """Decoding and cleaning left no text."""


class IndexError_(KbError):  # noqa: N801 - avoid shadowing the builtin IndexError
    """Base class of index problems."""


class IndexMissing(IndexError_):
    """There is no index at the path given."""


class IndexLocked(IndexError_):
    """Another kb process holds the write lock."""


class IndexMismatch(IndexError_):
    """The stored index was built with another model, dimension or schema."""


class NotFound(KbError):
    """An id or path that the store does not hold."""


class ModelError(KbError):
    """The embedding model could not be found or loaded."""


class UsageError(KbError):
    """An option value that names nothing kb knows; the message says what would work."""
