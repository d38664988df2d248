"""Read files from disk: find them, refuse binaries, decode text, detect its type."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from kb.errors import EmptyDocument, InputError, UnsupportedFile
from kb.records import Source
from kb.sources import EXTENSIONS as _FORMAT_EXTENSIONS
from kb.sources import FORMATS, merge_metadata, sniff

log = logging.getLogger(__name__)

EXTENSIONS = _FORMAT_EXTENSIONS  # every extension a registered format reads (kb.sources)
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\x7fELF": "an ELF executable",
    b"PK\x03\x04": "a zip archive",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
}
_HTML_START = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S
)


# Zero-width characters and soft hyphens: invisible, but they split words and numbers.
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def max_bytes() -> int:
    """The size limit for one file: KB_MAX_BYTES or 50 MiB."""
    try:
        return int(os.environ.get("KB_MAX_BYTES", DEFAULT_MAX_BYTES))
    except ValueError:
        return DEFAULT_MAX_BYTES


def display_path(path: Path) -> str:
    """The path as kb stores it: absolute and resolved (symlinks followed), so a document's location
    is the same whichever directory kb runs in (`kb ingest --prune` from elsewhere removes nothing)."""
    return str(Path(os.path.abspath(path)).resolve())


def _outside(link: Path, top: Path) -> bool:
    """Whether a symbolic link points outside the folder the user gave."""
    try:
        target = link.resolve()
    except (OSError, RuntimeError):
        return True
    return target != top and top not in target.parents


def find_files(
    paths: Iterable[str | Path], follow_links: bool = False
) -> Iterator[tuple[Path, InputError | None]]:
    """Expand files and folders into supported files, in a stable order.

    Yields (path, None) for files to read and (path, error) for ones to report:
    a missing path, a folder without supported files. Symbolic links are followed only while they
    stay inside the folder given (a link to /usr/share/doc or to a private file elsewhere is named
    and skipped) unless `follow_links`; a folder is not walked twice, so a link loop ends.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = False
            top = path.resolve()
            seen: set[tuple[int, int]] = set()
            for root, dirs, files in os.walk(path, followlinks=True):
                st = os.stat(root)
                if (st.st_dev, st.st_ino) in seen:
                    dirs[:] = []
                    continue
                seen.add((st.st_dev, st.st_ino))
                kept = []
                for d in sorted(d for d in dirs if not d.startswith(".")):
                    link = Path(root) / d
                    if not follow_links and link.is_symlink() and _outside(link, top):
                        yield (
                            link,
                            UnsupportedFile(
                                str(link),
                                "link to a folder outside the one given; use --follow-links to read it",
                            ),
                        )
                    else:
                        kept.append(d)
                dirs[:] = kept
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    link = Path(root) / name
                    if not follow_links and link.is_symlink() and _outside(link, top):
                        yield (
                            link,
                            UnsupportedFile(
                                str(link),
                                "link to a file outside the folder given; use --follow-links to read it",
                            ),
                        )
                        continue
                    if Path(name).suffix.lower() not in EXTENSIONS:
                        # named once, with the reason, and counted in the summary
                        suffix = Path(name).suffix or "(no extension)"
                        yield (
                            Path(root) / name,
                            UnsupportedFile(
                                display_path(Path(root) / name), f"not a format kb reads ({suffix})"
                            ),
                        )
                        continue
                    found = True
                    yield Path(root) / name, None
            if not found:
                kinds = ", ".join(sorted({e for e in EXTENSIONS if len(e) <= 5}))
                yield path, UnsupportedFile(str(path), f"no files kb reads in this folder ({kinds})")
        elif path.exists():
            yield path, None
        else:
            yield path, InputError(str(path), "no such file or folder")


def detect_kind(path: Path, head: bytes) -> str | None:
    """The format's kind (kb.sources.FORMATS), from the content where it says (a PDF, an HTML
    page saved as .txt), else from the extension."""
    kind = sniff(head) or EXTENSIONS.get(path.suffix.lower())
    if kind in (None, "txt", "md") and _HTML_START.match(head[:4096]):
        return "html"
    return kind


