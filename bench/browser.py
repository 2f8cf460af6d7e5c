"""Issue 19, point 8: one option change in a real browser, click to settled, vs the server's own time.

One ``connectplan serve`` process on a fresh SQLite store; Debian's Chromium, the full browser run
headless (``/usr/lib/chromium/chromium``, never ``playwright install``), driven by Playwright opens the
configurator at 1280 px on a preset and changes one option at a time in the open section (the
guided view), as a user clicks: each change is timed in the page from the click on the option's
label to the update being in place (``configurator:updated``, from ``static/app.js``, which puts
the out-of-band parts in place) plus the next animation frame (about to be painted). Right after
each change the bench process sends the very request the browser sent (same URL, ``prev=``
included, same headers) over a keep-alive connection and times the response: the server's own
time for that request, in the same run. The figure is the
ratio of the two medians (target 2.5x); p95 and the swapped fragment's size (bytes and elements)
are reported alongside.
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.suite import Config, SuiteResult
from bench.timing import Figure, Samples, percentile, time_once
from bench.web import Server

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Debian's Chromium (package ``chromium``), the full browser run headless: the benchmark's figures are
#: measured in it, and one test drives the configurator in it (tests/test_browser.py)
CHROMIUM = Path(os.environ.get("CONNECTPLAN_CHROMIUM", "/usr/lib/chromium/chromium"))
#: Debian's headless shell of the same Chromium (package ``chromium-headless-shell``: the same Blink and V8
#: without the browser around them, Chromium's "old" headless mode, which Playwright itself uses for
#: headless runs): the test suite's browser (tests/chromium.py), a third less CPU than the full one
HEADLESS_SHELL = Path(os.environ.get("CONNECTPLAN_HEADLESS_SHELL", "/usr/lib/chromium/chromium-headless-shell"))
CATALOGS = ("stripe-connect@2024", "stripe-connect@2026-12")
TARGET = 2.5
CHANGES = 30

#: in the page: click an option's label, resolve with the time to the first htmx:afterSettle's next frame,
#: the request's URL and the response's size in bytes and elements
MEASURE = """
(optionId) => new Promise((resolve) => {
  let info = {};
  let sent = 0;
  document.body.addEventListener("htmx:beforeSend", () => { sent = performance.now(); }, { once: true });
  const onRequest = (evt) => {
    const xhr = evt.detail.xhr;
    info = { url: xhr.responseURL, bytes: new TextEncoder().encode(xhr.responseText).length,
             elements: (xhr.responseText.match(/<[a-zA-Z]/g) || []).length,
             beforeSend: sent - start, request: performance.now() - sent, received: performance.now() - start,
             app: parseFloat((xhr.getResponseHeader("Server-Timing") || "dur=0").split("dur=")[1]) };
    const timing = performance.getEntriesByName(xhr.responseURL).pop();
    if (timing) { info.network = timing.responseEnd - timing.startTime; info.responseEnd = timing.responseEnd - start; }
  };
  document.body.addEventListener("htmx:afterRequest", onRequest, { once: true });
  let done = false;
  const settled = () => {
    if (done) return;
    done = true;
    requestAnimationFrame(() => resolve({ ms: performance.now() - start, ...info }));
  };
  // static/app.js puts a configurator update in place and then says so; any other swap settles in htmx
  document.body.addEventListener("configurator:updated", settled, { once: true });
  document.body.addEventListener("htmx:afterSettle", settled, { once: true });
  const start = performance.now();
  document.querySelector(`label[for="${optionId}"]`).click();
})
"""
#: the noise floor: a trivial request (GET /healthz, a few bytes through the same middleware) fetched from the
#: page, one at a time: what any request costs between Chromium and the server, whatever the view does
FLOOR = """
async (n) => {
  const out = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const resp = await fetch("/healthz", { cache: "no-store", headers: { "HX-Request": "true" } });
    await resp.text();
    out.push(performance.now() - start);
  }
  return out;
}
"""
#: the options of the open section that are not chosen, in page order
CANDIDATES = """
() => [...document.querySelectorAll('#sections input[type=radio]:not(:checked)')]
  .filter((el) => el.id.startsWith('opt-')).map((el) => el.id)
