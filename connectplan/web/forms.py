"""The writes: the POST forms that save, tag, fork and upgrade plans.

Each write redirects (303) to the version it made, with ``?done=`` saying what was done (the page
confirms it in words: :data:`connectplan.web.history.DONE`). The names a form types are checked
here first with the same rules as the store (:data:`connectplan.refs.PLAN_NAME_PATTERN`, which the
forms also carry as an HTML ``pattern``); a write the input or the store refuses answers its status
with the page that failed: the message, the field at fault marked, and the form again with the
user's input in it (:class:`Retry`), so nothing typed is lost.

These views are plain ``def``, like every other view: Starlette runs them in its thread pool, so no SQL,
file I/O, subprocess or template runs on the event loop (``tests/test_web_server.py`` fails if a statement
does, for every route). Only reading the posted body is async; :func:`read_form` hands that one step to
the event loop and waits for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.responses import PlainTextResponse, RedirectResponse, Response

from connectplan.engine.errors import CONFLICT, NOT_FOUND, UNAVAILABLE, ConnectplanError
from connectplan.errors import VerdictRefusedError
from connectplan.refs import PLAN_NAME_PATTERN, PLAN_NAME_RULE, TAG_NAME_PATTERN, TAG_NAME_RULE
from connectplan.web.editing import changes_from
from connectplan.web.errors import field_label, refusal_text, status_of, web_message
from connectplan.web.history import done_url, version_url
from connectplan.web.params import RESERVED, BadRequest, parse_selection, query_string
from connectplan.web.views import REFUSED_STATUS, record_catalog_link, render, ws_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request

__all__ = [
    "WEB_AUTHOR",
    "Retry",
    "check_name",
    "post_fork",
    "post_new_plan",
    "post_new_version",
    "post_tag",
    "post_upgrade",
    "read_form",
    "read_only",
]


def read_form(request: Request) -> list[tuple[str, str]]:
    """The posted form's text fields, in order, for a view running in the thread pool: the body is read
    and parsed on the event loop (the only async step of a write), which this thread waits for."""
    from anyio import from_thread

    async def read() -> list[tuple[str, str]]:
        form = await request.form()
        return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]

    return from_thread.run(read)


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


def check_name(value: str, param: str, *, tag: bool = False) -> str:
    """``value`` if it is a valid plan name (a tag with ``tag``), else a 400 naming the form field ``param``.

    >>> check_name("acme-2", "name")
    'acme-2'
    >>> check_name("-x", "new_name")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    connectplan.web.params.BadRequest: invalid plan name '-x'; use letters, digits, '.', '_' or '-' (up to 100, ...)
    """
    if tag:
        if not re.fullmatch(TAG_NAME_PATTERN, value) or value == "latest":
            raise BadRequest(f"invalid tag {value!r}; {TAG_NAME_RULE}", param)
    elif not re.fullmatch(PLAN_NAME_PATTERN, value):
        raise BadRequest(f"invalid plan name {value!r}; use {PLAN_NAME_RULE}", param)
    return value


#: the form fields a retried form shows again as the user typed them (the rest travel as hidden fields)
TYPED = ("name", "new_name", "tag", "message", "author", "to")
#: its boxes
BOXES = ("allow_blocked", "force")


@dataclass(frozen=True)
class Retry:
    """A form to show again after its write was refused: where it posts, what the user typed, the field at fault.

    ``kind`` is the form (``plan_new``, ``plan_set``, ``tag``, ``fork``, ``upgrade``); ``hidden`` the
    fields the user did not type (the selection, the version); ``back`` where the page leads back to,
    with the selection kept.
    """

    kind: str
    action: str
    typed: dict[str, str]
    boxes: frozenset[str]
    hidden: tuple[tuple[str, str], ...]
    back: str
    field: str | None = None
    targets: tuple[Any, ...] = ()

    @classmethod
    def of(cls, kind: str, action: str, pairs: list[tuple[str, str]], back: str) -> Retry:
        fields = dict(pairs)
        typed = {k: fields.get(k, "") for k in TYPED}
        boxes = frozenset(k for k in BOXES if fields.get(k) == "1")
        hidden = tuple((k, v) for k, v in pairs if k not in TYPED and k not in BOXES and k != "csrf_token")
        return cls(kind, action, typed, boxes, hidden, back)


def _configurator_url(pairs: list[tuple[str, str]], **extra: object) -> str:
    """The configurator with a save form's selection (its catalog and choices), as the user left it."""
    kept = [(k, v) for k, v in pairs if k == "catalog" or k == "preset" or k not in RESERVED]
    kept += [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
    return "/?" + urlencode(kept)


def _answer(request: Request, retry: Retry, write: Callable[[], Response]) -> Response:
    """``write()``; when the input or the store refuses it, the error page with the form again as typed.

    Unavailable stores and unknown plans go to the app's error handler (nothing to retry there)."""
    try:
        return write()
    except ConnectplanError as exc:
        if exc.kind in (UNAVAILABLE, NOT_FOUND):
            raise
        status = status_of(exc)
        field = getattr(exc, "field", None)
        retry = replace(retry, field="new_name" if retry.kind == "fork" and field == "name" else field)
        if retry.kind == "upgrade":
            retry = replace(retry, targets=_targets(request, retry))
        context = {
            "error": web_message(exc),
            "status": status,
            "back": retry.back,
            "field": field_label(exc),
            "retry": retry,
        }
        template = "_error.html" if "hx-request" in request.headers else "error.html"
        return render(request, template, context, status=status)


def _landed(request: Request, url: str) -> Response:
    """The redirect after a write: a 303 to ``url``; for an htmx request, ``HX-Redirect`` (the browser then
    loads the page that confirms the write, instead of htmx swapping it into a fragment)."""
    if "hx-request" in request.headers:
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _targets(request: Request, retry: Retry) -> tuple[Any, ...]:
    from connectplan.web.history import upgrade_targets

    ws = ws_of(request)
    try:
        record = ws.version(dict(retry.hidden).get("ref", ""))
    except ConnectplanError:  # a malformed or unknown version: the form offers no edition
        return ()
    return tuple(upgrade_targets(ws.catalogs(), record))


def post_new_plan(request: Request) -> Response:
    """Save the configurator's selection as version 1 of a new plan."""
    pairs = read_form(request)
    fields = dict(pairs)
    retry = Retry.of("plan_new", "/plans", pairs, _configurator_url(pairs))

    def write() -> Response:
        name = fields.get("name", "").strip()
        if not name:
            raise BadRequest("give the new plan a name", "name")
        check_name(name, "name")
        ws = ws_of(request)
        catalog = ws.catalog(fields.get("catalog") or None)
        sel = parse_selection(pairs, catalog)
        options = _saving(fields, request)
        record = ws.new_plan(name, catalog=catalog, set=sel.mapping, **options)
        return _landed(request, done_url(record.ref, "saved"))

    return _answer(request, retry, write)


def post_new_version(request: Request) -> Response:
    """Save the configurator's selection as a new version of a plan, computed from version ``base``.

    Only the properties that differ from ``base`` are sent to ``set_plan`` with ``base``, so a save
    that got in meanwhile is kept: re-applied on top when it touched other properties, else a
    conflict (409) with a button to reload on top of the winner.
    """
    pairs = read_form(request)
    fields = dict(pairs)
    name = request.path_params["name"]
    base = fields.get("base", "")
    action = "/plans/" + quote_name(name) + "/versions"
    retry = Retry.of("plan_set", action, pairs, _configurator_url(pairs, plan=name, base=base))

    def write() -> Response:
        if not base.isdigit():
            raise BadRequest("base must be the version number the change was made from", "base")
        if not fields.get("message", "").strip():
            raise BadRequest("say what this version changes: the message is required", "message")
        ws = ws_of(request)
        base_view = ws.plan(f"{name}@{base}")
        sel = parse_selection(pairs, base_view.resolution.catalog)
        changes = changes_from(dict(base_view.record.selection), sel.mapping)
        try:
            record = ws.set_plan(name, changes, base=int(base), **_saving(fields, request))
        except ConnectplanError as exc:
            if exc.kind != CONFLICT:
                raise
            return _lost_race(request, exc, name, changes)
        return _landed(request, done_url(record.ref, "version"))

    return _answer(request, retry, write)


def _lost_race(request: Request, exc: ConnectplanError, name: str, changes: dict[str, Any]) -> Response:
    """409: someone saved the same property first; the way forward is to reload on top of their version."""
    ws = ws_of(request)
    latest = ws.plan(f"{name}@latest")
    merged = {**dict(latest.record.selection), **changes}
    link = record_catalog_link(latest.record)
    context = {
        "error": web_message(exc),
        "name": name,
        "changes": changes,
        "latest": latest.record,
        "reload_url": "/?" + query_string(link, merged, plan=name, base=latest.record.version),
        "compare_url": "/diff?" + urlencode({"a": latest.record.ref, "b_query": query_string(link, merged)}),
    }
    template = "_conflict.html" if "hx-request" in request.headers else "conflict.html"
    return render(request, template, context, status=409)


def quote_name(name: str) -> str:
    return quote(name, safe="")


def _version_form(request: Request, kind: str) -> tuple[dict[str, str], Retry]:
    """A version page's form posted to ``/plans/NAME/KIND`` (tag, fork, upgrade): its fields, and how to
    show it again if the write is refused (back to the version it was posted from)."""
    pairs = read_form(request)
    fields = dict(pairs)
    name = request.path_params["name"]
    ref = fields.get("ref", "").strip() or name
    return fields, Retry.of(kind, f"/plans/{quote_name(name)}/{kind}", pairs, version_url(ref))


def post_tag(request: Request) -> Response:
    fields, retry = _version_form(request, "tag")

    def write() -> Response:
        tag = fields.get("tag", "").strip()
        target = _version_of(request, fields, "tag")
        if not tag:
            raise BadRequest("tagging needs a tag name", "tag")
        check_name(tag, "tag", tag=True)
        ws = ws_of(request)
        record = ws.tag(target, tag, force=fields.get("force") == "1")
        return _landed(request, done_url(record.ref, "tagged", tag=tag))

    return _answer(request, retry, write)


def post_fork(request: Request) -> Response:
    fields, retry = _version_form(request, "fork")

    def write() -> Response:
        source = _version_of(request, fields, "fork")
        new_name = fields.get("new_name", "").strip()
        if not new_name:
            raise BadRequest("forking needs the new plan's name", "new_name")
        check_name(new_name, "new_name")
        ws = ws_of(request)
        record = ws.fork(source, new_name, **_saving(fields, request))
        return _landed(request, done_url(record.ref, "forked"))

    return _answer(request, retry, write)


def post_upgrade(request: Request) -> Response:
    """Preview (``dry_run=1``) or apply an upgrade of a plan version to another catalog edition.

    The preview lists the decisions the new edition adds (chosen by its defaults or left open) and
    the options it renames, with the form that applies it."""
    fields, retry = _version_form(request, "upgrade")

    def write() -> Response:
        source = _version_of(request, fields, "upgrade")
        to = fields.get("to", "").strip() or None
        dry_run = fields.get("dry_run") == "1"
        ws = ws_of(request)
        refusal = None
        try:
            report, saved = ws.upgrade_plan(source, to, dry_run=dry_run, **_saving(fields, request))
        except VerdictRefusedError as exc:  # the report, with the refusal, and the form to save it anyway
            if exc.report is None:
                raise
            report, saved, refusal = exc.report, None, refusal_text(exc)
        if saved is not None:
            return _landed(request, done_url(saved.ref, "upgraded"))
        return _upgrade_page(request, source, to, report, dry_run, refusal, fields)

    return _answer(request, retry, write)


def _upgrade_page(
    request: Request, ref: str, to: str | None, report: Any, dry_run: bool, refusal: str | None, fields: dict[str, str]
) -> Response:
    from connectplan.output.upgrade import upgrade_text
    from connectplan.web.history import upgrade_decisions

    target = to or report.after.catalog.ref
    context = {
        "ref": ref,
        "to": target,
        "report": report,
        "dry_run": dry_run,
        "refusal": refusal,
        "decisions": upgrade_decisions(report),
        "message": fields.get("message", ""),
        "compare_url": "/diff?" + urlencode({"a": ref, "b": ref, "b_on": target}),
        "text": upgrade_text(report, None, dry_run=dry_run, refusal=refusal),
    }
    return render(request, "upgrade.html", context, status=REFUSED_STATUS if refusal else 200)


def read_only(request: Request) -> Response:
    return PlainTextResponse("this server is read-only (started with --read-only): nothing can be saved\n", 403)
