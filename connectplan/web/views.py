"""Pages (``page_*``) and partials (``partial_*``): parse the request, call the Workspace, render a template.

Nothing that can block runs on the event loop: views that only compute are plain ``def`` (Starlette
runs them in its thread pool); the few that read a form are ``async def`` and hand every Workspace
call and every template to the thread pool through one helper, :func:`run_blocking`
(``tests/test_web_server.py`` fails if any SQL statement runs on the event-loop thread).
Errors are not caught here:
the app's one exception handler turns the API's input errors into a 400 (409 for a lost save
race, 422 for a save the save policy refused: a blocked design without the "save even if
blocked" box). The little view models below only arrange what the engine computed for the templates.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup, escape
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from connectplan.engine.catalog_ref import CatalogRef
from connectplan.engine.errors import ConnectplanError
from connectplan.web.errors import refusal_text, web_message
from connectplan.web.params import BadRequest, catalog_of, choice_of, parse_selection, query_string

if TYPE_CHECKING:
    from starlette.requests import Request

    from connectplan.engine import Catalog
    from connectplan.engine.propagation import OptionStatus, Propagation
    from connectplan.workspace import Workspace

__all__ = [
    "OptionView",
    "PropertyView",
    "SectionView",
    "configure_context",
    "content_etag",
    "download_doc",
    "download_export",
    "download_prompt",
    "favicon",
    "healthz",
    "link_or_text",
    "page_configure",
    "page_option_help",
    "partial_workspace",
    "readyz",
    "refusal_text",
    "verdict_badge",
]

FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#33348e"/>'
    '<path d="M4 8h8M8 4v8" stroke="#fff" stroke-width="2"/></svg>'
)
KEEP = ("plan", "base")
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


# ---------------------------------------------------------------------------
# view models


@dataclass(frozen=True)
class OptionView:
    """One option as the configurator shows it: input id, status, best verdict, why, help."""

    prop: str
    option: Any  # engine.Option
    status: OptionStatus
    checked: bool
    reason: str
    rule_text: str

    @property
    def dom_id(self) -> str:
        return f"opt-{self.prop}-{self.option.id}"

    @property
    def why_id(self) -> str:
        return f"why-{self.prop}-{self.option.id}"

    @property
    def help_id(self) -> str:
        return f"help-{self.prop}-{self.option.id}"

    @property
    def pending(self) -> bool:
        """True for the property's "not decided yet" option."""
        return bool(self.option.pending)


@dataclass(frozen=True)
class PropertyView:
    prop: Any  # engine.Property
    many: bool
    options: tuple[OptionView, ...]
    selected: bool
    #: the chosen option is pending: an open decision
    open: bool = False


@dataclass(frozen=True)
class SectionView:
    """A lifecycle section's properties (``section`` is "" for a catalog without sections)."""

    section: str
    title: str
    properties: tuple[PropertyView, ...]


def _terms(terms: Any) -> str:
    return ", ".join(str(t) for t in terms)


def _option_reason(catalog: Catalog, prop_id: str, status: OptionStatus, siblings: tuple[OptionStatus, ...]) -> str:
    from connectplan.output.resolution import because_text

    if status.status == "excluded" and status.reason is not None:
        because = because_text(status.reason.because) if status.reason.because else f"{prop_id}.{status.id} itself"
        if status.reason.rule is not None:
            return f"Excluded by rule {status.reason.rule}, because {because}."
        return f"Excluded by rules {' + '.join(status.reason.rules)} together, because {because}."
    if status.status == "forced":
        causes = [
            f"{s.id} is excluded by rule {s.reason.rule or ' + '.join(s.reason.rules)}, "
            f"because {because_text(s.reason.because) if s.reason.because else f'{prop_id}.{s.id} itself'}"
            for s in siblings
            if s.id != status.id and s.reason is not None
        ]
        return "Forced, the only option left: " + "; ".join(causes) + "." if causes else "Forced."
    return ""


