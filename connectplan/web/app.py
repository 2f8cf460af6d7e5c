"""The web configurator's ASGI app: ``create_app(settings)``, the lifespan, the middleware and the error handler.

The lifespan opens one Workspace (the store's engine and the catalog cache) per worker and
closes it at shutdown; views reach it as ``request.state.ws``. ``app_from_env`` is the factory
uvicorn calls in each worker (``connectplan serve`` passes it as an import string).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.templating import Jinja2Templates

from connectplan.web.routes import routes
from connectplan.web.security import BodyLimit, CrossOriginGuard, RequestLog, SecurityHeaders, TokenAuth
from connectplan.web.settings import WebSettings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from jinja2.bccache import Bucket
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "HTMX_FILE",
    "TEMPLATE_DIR",
    "app_from_env",
    "create_app",
    "handle_server_error",
    "one_line",
    "user_errors",
]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
#: seconds a thread computing a view holds the GIL before the event loop may take it (``sys.setswitchinterval``)
SWITCH_INTERVAL = 0.0005
#: the vendored htmx file (see static/HTMX.txt)
HTMX_FILE = "htmx-2.0.11.min.js"


def user_errors() -> tuple[type[Exception], ...]:
    """The API's bad-input errors (mapped to 400): :data:`connectplan.errors.USER_ERRORS`."""
    from connectplan.errors import USER_ERRORS

    return USER_ERRORS


def one_line(exc: BaseException) -> str:
    text = str(exc)
    return " ".join(text.split()) if "\n" in text else text


