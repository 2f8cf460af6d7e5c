"""The whole journey of issue 19 in one walk, in a real browser, at 1280 px and at 390 px (issue 19, Acceptance).

Pick an edition and a preset, change options in two sections, hit a blocked state and fix it in one
click, save a new plan, change an option, save a version, compare it with the previous one, tag it,
fork it, compare the fork with its origin, upgrade a plan saved on stripe-connect@2026 to the newest
edition, open a figure in its dialog and close it, open the blueprint page and download the design
document. After every option change the live panel's verdict is inside the window; every state is
screenshotted under the test's temporary directory; axe-core (tests/vendor/) reports no violation on
every page type and state the walk reaches (the list is asserted at the end). The keyboard variant
walks the same journey with Tab, Shift+Tab, the arrows, Space and Enter only (text is typed), and
checks after every update that the focus is on an element, never <body> (tests/test_browser_journey_keys.py).

The harness is tests/chromium.py's (Debian's chromium, the live server, the console-error check) and
tests/test_browser.py's (axe).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from chromium import opened
from test_browser import (
    SIZES,
    _poll,
    axe_clean,
    expand_panel,
    settled,
)

pytestmark = pytest.mark.browser

OLD = "stripe-connect@2024"  # the main plan's edition, picked in the edition bar
C26 = "stripe-connect@2026"  # the edition of the plan that is upgraded
NEWEST = "stripe-connect@2026-12"

#: every page type and state the walk must run axe-core on
PAGE_STATES = (
    "configurator: edition picked",
    "configurator: preset",
    "configurator: first section changed",
    "configurator: blocked",
    "configurator: fixed",
    "configurator: second section changed",
    "configurator: saved plan reopened",
    "configurator: option changed after save",
    "version page: saved",
    "version page: version saved",
    "compare: previous version",
    "version page: tagged",
    "version page: forked",
    "compare: fork with its origin",
    "compare form",
    "plans list",
    "plan log",
    "version page: 2026 plan",
    "upgrade preview",
    "version page: upgraded",
    "configurator: figure dialog",
    "figure page",
    "blueprint page",
    "option help page",
    "error page: unknown plan",
    "error page: unknown route",
    "error page: bad input",
    "refused save: name taken",
)


class Walk:
    """One page of the journey: its screenshots (numbered, under the test's temporary directory), the states
    axe-core checked, and the width it runs at."""

    def __init__(self, page, tmp_path: Path, size: str) -> None:
        self.page, self.tmp_path, self.size = page, tmp_path, size
        self.shots: list[Path] = []
        self.checked: list[str] = []

    @property
    def phone(self) -> bool:
        return self.size == "phone"

    def state(self, name: str) -> None:
        """Screenshot this state and run axe-core on it."""
        path = self.tmp_path / f"{self.size}-{len(self.shots) + 1:02d}-{re.sub(r'[^a-z0-9]+', '-', name)}.png"
        self.page.screenshot(path=str(path))
        self.shots.append(path)
        axe_clean(self.page, f"{self.size}: {name}")
        self.checked.append(name)

    def done(self) -> None:
        assert sorted(set(self.checked)) == sorted(PAGE_STATES), set(PAGE_STATES) ^ set(self.checked)
        for path in self.shots:
            assert path.exists() and path.stat().st_size > 1000, path


def verdict_in_window(page) -> None:
    """The live panel's verdict is inside the window (its box within innerWidth x innerHeight)."""
    inside = page.evaluate(
        "() => { const r = document.getElementById('h-verdict').getBoundingClientRect();"
        " return [r.top >= 0, r.left >= 0, r.bottom <= window.innerHeight, r.right <= window.innerWidth + 1,"
        " r.top, r.left, r.bottom, r.right, window.innerWidth, window.innerHeight]; }"
    )
    assert all(inside[:4]), f"the verdict is outside the window: {inside}"


def focus_not_body(page) -> None:
    """After an update the focus is on an element: never <body>, never nothing."""
    _poll(lambda: page.evaluate("document.activeElement !== null && document.activeElement !== document.body"), 1.0)
    where = page.evaluate("document.activeElement === null ? 'null' : document.activeElement.tagName")
    assert where not in ("null", "BODY"), f"the focus fell to {where} on {page.url}"


def updated(page, action) -> None:
    """Run ``action`` on the configurator and wait until its partial update is swapped in and settled."""
    old = page.locator("#form-state").element_handle()
    action()
    assert _poll(lambda: not old.evaluate("el => el.isConnected")), "no partial update arrived"
    settled(page)
    focus_not_body(page)


# -- the walk, driven by a mouse -------------------------------------------------------------------------


def click_option(page, option_id: str) -> None:
    from playwright.sync_api import expect

    updated(page, lambda: page.locator(f"label[for={option_id}]").click())
    expect(page.locator(f"#{option_id}")).to_be_checked()
    verdict_in_window(page)


def open_section(page, slug: str) -> None:
    updated(page, lambda: page.locator(f"#nav-{slug}").click())
    verdict_in_window(page)


def save_new_plan(walk: Walk, name: str, message: str, *, refused: bool = False) -> None:
    from playwright.sync_api import expect

    page = walk.page
    expand_panel(page, True)
    page.fill("#plan-name", name)
    page.fill("#plan-message", message)
    page.fill("#plan-author", "ann")
    page.locator("form[action='/plans'] button[type=submit]").click()
    if refused:
        return
    expect(page).to_have_url(re.compile(rf"/versions/{name}@1$"))
    expect(page.locator("#flash[role=status]")).to_contain_text(f"Saved {name}@1")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_whole_journey_by_mouse(browser, live_server, tmp_path, size):
    from playwright.sync_api import expect

    with opened(browser, viewport=SIZES[size], accept_downloads=True) as (page, console):
        walk = Walk(page, tmp_path, size)
        plan, old_plan = f"walk-{size}", f"walk-{size}-2026"
        # -- a plan on stripe-connect@2026, picked in the edition bar, to upgrade later
        page.goto(f"{live_server}/")
        page.click(f"nav.editions a[href$='{C26.split('@')[1]}']")
        expect(page).to_have_url(re.compile(r"catalog=stripe-connect%402026$"))
        updated(page, lambda: page.locator("#preset-saas").click())
        verdict_in_window(page)
        save_new_plan(walk, old_plan, "on the 2026 edition")

        # -- the configurator: an edition, a preset, two sections, a blocked state fixed in one click
        page.goto(f"{live_server}/?catalog={NEWEST}")
        page.click(f"nav.editions a[href$='{OLD.split('@')[1]}']")
        expect(page).to_have_url(re.compile(r"catalog=stripe-connect%402024$"))
        walk.state("configurator: edition picked")
        updated(page, lambda: page.locator("#preset-marketplace").click())
        verdict_in_window(page)
        walk.state("configurator: preset")
        click_option(page, "opt-onboarding-hosted")  # accounts
        walk.state("configurator: first section changed")
        open_section(page, "payments")
        click_option(page, "opt-charge_type-separate")  # a second section
        expect(page).to_have_url(re.compile(r"charge_type=separate"))
        walk.state("configurator: second section changed")
        open_section(page, "risk")
        click_option(page, "opt-liability-stripe")  # the Express Dashboard needs platform liability: blocked
        expect(page.locator("#h-verdict")).to_contain_text("blocked")
        walk.state("configurator: blocked")
        expand_panel(page, True)
        fix = page.locator("#panel-status a.alternative").first
        target = fix.get_attribute("data-focus")
        updated(page, lambda: fix.click())
        expect(page.locator("#h-verdict")).not_to_contain_text("blocked")
        expect(page.locator(f"#{target}")).to_be_checked()
        expand_panel(page, False)
        verdict_in_window(page)
        walk.state("configurator: fixed")

        # -- save, change, save a version, compare with the previous one
        save_new_plan(walk, plan, "first cut")
        walk.state("version page: saved")
        page.get_by_role("link", name="Open in the configurator").click()
        expect(page.locator("form[action$='/versions'] button[type=submit]")).to_be_disabled()
        walk.state("configurator: saved plan reopened")
        open_section(page, "payments")
        click_option(page, "opt-charge_type-direct")
        expect(page.locator("form[action$='/versions'] button[type=submit]")).to_be_enabled()
        walk.state("configurator: option changed after save")
        expand_panel(page, True)
        page.fill("#version-message", "direct charges")
        page.locator("form[action$='/versions'] button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/versions/{plan}@2$"))
        expect(page.locator("#flash[role=status]")).to_contain_text(f"Saved {plan}@2")
        walk.state("version page: version saved")
        page.get_by_role("link", name="Compare with the previous version").click()
        expect(page.locator("h1")).to_contain_text(f"Changes from {plan}@1 to {plan}@2")
        expect(page.locator("main")).to_contain_text("charge_type")
        walk.state("compare: previous version")
        page.go_back()

        # -- tag, fork, compare the fork with its origin
        page.fill("#tag-name", "reviewed")
        page.get_by_role("button", name=f"Tag {plan}@2").click()
        expect(page.locator("#flash[role=status]")).to_contain_text(f"Tagged {plan}@2")
        walk.state("version page: tagged")
        page.fill("#fork-name", f"{plan}-eu")
        page.get_by_role("button", name="Fork", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/versions/{plan}-eu@1$"))
        expect(page.locator("#flash[role=status]")).to_contain_text("Forked")
        walk.state("version page: forked")
        page.get_by_role("link", name="Compare with its origin").click()
        expect(page.locator("h1")).to_contain_text(f"Changes from {plan}@2 to {plan}-eu@1")
        walk.state("compare: fork with its origin")
        page.goto(f"{live_server}/diff")
        expect(page.locator(".compare-form")).to_be_visible()
        walk.state("compare form")

        # -- the plans and a plan's log
        page.goto(f"{live_server}/plans")
        expect(page.locator("main")).to_contain_text(old_plan)
        walk.state("plans list")
        page.get_by_role("link", name=plan, exact=True).first.click()
        expect(page.locator("table.log")).to_contain_text("direct charges")
        walk.state("plan log")

        # -- upgrade the 2026 plan to the newest edition: preview, then apply
        page.goto(f"{live_server}/versions/{old_plan}@1")
        expect(page.locator("#upgrade-to")).to_have_value(NEWEST)
        walk.state("version page: 2026 plan")
        page.get_by_role("button", name="Preview the upgrade").click()
        expect(page.locator("h1")).to_contain_text("Upgrade")
        walk.state("upgrade preview")
        page.fill("#upgrade-message", "to the newest edition")
        page.get_by_role("button", name="Apply the upgrade").click()
        expect(page).to_have_url(re.compile(rf"/versions/{old_plan}@2$"))
        expect(page.locator("#flash[role=status]")).to_contain_text(f"Upgraded to {NEWEST}")
        walk.state("version page: upgraded")

        # -- a figure in its dialog, then the figure page
        page.get_by_role("link", name="Open in the configurator").click()
        link = page.locator("a.figure-open[data-figure-kind='money-flow']")
        link.scroll_into_view_if_needed()
        link.click()
        dialog = page.locator("dialog.figure-dialog")
        expect(dialog).to_be_visible()
        walk.state("configurator: figure dialog")
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_be_hidden()
        focus_not_body(page)
        figure_url = link.get_attribute("href")
        page.goto(f"{live_server}{figure_url}")
        expect(page.locator("h1")).to_have_text("Money flow diagram")
        walk.state("figure page")

        # -- the blueprint page, and the design document downloaded
        page.goto(f"{live_server}/versions/{plan}@2")
        page.get_by_role("link", name="API blueprint").click()
        expect(page).to_have_url(re.compile(rf"/versions/{plan}(@|%40)2/blueprint$"))
        walk.state("blueprint page")
        page.goto(f"{live_server}/versions/{plan}@2")
        page.get_by_role("link", name="Open in the configurator").click()
        with page.expect_download() as info:
            page.get_by_role("link", name="Design document (HTML)").click()
        assert info.value.suggested_filename == "connectplan.html"
        assert "Stripe Connect integration design" in Path(info.value.path()).read_text(encoding="utf-8")
        save_new_plan(walk, plan, "a name already taken", refused=True)
        expect(page.locator("h1")).to_have_text("Conflict")
        expect(page.locator("#retry-name")).to_be_focused()
        walk.state("refused save: name taken")

        # -- an option's help page and the error pages
        page.goto(f"{live_server}/help/dashboard/express?catalog={OLD}")
        walk.state("option help page")
        assert page.goto(f"{live_server}/plans/nobody").status == 404
        walk.state("error page: unknown plan")
        assert page.goto(f"{live_server}/nowhere").status == 404
        walk.state("error page: unknown route")
        assert page.goto(f"{live_server}/?catalog={OLD}&dashboard=zzz").status == 400
        walk.state("error page: bad input")
    walk.done()
    refused = ("status of 404", "status of 400", "status of 409")  # Chromium logs the error pages' statuses
    assert [e for e in console.errors if not any(r in e for r in refused)] == [], console.errors


# -- the walk, driven by the keyboard only ------------------------------------------------------------------