def _rule_text(catalog: Catalog, status: OptionStatus, hypothetical: dict[str, Any]) -> str:
    """The excluding rule's message and its condition, Kconfig-style, with this option chosen."""
    from connectplan.output.resolution import explain_condition

    if status.reason is None or status.reason.rule is None:
        return ""
    rule = catalog.rule_index.get(status.reason.rule)
    if rule is None:
        return ""
    return f"{rule.message} Condition: {explain_condition(rule.condition, hypothetical)}"


def property_views(exploration: Propagation) -> list[PropertyView]:
    catalog = exploration.catalog
    selection = dict(exploration.selection)
    out = []
    for prop in catalog.properties:
        state = exploration.property(prop.id)
        many = choice_of(prop) == "many"
        chosen = selection.get(prop.id)
        options = []
        for status in state.options:
            checked = status.id in chosen if many and isinstance(chosen, (tuple, list)) else status.id == chosen
            hypothetical = {**selection, prop.id: status.id}
            options.append(
                OptionView(
                    prop=prop.id,
                    option=prop.option(status.id),
                    status=status,
                    checked=bool(checked),
                    reason=_option_reason(catalog, prop.id, status, state.options),
                    rule_text=_rule_text(catalog, status, hypothetical),
                )
            )
        is_open = chosen is not None and prop.is_pending(chosen)
        out.append(
            PropertyView(prop=prop, many=many, options=tuple(options), selected=chosen is not None, open=is_open)
        )
    return out


def section_views(catalog: Catalog, properties: list[PropertyView]) -> list[SectionView]:
    """The property views grouped by lifecycle section (one untitled group for a catalog without sections)."""
    from connectplan.output.sections import has_sections, section_groups, section_title

    by_id = {pv.prop.id: pv for pv in properties}
    titled = has_sections(catalog)
    return [
        SectionView(section, section_title(section) if titled else "", tuple(by_id[p.id] for p in group))
        for section, group in section_groups(catalog)
    ]