class CompiledTemplates(BytecodeCache):
    """The compiled templates of this process, shared by every app it creates (Jinja's bytecode cache, in memory).

    Each app has its own :class:`~jinja2.Environment` (its globals hold the app's CSRF token), and each
    would otherwise compile every template again: 0.17 s for all of them, paid by every app a test or a
    benchmark creates. Jinja keys a compiled template by its name and checks it against the source's
    checksum, so a changed template is compiled afresh. Every environment is built by
    :func:`templates_for` with the same options, so the code compiled for one is right for all.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def templates_for(settings: WebSettings) -> Jinja2Templates:
    # auto_reload off: a template is read once, never stat()ed again per request
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=False,
        bytecode_cache=COMPILED_TEMPLATES,
    )
    from connectplan.engine import Term
    from connectplan.engine.severity import Severity
    from connectplan.output.resolution import because_text, explain_condition
    from connectplan.web.configurator import edition_note
    from connectplan.web.figures import figure_sizes
    from connectplan.web.routes import static_url
    from connectplan.web.views import alternative_url, is_web_url, link_or_text, verdict_badge

    env.globals.update(
        because_text=because_text,
        explain_condition=explain_condition,
        is_web_url=is_web_url,
        link_or_text=link_or_text,
        verdict_badge=verdict_badge,
        alternative_url=alternative_url,
        edition_note=edition_note,
        blocked_rank=Severity.parse("blocked"),
        term=Term,
        csrf_token=settings.csrf_token,
        read_only=settings.read_only,
        htmx_file=HTMX_FILE,
        static_url=static_url,
        figure_sizes=figure_sizes,
        htmx_config={
            "historyCacheSize": 0,
            "refreshOnHistoryMiss": True,
            "includeIndicatorStyles": False,
            "allowEval": False,
            "allowScriptTags": False,
            "selfRequestsOnly": True,
            # settling a "style" attribute is an inline style, which the CSP refuses
            "attributesToSettle": ["class", "width", "height"],
            "responseHandling": [
                {"code": "204", "swap": False},
                {"code": "[23]..", "swap": True},
                {"code": "40[049]|422|503", "swap": True, "error": False},  # an error fragment, shown in place
                {"code": "[45]..", "swap": False, "error": True},
            ],
        },
    )
    from connectplan.engine import format_choice

    env.filters["choice"] = format_choice  # a selection value as text, never a tuple's repr
    from connectplan.web.views import wrap_long

    env.filters["wrap_long"] = wrap_long  # prose whose long API paths wrap at their dots, never mid-word
    from connectplan.refs import PLAN_NAME_PATTERN, PLAN_NAME_RULE, TAG_NAME_PATTERN, TAG_NAME_RULE
    from connectplan.web.history import breakable, when

    env.filters["when"] = when  # a stored time: "7 Dec 2026, 11:24 UTC", the ISO time on hover
    env.filters["breakable"] = breakable  # an identifier that wraps after its punctuation, never mid-word
    # the name rules as HTML pattern + title (the store's own, so the browser checks what the server will)
    env.globals.update(
        plan_name_pattern=PLAN_NAME_PATTERN,
        plan_name_title=PLAN_NAME_RULE[0].upper() + PLAN_NAME_RULE[1:],
        tag_pattern=f"(?!latest$){TAG_NAME_PATTERN}",
        tag_title=TAG_NAME_RULE[0].upper() + TAG_NAME_RULE[1:],
    )
    from connectplan.web.figures import remember_request

    # the figure macros (imported without context) find the request being rendered through this
    return Jinja2Templates(env=env, context_processors=[remember_request])


def create_app(settings: WebSettings | None = None, *, workspace: Any = None) -> Starlette:
    """The configurator for ``settings``. ``workspace`` (tests, benchmarks): use this open Workspace
    instead of opening one from ``settings.url`` (it is then not closed at shutdown)."""
    settings = settings or WebSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if workspace is not None:
            yield {"ws": workspace}
            return
        import sys

        from anyio import to_thread

        from connectplan.workspace import open_workspace

        # opening reads (or migrates) the store: on the thread pool, like every other blocking call
        ws = await to_thread.run_sync(lambda: open_workspace(settings.url, pool=settings.pool))
        # views compute in the thread pool; the event loop gets the GIL back within 0.5 ms (not Python's 5 ms),
        # so /healthz and static files stay fast while a page is computed
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
        try:
            yield {"ws": ws}
        finally:
            sys.setswitchinterval(interval)
            await to_thread.run_sync(ws.close)

    # every project error (a database outage included: its kind says 503) is a user error
    handlers: dict[Any, Any] = {error: handle_user_error for error in user_errors()}
    handlers[Exception] = handle_server_error
    handlers[404] = handle_not_found  # a route that does not exist: the styled page, not Starlette's plain text
    app = Starlette(
        routes=routes(read_only=settings.read_only),
        middleware=[
            *([Middleware(RequestLog)] if settings.log_format == "json" else []),
            Middleware(SecurityHeaders),
            Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts), www_redirect=False),
            Middleware(TokenAuth, settings=settings),
            Middleware(BodyLimit, limit=settings.max_body_bytes),
            Middleware(CrossOriginGuard, csrf_token=settings.csrf_token),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    install_log_filter()
    app.state.settings = settings
    app.state.templates = templates_for(settings)
    from connectplan.web.figures import FigureCache

    app.state.figures = FigureCache()
    return app


def handle_user_error(request: Request, exc: Exception) -> Response:
    """One handler for every error of the project: its kind's status (400 bad input, 404 not found, 409
    conflict, 422 refused by the save policy, 503 unavailable), in the web's words
    (:mod:`connectplan.web.errors`); ``{"error": {"kind", "message"}}`` under /api/, else a page or
    fragment that keeps the request's selection (a link back to it in the configurator)."""
    from connectplan.output.resolution import to_json
    from connectplan.web.api import json_response
    from connectplan.web.errors import error_document, field_label, status_of, web_message

    status = status_of(exc)
    response: Response
    if request.url.path.startswith("/api/"):
        response = json_response(to_json(error_document(exc)), status)
        return _unavailable_headers(response) if status == 503 else response
    template = "_error.html" if "hx-request" in request.headers else "error.html"
    context = {"error": web_message(exc), "status": status, "back": back_url(request, exc), "field": field_label(exc)}
    response = request.app.state.templates.TemplateResponse(request, template, context, status_code=status)
    return _unavailable_headers(response) if status == 503 else response


