"""A local stand-in for Stripe's API on 127.0.0.1, for ``connectplan verify`` tests (no internet).

The real ``stripe`` package talks to it through ``StripeClient(base_addresses={"api": server.base})``
(or ``CONNECTPLAN_STRIPE_API_BASE`` for the command line). It answers the requests ``verify`` makes
with account objects written for the tests, in Stripe's response shapes:

- ``GET /v1/accounts`` (a v1 list: ``object: list``, ``has_more``; pages by ``starting_after``) and
  ``GET /v1/accounts/{id}``;
- ``GET /v2/core/accounts`` (a v2 list: ``data``, ``next_page_url``, ``previous_page_url``) and
  ``GET /v2/core/accounts/{id}`` (with ``include``);
- ``GET /v1/balance_settings`` for the account named by the ``Stripe-Account`` header.

Pages hold at most :attr:`FakeStripe.page_size` accounts whatever ``limit`` asks (as a server
maximum would), so a handful of accounts spans several pages.

Every request is checked before it is answered: the ``Authorization: Bearer`` key, the method and
path, and every query parameter against the SDK's typed request parameters
(:func:`connectplan.stripe_api.check_request`); a failure is recorded in :attr:`FakeStripe.invalid`
(the tests assert it stays empty) and answered 400. The one parameter not checked is ``page``, the
opaque token this server itself writes into ``next_page_url`` (the SDK sends that URL back as given).

``fail`` makes it answer like Stripe in trouble: ``"401"``, ``"403"`` (Stripe-style error bodies),
``"429-once"`` (one 429 with ``Stripe-Should-Retry: true``, then normal answers), ``"429-twice"``
(two 429s without that header, then normal answers), ``"429"`` (every request), ``"500"`` (every
request), ``"drop"`` (close the connection without an answer, every request).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connectplan.stripe_api import check_request

_INDEXED = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")


def query_params(query: str) -> dict[str, Any]:
    """The SDK's form-encoded query (``include[0]=a&include[1]=b``, ``a[b]=c``) as dotted names -> values.

    Indexed names become lists; ``true``/``false`` booleans and digit strings whole numbers (what
    the typed parameters hold).
    """
    params: dict[str, Any] = {}
    for key, raw in parse_qsl(query, keep_blank_values=True):
        value: Any = raw
        if raw in ("true", "false"):
            value = raw == "true"
        elif raw.isdigit():
            value = int(raw)
        m = _INDEXED.match(key)
        if m:
            parts = re.findall(r"\[([^\[\]]*)\]", m[2])
            if parts and parts[-1].isdigit():
                name = ".".join([m[1], *parts[:-1]])
                params.setdefault(name, []).append(value)
                continue
            key = ".".join([m[1], *parts])
        params[key] = value
    return params


class FakeStripe:
    """The server: accounts by family, Balance Settings by account id, what went wrong, what was asked."""

    page_size = 2

    def __init__(
        self,
        *,
        key: str,
        v1_accounts: list[dict[str, Any]] | None = None,
        v2_accounts: list[dict[str, Any]] | None = None,
        balance_settings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.key = key
        self.v1_accounts = v1_accounts or []
        self.v2_accounts = v2_accounts or []
        self.balance_settings = balance_settings or {}
        self.fail: str | None = None
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.invalid: list[str] = []
        self.failures_sent = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        # shutdown() waits for serve_forever's next poll: 0.05 s instead of the default 0.5 s per test
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- answering ----------------------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """``(status, extra headers, JSON body)`` for one request; None as body drops the connection."""
        url = urlsplit(target)
        params = query_params(url.query)
        with self._lock:
            self.requests.append((method, url.path, params))
            mode = self.fail
            limited = {"429-once": 1, "429-twice": 2, "429": len(self.requests)}.get(mode or "", 0)
            if self.failures_sent < limited:
                self.failures_sent += 1
                headers = {"Stripe-Should-Retry": "true"} if mode == "429-once" else {}
                return 429, headers, _error("rate_limit_error", "Too many requests.", "rate_limit")
        if mode == "drop":
            return 0, {}, None
        if mode == "500":
            return 500, {}, _error("api_error", "An unknown error occurred.")
        if headers.get("authorization") != f"Bearer {self.key}" or mode == "401":
            return 401, {}, _error("invalid_request_error", "Invalid API Key provided: sk_test_****")
        if mode == "403":
            return 403, {}, _error("invalid_request_error", "The provided key does not have access to accounts.")
        problem = self.validate(method, url.path, params)
        if problem:
            self.invalid.append(problem)
            return 400, {}, _error("invalid_request_error", problem)
        return self.route(url.path, params, headers)

    def validate(self, method: str, path: str, params: dict[str, Any]) -> str | None:
        api = "v2" if path.startswith("/v2/") else "v1"
        checked = {k: v for k, v in params.items() if not (api == "v2" and k == "page")}
        generic = re.sub(r"^(/v1/accounts|/v2/core/accounts)/[^/]+$", r"\1/{id}", path)
        problems = check_request(api, method, generic, checked)
        return "; ".join(p.message for p in problems) or None

    def route(self, path: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if path == "/v1/accounts":
            return 200, {}, self._v1_page(params)
        if path == "/v2/core/accounts":
            return 200, {}, self._v2_page(params)
        if path == "/v1/balance_settings":
            account = headers.get("stripe-account", "")
            if account not in self.balance_settings:
                return 404, {}, _error("invalid_request_error", f"No such account: '{account}'", "resource_missing")
            return 200, {}, self.balance_settings[account]
        for prefix, accounts in (("/v1/accounts/", self.v1_accounts), ("/v2/core/accounts/", self.v2_accounts)):
            if path.startswith(prefix):
                ident = path.removeprefix(prefix)
                found = [a for a in accounts if a.get("id") == ident]
                if found:
                    return 200, {}, found[0]
                return 404, {}, _error("invalid_request_error", f"No such account: '{ident}'", "resource_missing")
        return 404, {}, _error("invalid_request_error", f"Unrecognized request URL (GET: {path}).")

    def _v1_page(self, params: dict[str, Any]) -> dict[str, Any]:
        start = 0
        after = params.get("starting_after")
        if after:
            start = 1 + next(i for i, a in enumerate(self.v1_accounts) if a["id"] == after)
        size = min(int(params.get("limit", 10)), self.page_size)
        page = self.v1_accounts[start : start + size]
        more = start + size < len(self.v1_accounts)
        return {"object": "list", "url": "/v1/accounts", "has_more": more, "data": page}

    def _v2_page(self, params: dict[str, Any]) -> dict[str, Any]:
        start = int(params.get("page", 0))
        size = min(int(params.get("limit", 10)), self.page_size)
        page = [{k: a[k] for k in a if k in _V2_LIST_FIELDS} for a in self.v2_accounts[start : start + size]]
        more = start + size < len(self.v2_accounts)
        nxt = f"/v2/core/accounts?limit={size}&page={start + size}" if more else None
        return {"data": page, "next_page_url": nxt, "previous_page_url": None}


#: what a v2 list item carries without ``include`` (configuration, defaults, identity, requirements need it)
_V2_LIST_FIELDS = frozenset(
    {"id", "object", "applied_configurations", "closed", "contact_email", "created", "dashboard", "display_name"}
    | {"livemode", "metadata"}
)


def _error(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    return {"error": body}


def _handler(server: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = server.answer(method, self.path, headers)
            if body is None:  # a dropped connection: no status line at all
                self.close_connection = True
                return
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{len(server.requests)}")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read what they need
            pass

    return Handler
