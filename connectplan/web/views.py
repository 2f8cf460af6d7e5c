"""Pages (``page_*``) and partials (``partial_*``): parse the request, call the Workspace, render a template.

Nothing that can block runs on the event loop: every view is a plain ``def``, which Starlette runs in
its thread pool; the forms that save read their posted body on the loop through one helper,
:func:`connectplan.web.forms.read_form` (``tests/test_web_server.py`` fails if any SQL statement runs
on the event-loop thread).
Errors are not caught here:
the app's one exception handler turns the API's input errors into a 400 (409 for a lost save
race, 422 for a save the save policy refused: a blocked design without the "save even if
blocked" box). The little view models below only arrange what the engine computed for the templates.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from connectplan.engine.errors import ConnectplanError
from connectplan.web.configurator import editions_bar
from connectplan.web.errors import refusal_text, web_message
from connectplan.web.params import BadRequest, catalog_link, catalog_of, parse_selection, query_string

if TYPE_CHECKING:
    from starlette.requests import Request

    from connectplan.engine import Catalog
    from connectplan.workspace import Workspace

__all__ = [
    "content_etag",
    "download_doc",
    "download_export",
    "download_prompt",
    "favicon",
    "healthz",
    "link_or_text",
    "page_configure",
    "page_option_help",
    "partial_figures",
    "partial_workspace",
    "readyz",
    "refusal_text",
    "verdict_badge",
    "wrap_long",
]

FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#33348e"/>'
    '<path d="M4 8h8M8 4v8" stroke="#fff" stroke-width="2"/></svg>'
)
#: the status of a save the save policy refused (the request was understood; its design may not be saved as it is)
REFUSED_STATUS = 422


def ws_of(request: Request) -> Workspace:
    return request.state.ws  # type: ignore[no-any-return]


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200, **headers: str) -> Response:
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(headers)
    return response


def alternate(*urls: str) -> str:
    """A ``Link`` header naming the JSON twins of a page."""
    return ", ".join(f'<{u}>; rel="alternate"; type="application/json"' for u in urls)


def record_catalog_link(record: Any) -> str:
    """How the web names a saved version's catalog: its exact revision when a newer one supersedes it."""
    return record.catalog_revision_ref if record.superseded_by is not None else record.catalog_ref


def is_web_url(url: str) -> bool:
    """Only http(s) URLs become links (a catalog's ``javascript:`` URL stays text)."""
    return url.startswith(("https://", "http://"))


def verdict_badge(verdict: str) -> Markup:
    """``<span class="verdict v-blocked">blocked</span>`` (escaped; a template helper, cheaper than a macro).

    >>> str(verdict_badge("sales_gated"))
    '<span class="verdict v-sales_gated">sales gated</span>'
    """
    return Markup('<span class="verdict v-{0}">{1}</span>').format(verdict, verdict.replace("_", " "))


#: a long token (an API path, a dotted field name) may break at its separators, never inside a word
_LONG_TOKEN = re.compile(r"\S{28,}")
#: the fewest characters between two line-break opportunities in a long token
BREAK_EVERY = 12


