"""Helpers shared by the web tests: a test client on loopback, the CSRF token, an HTML parser."""

from __future__ import annotations

import html.parser
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.testclient import TestClient

from connectplan.web.app import create_app
from connectplan.web.settings import WebSettings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

BASE_URL = "http://127.0.0.1:8765"
LOOPBACK = ("127.0.0.1", 50000)


def new_store(directory: Path) -> str:
    """The URL of a new store at schema head, with the built-in catalogs, in ``directory``."""
    from pg import sqlite_store

    return sqlite_store(directory / "store.db")


@contextmanager
def client_for(url: str, *, client: tuple[str, int] = LOOPBACK, **settings: Any) -> Iterator[TestClient]:
    """A TestClient (lifespan on) for an app on store ``url``, as a local browser on 127.0.0.1:8765."""
    app = create_app(WebSettings(url=url, port=8765, **settings))
    with TestClient(app, base_url=BASE_URL, client=client, follow_redirects=False) as tc:
        tc.app_settings = app.state.settings  # type: ignore[attr-defined]
        yield tc


@contextmanager
def running(app: Any = None, *, url: str | None = None) -> Iterator[int]:
    """A real uvicorn server (lifespan on) in a daemon thread, on a socket bound to 127.0.0.1:0, for
    ``app`` or, given ``url``, for a new app on that store told its port; yields the port and stops
    the server afterwards."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if url is not None:
        app = create_app(WebSettings(url=url, port=port))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def csrf(tc: TestClient) -> str:
    return tc.app_settings.csrf_token  # type: ignore[attr-defined, no-any-return]


def post(tc: TestClient, path: str, data: dict[str, Any] | list[tuple[str, str]], **kwargs: Any):
    """A same-origin form POST with the CSRF field, as the browser sends it."""
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    pairs.append(("csrf_token", csrf(tc)))
    headers = {
        "Sec-Fetch-Site": "same-origin",
        "Origin": BASE_URL,
        "Content-Type": "application/x-www-form-urlencoded",
        **kwargs.pop("headers", {}),
    }
    return tc.post(path, content=urlencode(pairs).encode(), headers=headers, **kwargs)


class Page(html.parser.HTMLParser):
    """Elements (tag, attrs) and the text of a page; ``by_id`` finds an element's attributes."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.labels: dict[str, str] = {}
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._skip = 0
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag == "label" and a.get("for"):
            self._label_for, self._label_text = a["for"], []
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = "".join(self._label_text).strip()
            self._label_for = None
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)
        if self._label_for:
            self._label_text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def by_id(self, dom_id: str) -> dict[str, str | None]:
        for _tag, attrs in self.elements:
            if attrs.get("id") == dom_id:
                return attrs
        raise KeyError(dom_id)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == name]