def _selection_pairs(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def configure_context(request: Request, *, page: bool = True) -> dict[str, Any]:
    """Everything the configurator shows for the request's catalog and selection (the editions and
    presets, outside ``#workspace``, only for the full ``page``)."""
    ws = ws_of(request)
    pairs = _selection_pairs(request)
    asked = catalog_of(pairs)
    catalog = ws.catalog(asked)
    link = catalog_link(catalog, asked)
    sel = parse_selection(pairs, catalog, keep=KEEP)
    plan, base = sel.get("plan"), sel.get("base")
    if base is not None and not base.isdigit():
        raise BadRequest(f"base must be a version number, not {base!r}", "base")
    from connectplan.web.editing import configurator_state

    mapping, notices = exclusive_alone(catalog, dict(sel.mapping))
    exploration = ws.explore(catalog=catalog, preset=sel.preset, set=mapping)
    selection = dict(exploration.selection)
    resolution = None
    if exploration.resolution is not None:
        resolution = ws.resolve(catalog=catalog, set=selection)
    properties = property_views(exploration)
    query = query_string(link, selection)
    state_query = query_string(link, selection, plan=plan, base=base)
    context: dict[str, Any] = {}
    if page:
        _, preset_results = ws.presets(catalog)
        context["catalogs"] = editions_bar(ws)
        context["presets"] = list(zip(catalog.presets, (r.verdict for r in preset_results), strict=True))
    return {
        **context,
        "catalog": catalog,
        "catalog_link": link,
        "preset": sel.preset,
        "exploration": exploration,
        "properties": properties,
        "sections": section_views(catalog, properties),
        "open_decisions": [pv for pv in properties if pv.open],
        "selection": selection,
        "resolution": resolution,
        "query": query,
        "state_query": state_query,
        "plan": plan,
        "base": base,
        "notices": notices,
        **configurator_state(ws, plan, base, link, selection),  # Save version's "nothing changed", compare link
    }


def catalog_link(catalog: Catalog, asked: str | CatalogRef | None = None) -> str:
    """How the web's URLs and forms name ``catalog``: ``NAME@EDITION.rN`` when the request named a
    revision (a correction's older revision stays on it), else ``NAME@EDITION`` (its newest revision).

    >>> from types import SimpleNamespace as NS
    >>> cat = NS(ref="stripe-connect@2024", revision_ref="stripe-connect@2024.r1")
    >>> catalog_link(cat, "stripe-connect@2024.r1"), catalog_link(cat, "stripe-connect@2024")
    ('stripe-connect@2024.r1', 'stripe-connect@2024')
    """
    exact = asked is not None and CatalogRef.parse(asked).exact
    return catalog.revision_ref if exact else catalog.ref


def record_catalog_link(record: Any) -> str:
    """How the web names a saved version's catalog: its exact revision when a newer one supersedes it."""
    return record.catalog_revision_ref if record.superseded_by is not None else record.catalog_ref


def editions_bar(ws: Workspace) -> list[Any]:
    """The editions bar: each edition once, at its newest revision (older revisions are reached from
    ``catalog list`` and from the plans pinned to them)."""
    return list({info.ref: info for info in ws.catalogs()}.values())  # sorted by revision: the last one wins


def exclusive_alone(catalog: Catalog, mapping: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The configurator's reading of a ticked set that mixes an exclusive option with others.

    Such a set is bad input everywhere else (the JSON twins answer 400); in the form it is one
    more box ticked, so the exclusive option is left out, with a notice saying how to choose it.
    """
    out = dict(mapping)
    notices: list[str] = []
    for prop in catalog.properties:
        value = out.get(prop.id)
        if not prop.multi or not isinstance(value, (tuple, list)) or len(value) < 2:
            continue
        alone = [o for o in prop.options if o.exclusive and o.id in value]
        if not alone:
            continue
        out[prop.id] = tuple(v for v in value if v not in {o.id for o in alone})
        if not out[prop.id]:
            del out[prop.id]
        titles = ", ".join(f"“{o.title}”" for o in alone)
        notices.append(f"{prop.title}: {titles} is chosen alone, so it was left out; untick the others to choose it.")
    return out, notices


def is_web_url(url: str) -> bool:
    """Only http(s) URLs become links (a catalog's ``javascript:`` URL stays text)."""
    return url.startswith(("https://", "http://"))


def verdict_badge(verdict: str) -> Markup:
    """``<span class="verdict v-blocked">blocked</span>`` (escaped; a template helper, cheaper than a macro).

    >>> str(verdict_badge("sales_gated"))
    '<span class="verdict v-sales_gated">sales gated</span>'
    """
    return Markup('<span class="verdict v-{0}">{1}</span>').format(verdict, verdict.replace("_", " "))


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
    context = configure_context(request)
    twins = [f"/api/explore?{context['query']}"]
    if context["resolution"] is not None:
        twins.append(f"/api/resolve?{context['query']}")
    return render(request, "configure.html", context, Link=alternate(*twins))


def partial_workspace(request: Request) -> Response:
    """The ``#workspace`` fragment for an htmx request; a plain GET is redirected to the full page."""
    if "hx-request" not in request.headers:
        return RedirectResponse("/?" + request.url.query, status_code=303)
    context = configure_context(request, page=False)
    headers = {"HX-Push-Url": "/?" + context["state_query"], "Vary": "HX-Request"}
    return render(request, "_workspace.html", context, **headers)


# ---------------------------------------------------------------------------
# downloads (the diagrams are in connectplan/web/figures.py)


def _subject(request: Request) -> tuple[dict[str, Any], str]:
    """Workspace keyword arguments for a plan REF (``plan=``) or a selection, and a file-name stem."""
    ws = ws_of(request)
    pairs = _selection_pairs(request)
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