def wrap_long(text: str) -> Markup:
    """``text`` escaped, with a line-break opportunity (``<wbr>``) in its long tokens (28 characters or more):
    after a ``.`` or ``/`` or before a ``[``, once at least 12 characters have passed since the last one, so
    ``configuration.merchant.capabilities`` wraps at a dot on a phone instead of overflowing or breaking
    mid-word (and a paragraph of API paths does not turn into hundreds of elements).

    >>> str(wrap_long("see a.b <x> and configuration.recipient.capabilities[card_payments]"))
    'see a.b &lt;x&gt; and configuration.<wbr>recipient.capabilities<wbr>[card_payments]'
    >>> str(wrap_long("a_long_identifier_without_dots_at_all_here"))
    'a_long_identifier_without_dots_at_all_here'
    """

    def split(token: str) -> str:
        parts: list[str] = []
        run = 0
        for n, char in enumerate(token):
            if char == "[" and run >= BREAK_EVERY:
                parts.append("<wbr>")
                run = 0
            parts.append(str(escape(char)))
            run += 1
            if char in "./" and run >= BREAK_EVERY and n + 1 < len(token):
                parts.append("<wbr>")
                run = 0
        return "".join(parts)

    out, last = [], 0
    for match in _LONG_TOKEN.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        out.append(split(match.group(0)))
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def link_or_text(text: str, url: str) -> Markup:
    """A link when ``url`` is http(s), else the escaped text.

    >>> str(link_or_text("<b>", "javascript:alert(1)")), str(link_or_text("Docs", "https://x.test/?a=1&b=2"))
    ('&lt;b&gt;', '<a href="https://x.test/?a=1&amp;b=2" rel="noopener noreferrer">Docs</a>')
    """
    if is_web_url(url):
        return Markup('<a href="{0}" rel="noopener noreferrer">{1}</a>').format(url, text)
    return escape(text)


def page_option_help(request: Request) -> Response:
    """An option's summary, best-for, examples, API settings and docs (a fragment for htmx, else a page)."""
    asked = request.query_params.get("catalog") or None
    catalog = ws_of(request).catalog(asked)
    prop = catalog.property_index.get(request.path_params["prop"])
    option = prop.option(request.path_params["option"]) if prop else None
    if prop is None or option is None:
        raise BadRequest(
            f"unknown option {request.path_params['prop']}.{request.path_params['option']} in {catalog.ref}", "option"
        )
    template = "_option_help.html" if "hx-request" in request.headers else "option_help.html"
    context = {"catalog": catalog, "catalog_link": catalog_link(catalog, asked), "prop": prop, "option": option}
    return render(request, template, context, Vary="HX-Request")


def alternative_url(
    catalog: Catalog, selection: Any, plan: str | None = None, base: str | None = None, link: str | None = None
) -> str:
    """The configurator URL of an alternative; ``link`` is how the page names the catalog (its revision kept)."""
    return "?" + query_string(link or catalog.ref, dict(selection), plan=plan, base=base)


def page_configure(request: Request) -> Response:
    """The configurator page for the query's catalog, selection and open section."""
    from connectplan.web.configurator import configure_state, last_change

    state, before = configure_state(request)
    ws = ws_of(request)
    _, preset_results = ws.presets(state.catalog)
    context = {
        **_state_context(state, before),
        "catalogs": editions_bar(ws),
        "presets": list(zip(state.catalog.presets, (r.verdict for r in preset_results), strict=True)),
        "change": last_change(before, state),
    }
    twins = [f"/api/explore?{state.query}"]
    if state.resolution is not None:
        twins.append(f"/api/resolve?{state.query}")
    return render(request, "configure.html", context, Link=alternate(*twins))


def _state_context(state: Any, before: Any) -> dict[str, Any]:
    return {
        "s": state,
        "catalog": state.catalog,
        "catalog_link": state.catalog_link,
        "selection": state.selection,
        "resolution": state.resolution,
        "current_preset": state.preset_of_selection(),
    }


_INDENT = re.compile(rb"[ \t]*\n\s*")


