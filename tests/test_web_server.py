"""The web configurator as a team server (issue 20): nothing blocks the event loop, the pool and the database
lifecycle, health checks, login and people, caching."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from webapp import client_for, new_store, post

from connectplan.web.routes import WRITE_ROUTES, routes

if TYPE_CHECKING:
    from collections.abc import Iterator

CAT = "stripe-connect@2024"
FULL = {
    "onboarding": "hosted",
    "dashboard": "full",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
}
BLOCKED = {**FULL, "dashboard": "express"}


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return new_store(tmp_path_factory.mktemp("webserver"))


# -- point 1: no SQL on the event loop ------------------------------------------------------------------------


@contextlib.contextmanager
def sql_on_the_event_loop() -> Iterator[list[str]]:
    """Every SQL statement executed on a thread that runs an event loop (the ASGI server's), while active."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    offenders: list[str] = []

    def check(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: fine
        offenders.append(" ".join(statement.split())[:120])

    event.listen(Engine, "before_cursor_execute", check)
    try:
        yield offenders
    finally:
        event.remove(Engine, "before_cursor_execute", check)


def _every_route_requests() -> list[tuple[str, str, Any]]:
    """(route name, method, path or form) covering every route of the app."""
    sel = urlencode({"catalog": CAT, **FULL})
    blocked = urlencode({"catalog": CAT, **BLOCKED})
    return [
        ("configure", "GET", f"/?{sel}"),
        ("configure", "GET", f"/?{blocked}"),
        ("partial_workspace", "GET", f"/partials/workspace?{sel}"),
        ("option_help", "GET", f"/help/dashboard/express?catalog={CAT}"),
        ("plan_list", "GET", "/plans"),
        ("plan_log", "GET", "/plans/acme"),
        ("plan_show", "GET", "/versions/acme@1"),
        ("plan_export", "GET", "/versions/acme@1/export.json"),
        ("plan_diff", "GET", "/diff?a=acme@1&b=acme@2"),
        ("diagram", "GET", f"/diagrams/steps.dot?{blocked}"),
        ("download_doc", "GET", "/download/doc.html?plan=acme@1"),
        ("download_prompt", "GET", f"/download/prompt.txt?{sel}"),
        ("api_resolve", "GET", f"/api/resolve?{blocked}"),
        ("api_explore", "GET", f"/api/explore?{sel}"),
        ("api_presets", "GET", f"/api/presets?catalog={CAT}"),
        ("api_plans", "GET", "/api/plans"),
        ("api_plan", "GET", "/api/plans/acme@2"),
        ("api_diff", "GET", "/api/diff?a=acme@1&b=acme@2"),
        ("healthz", "GET", "/healthz"),
        ("readyz", "GET", "/readyz"),
        ("favicon", "GET", "/favicon.ico"),
        ("static", "GET", "/static/app.css"),
        ("plan_new", "POST", ("/plans", {"name": "beta", "catalog": CAT, **FULL})),
        ("plan_set", "POST", ("/plans/acme/versions", {"base": "2", "message": "m", "allow_blocked": "1", **FULL})),
        ("plan_tag", "POST", ("/plans/acme/tag", {"ref": "acme@1", "tag": "first"})),
        ("plan_fork", "POST", ("/plans/acme/fork", {"ref": "acme@1", "new_name": "acme-fork"})),
        ("plan_upgrade", "POST", ("/plans/acme/upgrade", {"ref": "acme@1", "dry_run": "1"})),
        ("not_found", "GET", "/versions/nope@1"),
        ("bad_input", "GET", "/?dashboard=bogus"),
    ]


def test_the_event_loop_test_covers_every_route():
    covered = {name for name, _, _ in _every_route_requests()}
    assert {r.name for r in routes()} <= covered


def test_no_sql_statement_runs_on_the_event_loop_for_any_route(tmp_path):
    from connectplan.workspace import open_workspace

    url = new_store(tmp_path)
    with open_workspace(url) as ws:  # set-up outside the server
        ws.new_plan("acme", catalog=CAT, set=FULL, message="one")
        ws.set_plan("acme", {"charge_type": "destination"}, message="two", allow_blocked=True)
    with sql_on_the_event_loop() as offenders, client_for(url) as tc:  # the lifespan too (a cold Workspace)
        for name, method, target in _every_route_requests():
            if method == "GET":
                resp = tc.get(target)
            else:
                path, form = target
                resp = post(tc, path, form)
            assert resp.status_code < 500, (name, resp.status_code, resp.text[:300])
            assert not offenders, f"{name}: SQL on the event loop: {offenders}"
    assert not offenders


def test_the_hot_path_runs_no_query_once_warm(module_store):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with client_for(module_store) as tc:
        query = urlencode({"catalog": CAT, **FULL})
        assert tc.get(f"/?{query}").status_code == 200  # warm
        event.listen(Engine, "before_cursor_execute", count)
        try:
            assert tc.get(f"/?{query}").status_code == 200
            assert tc.get(f"/partials/workspace?{query}", headers={"HX-Request": "true"}).status_code == 200
            assert tc.get(f"/api/resolve?{query}").status_code == 200
        finally:
            event.remove(Engine, "before_cursor_execute", count)
    assert statements == []


def test_an_edition_imported_elsewhere_is_found_on_a_miss(tmp_path, monkeypatch):
    from conftest import tiny_doc

    import connectplan.store

    monkeypatch.setattr(connectplan.store, "EDITIONS_RECHECK", 0.0)  # else a miss re-reads at most once a second

    from connectplan.workspace import open_workspace

    url = new_store(tmp_path)
    path = tmp_path / "tiny.yaml"
    import yaml

    path.write_text(yaml.safe_dump(tiny_doc()), encoding="utf-8")
    with open_workspace(url) as ws, open_workspace(url) as other:
        before = {e.ref for e in ws.catalogs()}
        info, created = other.import_catalog(path)
        assert created and info.ref not in before
        assert ws.catalog(info.ref).ref == info.ref  # another process's import: found on a miss
        ws.import_catalog(path)  # no-op here, but a write: the list is read again
        assert info.ref in {e.ref for e in ws.catalogs()}


# -- a cold page does not delay /healthz -------------------------------------------------------------------


@contextlib.contextmanager
def live_server(app: Any) -> Iterator[int]:
    """uvicorn on a socket bound to 127.0.0.1:0 in a daemon thread (lifespan on); yields the port."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
    import http.client

    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body, time.perf_counter() - start


def test_a_cold_configurator_page_does_not_delay_concurrent_healthz(tmp_path):
    from connectplan.web.app import create_app
    from connectplan.web.settings import WebSettings

    url = new_store(tmp_path)
    app = create_app(WebSettings(url=url, port=8765, allowed_hosts=("127.0.0.1",)))
    with live_server(app) as port:
        idle = [_get(port, "/healthz")[2] for _ in range(30)]
        ratios = []
        for catalog in ("stripe-connect@2025", "stripe-connect@2026"):  # each a cold page: catalog read, SAT
            page: list[float] = []
            worker = threading.Thread(target=lambda c=catalog, p=page: p.append(_get(port, f"/?catalog={c}")[2]))
            worker.start()
            during = []
            while worker.is_alive():
                status, _, took = _get(port, "/healthz")
                assert status == 200
                during.append(took)
            worker.join()
            ratios.append(statistics.median(during) / statistics.median(idle))
            assert during and page
    # the loop answered /healthz while the page was computed in the thread pool (was ~50x with the page on the loop)
    assert max(ratios) <= 3.0, (ratios, statistics.median(idle))


# -- the route names ----------------------------------------------------------------------------------------


def test_write_routes_are_posts():
    names = {name for _, _, name in WRITE_ROUTES}
    assert names == {"plan_new", "plan_set", "plan_tag", "plan_fork", "plan_upgrade"}
