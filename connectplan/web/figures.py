"""Figures on the web: the diagram images (``/diagrams/KIND.FORMAT``), the figure page (``/figures/KIND``) and
their sizes for ``<img width height>``.

A figure is named by the query that names a plan version (``plan=``, with ``against=`` for a change
diagram) or a selection, plus ``reverse=1`` to draw the money flow's refunds, disputes and
recoveries. Every rendered figure is kept in the app's :class:`FigureCache` under a strong ETag made
from the inputs, so the page that asks for a figure's size and the ``<img>`` that shows it render it
once. Graphviz runs in the thread pool (these views are plain ``def``; the template global
:func:`figure_sizes` runs inside template rendering, which is in the thread pool too).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from markupsafe import Markup
from starlette.datastructures import QueryParams
from starlette.responses import Response

from connectplan.engine.errors import ConnectplanError
from connectplan.web.params import BadRequest, catalog_of, parse_selection

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.requests import Request

    from connectplan.workspace import Workspace

__all__ = [
    "DIAGRAM_FORMATS",
    "DIAGRAM_KINDS",
    "FIGURE_TITLES",
    "FigureCache",
    "diagram",
    "figure_sizes",
    "page_figure",
    "remember_request",
    "svg_size",
]

DIAGRAM_KINDS = ("money-flow", "liability", "steps")
#: format -> media type of a diagram response
DIAGRAM_FORMATS = {"svg": "image/svg+xml", "png": "image/png", "dot": "text/vnd.graphviz; charset=utf-8"}
#: kind -> (title, what the figure shows: the alt text's second half and the figure page's caption)
FIGURE_TITLES = {
    "money-flow": ("Money flow", "who pays whom, each flow between the parties coloured by kind"),
    "liability": (
        "Liability",
        "how the parties stand towards each other: who is debited first, who covers a shortfall, "
        "who recovers from whom, who answers disputes",
    ),
    "steps": ("Steps", "the integration steps in order, in one frame per phase, with their prerequisites"),
}
#: diagram responses: cached by the browser, revalidated with their ETag on every use
REVALIDATE = "no-cache"
#: query parameters that name the figure (everything else is the selection)
FIGURE_PARAMS = ("reverse", "download")
#: the request whose template is being rendered (set by :func:`remember_request`, a template context processor)
_RENDERING: ContextVar[Request | None] = ContextVar("connectplan_rendering", default=None)
_SVG_SIZE = re.compile(rb'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"')


class FigureCache:
    """Rendered figures by ETag, bounded by count and bytes (least recently used out); thread-safe."""

    def __init__(self, max_items: int = 256, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.max_items, self.max_bytes, self.size = max_items, max_bytes, 0
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            data = self.items.get(key)
            if data is not None:
                self.items.move_to_end(key)
            return data

    def put(self, key: str, data: Any) -> None:
        if not isinstance(data, bytes) or len(data) > self.max_bytes // 4:
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = data
            self.size += len(data)
            while len(self.items) > self.max_items or self.size > self.max_bytes:
                _, old = self.items.popitem(last=False)
                self.size -= len(old)


def svg_size(svg: bytes) -> tuple[int, int] | None:
    """The CSS pixel size of a Graphviz SVG (its ``width``/``height`` are points: 4/3 px each).

    >>> svg_size(b'<svg width="300pt" height="150pt" viewBox="0 0 300 150">')
    (400, 200)
    """
    match = _SVG_SIZE.search(svg[:2000])
    if match is None:
        return None
    return round(float(match[1]) * 4 / 3), round(float(match[2]) * 4 / 3)


# ---------------------------------------------------------------------------
# what a query names


def _ws(request: Request) -> Workspace:
    return request.state.ws  # type: ignore[no-any-return]


def _subject(ws: Workspace, params: QueryParams) -> tuple[dict[str, Any], str]:
    """Workspace keyword arguments for a plan REF (``plan=``) or a selection, and a file-name stem."""
    plan = params.get("plan", "").strip()
    if plan:
        return {"ref": plan}, plan.replace("@", "-")
    pairs = [(k, v) for k, v in params.multi_items() if k not in FIGURE_PARAMS]
    catalog = ws.catalog(catalog_of(pairs))
    sel = parse_selection(pairs, catalog)
    return {"catalog": catalog, "preset": sel.preset, "set": sel.mapping}, "connectplan"


def _reverse(kind: str, params: QueryParams) -> bool:
    """``reverse=1`` draws the money flow's refunds, disputes and recoveries (other kinds ignore it)."""
    return kind == "money-flow" and params.get("reverse", "") == "1"


def _etag(ws: Workspace, what: str, subject: dict[str, Any], params: QueryParams) -> str:
    """A strong ETag from the content hash of the inputs (see :func:`connectplan.web.views.content_etag`)."""
    from connectplan import __version__

    def version_key(ref: str) -> list[Any]:
        record = ws.version(ref)
        return [record.plan, record.version, record.created_at, record.catalog_ref, list(record.selection)]

    parts: list[Any] = [__version__, what]
    if "ref" in subject:
        parts.append(version_key(subject["ref"]))
    else:
        catalog = ws.catalog(subject["catalog"])
        parts += [catalog.content_hash, subject["preset"], sorted((k, v) for k, v in subject["set"].items())]
    against = params.get("against", "").strip()
    if against:
        parts.append(version_key(against))
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f'"{digest}"'


