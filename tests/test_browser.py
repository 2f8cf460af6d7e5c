"""The configurator in a real browser (issue 12, point 7): Debian's headless chromium driven by Playwright.

The server is the real app under uvicorn, on a socket bound to 127.0.0.1:0 in the fixture (no
port race), run in a daemon thread with its lifespan on. The browser is Debian's
``/usr/lib/chromium/chromium`` (``make test`` installs it); ``playwright install`` is never run.
Without that binary the tests skip with a loud reason, and fail under ``$CI``.

Every test fails on any console error or uncaught page error, and saves a screenshot of each key
state under its temporary directory.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CONNECTPLAN_CHROMIUM", "/usr/lib/chromium/chromium"))
CAT = "stripe-connect@2024"
SAAS = "onboarding=hosted&dashboard=full&charge_type=direct&fee_payer=connected_account"


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"Debian's chromium is not installed at {CHROMIUM} (make test installs it: apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI must run the browser tests")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn
    from webapp import new_store

    from connectplan.web.app import create_app
    from connectplan.web.settings import WebSettings

    url = new_store(tmp_path_factory.mktemp("browser"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(WebSettings(url=url, port=port))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


class Console:
    """Console errors and uncaught page errors of one page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text} at {msg.location}") if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    console = Console(pg)
    pg.set_default_timeout(15_000)
    pg.shots = tmp_path  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert console.errors == [], console.errors


def shot(page, name: str) -> Path:
    path = page.shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


def settled(page) -> None:
    """Wait until htmx has no request in flight on the configurator."""
    from playwright.sync_api import expect

    expect(page.locator("#configure")).not_to_have_class(re.compile(r"\bhtmx-request\b"))