def partial_workspace(request: Request) -> Response:
    """Out-of-band swaps of the parts of the configurator that changed (:mod:`connectplan.web.updates`)
    for an htmx request; a plain GET is redirected to the full page."""
    if "hx-request" not in request.headers:
        return RedirectResponse("/?" + request.url.query, status_code=303)
    import time

    from connectplan.web.configurator import configure_state, last_change
    from connectplan.web.updates import plan_update

    started = time.perf_counter()
    state, before = configure_state(request)
    update = plan_update(before, state, from_form=request.headers.get("hx-trigger") == "configure")
    ws = ws_of(request)
    presets: list[Any] = []
    if update.presets is None:
        _, preset_results = ws.presets(state.catalog)
        presets = list(zip(state.catalog.presets, (r.verdict for r in preset_results), strict=True))
    else:
        for preset in state.catalog.presets:
            if preset.id in update.presets:
                res = ws.resolve(catalog=state.catalog, set=dict(preset.selection), alternatives=False)
                presets.append((preset, res.verdict))
    context = {
        **_state_context(state, before),
        "u": update,
        "presets": presets,
        "change": last_change(before, state),
        "lazy_explain": True,
    }
    response = render(request, "_update.html", context, Vary="HX-Request")
    # the templates' indentation, a newline and its spaces, is one space in the page: sent as one newline
    response = Response(_INDENT.sub(b"\n", response.body), media_type="text/html", headers={"Vary": "HX-Request"})
    # the page's new URL: static/app.js pushes it once the update is painted (htmx's own HX-Push-Url would
    # push, replace and write sessionStorage inside the swap, ~10 ms of the click-to-settled time)
    response.headers["X-Push-Url"] = "/?" + state.state_query
    # the view's own time (propagation, resolution, rendering), for the browser benchmark (bench/browser.py)
    response.headers["Server-Timing"] = f"app;dur={1e3 * (time.perf_counter() - started):.1f}"
    return response


def partial_figures(request: Request) -> Response:
    """The configurator's diagrams and downloads for a selection (fetched when they come into view after an
    option change); a plain GET is redirected to the full page."""
    if "hx-request" not in request.headers:
        return RedirectResponse("/?" + request.url.query, status_code=303)
    from connectplan.web.configurator import state_for

    state = state_for(ws_of(request), list(request.query_params.multi_items()), alternatives=False)
    return render(request, "_figures_card.html", {"s": state}, Vary="HX-Request")


def partial_explain(request: Request) -> Response:
    """The text behind an "Explain" disclosure of a partial update, fetched by static/app.js when it is opened:
    an option's mark (``explain=PROP.OPTION``) or the conflict (``explain=conflict``), for the selection of the
    form's fields; a plain GET is redirected to the full page."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "explain"]
    if "hx-request" not in request.headers:
        return RedirectResponse("/?" + urlencode(pairs), status_code=303)
    from connectplan.web.configurator import state_for

    state = state_for(ws_of(request), pairs, alternatives=False)
    wanted = request.query_params.get("explain", "")
    option = next((o for pv in state.properties for o in pv.options if f"{o.prop}.{o.option.id}" == wanted), None)
    if option is None and wanted != "conflict":
        raise BadRequest(f"nothing to explain as {wanted!r}: name an option as PROP.OPTION or the conflict", "explain")
    context = {"s": state, "o": option}
    return render(request, "_explain.html", context, Vary="HX-Request")


def _subject(request: Request) -> tuple[dict[str, Any], str]:
    """Workspace keyword arguments for a plan REF (``plan=``) or a selection, and a file-name stem."""
    ws = ws_of(request)
    pairs = list(request.query_params.multi_items())
    plan = request.query_params.get("plan", "").strip()
    if plan:
        return {"ref": plan}, plan.replace("@", "-")
    catalog = ws.catalog(catalog_of(pairs))
    sel = parse_selection(pairs, catalog)
    return {"catalog": catalog, "preset": sel.preset, "set": sel.mapping}, "connectplan"


def _attachment(filename: str) -> dict[str, str]:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    return {"Content-Disposition": f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(filename)}"}


def content_etag(request: Request, what: str, subject: dict[str, Any], *extra: str | None) -> str:
    """A strong ETag from the content hash of a response's inputs: the catalog revision's content hash and the
    selection, or the plan version (immutable once saved), plus what is drawn or written and this code's
    version. Computed before any rendering, so a matching ``If-None-Match`` costs no resolution."""
    import hashlib
    import json

    from connectplan import __version__

    ws = ws_of(request)

    def version_key(ref: str) -> list[Any]:
        record = ws.version(ref)
        return [record.plan, record.version, record.created_at, record.catalog_ref, list(record.selection)]

    parts: list[Any] = [__version__, what, *extra]
    if "ref" in subject:
        parts.append(version_key(subject["ref"]))
    else:
        catalog = ws.catalog(subject["catalog"])
        parts += [catalog.content_hash, subject["preset"], sorted((k, v) for k, v in subject["set"].items())]
    against = request.query_params.get("against", "").strip()
    if against:
        parts.append(version_key(against))
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f'"{digest}"'


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 when the browser's ``If-None-Match`` names ``etag``."""
    given = request.headers.get("if-none-match", "")
    if etag in (t.strip() for t in given.split(",")) or given.strip() == "*":
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": REVALIDATE})
    return None


