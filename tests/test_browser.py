"""The configurator in a real browser (issue 12, point 7; issue 19): Debian's headless chromium driven by Playwright.

The browser (Debian's headless shell of Chromium, never ``playwright install``), the live server and
the ``page`` fixture are tests/chromium.py's, shared by every browser test module of a worker. One
test drives the same configurator in Debian's full Chromium browser, run headless.

Every test fails on any console error or uncaught page error, and saves a screenshot of each key
state under its temporary directory. The guided journey runs at 1280 px and at 390 px; in every state
it reaches, axe-core (vendored in tests/vendor/, pinned by its sha256) must report no violation, the
live panel's verdict must be inside the viewport, and focus must never fall to ``<body>``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from chromium import Console, opened

pytestmark = pytest.mark.browser

CAT = "stripe-connect@2024"
VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_FILE = "axe-4.14.1.min.js"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SAAS = "onboarding=hosted&dashboard=full&charge_type=direct&fee_payer=connected_account"


def shot(page, name: str) -> Path:
    path = page.shots / f"{getattr(page, 'prefix', '')}{name}.png"
    page.screenshot(path=str(path))
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


def test_vendored_axe_matches_its_recorded_sha256():
    import hashlib

    recorded = re.search(r"^sha256:\s+([0-9a-f]{64})$", (VENDOR / "AXE.txt").read_text(encoding="utf-8"), re.M)
    assert recorded is not None
    assert hashlib.sha256((VENDOR / AXE_FILE).read_bytes()).hexdigest() == recorded.group(1)


def axe_clean(page, state: str) -> None:
    """axe-core on the whole page, every rule: no violation (injected over DevTools, so the page's CSP is
    untouched). ``resultTypes: ['violations']`` only spares axe from collecting every node of the rules that
    pass; the same rules run and every violation is still reported."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate((VENDOR / AXE_FILE).read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => "
        "`${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}: ${v.help}`)"
    )
    assert found == [], f"axe-core in state {state!r}: {found}"