def _image_loaded(image, timeout: float = 15.0) -> bool:
    """True once the <img> has loaded a picture (polled: a diagram renders on the server first)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        if image.evaluate("img => img.complete && img.naturalWidth > 0"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def test_choosing_express_marks_stripe_liable_excluded_without_a_reload(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}")
    expect(page.locator("#why-liability-stripe .tag")).to_have_text("open")
    page.evaluate("document.body.dataset.sameDocument = 'yes'")  # survives a partial update, not a reload
    old = page.locator("#workspace").element_handle()
    shot(page, "1-start")
    page.locator("label[for=opt-dashboard-express]").click()
    expect(page.locator("#why-liability-stripe .tag")).to_have_text("excluded")
    assert old.evaluate("el => el.isConnected") is False  # the old #workspace was swapped out
    why = page.locator("#why-liability-stripe")
    expect(why).to_contain_text("express_dashboard_requires_platform_liability")
    expect(why).to_contain_text("because dashboard.express")
    expect(page.locator("#why-liability-platform .tag")).to_have_text("forced")
    assert page.locator("#opt-liability-stripe").get_attribute("aria-describedby") == "why-liability-stripe"
    assert page.evaluate("document.body.dataset.sameDocument") == "yes"
    expect(page).to_have_url(re.compile(r"[?&]dashboard=express(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]catalog=stripe-connect%402024"))
    shot(page, "2-express")


def test_statuses_verdict_and_steps_update_and_the_back_button_steps_back(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}&{SAAS}")
    expect(page.locator("#h-verdict")).to_contain_text("not yet")
    page.locator("label[for=opt-liability-stripe]").click()
    expect(page.locator("#h-verdict")).to_contain_text("Verdict:")
    expect(page.locator("#h-verdict")).not_to_contain_text("not yet")
    expect(page.locator("ol.steps li").first).to_be_visible()
    steps_before = page.locator("ol.steps li").count()
    assert steps_before > 3
    expect(page.locator("img[alt='Money flow diagram']")).to_be_visible()
    assert _image_loaded(page.locator("img[alt='Money flow diagram']"))
    shot(page, "3-complete")
    page.locator("label[for=opt-charge_type-destination]").click()
    expect(page).to_have_url(re.compile(r"charge_type=destination"))
    settled(page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"charge_type=direct"))
    expect(page.locator("#opt-charge_type-direct")).to_be_checked()
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"liability="))
    expect(page.locator("#unset-liability")).to_be_checked()


def test_following_a_nearest_alternative(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}&{SAAS.replace('dashboard=full', 'dashboard=express')}&liability=stripe")
    expect(page.locator("#h-verdict")).to_contain_text("blocked")
    alternative = page.locator("a.alternative").first
    expect(alternative).to_be_visible()
    shot(page, "4-blocked")
    alternative.click()
    expect(page.locator("#h-verdict")).not_to_contain_text("blocked")
    expect(page.locator("#h-verdict")).to_contain_text("Verdict:")
    shot(page, "5-alternative")


def test_save_two_versions_and_open_the_diff(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}&{SAAS}&liability=stripe")
    page.fill("#plan-name", "browser-plan")
    page.fill("#plan-message", "first cut from the browser")
    page.fill("#plan-author", "ann")
    page.click("text=Save new plan")
    expect(page).to_have_url(re.compile(r"/versions/browser-plan@1$"))
    page.click("text=Open in the configurator")
    page.locator("label[for=opt-charge_type-destination]").click()
    expect(page).to_have_url(re.compile(r"charge_type=destination"))
    settled(page)
    page.fill("#version-message", "destination charges")
    page.check("form[action$='/versions'] input[name=allow_blocked]")  # destination + stripe liability is blocked
    page.click("text=Save version")
    expect(page).to_have_url(re.compile(r"/versions/browser-plan@2$"))
    shot(page, "6-version")
    page.click("text=History")
    expect(page.locator("table.log")).to_contain_text("destination charges")
    page.click("text=Compare the two chosen versions")
    expect(page.locator("h1")).to_contain_text("Changes from browser-plan@1 to browser-plan@2")
    expect(page.locator("main")).to_contain_text("charge_type")
    image = page.locator("img[alt='Steps diagram']")
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert _image_loaded(image)
    shot(page, "7-diff")


def test_download_the_design_document(page, live_server):
    page.goto(f"{live_server}/?catalog={CAT}&{SAAS}&liability=stripe")
    with page.expect_download() as info:
        page.click("text=Design document (HTML)")
    path = info.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert info.value.suggested_filename == "connectplan.html"
    assert "Stripe Connect integration design" in text and text.count("data:image/svg+xml;base64,") == 4
    with page.expect_download() as info:
        page.click("text=Design document (Markdown + SVG, zip)")
    assert info.value.suggested_filename == "connectplan.zip"
    assert Path(info.value.path()).read_bytes()[:2] == b"PK"


def _tab_to(page, name: str, limit: int = 120) -> str:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            return page.evaluate("document.activeElement.id")
    raise AssertionError(f"Tab never reached an input named {name}")


def test_keyboard_only_walkthrough_keeps_focus(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}")
    targets = {
        "onboarding": "hosted",
        "dashboard": "full",
        "charge_type": "direct",
        "fee_payer": "connected_account",
        "liability": "stripe",
    }
    for prop, want in targets.items():
        _tab_to(page, prop)
        for _ in range(6):
            if page.locator(f"#opt-{prop}-{want}").is_checked():
                break
            page.keyboard.press("ArrowDown")
            settled(page)
        radio = page.locator(f"#opt-{prop}-{want}")
        expect(radio).to_be_checked()
        expect(radio).to_be_focused()  # focus stays on the same input after the partial update
    expect(page.locator("#h-verdict")).not_to_contain_text("not yet")
    expect(page).to_have_url(re.compile(r"liability=stripe"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the option's help opens on demand
    expect(page.locator("#help-liability-stripe")).to_have_attribute("open", "")
    expect(page.locator("#help-liability-stripe .option-help")).to_be_visible()  # fetched on demand
    shot(page, "8-keyboard")


def test_readable_at_390_px(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    pg = context.new_page()
    console = Console(pg)
    try:
        pg.goto(f"{live_server}/?catalog={CAT}&{SAAS}&liability=stripe")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        pg.screenshot(path=str(tmp_path / "9-narrow.png"), full_page=True)
    finally:
        context.close()
    assert console.errors == []


def test_the_form_works_with_javascript_off(browser, live_server):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(f"{live_server}/?catalog={CAT}")
        pg.check("#opt-dashboard-express")
        pg.click("button.apply")
        expect(pg).to_have_url(re.compile(r"dashboard=express"))
        expect(pg.locator("#why-liability-stripe .tag")).to_have_text("excluded")
    finally:
        context.close()