def _check(kind: str, fmt: str = "svg") -> None:
    if kind not in DIAGRAM_KINDS:
        raise BadRequest(f"unknown diagram {kind!r}; use one of: {', '.join(DIAGRAM_KINDS)}", "kind")
    if fmt not in DIAGRAM_FORMATS:
        raise BadRequest(f"unknown diagram format {fmt!r}; use one of: {', '.join(DIAGRAM_FORMATS)}", "format")


def _figure_etag(request: Request, kind: str, fmt: str, params: QueryParams) -> str:
    """The ETag of one figure, computed without rendering it."""
    subject, _ = _subject(_ws(request), params)
    return _etag(_ws(request), f"diagram:{kind}.{fmt}:{int(_reverse(kind, params))}", subject, params)


def _render(request: Request, kind: str, fmt: str, params: QueryParams) -> tuple[str, str, bytes]:
    """Render (or take from the cache) one figure: (ETag, file-name stem, bytes)."""
    ws = _ws(request)
    subject, stem = _subject(ws, params)
    reverse = _reverse(kind, params)
    etag = _etag(ws, f"diagram:{kind}.{fmt}:{int(reverse)}", subject, params)
    figures: FigureCache = request.app.state.figures
    data = figures.get(etag)
    if data is None:
        against = params.get("against", "").strip() or None
        include = ("all",) if reverse else ()
        rendered = ws.render(kind, format=fmt, against=against, include=include, **subject)
        assert isinstance(rendered, bytes)
        data = rendered
        figures.put(etag, data)
    return etag, stem, data


# ---------------------------------------------------------------------------
# views


def diagram(request: Request) -> Response:
    """``/diagrams/KIND.FORMAT?QUERY``: the figure as SVG, PNG or DOT (``download=1``: as an attachment)."""
    from connectplan.web.views import _attachment, not_modified

    kind, fmt = request.path_params["kind"], request.path_params["format"]
    _check(kind, fmt)
    params = request.query_params
    unchanged = not_modified(request, _figure_etag(request, kind, fmt, params))
    if unchanged is not None:
        return unchanged
    etag, stem, data = _render(request, kind, fmt, params)
    suffix = "-with-reverse-flows" if _reverse(kind, params) else ""
    headers = _attachment(f"{stem}-{kind}{suffix}.{fmt}") if params.get("download") == "1" else {}
    headers.update({"ETag": etag, "Cache-Control": REVALIDATE})
    return Response(data, media_type=DIAGRAM_FORMATS[fmt], headers=headers)


def page_figure(request: Request) -> Response:
    """``/figures/KIND?QUERY``: one figure at full width, with the reverse-flow toggle and the downloads."""
    from connectplan.web.views import render

    kind = request.path_params["kind"]
    _check(kind)
    params = request.query_params
    _, _, svg = _render(request, kind, "svg", params)
    base = [(k, v) for k, v in params.multi_items() if k not in FIGURE_PARAMS]
    reverse = _reverse(kind, params)
    query = urlencode([*base, *([("reverse", "1")] if reverse else [])])
    plan, against = params.get("plan", "").strip(), params.get("against", "").strip()
    if plan and against:
        back = ("/diff?" + urlencode({"a": against, "b": plan}), "Back to the changes")
    elif plan:
        back = ("/versions/" + quote(plan, safe="@"), f"Back to {plan}")
    else:
        back = ("/?" + urlencode(base), "Back to the configurator")
    title, what = FIGURE_TITLES[kind]
    context = {
        "kind": kind,
        "title": title,
        "what": what,
        "query": query,
        "base_fields": base,
        "reverse": reverse,
        "size": svg_size(svg),
        "back_url": back[0],
        "back_text": back[1],
        "others": [(k, FIGURE_TITLES[k][0]) for k in DIAGRAM_KINDS if k != kind],
        "other_query": urlencode(base),
    }
    return render(request, "figure.html", context)


def remember_request(request: Request) -> dict[str, Any]:
    """Template context processor: note the request whose template is about to render (in this thread)."""
    _RENDERING.set(request)
    return {}


def figure_sizes(query: str, kinds: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Template global: ``{kind: (width, height)}`` in CSS pixels of each figure of ``query`` (an escaped or plain
    query string); a figure that cannot be drawn (no Graphviz, an incomplete selection) is left out and its
    image keeps no size.

    A full page renders the figures not yet cached (at once, one thread each) into the cache its image
    requests then read, so the page and its images draw each figure once. An htmx update (``HX-Request``)
    takes sizes only from the cache: rendering three figures would make every option change several
    times slower (about 25 ms to 160 ms for a 2026-12 preset), so an uncached figure keeps the CSS
    placeholder (figures.css) until it loads.
    """
    from concurrent.futures import ThreadPoolExecutor

    request = _RENDERING.get()
    if request is None:
        return {}
    raw = Markup(query).unescape() if isinstance(query, Markup) else str(query)
    params = QueryParams(raw)
    wanted = [k for k in kinds if k in DIAGRAM_KINDS]
    cached_only = request.headers.get("hx-request", "") == "true"

    def size(kind: str) -> tuple[int, int] | None:
        try:
            if cached_only:
                data = request.app.state.figures.get(_figure_etag(request, kind, "svg", params))
                return svg_size(data) if data is not None else None
            return svg_size(_render(request, kind, "svg", params)[2])
        except ConnectplanError:
            return None

    if len(wanted) > 1 and not cached_only:
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            sizes = list(pool.map(size, wanted))
    else:
        sizes = [size(k) for k in wanted]
    return {k: s for k, s in zip(wanted, sizes, strict=True) if s is not None}
