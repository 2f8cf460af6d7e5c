"""The writes: the POST forms that save, tag, fork and upgrade plans (each a redirect to the version it made).

These views are ``async`` only to read the form; every Workspace call and every template goes through
:func:`run_blocking`, the one seam onto the thread pool, so no SQL, file I/O or subprocess runs on the
event loop (``tests/test_web_server.py`` fails if a statement does, for every route).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.responses import PlainTextResponse, RedirectResponse, Response

from connectplan.engine.errors import CONFLICT, ConnectplanError
from connectplan.errors import VerdictRefusedError
from connectplan.web.errors import refusal_text, web_message
from connectplan.web.params import BadRequest, parse_selection, query_string
from connectplan.web.views import REFUSED_STATUS, record_catalog_link, render, ws_of

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "WEB_AUTHOR",
    "post_fork",
    "post_new_plan",
    "post_new_version",
    "post_tag",
    "post_upgrade",
    "read_only",
    "run_blocking",
]


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def _form_pairs(form: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


#: the author a web save records when its form leaves the author empty (never the server process's $USER)
WEB_AUTHOR = "web"


def _saving(fields: dict[str, str], request: Request | None = None) -> dict[str, Any]:
    """A saving form's message, author and "save even if blocked" box, as the Workspace's ``options``
    (one :class:`~connectplan.save_policy.SaveOptions`).

    A logged-in user (``--users``) is the author, and the form has no author field then; otherwise an
    empty author is recorded as :data:`WEB_AUTHOR`: the server's own user wrote nothing.
    """
    from connectplan.save_policy import SaveOptions

    user = getattr(request.state, "user", None) if request is not None else None
    options = SaveOptions(
        message=fields.get("message", "").strip() or None,
        author=user or fields.get("author", "").strip() or WEB_AUTHOR,
        allow_blocked=fields.get("allow_blocked") == "1",
    )
    return {"options": options}


def _version_of(request: Request, fields: dict[str, str], action: str) -> str:
    """The form's ``ref``, which must name a version of the path's plan (``/plans/NAME/...``).

    A ref of another plan is refused (400, field ``ref``): the path says which plan the form acts on.
    """
    name = request.path_params["name"]
    ref = fields.get("ref", "").strip() or name
    if ref.partition("@")[0] != name:
        raise BadRequest(f"{ref} is not a version of plan {name}; {action} a version of {name} from its page", "ref")
    return ref


def _version_url(ref: str) -> str:
    return "/versions/" + quote(ref, safe="@")


async def post_new_plan(request: Request) -> Response:
    """Save the configurator's selection as version 1 of a new plan."""
    form = await request.form()
    pairs = _form_pairs(form)
    fields = dict(pairs)
    name = fields.get("name", "").strip()
    if not name:
        raise BadRequest("give the new plan a name", "name")
    ws = ws_of(request)
    catalog = await run_blocking(ws.catalog, fields.get("catalog") or None)
    sel = parse_selection(pairs, catalog)
    record = await run_blocking(lambda: ws.new_plan(name, catalog=catalog, set=sel.mapping, **_saving(fields, request)))
    return RedirectResponse(_version_url(record.ref), status_code=303)


async def post_new_version(request: Request) -> Response:
    """Save the configurator's selection as a new version of a plan, computed from version ``base``.

    Only the properties that differ from ``base`` are sent to ``set_plan`` with ``base``, so a save
    that got in meanwhile is kept: re-applied on top when it touched other properties, else a
    conflict (409) with a button to reload on top of the winner.
    """
    form = await request.form()
    pairs = _form_pairs(form)
    fields = dict(pairs)
    name = request.path_params["name"]
    base = fields.get("base", "")
    if not base.isdigit():
        raise BadRequest("base must be the version number the change was made from", "base")
    if not fields.get("message", "").strip():
        raise BadRequest("say what this version changes: the message is required", "message")
    ws = ws_of(request)
    base_view = await run_blocking(ws.plan, f"{name}@{base}")
    sel = parse_selection(pairs, base_view.resolution.catalog)
    before = dict(base_view.record.selection)
    changes = {p: v for p, v in sel.mapping.items() if before.get(p) != v}
    try:
        record = await run_blocking(lambda: ws.set_plan(name, changes, base=int(base), **_saving(fields, request)))
    except ConnectplanError as exc:
        if exc.kind != CONFLICT:
            raise
        latest = await run_blocking(ws.plan, f"{name}@latest")
        merged = {**dict(latest.record.selection), **changes}
        context = {
            "error": web_message(exc),
            "name": name,
            "changes": changes,
            "latest": latest.record,
            "reload_url": "/?"
            + query_string(record_catalog_link(latest.record), merged, plan=name, base=latest.record.version),
        }
        return await run_blocking(render, request, "conflict.html", context, status=409)
    return RedirectResponse(_version_url(record.ref), status_code=303)


async def post_tag(request: Request) -> Response:
    fields = await _form(request)
    ref, tag = _version_of(request, fields, "tag"), fields.get("tag", "").strip()
    if not tag:
        raise BadRequest("tagging needs a tag name", "tag")
    ws = ws_of(request)
    record = await run_blocking(lambda: ws.tag(ref, tag, force=fields.get("force") == "1"))
    return RedirectResponse(_version_url(record.ref), status_code=303)


async def post_fork(request: Request) -> Response:
    fields = await _form(request)
    ref, new_name = _version_of(request, fields, "fork"), fields.get("new_name", "").strip()
    if not new_name:
        raise BadRequest("forking needs the new plan's name", "new_name")
    ws = ws_of(request)
    record = await run_blocking(lambda: ws.fork(ref, new_name, **_saving(fields, request)))
    return RedirectResponse(_version_url(record.ref), status_code=303)


async def post_upgrade(request: Request) -> Response:
    """Dry-run (``dry_run=1``) or apply an upgrade of a plan version to another catalog edition."""
    from connectplan.output.upgrade import upgrade_text

    fields = await _form(request)
    ref, to = _version_of(request, fields, "upgrade"), fields.get("to", "").strip() or None
    dry_run = fields.get("dry_run") == "1"
    ws = ws_of(request)
    refusal = None
    try:
        report, saved = await run_blocking(
            lambda: ws.upgrade_plan(ref, to, dry_run=dry_run, **_saving(fields, request))
        )
    except VerdictRefusedError as exc:  # the report, with the refusal, and the form to save it anyway
        if exc.report is None:
            raise
        report, saved, refusal = exc.report, None, refusal_text(exc)
    if saved is not None:
        return RedirectResponse(_version_url(saved.ref), status_code=303)
    context = {"ref": ref, "to": to or report.after.catalog.ref, "report": report, "dry_run": dry_run}
    context["text"] = upgrade_text(report, None, dry_run=dry_run, refusal=refusal)
    return await run_blocking(render, request, "upgrade.html", context, status=REFUSED_STATUS if refusal else 200)


async def run_blocking(func: Any, *args: Any, **kwargs: Any) -> Any:
    """The one seam for blocking work in an ``async`` view: ``func(*args, **kwargs)`` on the thread pool
    (SQL, file I/O, subprocesses and templates never run on the event loop)."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args, **kwargs)


def read_only(request: Request) -> Response:
    return PlainTextResponse("this server is read-only (started with --read-only): nothing can be saved\n", 403)
