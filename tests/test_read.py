"""Reading files: decoding, type detection, and clear refusals of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import EmptyDocument, InputError, UnsupportedFile
from kb.ingest.read import find_files, read_source


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_utf8_text(tmp_path: Path) -> None:
    src = read_source(write(tmp_path, "a.txt", "Café “quoted”\r\nline two".encode()))
    assert src.kind == "txt"
    assert src.text == "Café “quoted”\nline two"
    assert src.encoding == "utf-8"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Ünïcode café – naïve".encode("utf-16"), "Ünïcode café – naïve"),
        (
            "Café – “smart” quotes, naïve déjà vu, façade".encode("cp1252"),
            "Café – “smart” quotes, naïve déjà vu, façade",
        ),
        ("\ufeffBOM text here".encode(), "BOM text here"),
    ],
)
def test_legacy_encodings_are_decoded(tmp_path: Path, data: bytes, expected: str) -> None:
    assert read_source(write(tmp_path, "x.txt", data)).text == expected


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("img.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "PNG"),
        ("prog.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "ELF"),
        ("page.html", b"PK\x03\x04" + b"\x00" * 50, "zip"),
        ("nul.txt", b"abc\x00def" * 10, "NUL"),
    ],
)
def test_binary_files_are_refused(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    with pytest.raises(UnsupportedFile, match=words):
        read_source(write(tmp_path, name, data))


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmptyDocument):
        read_source(write(tmp_path, "empty.txt", b"  \n\n "))


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_MAX_BYTES", "100")
    with pytest.raises(UnsupportedFile, match="limit"):
        read_source(write(tmp_path, "big.txt", b"word " * 100))


def test_html_detected_by_content(tmp_path: Path) -> None:
    src = read_source(write(tmp_path, "page.txt", b"<!DOCTYPE html><html><body><p>Hi</p></body></html>"))
    assert src.kind == "html"


def test_unknown_extension_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFile, match="unsupported"):
        read_source(write(tmp_path, "data.csv", b"a,b\n1,2\n"))


def test_find_files_reports_missing_and_empty_folders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    write(tmp_path / "docs", "a.md", b"# A\n\ntext")
    write(tmp_path / "docs", "skip.bin", b"\x00")
    results = list(find_files([tmp_path / "empty", tmp_path / "docs", tmp_path / "nope.txt"]))
    files = [p.name for p, err in results if err is None]
    errors = [err for _, err in results if err is not None]
    assert files == ["a.md"]
    assert len(errors) == 3 and all(isinstance(e, InputError) for e in errors)
    # a file of a format kb does not read is named, with the reason, not skipped in silence
    assert any(e.path.endswith("skip.bin") and "not a format kb reads (.bin)" in e.reason for e in errors)


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    d = tmp_path / "loop"
    d.mkdir()
    write(d, "a.txt", b"some text here")
    (d / "again").symlink_to(d)
    files = [p for p, err in find_files([d]) if err is None]
    assert len(files) == 1