def _poll(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def update(page, action) -> None:
    """Run ``action`` (a click or a key press) and wait until its partial update has been swapped in and
    settled: the form's hidden state (re-sent by every update) is replaced, no request is in flight."""
    old = page.locator("#form-state").element_handle()
    action()
    assert _poll(lambda: not old.evaluate("el => el.isConnected")), "no partial update arrived"
    settled(page)
    _poll(lambda: page.evaluate("document.activeElement !== document.body"), timeout=1.0)


def focus_kept(page, expected: str | None = None) -> str:
    """The id of the focused element: never <body>; ``expected`` when given."""
    focused = page.evaluate("document.activeElement === document.body ? null : document.activeElement.id")
    assert focused is not None, "focus fell to <body>"
    if expected is not None:
        assert focused == expected
    return str(focused)


def verdict_in_view(page) -> None:
    box = page.locator("#h-verdict").bounding_box()
    view = page.viewport_size
    assert box is not None and view is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= view["height"], (box, view)
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"] + 1, (box, view)


def choose(page, option_id: str) -> None:
    """Click an option's label, as a user does; the option keeps focus and the verdict stays in view."""
    update(page, lambda: page.locator(f"label[for={option_id}]").click())
    from playwright.sync_api import expect

    expect(page.locator(f"#{option_id}")).to_be_checked()
    focus_kept(page, option_id)
    verdict_in_view(page)


def expand_panel(page, open_: bool) -> None:
    """On a phone the panel is a bottom bar: open or close its details."""
    toggle = page.locator("#panel-toggle")
    if not toggle.is_visible():
        return
    if (toggle.get_attribute("aria-expanded") == "true") != open_:
        toggle.click()


@pytest.fixture(params=sorted(SIZES))
def sized(request, browser, tmp_path):
    with opened(browser, viewport=SIZES[request.param], accept_downloads=True) as (pg, console):
        pg.shots = tmp_path  # type: ignore[attr-defined]
        pg.prefix = f"{request.param}-"  # type: ignore[attr-defined]
        pg.size = request.param  # type: ignore[attr-defined]
        yield pg
    assert console.errors == [], console.errors


def test_guided_journey_at_each_width(sized, live_server):
    """Issue 19: an edition and a preset, options in two sections, a blocked state fixed in one click, every
    section and all decisions; axe-core clean, the verdict in view and focus kept after every change."""
    from playwright.sync_api import expect

    page = sized
    page.goto(f"{live_server}/?catalog=stripe-connect@2025")
    page.click("nav.editions a[href$='2024']")
    expect(page).to_have_url(re.compile(r"catalog=stripe-connect%402024$"))
    axe_clean(page, "empty")
    shot(page, "1-empty")
    page.evaluate("document.getElementById('announce').dataset.kept = 'yes'")  # the live region is never replaced
    update(page, lambda: page.locator("#preset-saas").click())
    focus_kept(page, "preset-saas")
    expect(page.locator("#preset-saas")).to_have_attribute("aria-current", "true")
    expect(page.locator("#opt-dashboard-full")).to_be_checked()
    verdict_in_view(page)
    axe_clean(page, "preset")
    shot(page, "2-preset")

    choose(page, "opt-dashboard-express")  # accounts: the design is now blocked
    expect(page.locator("#h-verdict")).to_contain_text("blocked")
    expect(page.locator("#announce")).to_contain_text("Verdict: blocked.")
    assert page.evaluate("document.getElementById('announce').dataset.kept") == "yes"
    expect(page.locator("#why-dashboard-express")).to_contain_text("in conflict")
    axe_clean(page, "blocked")
    shot(page, "3-blocked")
    expand_panel(page, True)
    if page.size == "phone":
        axe_clean(page, "phone bar expanded")
        shot(page, "3b-bar-expanded")
    fix = page.locator("#panel-status a.alternative").first
    target = fix.get_attribute("data-focus")
    update(page, lambda: fix.click())
    expect(page.locator("#h-verdict")).not_to_contain_text("blocked")
    focus_kept(page, target)  # the fix's own option, not <body>
    expect(page.locator(f"#{target}")).to_be_checked()
    expand_panel(page, False)
    verdict_in_view(page)
    axe_clean(page, "fixed")
    shot(page, "4-fixed")

    update(page, lambda: page.locator("#nav-payments").click())
    focus_kept(page, "nav-payments")
    choose(page, "opt-charge_type-destination")  # a second section
    expect(page).to_have_url(re.compile(r"charge_type=destination"))
    for slug in ("accounts", "payments", "fees", "risk", "all"):
        update(page, lambda slug=slug: page.locator(f"#nav-{slug}").click())
        focus_kept(page, f"nav-{slug}")
        expect(page.locator(f"#nav-{slug}")).to_have_attribute("aria-current", "step")
        axe_clean(page, f"section {slug}")
        shot(page, f"5-section-{slug}")
    choose(page, "opt-charge_type-direct")  # in the all-decisions view too
    if page.size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_configurator_in_the_full_chromium_browser(browser, live_server, tmp_path):
    """The other browser tests run in the headless shell; the configurator works the same in Debian's full
    Chromium (``/usr/lib/chromium/chromium``, headless): a preset, a blocked choice fixed in one click, focus
    kept and the verdict in view, no console error, axe-core clean."""
    from chromium import CHROMIUM, need_chromium
    from playwright.sync_api import expect

    from bench.browser import launch

    need_chromium(CHROMIUM)
    full = launch(browser.browser_type, CHROMIUM)  # the same Playwright driver (one per thread)
    try:
        with opened(full, viewport=SIZES["desktop"]) as (page, console):
            page.shots = tmp_path  # type: ignore[attr-defined]
            page.goto(f"{live_server}/?catalog={CAT}")
            update(page, lambda: page.locator("#preset-saas").click())
            focus_kept(page, "preset-saas")
            choose(page, "opt-dashboard-express")
            expect(page.locator("#h-verdict")).to_contain_text("blocked")
            axe_clean(page, "full browser: blocked")
            fix = page.locator("#panel-status a.alternative").first
            target = fix.get_attribute("data-focus")
            update(page, lambda: fix.click())
            expect(page.locator("#h-verdict")).not_to_contain_text("blocked")
            focus_kept(page, target)
            verdict_in_view(page)
            shot(page, "full-browser-fixed")
            assert console.errors == [], console.errors
    finally:
        full.close()


def test_choosing_express_marks_stripe_liable_ruled_out_without_a_reload(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}&section=all")
    expect(page.locator("#why-liability-stripe")).to_contain_text("At best:")
    page.evaluate("document.body.dataset.sameDocument = 'yes'")  # survives a partial update, not a reload
    shot(page, "1-start")
    choose(page, "opt-dashboard-express")
    why = page.locator("#why-liability-stripe")
    expect(why.locator(".tag")).to_have_text("ruled out")
    expect(why).to_contain_text("negative-balance liability")
    explain = page.locator("#state-liability-stripe details.explain")
    explain.locator("summary").click()
    expect(explain).to_contain_text("express_dashboard_requires_platform_liability")
    expect(explain).to_contain_text("Minimal cause: dashboard.express")
    expect(page.locator("#why-liability-platform .tag")).to_have_text("required")
    assert page.locator("#opt-liability-stripe").get_attribute("aria-describedby") == "why-liability-stripe"
    assert page.evaluate("document.body.dataset.sameDocument") == "yes"
    expect(page).to_have_url(re.compile(r"[?&]dashboard=express(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]catalog=stripe-connect%402024"))
    expect(page.locator(".last-change")).to_contain_text("is now ruled out")
    shot(page, "2-express")


def test_statuses_verdict_and_steps_update_and_the_back_button_steps_back(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}&{SAAS}&section=all")
    expect(page.locator("#h-verdict")).to_contain_text("not yet")
    choose(page, "opt-liability-stripe")
    expect(page.locator("#h-verdict")).not_to_contain_text("not yet")
    expect(page.locator("ol.steps li").first).to_be_visible()
    steps_before = page.locator("ol.steps > li").count()
    assert steps_before > 3
    assert page.locator("#steps-count").inner_text() == str(steps_before)
    image = page.locator("img[alt='Money flow diagram']")
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    assert _image_loaded(image)
    shot(page, "3-complete")
    page.locator("#opt-charge_type-destination").scroll_into_view_if_needed()
    choose(page, "opt-charge_type-destination")
    expect(page).to_have_url(re.compile(r"charge_type=destination"))
    # the steps list was patched in place: it matches the full page of the same URL
    patched = page.locator("ol.steps > li").evaluate_all("items => items.map(li => li.id)")
    figures = page.locator("#figures-card")
    figures.scroll_into_view_if_needed()
    expect(figures).not_to_have_class(re.compile("figures-pending"))  # loaded once in view
    fresh = page.context.new_page()
    fresh.goto(page.url)
    assert fresh.locator("ol.steps > li").evaluate_all("items => items.map(li => li.id)") == patched
    fresh.close()
    page.go_back()
    expect(page).to_have_url(re.compile(r"charge_type=direct"))
    expect(page.locator("#opt-charge_type-direct")).to_be_checked()
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"liability="))
    expect(page.locator("#unset-liability")).to_be_checked()


