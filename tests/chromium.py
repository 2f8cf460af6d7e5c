"""pytest plugin: one headless Chromium and one live configurator per test session (per xdist worker).

The browser is Debian's headless shell of Chromium, ``/usr/lib/chromium/chromium-headless-shell``
(package ``chromium-headless-shell``: the same Blink and V8 as the ``chromium`` package without the
browser around them; Playwright's own choice for headless runs, and a third less CPU), driven by
Playwright's Python package; ``playwright install`` is never run (``make test`` installs both Debian
packages; one test, in tests/test_browser.py, drives the full ``/usr/lib/chromium/chromium``). Without
the binary the browser tests skip with a loud reason, and fail under ``$CI``. The server is the real
app under uvicorn on a socket bound to 127.0.0.1:0 (no port race), in a daemon thread with its
lifespan on, on a store of its own. Both are shared by every browser test module a worker runs
(starting them costs more than most tests); each test opens its own browser context, so no cookie,
storage or page is shared, and the tests name their plans apart.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

# the paths ($CONNECTPLAN_HEADLESS_SHELL, $CONNECTPLAN_CHROMIUM) the suite and the benchmarks share
from bench.browser import CHROMIUM, HEADLESS_SHELL

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def need_chromium(executable: Path = HEADLESS_SHELL) -> None:
    """Skip (fail under ``$CI``) when Debian's ``executable`` (the headless shell, or the full
    :data:`CHROMIUM`) is not installed."""
    if executable.exists():
        return
    package = "chromium" if executable == CHROMIUM else "chromium-headless-shell"
    reason = f"Debian's {package} is not installed at {executable} (make test installs it: apt-get install {package})"
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI must run the browser tests")
    pytest.skip(reason)


class Console:
    """Console errors and uncaught page errors of one page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text} at {msg.location}") if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a live configurator on a new store (with the built-in catalogs)."""
    from webapp import new_store, running

    url = new_store(tmp_path_factory.mktemp("browser"))
    with running(url=url) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def browser():
    """Debian's headless shell of Chromium (Playwright's ``Browser``)."""
    need_chromium()
    from bench.browser import launched_chromium

    with launched_chromium(HEADLESS_SHELL) as chromium:
        yield chromium


@contextmanager
def opened(browser, **options: Any) -> Iterator[tuple[Any, Console]]:
    """A page (15 s default timeout) and its :class:`Console`, in a browser context of its own made with
    ``options`` (``viewport=...``); the context is closed afterwards. What the console may hold is the test's
    to assert."""
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        console = Console(page)
        page.set_default_timeout(15_000)
        yield page, console
    finally:
        context.close()


@pytest.fixture
def page(browser, tmp_path):
    """A page at 1280 x 900 in a context of its own; the test fails on any console or page error."""
    with opened(browser, viewport={"width": 1280, "height": 900}, accept_downloads=True) as (pg, console):
        pg.shots = tmp_path  # type: ignore[attr-defined]
        yield pg
    assert console.errors == [], console.errors
