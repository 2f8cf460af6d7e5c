"""History as a review workflow in a real browser (issue 19, point 5), at 1280 px and 390 px.

The journey, by keyboard wherever a form is filled: save a plan (a bad name is caught as it is
typed), open it in the configurator (Save version disabled until something changes), save a
version, tag it, fork it, compare the fork with its origin, and upgrade a 2026 plan to 2026-12 after
previewing its new and defaulted decisions. Every write is confirmed on the page it lands on
(role=status, focused); the focus is never on <body> after a form lands; nothing scrolls sideways at
390 px; the author is remembered. Screenshots of each state go to the test's temporary directory.
The server and browser fixtures are tests/chromium.py's.
"""

from __future__ import annotations

import re

import pytest
from chromium import opened

pytestmark = pytest.mark.browser

C26 = "stripe-connect@2026"


def _focus_is_not_body(page) -> str:
    focused = page.evaluate("document.activeElement ? document.activeElement.tagName : 'BODY'")
    assert focused != "BODY", "the focus fell to <body>"
    return str(focused)


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page, tmp_path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 1000


def _type_into(page, selector: str, text: str) -> None:
    """Focus a field and type into it, as a keyboard does (the field is cleared first)."""
    field = page.locator(selector)
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)


def _open_panel(page) -> None:
    """On a phone the configurator's plan panel (with Save) is a bottom bar: open it by keyboard (issue 19)."""
    toggle = page.locator("#panel-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.focus()
        page.keyboard.press("Enter")


def _confirmed(page, text: str) -> None:
    from playwright.sync_api import expect

    flash = page.locator("#flash[role=status]")
    expect(flash).to_contain_text(text)
    expect(flash).to_be_focused()
    expect(page).not_to_have_url(re.compile(r"done="))  # a reload does not confirm it again
    _focus_is_not_body(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_history_journey_by_keyboard(browser, live_server, tmp_path, width):
    from playwright.sync_api import expect

    height = 900 if width > 400 else 844
    with opened(browser, viewport={"width": width, "height": height}) as (page, console):
        plan = f"journey-{width}"
        # -- save a plan: the name is checked as it is typed
        page.goto(f"{live_server}/?catalog={C26}&preset=saas")
        _open_panel(page)
        name = page.locator("form[action='/plans'] input[name=name]")
        expect(name).to_have_attribute("pattern", re.compile(r"A-Za-z0-9"))
        _type_into(page, "form[action='/plans'] input[name=name]", "bad name!")
        expect(name).to_have_attribute("aria-invalid", "true")
        message = page.locator(f"#{name.get_attribute('id')}-msg")
        expect(message).to_contain_text("Not valid")
        _shot(page, tmp_path, f"{width}-1-bad-name")
        _type_into(page, "form[action='/plans'] input[name=name]", plan)
        expect(name).not_to_have_attribute("aria-invalid", "true")
        expect(message).to_have_text("")
        _type_into(page, "form[action='/plans'] input[name=message]", "first cut")
        _type_into(page, "form[action='/plans'] input[name=author]", "ann")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/versions/{plan}@1$"))
        _confirmed(page, f"Saved {plan}@1")
        expect(page.locator("time").first).to_have_attribute("datetime", re.compile(r"Z$"))
        _no_sideways_scroll(page, width)
        _shot(page, tmp_path, f"{width}-2-saved")

        # -- the author is remembered in this browser
        expect(page.locator("form[action$='/fork'] input[name=author]")).to_have_value("ann")

        # -- a new version: Save version waits for a change
        page.locator("a", has_text="Open in the configurator").focus()
        page.keyboard.press("Enter")
        save_version = page.locator("form[action$='/versions'] button[type=submit]")
        expect(save_version).to_be_disabled()
        expect(page.locator("#unchanged-hint")).to_contain_text("Nothing changed")
        _shot(page, tmp_path, f"{width}-3-unchanged")
        page.locator("#nav-accounts").focus()  # onboarding is in the accounts section (issue 19: one section open)
        page.keyboard.press("Enter")
        expect(page.locator("#opt-onboarding-hosted")).to_be_attached()
        page.locator("#opt-onboarding-hosted").focus()
        page.keyboard.press("Space")
        expect(page).to_have_url(re.compile(r"onboarding=hosted"))
        expect(page.locator("form[action$='/versions'] button[type=submit]")).to_be_enabled()
        _open_panel(page)
        _type_into(page, "form[action$='/versions'] input[name=message]", "hosted onboarding")
        expect(page.locator("form[action$='/versions'] input[name=author]")).to_have_value("ann")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/versions/{plan}@2$"))
        _confirmed(page, f"Saved {plan}@2, changed from version 1")
        _shot(page, tmp_path, f"{width}-4-version")

        # -- tag it
        _type_into(page, "#tag-name", "reviewed")
        page.keyboard.press("Enter")
        _confirmed(page, f"Tagged {plan}@2 as “reviewed”")
        expect(page.locator("dl.meta")).to_contain_text("reviewed")

        # -- fork it, then compare the fork with its origin
        _type_into(page, "#fork-name", f"{plan}-eu")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/versions/{plan}-eu@1$"))
        _confirmed(page, f"Forked {plan}@2 as the new plan {plan}-eu")
        _shot(page, tmp_path, f"{width}-5-forked")
        page.locator("a", has_text="Compare with its origin").focus()
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text(f"Changes from {plan}@2 to {plan}-eu@1")
        expect(page.locator("h1")).to_be_focused()
        expect(page.locator("main")).to_contain_text("identical")
        _no_sideways_scroll(page, width)
        _shot(page, tmp_path, f"{width}-6-compare")

        # -- upgrade the 2026 plan (its latest version) to 2026-12: preview first, then apply
        page.goto(f"{live_server}/versions/{plan}@2")
        select = page.locator("#upgrade-to")
        expect(select).to_have_value("stripe-connect@2026-12")
        assert select.locator("option").all_inner_texts()[0].startswith("stripe-connect@2026-12")
        select.focus()
        page.keyboard.press("Tab")  # to "Preview the upgrade"
        expect(page.locator("form[action$='/upgrade'] button")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text("Upgrade")
        expect(page.locator("h1")).to_be_focused()
        decisions = page.locator("table.decisions")
        expect(decisions).to_contain_text("left open")
        expect(decisions).to_contain_text("chosen by the edition's default")
        _no_sideways_scroll(page, width)
        _shot(page, tmp_path, f"{width}-7-upgrade-preview")
        _type_into(page, "#upgrade-message", "onto the full decision set")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/versions/{plan}@3$"))
        _confirmed(page, "Upgraded to stripe-connect@2026-12")
        expect(page.locator("#no-upgrade")).to_be_visible()  # nothing newer: no upgrade offered
        _shot(page, tmp_path, f"{width}-8-upgraded")

        # -- the history reads at this width
        page.goto(f"{live_server}/plans/{plan}")
        expect(page.locator("table.log")).to_contain_text("onto the full decision set")
        _no_sideways_scroll(page, width)
        _shot(page, tmp_path, f"{width}-9-history")
    assert console.errors == [], console.errors


def test_compare_a_preset_with_a_plan_from_the_compare_form_by_keyboard(browser, live_server, tmp_path):
    from playwright.sync_api import expect

    with opened(browser, viewport={"width": 390, "height": 844}) as (page, console):
        page.goto(f"{live_server}/?catalog={C26}&preset=marketplace")
        _open_panel(page)
        _type_into(page, "form[action='/plans'] input[name=name]", "keyboard-compare")
        _type_into(page, "form[action='/plans'] input[name=message]", "marketplace as it comes")
        page.keyboard.press("Enter")
        _confirmed(page, "Saved keyboard-compare@1")
        page.goto(f"{live_server}/diff")
        _type_into(page, "#b-ref", "keyboard-compare@1")
        page.locator("#a-preset").focus()
        for _ in range(12):  # arrows through the presets (sorted by title) to Marketplace
            if page.locator("#a-preset").input_value() == "marketplace":
                break
            page.keyboard.press("ArrowDown")
        expect(page.locator("#a-preset")).to_have_value("marketplace")
        page.locator("#a-on").focus()
        page.keyboard.press("End")  # the newest edition, then one up: 2026
        page.keyboard.press("ArrowUp")
        expect(page.locator("#a-on")).to_have_value(C26)
        page.locator(".compare-form button[type=submit]").focus()
        page.keyboard.press("Enter")
        heading = page.locator("h1")
        expect(heading).to_contain_text(
            "Changes from preset “Marketplace” on stripe-connect@2026 to keyboard-compare@1"
        )
        expect(heading).to_be_focused()
        _no_sideways_scroll(page, 390)
        _shot(page, tmp_path, "compare-form")
    assert console.errors == [], console.errors


def test_a_refused_save_lands_on_the_field_at_fault_with_the_input_kept(browser, live_server, tmp_path):
    from playwright.sync_api import expect

    with opened(browser, viewport={"width": 1280, "height": 900}) as (page, console):
        for attempt in ("first", "second"):
            page.goto(f"{live_server}/?catalog={C26}&preset=saas")
            _type_into(page, "form[action='/plans'] input[name=name]", "taken-name")
            _type_into(page, "form[action='/plans'] input[name=message]", f"{attempt} try")
            page.keyboard.press("Enter")
            if attempt == "first":
                _confirmed(page, "Saved taken-name@1")
        expect(page.locator("h1")).to_have_text("Conflict")
        field = page.locator("#retry-name")
        expect(field).to_be_focused()  # the field at fault, not <body>
        expect(field).to_have_value("taken-name")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#retry-message")).to_have_value("second try")
        expect(page.locator("[role=alert]")).to_contain_text("already exists")
        _shot(page, tmp_path, "refused")
        _type_into(page, "#retry-name", "taken-name-2")
        page.keyboard.press("Enter")
        _confirmed(page, "Saved taken-name-2@1")
    # Chromium logs the refused POST's status as a console error; nothing else may be logged
    assert [e for e in console.errors if "status of 409 (Conflict)" not in e] == [], console.errors
    assert len(console.errors) == 1