def handle_not_found(request: Request, exc: Exception) -> Response:
    """No route for this path: 404 with the site's error page (``{"error": {"kind": "not_found", ...}}``
    under /api/), leading back to the configurator and the plans."""
    from connectplan.output.resolution import to_json
    from connectplan.web.api import json_response

    message = f"there is no page at {request.url.path}; the configurator and the plans are linked above"
    if request.url.path.startswith("/api/"):
        return json_response(to_json({"error": {"kind": "not_found", "message": message}}), 404)
    template = "_error.html" if "hx-request" in request.headers else "error.html"
    context = {"error": message, "status": 404, "back": None, "field": None}
    response: Response = request.app.state.templates.TemplateResponse(request, template, context, status_code=404)
    return response


def _unavailable_headers(response: Response) -> Response:
    """A 503 (the store unreachable or busy) asks to retry soon and is never cached; the pool's pre-ping
    replaces dead connections, so a request after the database is back succeeds."""
    response.headers["Retry-After"] = "2"
    response.headers["Cache-Control"] = "no-store"
    return response


def back_url(request: Request, exc: BaseException) -> str | None:
    """Where the error page leads back to with the user's selection kept: for a form (POST), the
    configurator page it was sent from (htmx's ``HX-Current-URL``, else a same-origin ``Referer``);
    for a configurator URL, the same query without the parameter at fault (``exc.field``); for a
    comparison, the compare form with the sides not at fault; for a plan page, the plans."""
    from urllib.parse import urlencode, urlsplit

    if request.method == "POST":
        for header in ("hx-current-url", "referer"):
            parts = urlsplit(request.headers.get(header, ""))
            if parts.netloc == request.url.netloc and parts.path == "/" and parts.query:
                return "/?" + parts.query
        return None
    path = request.url.path
    if path.startswith(("/versions/", "/plans/")):
        return "/plans"
    if path not in ("/", "/partials/workspace", "/diff") or not request.url.query:
        return None
    field = getattr(exc, "field", None)
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != field]
    if path == "/diff":  # the compare form, with the sides that were not at fault
        return "/diff" + ("?" + urlencode(pairs) if field and pairs else "")
    if field is None or len(pairs) == len(request.query_params.multi_items()):
        return None  # nothing to leave out: the same URL would fail again
    # the page's previous state and a section move (issue 19's prev= and go=) are not part of the selection
    return "/?" + urlencode([(k, v) for k, v in pairs if k not in ("prev", "go")])


def handle_server_error(request: Request, exc: Exception) -> Response:
    """A bug: 500 with one line (the traceback goes to the log), with the security headers too (Starlette
    sends this response from outside the middleware stack)."""
    from starlette.responses import PlainTextResponse

    from connectplan.web.security import SecurityHeaders

    response = PlainTextResponse("500 Internal Server Error: the server failed; see its log\n", 500)
    for name, value in SecurityHeaders.HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


class NoSecretsInAccessLog:
    """A logging filter for uvicorn's access log: the query string of ``/login`` and of any request carrying a
    ``token`` parameter is cut off (the path stays)."""

    def filter(self, record: Any) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            path, _, query = args[2].partition("?")
            if path in ("/login", "/logout") or "token" in query.lower() or "secret" in query.lower():
                record.args = (*args[:2], path + "?[removed]", *args[3:])
        return True


def install_log_filter() -> None:
    """Add :class:`NoSecretsInAccessLog` to uvicorn's access logger (once)."""
    import logging

    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, NoSecretsInAccessLog) for f in logger.filters):
        logger.addFilter(NoSecretsInAccessLog())


def app_from_env() -> Starlette:
    """The factory each uvicorn worker calls: settings from ``$CONNECTPLAN_WEB_SETTINGS``, which is then
    removed from the environment, so no subprocess (Graphviz's ``dot``) inherits the token or the secret."""
    import os

    from connectplan.web.settings import ENV_VAR

    settings = WebSettings.from_env()
    os.environ.pop(ENV_VAR, None)
    os.environ.pop("CONNECTPLAN_TOKEN", None)
    return create_app(settings)