"""


def run(config: Config) -> SuiteResult:
    result = SuiteResult(
        "browser", "One option change in Chromium, click to settled, vs the server (issue 19, point 8)"
    )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        result.skipped = f"Playwright is not installed ({exc}); pip install 'connectplan[test]'"
        return result
    if config.browser is None and not CHROMIUM.exists():  # the test suite's smoke run lends its own
        result.skipped = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        return result
    from connectplan.workspace import upgrade_store

    url = f"sqlite:///{config.workdir / 'browser.db'}"
    upgrade_store(url)
    server = Server(url, config.workdir)
    try:
        with _chromium(config) as chromium:
            for catalog in CATALOGS[-1:] if config.quick else CATALOGS:  # quick: the code path once
                _changes(config, result, server, chromium, catalog)
    finally:
        server.close()
    result.notes.append(
        "Click to settled: from the click on an option's label to the next animation frame after the update "
        "is in place (static/app.js's configurator:updated), measured in the page (performance.now). "
        "Server: the same URL (prev= included) requested again by the bench process right after, over one "
        "keep-alive connection. One `connectplan serve` worker; Chromium 1280x900, headless. Noise floor: "
        "GET /healthz (a few bytes, the same middleware) fetched from the same page one at a time, and from the "
        "bench process: what any request costs between Chromium and the server, which the ratio includes. "
        "The browser's request is the first for its selection; the replay finds the engine's caches warm "
        "(compare the two Server-Timing rows), so the baseline is, if anything, on the fast side."
    )
    return result


def launch(browser_type: Any, executable: Path) -> Any:
    """Debian's Chromium at ``executable``, headless, from Playwright's ``browser_type`` (a ``Browser``:
    the caller closes it). Playwright's sync API runs one driver per thread: a second browser in the
    same thread is launched from the first one's ``browser.browser_type``."""
    return browser_type.launch(executable_path=str(executable), headless=True, args=["--no-sandbox"])


@contextmanager
def launched_chromium(executable: Path = CHROMIUM) -> Iterator[Any]:
    """Debian's Chromium (``executable``: :data:`CHROMIUM` or :data:`HEADLESS_SHELL`), headless, through
    Playwright (a ``Browser``), closed afterwards. The test suite's browser fixture (tests/chromium.py)
    launches it here too."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw.chromium, executable)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def _chromium(config: Config) -> Iterator[Any]:
    """The run's Chromium (``config.browser``), or one launched for the suite and closed after it."""
    if config.browser is not None:
        yield config.browser
        return
    with launched_chromium() as chromium:
        yield chromium


