"""The web configurator's security rules (issue 12, point 5): bind, token, Host, CSRF, CSP, body size."""

from __future__ import annotations

import json
import re

import pytest
from webapp import BASE_URL, Page, client_for, csrf, new_store, post

from connectplan.cli import cli
from connectplan.web.security import COOKIE_NAME, CSP
from connectplan.web.settings import ENV_VAR, WebSettings, allowed_hosts_for, check_bind

CAT = "stripe-connect@2024"
FULL = "onboarding=hosted&dashboard=full&charge_type=direct&fee_payer=connected_account&liability=stripe"
TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return new_store(tmp_path_factory.mktemp("websec"))


@pytest.fixture(scope="module")
def tc(module_store):
    with client_for(module_store) as client:
        yield client


@pytest.fixture
def shared(module_store):
    """A server started with a token, reached from another machine."""
    with client_for(module_store, token=TOKEN, client=("10.1.2.3", 40000)) as client:
        yield client


# -- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/plans",
        "/healthz",
        "/static/app.css",
        "/api/plans",
        "/?dashboard=bogus",
        "/nope",
        f"/diagrams/steps.svg?catalog={CAT}&{FULL}",
    ],
)
def test_every_response_carries_the_csp_and_nosniff(tc, path):
    resp = tc.get(path)
    assert resp.headers["content-security-policy"] == CSP
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"


def test_csp_forbids_inline_script_and_style():
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CSP


def test_svg_is_served_as_an_svg_document(tc):
    resp = tc.get(f"/diagrams/liability.svg?catalog={CAT}&{FULL}")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/svg+xml"
    assert resp.headers["x-content-type-options"] == "nosniff"


# -- Host (DNS rebinding) ----------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "localhost.evil"])
def test_a_foreign_host_header_is_refused(tc, host):
    resp = tc.get("/", headers={"Host": host})
    assert resp.status_code == 400 and "Invalid host header" in resp.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "[::1]", "LOCALHOST"])
def test_loopback_host_names_are_served(tc, host):
    assert tc.get("/healthz", headers={"Host": host}).status_code == 200


def test_allowed_hosts_follow_the_bind():
    assert allowed_hosts_for("::1") == ("[::1]", "127.0.0.1", "localhost")
    wildcard = allowed_hosts_for("0.0.0.0", ("plans.example.com",))
    assert "localhost" in wildcard and "plans.example.com" in wildcard
    assert allowed_hosts_for("192.168.1.20") == ("192.168.1.20",)


# -- local-only and token --------------------------------------------------------------------------


def test_without_a_token_only_local_clients_are_served(module_store):
    with client_for(module_store, client=("10.9.8.7", 1234)) as remote:
        resp = remote.get("/healthz")
        assert resp.status_code == 403 and "local requests" in resp.text


def test_a_public_bind_needs_a_token():
    with pytest.raises(Exception, match="without a token"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "t")
    check_bind("::1", None)


def test_with_a_token_every_request_needs_it(shared):
    for path in ("/", "/healthz", "/api/plans", "/plans"):
        resp = shared.get(path)
        assert resp.status_code == 401, path
        assert "needs its access token" in resp.text
    assert shared.get("/static/app.css").status_code == 200  # public vendored files


def login(tc, token: str, nxt: str = "/", **fields: str):
    """The login form's POST, as a browser on this site sends it."""
    from urllib.parse import urlencode

    body = urlencode({"token": token, "next": nxt, **fields})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
    return tc.post("/login", content=body.encode(), headers=headers)


def test_login_posts_the_token_and_sets_a_strict_signed_cookie(shared):
    form = Page(shared.get("/login", params={"next": "/plans"}).text)
    assert form.tags("form")[0]["method"] == "post"  # the token never travels in a URL
    resp = login(shared, TOKEN, "/plans")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/plans"
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Max-Age=" in cookie and TOKEN not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    shared.cookies.set(COOKIE_NAME, value)
    try:
        assert shared.get("/plans").status_code == 200
    finally:
        shared.cookies.clear()


def test_a_token_in_the_url_logs_nobody_in(shared):
    resp = shared.get("/login", params={"token": TOKEN, "next": "/plans"})
    assert resp.status_code == 200 and "set-cookie" not in resp.headers