def decode(data: bytes, path: str = "") -> tuple[str, str]:
    """Decode bytes to text: BOMs first, then strict UTF-8, then charset detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UnsupportedFile(path, f"invalid UTF-16: {exc.reason}") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few bad bytes (a truncated file, one corrupt byte) is still UTF-8: replace the
    # bad bytes rather than reading the whole file as latin-1 ("CIOâs").
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 127) - bad
    truncated = _decodes(data[:-3]) and len(data) > 3  # cut off in the middle of its last character
    if multibyte >= max(1, bad) or truncated:
        return text, f"utf-8 ({bad} bad bytes replaced)"
    # Western legacy text (cp1252) is the common case; accept it when it decodes into
    # plausible characters, and ask charset detection otherwise (Cyrillic, CJK...).
    try:
        guess = data.decode("cp1252")
        extra = [ch for ch in guess if ord(ch) > 127]
        plausible = sum(1 for ch in extra if "\u00c0" <= ch <= "\u00ff" or ch in "“”‘’–—…•€™«»°£©®·")
        if not extra or plausible >= 0.9 * len(extra):
            return guess, "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    # Every byte is a character in cp1252/latin-1, so this always succeeds.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_source(path: Path) -> Source:
    """Read one file into a Source, or raise an InputError saying why it cannot be used."""
    name = display_path(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsupportedFile(
            name.encode("utf-8", "replace").decode(), "file name is not valid UTF-8; rename the file"
        ) from None
    limit = max_bytes()
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block forever, /dev/zero never ends
            raise UnsupportedFile(name, "not a regular file (a pipe, socket or device)")
        if st.st_size > limit:
            raise UnsupportedFile(
                name, f"file is {st.st_size:,} bytes, over the {limit:,}-byte limit (KB_MAX_BYTES)"
            )
        with open(path, "rb") as f:
            data = f.read(limit + 1)  # the limit holds while reading, whatever the size said
        if len(data) > limit:
            raise UnsupportedFile(name, f"file is over the {limit:,}-byte limit (KB_MAX_BYTES)")
    except PermissionError as exc:
        raise InputError(name, "permission denied") from exc
    except FileNotFoundError as exc:
        raise InputError(name, "file disappeared before it could be read") from exc
    except IsADirectoryError as exc:
        raise InputError(name, "is a folder") from exc
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from exc
    return source_from_bytes(name, data, detect_kind(path, data), path.suffix)


def source_from_bytes(name: str, data: bytes, kind: str | None, suffix: str = "", meta=None) -> Source:
    """A Source from a file's (or a fetched page's) bytes, of the format `kind`."""
    if not data.strip():
        raise EmptyDocument(name, "empty file")
    fmt = FORMATS.get(kind or "")
    if fmt is not None and fmt.binary and fmt.to_text is not None:
        text, encoding, found = fmt.to_text(data, name)
        if not text.strip():
            raise EmptyDocument(name, "no text")
        return Source(
            path=name,
            text=text,
            kind=fmt.kind,
            sha=hashlib.sha256(data).hexdigest(),
            encoding=encoding,
            meta=merge_metadata(meta, found) if meta and found else (meta or found),
        )
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise UnsupportedFile(name, f"binary file ({what})")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedFile(name, "binary file (contains NUL bytes)")
    if kind is None:
        raise UnsupportedFile(name, f"unsupported file type {suffix or '(no extension)'!r}")
    text, encoding = decode(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = INVISIBLE.sub("", text)  # "4\u200b5 percent" is 45 percent
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\n\t\f")
    if controls > max(10, len(text[:20000]) // 100):
        raise UnsupportedFile(name, "binary file (control characters)")
    if not text.strip():
        raise EmptyDocument(name, "no text after decoding")
    sha = hashlib.sha256(data).hexdigest()
    return Source(path=name, text=text, kind=kind, sha=sha, encoding=encoding, meta=meta)
