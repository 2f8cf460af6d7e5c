"""The whole journey of issue 19 by keyboard only, at 1280 px and at 390 px (issue 19, Acceptance).

The same walk as tests/test_browser_journey.py (which also holds its helpers), driven with Tab,
Shift+Tab, the arrows, Space and Enter only (text is typed); after every update the focus is on an
element, never <body>. A file of its own so the suite's workers can run it beside the mouse walk.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from chromium import opened
from test_browser import (
    SIZES,
)
from test_browser_journey import (
    NEWEST,
    focus_not_body,
    updated,
    verdict_in_window,
)

pytestmark = pytest.mark.browser


def tab_to(page, selector: str, *, back: bool = False, limit: int = 600) -> None:
    """Press Tab (Shift+Tab when ``back``) until the focused element matches ``selector``."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement !== null && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{key} never reached {selector} on {page.url}")


def key_update(page, key: str) -> None:
    """Press ``key`` on the configurator; it updates the page in place, and the focus is kept on an element."""
    updated(page, lambda: page.keyboard.press(key))
    verdict_in_window(page)


def arrow_to(page, prop: str, option_id: str) -> None:
    """Tab into a decision's radio group and move with the arrows to ``option_id`` (each move is a change)."""
    from playwright.sync_api import expect

    tab_to(page, f"input[type=radio][name={prop}]")
    ids = page.locator(f"input[type=radio][name={prop}]").evaluate_all("els => els.map(e => e.id)")
    for _ in range(len(ids)):
        here = str(page.evaluate("document.activeElement.id"))
        if here == option_id:
            break
        key_update(page, "ArrowDown" if ids.index(option_id) > ids.index(here) else "ArrowUp")
        focus_not_body(page)
    expect(page.locator(f"#{option_id}")).to_be_checked()
    expect(page.locator(f"#{option_id}")).to_be_focused()


def open_panel_by_keyboard(page) -> None:
    """On a phone the plan panel is a bottom bar: Tab to its toggle and open it with Enter."""
    toggle = page.locator("#panel-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        tab_to(page, "#panel-toggle")
        page.keyboard.press("Enter")
        focus_not_body(page)


def landed(page, url_pattern: str, status: str | None = None) -> None:
    """A form or link landed on its page; a confirmation is focused, and the focus is never on <body>."""
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(url_pattern))
    if status is not None:
        expect(page.locator("#flash[role=status]")).to_contain_text(status)
        expect(page.locator("#flash[role=status]")).to_be_focused()
    focus_not_body(page)