def test_a_wrong_token_or_cookie_is_refused(shared, module_store):
    assert shared.get("/", headers={"Cookie": f"{COOKIE_NAME}=forged"}).status_code == 401
    assert shared.get("/", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert login(shared, "nope-nope-nope-nope").status_code == 429  # right after a failure: throttled
    with client_for(module_store, token=TOKEN, client=("10.1.2.9", 1)) as other:
        resp = login(other, "nope-nope-nope-nope")
        assert resp.status_code == 401 and "do not match" in resp.text
        assert "set-cookie" not in resp.headers


def test_bearer_token_for_scripts(shared):
    resp = shared.get("/api/plans", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200 and "plans" in json.loads(resp.text)


@pytest.mark.parametrize(
    "nxt",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.test", "/\n/x", "/\r\nSet-Cookie: a=b"],
)
def test_login_never_redirects_off_site(module_store, nxt):
    with client_for(module_store, token=TOKEN, client=("10.1.2.4", 40000)) as tc:
        resp = login(tc, TOKEN, nxt)
        assert resp.status_code == 303 and resp.headers["location"] == "/"


def test_the_cookie_is_the_same_for_every_worker():
    a = WebSettings.for_bind(token=TOKEN)
    b = WebSettings.for_bind(token=TOKEN)
    assert a.session_key == b.session_key and a.csrf_token == b.csrf_token  # and after a restart


def test_settings_travel_to_workers_through_the_environment():
    settings = WebSettings.for_bind(url="sqlite:///x.db", host="0.0.0.0", port=9000, token=TOKEN, read_only=True)
    again = WebSettings.from_env({ENV_VAR: settings.to_env()})
    assert again == settings


# -- CSRF and same origin -----------------------------------------------------------------------


def _plan_fields():
    return [("name", "p1"), ("catalog", CAT), *(pair.split("=") for pair in FULL.split("&"))]


def test_a_post_without_the_csrf_token_is_refused(tc):
    resp = tc.post("/plans", data=dict(_plan_fields()), headers={"Sec-Fetch-Site": "same-origin"})
    assert resp.status_code == 403 and "CSRF" in resp.text


def test_a_post_with_a_wrong_csrf_token_is_refused(tc):
    fields = dict(_plan_fields(), csrf_token="0" * 64)
    assert tc.post("/plans", data=fields).status_code == 403
    assert tc.post("/plans", data=dict(_plan_fields()), headers={"X-CSRF-Token": "wrong"}).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:9999"},
        {"Origin": "null"},
    ],
)
def test_a_cross_origin_post_is_refused_even_with_the_token(tc, headers):
    resp = tc.post("/plans", data=dict(_plan_fields(), csrf_token=csrf(tc)), headers=headers)
    assert resp.status_code == 403


def test_a_same_origin_post_with_the_token_saves(module_store):
    with client_for(module_store) as client:
        resp = post(client, "/plans", _plan_fields())
        assert resp.status_code == 303
        resp = client.post(
            "/plans/p1/tag",
            data={"ref": "p1@1", "tag": "via-htmx"},
            headers={"X-CSRF-Token": csrf(client), "Origin": BASE_URL},
        )
        assert resp.status_code == 303


def test_get_never_writes(tc):
    assert tc.get("/plans/p9/tag?ref=p1@1&tag=x").status_code in (400, 404, 405)


# -- bodies -----------------------------------------------------------------------------------------


def test_oversized_bodies_are_refused(tc):
    big = "x" * (tc.app_settings.max_body_bytes + 1)
    resp = tc.post("/plans", content=big, headers={"X-CSRF-Token": csrf(tc)})
    assert resp.status_code == 413

    def stream():
        for _ in range(100):
            yield b"y" * 1024

    resp = tc.post("/plans", content=stream(), headers={"X-CSRF-Token": csrf(tc)})
    assert resp.status_code == 413


# -- serve --------------------------------------------------------------------------------------------


def test_serve_on_a_public_address_without_a_token_exits_2(runner, monkeypatch):
    monkeypatch.delenv("CONNECTPLAN_TOKEN", raising=False)
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "without a token" in lines[0] and "--token" in lines[0]


def test_serve_hands_uvicorn_the_factory_and_the_settings(runner, monkeypatch, tmp_path):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv(ENV_VAR, "")  # restored after the test; serve overwrites it
    monkeypatch.setenv("CONNECTPLAN_TOKEN", TOKEN)
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    result = runner.invoke(
        cli, ["--db", url, "serve", "--host", "0.0.0.0", "--port", "8123", "--workers", "3", "--read-only"]
    )
    assert result.exit_code == 0, result.output
    ((app, kw),) = calls
    assert app == "connectplan.web.app:app_from_env" and kw["factory"] is True
    assert (kw["host"], kw["port"], kw["workers"]) == ("0.0.0.0", 8123, 3)
    import os

    settings = WebSettings.from_env(dict(os.environ))
    assert settings.url == url and settings.token == TOKEN and settings.read_only is True
    assert TOKEN not in result.output


