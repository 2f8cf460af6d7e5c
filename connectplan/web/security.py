"""Security middleware, as small pure-ASGI classes (no ``BaseHTTPMiddleware``).

Wired once in :func:`connectplan.web.app.create_app`, outermost first:

- :class:`SecurityHeaders`  a strict Content-Security-Policy, ``nosniff``, no framing, no referrer;
- ``TrustedHostMiddleware`` (Starlette) the ``Host`` header against the bound names (DNS rebinding);
- :class:`TokenAuth`        with a token: ``/login?token=`` sets a session cookie, or ``Authorization:
  Bearer``; without one: only loopback clients;
- :class:`BodyLimit`        request bodies above a size are refused (413);
- :class:`CrossOriginGuard` every POST is same-origin (``Sec-Fetch-Site`` / ``Origin``) and carries
  the CSRF token (``X-CSRF-Token`` header or ``csrf_token`` form field).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from connectplan.web.settings import is_loopback

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from connectplan.web.settings import WebSettings

__all__ = [
    "COOKIE_NAME",
    "CSP",
    "BodyLimit",
    "CrossOriginGuard",
    "SecurityHeaders",
    "TokenAuth",
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


class TokenAuth:
    """With a token, every request needs the session cookie or ``Authorization: Bearer TOKEN``.

    ``GET /login?token=T`` compares ``T`` in constant time, sets the cookie (``HttpOnly;
    SameSite=Strict``) and answers 303 to ``next`` (a local path) so the token leaves the URL.
    Without a token the server is local-only: a client that is not loopback gets 403.
    """

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.token = settings.token
        self.cookie = settings.session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.token is None:
            client = scope.get("client")
            if client is None or not is_loopback(client[0]):
                await _plain(send, 403, "this server only answers local requests; start it with --token to share it")
                return
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == "/login":
            await self.login(scope, send)
            return
        if path.startswith(PUBLIC_PREFIXES) or self.authorized(scope):
            await self.app(scope, receive, send)
            return
        await self.login_page(scope, send)

    def authorized(self, scope: Scope) -> bool:
        assert self.token is not None and self.cookie is not None
        auth = _header(scope, b"authorization") or ""
        if auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].encode(), self.token.encode()):
            return True
        for part in (_header(scope, b"cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE_NAME and hmac.compare_digest(value.encode(), self.cookie.encode()):
                return True
        return False

    async def login(self, scope: Scope, send: Send) -> None:
        assert self.token is not None and self.cookie is not None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0]
        nxt = (query.get("next") or ["/"])[0]
        if not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
            nxt = "/"
        if not given or not hmac.compare_digest(given.encode(), self.token.encode()):
            await self.login_page(scope, send, wrong=bool(given))
            return
        cookie = f"{COOKIE_NAME}={self.cookie}; Path=/; HttpOnly; SameSite=Strict"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", nxt.encode("latin-1", "replace")),
                    (b"set-cookie", cookie.encode()),
                    (b"content-length", b"0"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def login_page(self, scope: Scope, send: Send, *, wrong: bool = False) -> None:
        """401 with a tiny login form (static markup: nothing from the request is echoed but ``next``)."""
        from html import escape

        path = scope.get("path", "/")
        if path == "/login":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            path = (query.get("next") or ["/"])[0]
        problem = "<p role='alert'>That token is not the one this server was started with.</p>" if wrong else ""
        body = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>connectplan: log in</title>"
            "<link rel='stylesheet' href='/static/app.css'></head><body><main class='login'>"
            f"<h1>connectplan</h1><p>This server needs its access token.</p>{problem}"
            "<form method='get' action='/login'>"
            f"<input type='hidden' name='next' value='{escape(path, quote=True)}'>"
            "<label for='token'>Token</label> <input id='token' name='token' type='password' autocomplete='off'>"
            " <button type='submit'>Log in</button></form></main></body></html>"
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="connectplan"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def login_url(token: str, next_path: str = "/") -> str:
        """``/login?token=...&next=...`` (what ``serve`` prints)."""
        return "/login?" + urlencode({"token": token, "next": next_path})


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


class CrossOriginGuard:
    """Every state-changing request is same-origin and carries the run's CSRF token.

    Same origin: ``Sec-Fetch-Site`` is ``same-origin`` or ``none`` when the browser sends it, else
    ``Origin`` equals this server's scheme, host and port when sent. The token comes in the
    ``X-CSRF-Token`` header (htmx, from ``hx-headers`` on ``<body>``) or the ``csrf_token`` field
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
        site = _header(scope, b"sec-fetch-site")
        if site is not None:
            return (
                None
                if site in ("same-origin", "none")
                else f"refused a {site} request: writes must come from this page"
            )
        origin = _header(scope, b"origin")
        if origin is None:
            return None
        host = _header(scope, b"host") or ""
        if origin.lower() != f"{scope.get('scheme', 'http')}://{host}".lower():
            return "refused a request from another origin: writes must come from this page"
        return None

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