#: document responses: cached by the browser, revalidated with their ETag on every use
REVALIDATE = "no-cache"


def download_doc(request: Request) -> Response:
    """The design document: one HTML page (``doc.html``) or Markdown with its SVGs as a zip (``doc.zip``)."""
    fmt = request.path_params["format"]
    if fmt not in ("html", "zip"):
        raise BadRequest(f"unknown document format {fmt!r}; use doc.html or doc.zip", "format")
    subject, stem = _subject(request)
    etag = content_etag(request, f"doc.{fmt}", subject)
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    cache = {"ETag": etag, "Cache-Control": REVALIDATE}
    ws = ws_of(request)
    with tempfile.TemporaryDirectory(prefix="connectplan-doc-") as tmp:
        out = Path(tmp) / "doc"
        written = ws.doc(output=out, format="html" if fmt == "html" else "markdown", **subject)
        if fmt == "html":
            return Response(
                written[0].read_bytes(),
                media_type="text/html; charset=utf-8",
                headers={**_attachment(f"{stem}.html"), **cache},
            )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(written):
                info = zipfile.ZipInfo(f"{stem}/{path.name}", date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return Response(buffer.getvalue(), media_type="application/zip", headers={**_attachment(f"{stem}.zip"), **cache})


def download_prompt(request: Request) -> Response:
    subject, stem = _subject(request)
    etag = content_etag(request, "prompt", subject)
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    text = ws_of(request).prompt(**subject)
    headers = {**_attachment(f"{stem}-prompt.txt"), "ETag": etag, "Cache-Control": REVALIDATE}
    return PlainTextResponse(text, headers=headers)


def download_export(request: Request) -> Response:
    from connectplan.output.documents import export_document
    from connectplan.output.resolution import to_json

    ref = request.path_params["ref"]
    export = ws_of(request).export_plan(ref)
    return Response(
        to_json(export_document(export)),
        media_type="application/json",
        headers=_attachment(f"{ref.replace('@', '-')}.json"),
    )


def healthz(request: Request) -> Response:
    """Liveness: the process answers (no query; a database outage does not make it fail)."""
    ws_of(request)  # the lifespan opened the store before the first request is served
    return PlainTextResponse("ok\n", headers={"Cache-Control": "no-store"})


def readyz(request: Request) -> Response:
    """Readiness: the database answers and its schema is at the code's head (503 otherwise)."""
    from connectplan.engine.errors import UNAVAILABLE
    from connectplan.workspace import schema_head

    try:
        revision = ws_of(request).store.schema_revision()
    except ConnectplanError as exc:  # an unreachable or busy database: one plain line, as a probe reads it
        if exc.kind != UNAVAILABLE:
            raise
        return PlainTextResponse(
            f"not ready: {web_message(exc)}\n", 503, headers={"Cache-Control": "no-store", "Retry-After": "2"}
        )
    head = schema_head()
    if revision != head:
        return PlainTextResponse(
            f"not ready: the store's schema is at {revision or 'nothing'}, this code needs {head}; "
            "run `connectplan db upgrade`\n",
            503,
            headers={"Cache-Control": "no-store"},
        )
    return PlainTextResponse("ready\n", headers={"Cache-Control": "no-store"})


def favicon(request: Request) -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
