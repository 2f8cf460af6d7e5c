"""The JSON twins (``api_*``): the same documents as the CLI's ``--format json``, byte for byte.

Each builds its document with the output layer's function and writes it with the CLI's
``to_json``; nothing here assembles JSON by hand. Every view is a plain ``def``: Starlette runs it in its
thread pool, so no SQL runs on the event loop (see :mod:`connectplan.web.views`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response

from connectplan.web.params import BadRequest, catalog_of, parse_selection

if TYPE_CHECKING:
    from starlette.requests import Request

    from connectplan.engine import Catalog
    from connectplan.web.params import Selection
    from connectplan.workspace import Workspace

__all__ = ["api_diff", "api_explore", "api_plan", "api_plans", "api_presets", "api_resolve", "json_response"]

MEDIA_TYPE = "application/json"


def json_response(text: str, status: int = 200) -> Response:
    return Response(text.encode("utf-8"), status_code=status, media_type=MEDIA_TYPE)


def _ws(request: Request) -> Workspace:
    return request.state.ws  # type: ignore[no-any-return]


def _selection(request: Request) -> tuple[Catalog, Selection]:
    pairs = list(request.query_params.multi_items())
    catalog = _ws(request).catalog(catalog_of(pairs))
    return catalog, parse_selection(pairs, catalog)


def api_resolve(request: Request) -> Response:
    from connectplan.output.resolution import format_resolution

    catalog, sel = _selection(request)
    res = _ws(request).resolve(catalog=catalog, preset=sel.preset, set=sel.mapping)
    return json_response(format_resolution(res, "json"))


def api_explore(request: Request) -> Response:
    from connectplan.output.exploration import format_exploration

    catalog, sel = _selection(request)
    result = _ws(request).explore(catalog=catalog, preset=sel.preset, set=sel.mapping)
    return json_response(format_exploration(result, "json"))


def api_presets(request: Request) -> Response:
    from connectplan.output.catalogs import format_presets

    catalog, resolutions = _ws(request).presets(request.query_params.get("catalog") or None)
    return json_response(format_presets(catalog, resolutions, "json"))


def api_plans(request: Request) -> Response:
    from connectplan.output.plans import format_plan_list

    stale = request.query_params.get("stale", "") in ("1", "true")
    return json_response(format_plan_list(_ws(request).plans(stale_only=stale), "json"))


def api_plan(request: Request) -> Response:
    from connectplan.output.plans import format_plan_version

    view = _ws(request).plan(request.path_params["ref"])
    return json_response(format_plan_version(view.record, view.resolution, "json"))


def api_diff(request: Request) -> Response:
    from connectplan.output.plans import format_diff

    a, b = request.query_params.get("a", "").strip(), request.query_params.get("b", "").strip()
    if not a or not b:
        raise BadRequest("give two plan versions: /api/diff?a=REF&b=REF", "a" if not a else "b")
    return json_response(format_diff(_ws(request).diff(a, b), "json"))