def test_following_a_nearest_alternative_keeps_focus(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}&{SAAS.replace('dashboard=full', 'dashboard=express')}&liability=stripe")
    expect(page.locator("#h-verdict")).to_contain_text("blocked")
    alternative = page.locator("a.alternative").first
    expect(alternative).to_be_visible()
    shot(page, "4-blocked")
    alternative.focus()
    target = alternative.get_attribute("data-focus")
    update(page, lambda: page.keyboard.press("Enter"))
    expect(page.locator("#h-verdict")).not_to_contain_text("blocked")
    expect(page.locator("#h-verdict")).to_contain_text("Verdict:")
    focus_kept(page, target)
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
    page.fill("#version-message", "destination charges")  # typed before the change: kept by the update
    update(page, lambda: page.locator("#nav-payments").click())
    choose(page, "opt-charge_type-destination")
    expect(page).to_have_url(re.compile(r"charge_type=destination"))
    expect(page.locator("#version-message")).to_have_value("destination charges")
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
            return str(page.evaluate("document.activeElement.id"))
    raise AssertionError(f"Tab never reached an input named {name}")


def test_keyboard_only_walkthrough_keeps_focus(page, live_server):
    """Tab, arrows and Enter through every section: each option change and each "Next" keeps focus on a
    control (the changed option; after "Next", the first option of the new section)."""
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?catalog={CAT}")
    targets = {
        "onboarding": "hosted",
        "dashboard": "full",
        "charge_type": "direct",
        "fee_payer": "connected_account",
        "liability": "stripe",
    }
    presses = 0
    for prop, want in targets.items():
        if not page.locator(f"#opt-{prop}-{want}").count():  # in the next section: "Next" with Enter
            before = page.locator("#form-state").element_handle()
            while page.evaluate("document.activeElement.id") != "next-section":
                page.keyboard.press("Tab")
                presses += 1
            page.keyboard.press("Enter")
            assert _poll(lambda before=before: not before.evaluate("el => el.isConnected"))
            settled(page)
            _poll(lambda: page.evaluate("document.activeElement !== document.body"), timeout=1.0)
            focused = focus_kept(page)
            assert focused.startswith(f"opt-{prop}-"), focused
        else:
            _tab_to(page, prop)
        for _ in range(6):
            if page.locator(f"#opt-{prop}-{want}").is_checked():
                break
            update(page, lambda: page.keyboard.press("ArrowDown"))
        radio = page.locator(f"#opt-{prop}-{want}")
        expect(radio).to_be_checked()
        expect(radio).to_be_focused()  # focus stays on the same input after the partial update
        verdict_in_view(page)
    expect(page.locator("#h-verdict")).not_to_contain_text("not yet")
    expect(page).to_have_url(re.compile(r"liability=stripe"))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past "Explain" to "About"
    if page.evaluate("document.activeElement.closest('details').className") != "help":
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
        for n, query in enumerate(
            (f"catalog={CAT}&{SAAS}&liability=stripe", "catalog=stripe-connect@2026-12&preset=saas&section=all")
        ):
            pg.goto(f"{live_server}/?{query}")
            assert pg.evaluate("document.documentElement.scrollWidth") <= 390
            # no word is broken inside: every visible cell's text fits its words (no cell narrower than a word;
            # a stacked table's header row is visually hidden, each cell labelled instead)
            assert pg.evaluate(
                "[...document.querySelectorAll('td, th, .nav-summary, .edition-note')]"
                ".filter(el => !el.closest('thead')).every(el => el.scrollWidth <= el.clientWidth + 1)"
            )
            pg.screenshot(path=str(tmp_path / f"9-narrow-{n}.png"))
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
        expect(pg.locator(".last-change")).to_contain_text("Dashboard: Express Dashboard chosen.")
        pg.click("#nav-risk")  # a section button submits the form
        expect(pg.locator("#why-liability-stripe .tag")).to_have_text("ruled out")
        expect(pg.locator("#opt-dashboard-express")).to_have_count(0)  # accounts is closed; its choice kept
        expect(pg).to_have_url(re.compile(r"dashboard=express"))
    finally:
        context.close()


def test_an_error_during_an_update_replaces_the_configurator_with_a_way_back(browser, live_server, tmp_path):
    """A partial update answered with an error (here a forged option in a followed link) shows the error
    fragment in place of the configurator, with a link back to the selection without the bad parameter."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console = Console(page)
    try:
        page.goto(f"{live_server}/?catalog={CAT}&{SAAS}")
        page.evaluate(
            "() => { const a = document.createElement('a'); a.id = 'forged'; a.setAttribute('data-follow', '');"
            f" a.href = '/?catalog={CAT}&{SAAS}&liability=zzz'; a.textContent = 'forged';"
            " document.getElementById('panel-status').append(a); }"
        )
        page.locator("#forged").click()
        expect(page.locator(".error-box .error")).to_contain_text("zzz")
        back = page.locator(".error-box a.way-back")
        expect(back).to_contain_text("your selection")
        href = back.get_attribute("href") or ""
        assert "dashboard=full" in href and "liability=" not in href
        page.screenshot(path=str(tmp_path / "10-error.png"))
    finally:
        context.close()
    assert [e for e in console.errors if "status of 400" not in e] == []