def _changes(config: Config, result: SuiteResult, server: Server, chromium: Any, catalog: str) -> None:
    changes = config.runs(CHANGES, 3)
    warmup = config.warmup(3)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{server.port}/?catalog={catalog}&preset=saas")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    # what Chromium sends with the request (the response is gzip-compressed for both)
    headers = {
        "Host": f"127.0.0.1:{server.port}",
        "HX-Request": "true",
        "HX-Trigger": "configure",
        "HX-Current-URL": f"http://127.0.0.1:{server.port}/",
        "Accept": "*/*",
        "Accept-Encoding": "gzip, deflate, br, zstd",
    }
    browser_s: list[float] = []
    server_s: list[float] = []
    sizes: list[tuple[int, int]] = []
    phases: list[tuple[float, float, float, float, float]] = []
    turn = 0
    for n in range(warmup + changes):
        candidates = page.evaluate(CANDIDATES)
        if not candidates:  # every option of the section chosen once: the next section
            page.locator("#next-section, #nav-accounts").first.click()
            page.wait_for_load_state("networkidle")
            candidates = page.evaluate(CANDIDATES)
        option = candidates[(turn * 7) % len(candidates)]
        turn += 1
        measured = page.evaluate(MEASURE, option)
        path = re.sub(r"^https?://[^/]+", "", measured["url"])

        replayed: dict[str, float] = {}

        def replay(path: str = path, replayed: dict[str, float] = replayed) -> None:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}: {body[:200]!r}")
            replayed["app"] = float((response.getheader("Server-Timing") or "dur=0").split("dur=")[1])

        server_time = time_once(replay)
        if n >= warmup:
            browser_s.append(measured["ms"] / 1000)
            server_s.append(server_time)
            sizes.append((measured["bytes"], measured["elements"]))
            phases.append(
                (
                    measured["beforeSend"],
                    measured.get("network", 0.0),
                    measured["app"],
                    measured["ms"] - measured.get("responseEnd", measured["received"]),
                    replayed["app"],
                )
            )
    floor_page = [ms / 1000 for ms in page.evaluate(FLOOR, changes)]
    floor_bench = []
    for _ in range(changes):

        def ping() -> None:
            conn.request("GET", "/healthz", headers=headers)
            conn.getresponse().read()

        floor_bench.append(time_once(ping))
    conn.close()
    context.close()
    edition = catalog.rsplit("@", 1)[1]
    kb = sorted(b for b, _ in sizes)
    elements = sorted(e for _, e in sizes)
    result.figures.append(
        Figure(
            id=f"browser-option-change-{edition}",
            title=f"{catalog}: one option change in Chromium, click to settled, vs the server's time for it",
            measured=Samples(tuple(browser_s), warmup),
            baseline=Samples(tuple(server_s), warmup),
            measured_label="click → update in place → next frame, in Chromium",
            baseline_label="the same GET /partials/workspace?... (prev= included), server response time",
            target=TARGET,
            extra={
                "changes": len(browser_s),
                "browser_p95_s": percentile(browser_s, 95),
                "server_p95_s": percentile(server_s, 95),
                "fragment_bytes_median": statistics.median(kb),
                "fragment_bytes_max": kb[-1],
                "fragment_elements_median": statistics.median(elements),
                "fragment_elements_max": elements[-1],
                "floor_page_s": statistics.median(floor_page),
                "floor_bench_s": statistics.median(floor_bench),
            },
        )
    )
    result.tables[f"browser: option changes, {catalog}"] = [
        {
            "what": "click to settled (ms)",
            "median": 1e3 * statistics.median(browser_s),
            "p95": 1e3 * percentile(browser_s, 95),
        },
        {
            "what": "server, same request (ms)",
            "median": 1e3 * statistics.median(server_s),
            "p95": 1e3 * percentile(server_s, 95),
        },
        *(
            {
                "what": what,
                "median": statistics.median(p[i] for p in phases),
                "p95": percentile([p[i] for p in phases], 95),
            }
            for i, what in enumerate(
                (
                    "click to request sent (ms)",
                    "request to response end, browser's resource timing (ms)",
                    "the view's own time for the browser's request, Server-Timing (ms)",
                    "response end to settled frame: parse, swap, settle (ms)",
                    "the view's own time for the replay, Server-Timing (ms; its caches warmed by the browser's)",
                )
            )
        ),
        {
            "what": "noise floor: fetch('/healthz') round trip in the same page (ms)",
            "median": 1e3 * statistics.median(floor_page),
            "p95": 1e3 * percentile(floor_page, 95),
        },
        {
            "what": "noise floor: the same GET /healthz from the bench process (ms)",
            "median": 1e3 * statistics.median(floor_bench),
            "p95": 1e3 * percentile(floor_bench, 95),
        },
        {"what": "swapped fragment (KB)", "median": statistics.median(kb) / 1024, "p95": percentile(kb, 95) / 1024},
        {"what": "swapped fragment (elements)", "median": statistics.median(elements), "p95": percentile(elements, 95)},
    ]
