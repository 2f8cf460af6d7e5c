"""Security middleware, as small pure-ASGI classes (no ``BaseHTTPMiddleware``).

Wired once in :func:`connectplan.web.app.create_app`, outermost first:

- :class:`SecurityHeaders`  a strict Content-Security-Policy, ``nosniff``, no framing, no referrer;
- ``TrustedHostMiddleware`` (Starlette) the ``Host`` header against the bound names (DNS rebinding);
- :class:`TokenAuth`        with users or a token: the login form POSTs to ``/login``, which sets a signed,
  expiring session cookie (throttled per address), or ``Authorization: Bearer``; without: only loopback clients;
- :class:`BodyLimit`        request bodies above a size are refused (413);
- :class:`CrossOriginGuard` every POST is same-origin (``Sec-Fetch-Site`` / ``Origin``) and carries
  the CSRF token (``X-CSRF-Token`` header or ``csrf_token`` form field).
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool

from connectplan.web.settings import is_loopback

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from connectplan.web.settings import WebSettings

__all__ = [
    "COOKIE_NAME",
    "CSP",
    "BodyLimit",
    "CrossOriginGuard",
    "LoginThrottle",
    "RequestLog",
    "SecurityHeaders",
    "TokenAuth",
    "cross_origin",
    "safe_next",
]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
COOKIE_NAME = "connectplan_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: paths served without a session: the login itself and the public, vendored static files
PUBLIC_PREFIXES = ("/login", "/static/", "/favicon.ico")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


async def _plain(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = (text + "\n").encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _too_many(send: Send, address: str, wait: float) -> None:
    """429 with ``Retry-After``: ``address`` failed to log in too often."""
    text = f"too many failed logins from {address}; try again in {wait:.0f} s"
    await _plain(send, 429, text, [(b"retry-after", str(int(wait) + 1).encode())])


class SecurityHeaders:
    """Adds the CSP and the hardening headers to every HTTP response (unless the response set its own)."""

    HEADERS = (
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def safe_next(value: str | None) -> str:
    r"""``value`` when it is a path on this site, else ``/``: no scheme, no host, no backslash and no control
    character (``value`` is already percent-decoded; browsers drop tabs and newlines, so ``/\t/evil.test``
    would become ``//evil.test``).

    >>> [safe_next(v) for v in ("/plans?x=1", "//evil.test", "/\t/evil.test", "/\n/x", "https://e.test", "/\\e")]
    ['/plans?x=1', '/', '/', '/', '/', '/']
    """
    from urllib.parse import urlsplit

    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value) or not value.isprintable():
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


class LoginThrottle:
    """Failed logins per client address: each failure doubles the wait before the next attempt
    (0.5 s, 1 s, 2 s, ... up to :attr:`MAX_DELAY`); a success forgets the address. Bounded."""

    FIRST_DELAY = 0.5
    MAX_DELAY = 60.0
    MAX_ADDRESSES = 10_000

    def __init__(self) -> None:
        self.failures: dict[str, tuple[int, float]] = {}

    def wait(self, address: str, now: float) -> float:
        """Seconds ``address`` must still wait before its next attempt (0: it may try now)."""
        _, allowed = self.failures.get(address, (0, 0.0))
        return max(0.0, allowed - now)

    def failed(self, address: str, now: float) -> None:
        count, _ = self.failures.pop(address, (0, 0.0))
        if len(self.failures) >= self.MAX_ADDRESSES:
            self.failures.pop(next(iter(self.failures)))
        delay = min(self.FIRST_DELAY * 2**count, self.MAX_DELAY)
        self.failures[address] = (count + 1, now + delay)

    def succeeded(self, address: str) -> None:
        self.failures.pop(address, None)


class TokenAuth:
    """With a token or a users file, every request needs a session cookie or ``Authorization: Bearer TOKEN``.

    ``GET /login`` shows a form that POSTs the token (never in a URL) to ``/login``; a right token
    sets a signed session cookie (the user's name and an expiry, signed with the server's secret;
    ``HttpOnly; SameSite=Strict``) and answers 303 to ``next`` (a path on this site). Failed logins
    are throttled per client address (429 with ``Retry-After``, a growing delay). ``POST /logout``
    ends the session. Without a token or users the server is local-only: a client that is not
    loopback gets 403. ``scope["state"]["user"]`` is the logged-in user's name (``None`` for the
    shared token and for a local-only server).
    """

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        from connectplan.web.users import Sessions

        self.app = app
        self.settings = settings
        self.token = settings.token
        self.users = settings.user_table()
        self.sessions = Sessions(settings.session_key, settings.session_max_age)
        self.throttle = LoginThrottle()
        self.bearer_cache: dict[bytes, str | None] = {}

    @property
    def protected(self) -> bool:
        return bool(self.token or self.users)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["user"] = None
        if not self.protected:
            client = scope.get("client")
            if client is None or not is_loopback(client[0]):
                await _plain(send, 403, "this server only answers local requests; start it with --users to share it")
                return
            if not self.settings.forwarded_allow_ips and (
                _header(scope, b"x-forwarded-for") is not None or _header(scope, b"forwarded") is not None
            ):  # a proxy on this host would make every client look local
                await _plain(
                    send,
                    403,
                    "refused a proxied request: a local-only server behind a proxy would serve everyone; "
                    "start it with --users (or a token) and --forwarded-allow-ips",
                )
                return
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == "/login":
            if scope["method"] == "POST":
                await self.login(scope, receive, send)
            else:
                await self.login_page(scope, send, status=200)
            return
        if path == "/logout" and scope["method"] == "POST":
            await self.logout(scope, send)
            return
        if path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        bearer = (_header(scope, b"authorization") or "").startswith("Bearer ")
        address = (scope.get("client") or ("unknown", 0))[0]
        if bearer:  # a script's token: throttled like the login form
            wait = self.throttle.wait(address, time.monotonic())
            if wait > 0:
                await _too_many(send, address, wait)
                return
        # checking a token runs a key-derivation function: on the thread pool, never on the event loop
        who = await run_in_threadpool(self.authorized, scope) if bearer else self.authorized(scope)
        if bearer and who is None:
            self.throttle.failed(address, time.monotonic())
        if who is None:
            await self.login_page(scope, send)
            return
        state["user"] = who or None
        await self.app(scope, receive, send)

    def check_token(self, name: str, given: str) -> str | None:
        """The user ``given`` logs in as (``""`` for the shared token), or None."""
        from connectplan.web.users import verify

        if not given:
            return None
        if self.users:
            if name and name in self.users and verify(given, self.users[name]):
                return name
            if not name:
                for user, stored in self.users.items():
                    if verify(given, stored):
                        return user
        if self.token and hmac.compare_digest(given.encode(), self.token.encode()):
            return ""
        return None

    def authorized(self, scope: Scope) -> str | None:
        """The request's user (``""``: the shared token), or None when it is not logged in."""
        import hashlib

        auth = _header(scope, b"authorization") or ""
        if auth.startswith("Bearer "):
            key = hashlib.sha256(auth[7:].encode()).digest()
            if key not in self.bearer_cache:
                if len(self.bearer_cache) > 1000:
                    self.bearer_cache.clear()
                self.bearer_cache[key] = self.check_token("", auth[7:])
            return self.bearer_cache[key]
        for part in (_header(scope, b"cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE_NAME:
                user = self.sessions.user_of(value)
                if user is not None and ((user == "" and self.token) or user in self.users):
                    return user
        return None

    async def login(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = cross_origin(scope)
        if problem:
            await _plain(send, 403, problem)
            return
        address = (scope.get("client") or ("unknown", 0))[0]
        now = time.monotonic()
        wait = self.throttle.wait(address, now)
        if wait > 0:
            await _too_many(send, address, wait)
            return
        body = b""
        more = True
        while more and len(body) <= 4096:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        fields = {k: v[0] for k, v in parse_qs(body[:4096].decode("utf-8", "replace")).items()}
        nxt = safe_next(fields.get("next"))
        user = await run_in_threadpool(self.check_token, fields.get("user", "").strip(), fields.get("token", ""))
        if user is None:
            self.throttle.failed(address, now)
            await self.login_page(scope, send, wrong=True, next_path=nxt)
            return
        self.throttle.succeeded(address)
        cookie = self.sessions.cookie(user, secure=scope.get("scheme") == "https")
        await self._redirect(send, nxt, cookie)

    async def logout(self, scope: Scope, send: Send) -> None:
        problem = cross_origin(scope)
        if problem:
            await _plain(send, 403, problem)
            return
        await self._redirect(send, "/login", f"{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")

    @staticmethod
    async def _redirect(send: Send, location: str, cookie: str) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("utf-8")),
                    (b"set-cookie", cookie.encode()),
                    (b"content-length", b"0"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def login_page(
        self, scope: Scope, send: Send, *, wrong: bool = False, status: int = 401, next_path: str | None = None
    ) -> None:
        """The login form (static markup: nothing from the request is echoed but ``next``, escaped)."""
        from html import escape

        path = next_path or scope.get("path", "/")
        if scope.get("path") == "/login" and next_path is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            path = safe_next((query.get("next") or ["/"])[0])
        elif next_path is None and scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
        path = safe_next(path)
        problem = "<p role='alert'>That user and token do not match.</p>" if wrong else ""
        user_field = (
            "<label for='user'>User</label> <input id='user' name='user' autocomplete='username'> "
            if self.users
            else ""
        )
        body = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>connectplan: log in</title>"
            "<link rel='stylesheet' href='/static/app.css'></head><body><main class='login'>"
            f"<h1>connectplan</h1><p>This server needs its access token.</p>{problem}"
            "<form method='post' action='/login'>"
            f"<input type='hidden' name='next' value='{escape(path, quote=True)}'>{user_field}"
            "<label for='token'>Token</label> <input id='token' name='token' type='password' "
            "autocomplete='current-password'> <button type='submit'>Log in</button></form></main></body></html>"
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="connectplan"'),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RequestLog:
    """``--log-format json``: one JSON line per request on stderr, with a request id (the client's
    ``X-Request-ID`` when it is a plain token, else a new one, echoed in the response), the method,
    the path (never the query string), the status, the duration in ms, the user and the client address."""

    def __init__(self, app: ASGIApp, stream: Any = None) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import json
        import re
        import sys
        import uuid

        given = _header(scope, b"x-request-id") or ""
        request_id = given if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", given) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            record = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "request_id": request_id,
                "method": scope.get("method"),
                "route": scope.get("path"),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user": scope.get("state", {}).get("user"),
                "client": (scope.get("client") or (None,))[0],
            }
            stream = self.stream or sys.stderr
            stream.write(json.dumps(record) + "\n")
            stream.flush()


class BodyLimit:
    """Refuses request bodies larger than ``limit`` bytes with 413 (by ``Content-Length`` or as they stream)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _plain(send, 413, f"request body too large: at most {self.limit} bytes")
            return
        # read the whole (bounded) body first, so an oversized stream is refused before the app runs
        chunks: list[bytes] = []
        size = 0
        more = scope["method"] in UNSAFE_METHODS or length is not None
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _plain(send, 413, f"request body too large: at most {self.limit} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        scope.setdefault("state", {})["body"] = body
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def cross_origin(scope: Scope) -> str | None:
    """Why a state-changing request is not same-origin, or None (``Sec-Fetch-Site``, else ``Origin``)."""
    site = _header(scope, b"sec-fetch-site")
    if site is not None:
        return None if site in ("same-origin", "none") else f"refused a {site} request: writes must come from this page"
    origin = _header(scope, b"origin")
    if origin is None:
        return None
    host = _header(scope, b"host") or ""
    if origin.lower() != f"{scope.get('scheme', 'http')}://{host}".lower():
        return "refused a request from another origin: writes must come from this page"
    return None


class CrossOriginGuard:
    """Every state-changing request is same-origin and carries the run's CSRF token.

    Same origin: ``Sec-Fetch-Site`` is ``same-origin`` or ``none`` when the browser sends it, else
    ``Origin`` equals this server's scheme, host and port when sent. The token comes in the
    ``X-CSRF-Token`` header (htmx, from ``data-hx-headers`` on ``<body>``) or the ``csrf_token`` field
    of a URL-encoded form (no JavaScript). Needs :class:`BodyLimit` inside the stack above it.
    """

    def __init__(self, app: ASGIApp, csrf_token: str) -> None:
        self.app = app
        self.csrf_token = csrf_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        problem = self.cross_origin(scope) or self.missing_token(scope)
        if problem:
            await _plain(send, 403, problem)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def cross_origin(scope: Scope) -> str | None:
        return cross_origin(scope)

    def missing_token(self, scope: Scope) -> str | None:
        given = _header(scope, b"x-csrf-token")
        if given is None:
            content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if content_type == "application/x-www-form-urlencoded":
                body = scope.get("state", {}).get("body", b"")
                given = (parse_qs(body.decode("utf-8", "replace")).get("csrf_token") or [None])[0]
        if not given or not hmac.compare_digest(given.encode(), self.csrf_token.encode()):
            return "refused: missing or wrong CSRF token; reload the page and try again"
        return None