def test_serve_reports_a_store_it_cannot_open_in_one_line(runner, tmp_path):
    result = runner.invoke(cli, ["--db", f"sqlite:///{tmp_path / 'missing' / 'x.db'}", "serve"])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_login_page_escapes_next(shared):
    resp = shared.get("/login", params={"next": '/"><script>alert(1)</script>'})
    assert "<script>alert(1)</script>" not in resp.text
    assert Page(resp.text).tags("input")[0]["value"] == '/"><script>alert(1)</script>'


# -- the real server ----------------------------------------------------------------------------------


def _serve(url: str, cwd, *args: str):
    import subprocess
    import sys
    import time

    log = (cwd / "serve.log").open("w+", encoding="utf-8")
    env = {k: v for k, v in __import__("os").environ.items() if k not in (ENV_VAR, "CONNECTPLAN_TOKEN")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "connectplan", "--db", url, "serve", "--port", "0", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env=env,
    )
    deadline = time.monotonic() + 60
    while True:
        log.seek(0)
        text = log.read()
        found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", text)
        if found and ("--workers" not in args or "Started parent process" in text):
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"serve did not start: {text}")
        time.sleep(0.1)
    return proc, int(found.group(1)), log


def _http(port: int, method: str, path: str, *, host: str | None = None, body: str | None = None, headers=None):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    hdrs = {"Host": host or f"127.0.0.1:{port}", **(headers or {})}
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read().decode("utf-8", "replace")
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def _wait_healthy(port: int) -> None:
    import time

    deadline = time.monotonic() + 30
    while True:
        try:
            if _http(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("no /healthz")
        time.sleep(0.1)


def _stop(proc, log) -> str:
    import signal

    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert proc.wait(timeout=30) == 0
    log.seek(0)
    text = log.read()
    log.close()
    assert "Traceback" not in text, text
    return text


def test_connectplan_serve_on_a_fresh_store_meets_the_acceptance_checks(tmp_path, runner):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    proc, port, log = _serve(url, tmp_path)
    try:
        _wait_healthy(port)
        status, headers, body = _http(port, "GET", "/healthz")
        assert (status, body) == (200, "ok\n")
        status, headers, _ = _http(port, "GET", "/")
        assert status == 200 and headers["content-security-policy"] == CSP
        assert _http(port, "GET", "/", host="evil.example")[0] == 400
        form = "name=x&catalog=stripe-connect%402024&" + FULL
        ctype = {"Content-Type": "application/x-www-form-urlencoded"}
        assert _http(port, "POST", "/plans", body=form, headers=ctype)[0] == 403
        status, _, api = _http(port, "GET", f"/api/resolve?catalog={CAT}&{FULL}")
        cli_out = runner.invoke(
            cli,
            [
                "--db",
                url,
                "resolve",
                "--catalog",
                CAT,
                *[a for p in FULL.split("&") for a in ("--set", p)],
                "--format",
                "json",
            ],
        ).stdout
        assert status == 200 and api == cli_out
    finally:
        text = _stop(proc, log)
    assert "Finished server process" in text
    assert re.search(r'INFO: +127\.0\.0\.1:\d+ - "GET /healthz HTTP/1\.1" 200', text)  # uvicorn's access log format


@pytest.mark.postgres
def test_several_workers_on_postgresql_share_every_save(tmp_path, pg_cluster):
    pg_url = pg_cluster.new_store()  # at schema head with the built-in catalogs
    proc, port, log = _serve(pg_url, tmp_path, "--workers", "2")
    try:
        _wait_healthy(port)
        status, _, page = _http(port, "GET", "/")
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page) or re.search(
            r'"X-CSRF-Token": "([0-9a-f]{64})"', page
        )
        assert token, "the page carries the run's CSRF token"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token.group(1)}
        for i in range(6):  # the requests spread over both workers; each must see the others' saves
            body = f"name=team-{i}&catalog=stripe-connect%402024&{FULL}"
            status, _, text = _http(port, "POST", "/plans", body=body, headers=headers)
            assert status == 303, text
            status, _, plans = _http(port, "GET", "/api/plans")
            assert {p["name"] for p in json.loads(plans)["plans"]} >= {f"team-{j}" for j in range(i + 1)}
    finally:
        _stop(proc, log)
