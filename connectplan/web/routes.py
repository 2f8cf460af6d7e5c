"""The one table of routes (each with a ``name``); ``--read-only`` is applied here, not in the views."""

from __future__ import annotations

import contextlib
import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from connectplan.web import api, blueprint, figures, forms, history, views

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.routing import BaseRoute
    from starlette.types import Scope

__all__ = ["STATIC_DIR", "WRITE_ROUTES", "HashedStatic", "routes", "static_url"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: how long a browser keeps a static file whose URL names its content hash
IMMUTABLE = "public, max-age=31536000, immutable"


@functools.cache
def static_hash(name: str) -> str:
    """The first 12 hex digits of a static file's sha256 (read once per process)."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """``/static/NAME?v=HASH``: the URL changes with the content, so it may be cached for a year."""
    return f"/static/{name}?v={static_hash(name)}"


class HashedStatic(StaticFiles):
    """Static files; a request whose ``v=`` is the file's content hash is cacheable for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        from urllib.parse import parse_qs

        response = await super().get_response(path, scope)
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        fresh = False
        if given and response.status_code == 200:
            with contextlib.suppress(OSError, ValueError):
                fresh = given == await run_in_threadpool(static_hash, path)
        response.headers["Cache-Control"] = IMMUTABLE if fresh else "no-cache"
        return response


#: (path, endpoint, name) of the state-changing routes: POST only, CSRF-checked, absent in read-only mode
WRITE_ROUTES = (
    ("/plans", forms.post_new_plan, "plan_new"),
    ("/plans/{name}/versions", forms.post_new_version, "plan_set"),
    ("/plans/{name}/tag", forms.post_tag, "plan_tag"),
    ("/plans/{name}/fork", forms.post_fork, "plan_fork"),
    ("/plans/{name}/upgrade", forms.post_upgrade, "plan_upgrade"),
)


def routes(*, read_only: bool = False) -> list[BaseRoute]:
    """Every route of the app; in read-only mode each write route answers 403."""
    table: list[BaseRoute] = [
        Route("/", views.page_configure, name="configure"),
        Route("/partials/workspace", views.partial_workspace, name="partial_workspace"),
        Route("/partials/figures", views.partial_figures, name="partial_figures"),
        Route("/partials/explain", views.partial_explain, name="partial_explain"),
        Route("/help/{prop}/{option}", views.page_option_help, name="option_help"),
        Route("/plans", history.page_plan_list, name="plan_list", methods=["GET"]),
        Route("/plans/{name}", history.page_plan_log, name="plan_log"),
        Route("/versions/{ref}", history.page_version, name="plan_show"),
        Route("/versions/{ref}/export.json", views.download_export, name="plan_export"),
        Route("/versions/{ref}/blueprint", blueprint.page_blueprint, name="plan_blueprint"),
        Route("/diff", history.page_diff, name="plan_diff"),
        Route("/diagrams/{kind}.{format}", figures.diagram, name="diagram"),
        Route("/figures/{kind}", figures.page_figure, name="figure"),
        Route("/download/doc.{format}", views.download_doc, name="download_doc"),
        Route("/download/prompt.txt", views.download_prompt, name="download_prompt"),
        Route("/api/resolve", api.api_resolve, name="api_resolve"),
        Route("/api/explore", api.api_explore, name="api_explore"),
        Route("/api/presets", api.api_presets, name="api_presets"),
        Route("/api/plans", api.api_plans, name="api_plans"),
        Route("/api/plans/{ref}", api.api_plan, name="api_plan"),
        Route("/api/diff", api.api_diff, name="api_diff"),
        Route("/healthz", views.healthz, name="healthz"),
        Route("/readyz", views.readyz, name="readyz"),
        Route("/favicon.ico", views.favicon, name="favicon"),
        Mount("/static", app=HashedStatic(directory=STATIC_DIR), name="static"),
    ]
    for path, endpoint, name in WRITE_ROUTES:
        table.append(Route(path, forms.read_only if read_only else endpoint, name=name, methods=["POST"]))
    return table
