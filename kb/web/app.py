"""The ASGI application of `kb serve`: pages rendered on the server over one read-only
KnowledgeBase, and JSON routes that return the CLI's `--json` records.

The web layer parses a request, calls the library API and a renderer, and fills a template;
it holds no SQL and no ranking. One KnowledgeBase (its model loaded once) serves every request,
one request at a time behind a lock: a local reader's server, not a shared service.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kb import render
from kb.errors import KbError, NotFound
from kb.web import markup

# Pages load scripts, styles and images from this server only; nothing inline, no frames.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}
EXPORTS = {  # /stats/export formats: (media type, file extension)
    "md": ("text/markdown; charset=utf-8", "md"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "csl-json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}
STATS_FILTERS = ("q", "unit", "min", "max", "population", "source", "doc", "sort", "limit")
MAX_DRAFT = 1_000_000  # characters of a pasted draft
LOOPBACK = ("127.0.0.1", "localhost")
STATIC = Path(__file__).parent / "static"


def allowed_hosts(host: str) -> list[str]:
    """Host names a request may name (DNS-rebinding guard): loopback, the bound address, and on a
    wildcard bind this machine's own names and addresses."""
    names = set(LOOPBACK)
    if host in ("0.0.0.0", "::", ""):
        hostname = socket.gethostname()
        names.update({hostname, socket.getfqdn()})
        with contextlib.suppress(OSError):
            names.update(info[4][0] for info in socket.getaddrinfo(hostname, None, socket.AF_INET))
    else:
        names.add(host)
    return sorted(names)


class Guard:
    """Security headers on every response; a write (POST) from another site is refused."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers[key] = value
            await send(message)

        if scope["method"] not in ("GET", "HEAD") and not same_origin(scope):
            refused = PlainTextResponse("cross-site request refused", status_code=403)
            await refused(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


def same_origin(scope: dict[str, Any]) -> bool:
    """The browser says the request comes from this site (Sec-Fetch-Site, Origin), or it is
    not a browser's cross-site request at all (curl sends neither header)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    site = headers.get("sec-fetch-site")  # set by the browser; a page's script cannot forge it
    if site is not None:
        return site in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == headers.get("host")


