"""Web addresses: fetch with httpx, keep the bytes in the index, read them like a file.

`fetch(url, previous)` gets a page over http or https with a timeout, a size limit (the same
KB_MAX_BYTES as files, enforced while reading) and at most 5 redirects; with the snapshot of an
earlier fetch it asks the server conditionally (If-None-Match / If-Modified-Since) and returns
None when the page has not changed. A snapshot is content-addressed (sha256 of the bytes) and
stored in the index, so `kb show`, `kb verify` and `kb rebuild` work offline afterwards. The
document's locator is the URL as given; its `url` metadata is the final URL after redirects.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from kb.errors import InputError, UnsupportedFile

MAX_REDIRECTS = 5
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_CONTENT_KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/markdown": "md",
    "text/x-markdown": "md",
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The bytes a URL returned, and what the server said about them."""

    url: str  # as given
    final_url: str  # after redirects
    sha: str
    data: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: str

    @property
    def kind(self) -> str | None:
        """txt, md, html or pdf from the content type (None: let the content decide)."""
        base = (self.content_type or "").split(";")[0].strip().lower()
        return _CONTENT_KINDS.get(base)


def is_url(locator: str) -> bool:
    return bool(_URL.match(str(locator)))


def _timeout() -> float:
    try:
        return float(os.environ.get("KB_HTTP_TIMEOUT", "20"))
    except ValueError:
        return 20.0


def fetch(url: str, previous: Snapshot | None = None, max_bytes: int | None = None) -> Snapshot | None:
    """The page at `url`, or None when the server says it has not changed since `previous`."""
    import httpx

    from kb.ingest.read import max_bytes as default_max

    if not re.match(r"^https?://", url, re.I):
        scheme = url.split(":", 1)[0]
        raise UnsupportedFile(url, f"only http and https addresses are fetched, not {scheme}:")
    limit = max_bytes or default_max()
    headers = {"User-Agent": "kb (offline research knowledge base)", "Accept-Encoding": "identity"}
    if previous is not None:
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
    try:
        with (
            httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=_timeout()) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code == 304 and previous is not None:
                return None
            if response.status_code >= 400:
                raise InputError(url, f"the server answered {response.status_code} {response.reason_phrase}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise UnsupportedFile(url, f"body is {int(declared):,} bytes, over the {limit:,}-byte limit")
            chunks, size = [], 0
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > limit:
                    raise UnsupportedFile(url, f"body is over the {limit:,}-byte limit (KB_MAX_BYTES)")
                chunks.append(chunk)
            data = b"".join(chunks)
            return Snapshot(
                url=url,
                final_url=str(response.url),
                sha=hashlib.sha256(data).hexdigest(),
                data=data,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                fetched_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
    except httpx.TooManyRedirects as exc:
        raise InputError(url, f"more than {MAX_REDIRECTS} redirects") from exc
    except httpx.TimeoutException as exc:
        raise InputError(url, f"timed out after {_timeout():g} s") from exc
    except httpx.HTTPError as exc:
        raise InputError(url, f"cannot fetch: {exc}") from exc
