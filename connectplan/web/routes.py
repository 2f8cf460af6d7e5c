"""The one table of routes (each with a ``name``); ``--read-only`` is applied here, not in the views."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from connectplan.web import api, views

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = ["STATIC_DIR", "WRITE_ROUTES", "routes"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: (path, endpoint, name) of the state-changing routes: POST only, CSRF-checked, absent in read-only mode
WRITE_ROUTES = (
    ("/plans", views.post_new_plan, "plan_new"),
    ("/plans/{name}/versions", views.post_new_version, "plan_set"),
    ("/plans/{name}/tag", views.post_tag, "plan_tag"),
    ("/plans/{name}/fork", views.post_fork, "plan_fork"),
    ("/plans/{name}/upgrade", views.post_upgrade, "plan_upgrade"),
)


def routes(*, read_only: bool = False) -> list[BaseRoute]:
    """Every route of the app; in read-only mode each write route answers 403."""
    table: list[BaseRoute] = [
        Route("/", views.page_configure, name="configure"),
        Route("/partials/workspace", views.partial_workspace, name="partial_workspace"),
        Route("/help/{prop}/{option}", views.page_option_help, name="option_help"),
        Route("/plans", views.page_plan_list, name="plan_list", methods=["GET"]),
        Route("/plans/{name}", views.page_plan_log, name="plan_log"),
        Route("/versions/{ref}", views.page_version, name="plan_show"),
        Route("/versions/{ref}/export.json", views.download_export, name="plan_export"),
        Route("/diff", views.page_diff, name="plan_diff"),
        Route("/diagrams/{kind}.{format}", views.diagram, name="diagram"),
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
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    for path, endpoint, name in WRITE_ROUTES:
        table.append(Route(path, views.read_only if read_only else endpoint, name=name, methods=["POST"]))
    return table