class Pages:
    """The routes, over one KnowledgeBase taken in turn."""

    def __init__(self, kb: Any) -> None:
        self.kb = kb
        self.lock = threading.Lock()
        self.env = Environment(
            loader=PackageLoader("kb.web", "templates"),
            autoescape=select_autoescape(["html"], default_for_string=True),
        )
        self.env.filters["value_label"] = render.value_label
        self.env.filters["where"] = render.where
        self.env.filters["citation"] = render.short_citation

    def warm(self) -> None:
        """Load the vector index and the model before the first request."""
        with self.lock:
            self.kb.vector_index()
            self.kb.embedder.encode(["warm up"])

    # -- helpers ----------------------------------------------------------------

    def page(self, name: str, request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        template = self.env.get_template(name)
        return HTMLResponse(template.render(request=request, nav=name.split(".")[0], **ctx), status)

    def filters(self, request: Request) -> Any:
        from kb.search import Filters, check_date

        p = request.query_params
        since, until = p.get("since") or None, p.get("until") or None
        docs = tuple(self.kb.store.find_doc(d).id for d in p.getlist("doc") if d)
        return Filters(
            doc_ids=docs,
            since=check_date("since", since) if since else None,
            until=check_date("until", until) if until else None,
            publisher=p.get("publisher") or None,
        )

    def stats_records(self, request: Request) -> list[dict[str, Any]]:
        p = request.query_params
        return self.kb.statistics(
            query=p.get("q") or None,
            doc=p.get("doc") or None,
            unit=p.get("unit") or None,
            minimum=_number(p.get("min"), "min"),
            maximum=_number(p.get("max"), "max"),
            population=p.get("population") or None,
            source=p.get("source") or None,
            limit=_count(p.get("limit"), 50 if p.get("q") else 500),
            sort=p.get("sort") if p.get("sort") in ("value", "-value") else None,
        )

    # -- pages ------------------------------------------------------------------

    def search(self, request: Request) -> Response:
        p = request.query_params
        q = (p.get("q") or "").strip()
        with self.lock:
            documents = self.kb.documents()
            answer = None
            if q:
                answer = self.kb.ask(q, k=_count(p.get("k"), 10, 50), filters=self.filters(request))
        publishers = sorted({d.publisher for d in documents if d.publisher})
        return self.page(
            "search.html", request, q=q, answer=answer, documents=documents, publishers=publishers, params=p
        )

    def document(self, request: Request) -> Response:
        ref = request.path_params["doc"]
        with self.lock:
            record = self.kb.show(ref)
            stats = self.kb.statistics(doc=record["id"])
            claims = self.kb.claims(doc=record["id"])
            cites = {fmt: self.kb.cite([record["id"]], fmt) for fmt in ("md", "bibtex", "csl-json")}
        cites["pandoc"] = f"[@{record['citekey']}]"
        text = record["text"]
        cited = markup.span(request.query_params.get("start"), request.query_params.get("end"), len(text))
        runs = markup.runs(
            text,
            cited,
            stats=[(s["start"], s["end"], s["id"]) for s in stats],
            claims=[(c["start"], c["end"]) for c in claims],
            pages=record["pages"],
        )
        return self.page(
            "doc.html", request, doc=record, runs=runs, cited=cited, stats=stats, claims=claims, cites=cites
        )

    def stats(self, request: Request) -> Response:
        p = request.query_params
        error, records = None, []
        with self.lock:
            try:
                records = self.stats_records(request)
            except KbError as exc:  # an unknown unit says which units there are
                error = str(exc)
        kept = {k: p[k] for k in STATS_FILTERS if p.get(k) and k != "sort"}

        def sort_link(order: str) -> str:
            return "/stats?" + urlencode(kept | {"sort": order})

        return self.page(
            "stats.html",
            request,
            status=400 if error else 200,
            records=records,
            error=error,
            params=p,
            kept=kept,
            sort_link=sort_link,
            formats=list(EXPORTS),
        )

    def export(self, request: Request) -> Response:
        p = request.query_params
        fmt = p.get("fmt", "md")
        if fmt not in EXPORTS:
            raise HTTPException(400, f"unknown export format {fmt!r}; one of {', '.join(EXPORTS)}")
        wanted = p.getlist("id")
        with self.lock:
            records = self.stats_records(request)
            if wanted:  # the selected rows, in the order they were shown
                by_id = {r["id"]: r for r in self.kb.statistics()} | {r["id"]: r for r in records}
                missing = [i for i in wanted if i not in by_id]
                if missing:
                    raise NotFound(f"no statistic with id {missing[0]!r}")
                records = [by_id[i] for i in dict.fromkeys(wanted)]
            if fmt == "md":
                body = render.stats_markdown(records)
            elif fmt == "csv":
                body = render.stats_csv(records)
            else:
                body = self.kb.bibliography(records, fmt)
        media, ext = EXPORTS[fmt]
        return Response(
            body, media_type=media, headers={"content-disposition": f'inline; filename="kb-stats.{ext}"'}
        )

    async def check(self, request: Request) -> Response:
        draft, results = "", None
        if request.method == "POST":
            form = await request.form(max_fields=10, max_part_size=MAX_DRAFT * 4)
            draft = str(form.get("draft") or "")
            if len(draft) > MAX_DRAFT:
                raise HTTPException(413, f"the draft is over {MAX_DRAFT:,} characters")
            results = await run_in_threadpool(self._check, draft)
        counts = {
            s: sum(r.status == s for r in results or ()) for s in ("sourced", "mismatched", "unsourced")
        }
        return self.page("check.html", request, draft=draft, results=results, counts=counts)

    def _check(self, draft: str) -> list[Any]:
        with self.lock:
            return self.kb.check(draft)

    # -- JSON -------------------------------------------------------------------

    def api_ask(self, request: Request) -> Response:
        q = (request.query_params.get("q") or "").strip()
        if not q:
            raise HTTPException(400, "give a question: /api/ask?q=...")
        with self.lock:
            answer = self.kb.ask(
                q, k=_count(request.query_params.get("k"), 5, 1000), filters=self.filters(request)
            )
        return _json(render.answer_json(answer))

    def api_stats(self, request: Request) -> Response:
        with self.lock:
            return _json(self.stats_records(request))

    def api_doc(self, request: Request) -> Response:
        with self.lock:
            return _json(self.kb.show(request.path_params["doc"]))

    # -- errors -----------------------------------------------------------------

    def error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", None) or (404 if isinstance(exc, NotFound) else 400)
        message = getattr(exc, "detail", None) or str(exc)
        if request.url.path.startswith("/api/"):
            return _json({"error": message}, status)
        return self.page("error.html", request, status=status, message=message, status_code=status)


def _json(obj: Any, status: int = 200) -> Response:
    """The CLI's JSON (render.dumps), so a record reads the same from `kb ... --json` and the API."""
    body = render.dumps(obj) if not isinstance(obj, list) else "[" + ",".join(map(render.dumps, obj)) + "]"
    return Response(body, status_code=status, media_type="application/json")


def _number(value: str | None, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be a number, not {value!r}") from None


def _count(value: str | None, default: int, most: int = 100_000) -> int:
    try:
        return max(1, min(int(value), most)) if value else default
    except ValueError:
        raise HTTPException(400, f"not a whole number: {value!r}") from None


def create_app(kb: Any, host: str = "127.0.0.1", warm: bool = True) -> Starlette:
    """The application over `kb` (open it with readonly=True), answering only to `host`'s names."""
    from contextlib import asynccontextmanager

    pages = Pages(kb)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if warm:
            pages.warm()
        yield

    routes = [
        Route("/", pages.search),
        Route("/doc/{doc}", pages.document),
        Route("/stats", pages.stats),
        Route("/stats/export", pages.export),
        Route("/check", pages.check, methods=["GET", "POST"]),
        Route("/api/ask", pages.api_ask),
        Route("/api/stats", pages.api_stats),
        Route("/api/doc/{doc}", pages.api_doc),
        Route(
            "/favicon.ico", lambda request: FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")
        ),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {KbError: pages.error, HTTPException: pages.error}
    return Starlette(
        routes=routes,
        middleware=[Middleware(Guard), Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host))],
        exception_handlers=handlers,
        lifespan=lifespan,
    )


def serve(index: Path, host: str, port: int, open_browser: bool, say: Any) -> None:
    """Run the server until Ctrl-C (uvicorn), printing its address with `say`."""
    import webbrowser

    import uvicorn

    from kb.api import KnowledgeBase

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise KbError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None
    kb = KnowledgeBase(index, readonly=True)
    app = create_app(kb, host)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    if host not in LOOPBACK and host != "::1":
        say(f"kb: warning: listening on {host}: anyone who can reach this machine can read the index")
    say(f"kb: serving {index} at {url} (read-only; Ctrl-C to stop)")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    finally:
        kb.close()


__all__ = ["create_app", "serve"]