def type_in(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def save_new_plan_by_keyboard(page, name: str, message: str) -> None:
    open_panel_by_keyboard(page)
    type_in(page, "#plan-name", name)
    type_in(page, "#plan-message", message)
    page.keyboard.press("Enter")
    landed(page, rf"/versions/{name}@1$", f"Saved {name}@1")


def pick_edition_and_preset(page, url: str, edition: str, preset: str) -> None:
    """From ``url``, pick ``stripe-connect@EDITION`` in the edition bar and then a preset, by keyboard."""
    from playwright.sync_api import expect

    page.goto(url)
    tab_to(page, f"nav.editions a[href$='%40{edition}']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"catalog=stripe-connect%40{re.escape(edition)}$"))
    tab_to(page, f"#preset-{preset}")
    key_update(page, "Enter")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_whole_journey_by_keyboard(browser, live_server, tmp_path, size):
    from playwright.sync_api import expect

    with opened(browser, viewport=SIZES[size], accept_downloads=True) as (page, console):
        plan, old_plan = f"keys-{size}", f"keys-{size}-2026"

        def shot(name: str) -> None:
            path = tmp_path / f"keys-{size}-{name}.png"
            page.screenshot(path=str(path))
            assert path.stat().st_size > 1000

        # -- a plan on stripe-connect@2026, picked in the edition bar, to upgrade later
        pick_edition_and_preset(page, f"{live_server}/", "2026", "saas")
        save_new_plan_by_keyboard(page, old_plan, "on the 2026 edition")

        # -- an edition, a preset, two sections, a blocked state fixed in one keypress
        pick_edition_and_preset(page, f"{live_server}/?catalog={NEWEST}", "2024", "marketplace")
        shot("1-preset")
        arrow_to(page, "onboarding", "opt-onboarding-hosted")
        tab_to(page, "#nav-payments")
        key_update(page, "Enter")
        arrow_to(page, "charge_type", "opt-charge_type-separate")
        tab_to(page, "#nav-risk", back=True)
        key_update(page, "Enter")
        arrow_to(page, "liability", "opt-liability-stripe")
        expect(page.locator("#h-verdict")).to_contain_text("blocked")
        shot("2-blocked")
        open_panel_by_keyboard(page)
        tab_to(page, "#panel-status a.alternative")
        key_update(page, "Enter")
        expect(page.locator("#h-verdict")).not_to_contain_text("blocked")
        shot("3-fixed")

        # -- save, change, save a version, compare with the previous one
        save_new_plan_by_keyboard(page, plan, "first cut")
        tab_to(page, "nav.actions a[href^='/?']")
        page.keyboard.press("Enter")
        expect(page.locator("form[action$='/versions'] button[type=submit]")).to_be_disabled()
        tab_to(page, "#nav-payments")
        key_update(page, "Enter")
        arrow_to(page, "charge_type", "opt-charge_type-direct")
        expect(page.locator("form[action$='/versions'] button[type=submit]")).to_be_enabled()
        open_panel_by_keyboard(page)
        type_in(page, "#version-message", "direct charges")
        page.keyboard.press("Enter")
        landed(page, rf"/versions/{plan}@2$", f"Saved {plan}@2")
        shot("4-version")
        tab_to(page, "nav.actions a[href^='/diff?a=']")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text(f"Changes from {plan}@1 to {plan}@2")
        expect(page.locator("h1")).to_be_focused()
        shot("5-compare")

        # -- tag, fork, compare the fork with its origin
        page.goto(f"{live_server}/versions/{plan}@2")
        type_in(page, "#tag-name", "reviewed")
        page.keyboard.press("Enter")
        landed(page, rf"/versions/{plan}(@|%40)2", f"Tagged {plan}@2")
        type_in(page, "#fork-name", f"{plan}-eu")
        page.keyboard.press("Enter")
        landed(page, rf"/versions/{plan}-eu@1$", "Forked")
        shot("6-forked")
        tab_to(page, f"nav.actions a[href^='/diff?a={plan}%402']")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text(f"Changes from {plan}@2 to {plan}-eu@1")
        expect(page.locator("h1")).to_be_focused()

        # -- upgrade the 2026 plan to the newest edition: preview, then apply
        page.goto(f"{live_server}/versions/{old_plan}@1")
        tab_to(page, "form[action$='/upgrade'] button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text("Upgrade")
        expect(page.locator("h1")).to_be_focused()
        shot("7-upgrade-preview")
        type_in(page, "#upgrade-message", "to the newest edition")
        page.keyboard.press("Enter")
        landed(page, rf"/versions/{old_plan}@2$", f"Upgraded to {NEWEST}")

        # -- a figure in its dialog: opened with Enter, closed with Enter on Close; focus back on its link
        tab_to(page, "nav.actions a[href^='/?']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to(page, "a.figure-open[data-figure-kind='money-flow']")
        page.keyboard.press("Enter")
        dialog = page.locator("dialog.figure-dialog")
        expect(dialog).to_be_visible()
        shot("8-figure")
        tab_to(page, "dialog.figure-dialog .figure-close")
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        focus_not_body(page)
        assert page.evaluate("document.activeElement.dataset.figureKind") == "money-flow"

        # -- the design document, then the blueprint page
        tab_to(page, "a[href^='/download/doc.html']")
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        assert info.value.suggested_filename == "connectplan.html"
        assert "Stripe Connect integration design" in Path(info.value.path()).read_text(encoding="utf-8")
        page.goto(f"{live_server}/versions/{plan}@2")
        tab_to(page, "nav.actions a[href$='/blueprint']")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/versions/{plan}(@|%40)2/blueprint$"))
        shot("9-blueprint")
    assert console.errors == [], console.errors
