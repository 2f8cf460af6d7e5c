"""Figures in a real browser (issue 19 point 3): the figure dialog opens from the keyboard, Escape closes it and
focus returns to its link; images are sized from their SVG; reverse flows toggle; SVG and PNG download and copy;
without JavaScript the same links lead to the figure page, whose reverse-flow toggle is a plain form.

The harness (Debian's chromium, the live server, the console-error check) is tests/test_browser.py's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_browser import _image_loaded, shot

pytestmark = pytest.mark.browser

CAT = "stripe-connect@2026-12"
MARKET = f"catalog={CAT}&preset=marketplace"


def _sized(image) -> None:
    """The <img> has width and height attributes, equal to the picture's own size (no layout shift)."""
    assert _image_loaded(image)
    width, height = image.get_attribute("width"), image.get_attribute("height")
    assert width and height
    natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert [int(width), int(height)] == natural


def test_figure_dialog_opens_with_enter_closes_with_escape_and_returns_focus(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/?{MARKET}")
    link = page.locator("a.figure-open[data-figure-kind='money-flow']")
    for kind in ("money-flow", "liability", "steps"):
        thumb = page.locator(f"a.figure-open[data-figure-kind='{kind}'] img")
        thumb.scroll_into_view_if_needed()
        _sized(thumb)
    link.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.figure-dialog")
    expect(dialog).to_be_visible()
    assert page.url.endswith(f"/?{MARKET}")  # the dialog, not the figure page
    assert dialog.get_attribute("aria-modal") == "true"
    expect(page.get_by_role("dialog", name="Money flow diagram")).to_be_visible()
    assert page.evaluate("document.activeElement.textContent") == "Close"
    image = dialog.locator(".figure-scroll img")
    assert image.get_attribute("alt") == "Money flow diagram"
    _sized(image)
    for button in dialog.locator("button:visible").all():
        assert button.inner_text().strip()  # every button is named
    # focus order: Tab walks the dialog's controls in reading order and stays inside the modal dialog
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('dialog.figure-dialog') !== null")
        order.append(page.evaluate("(document.activeElement.innerText || document.activeElement.className).trim()"))
    assert order[:3] == ["Fit width", "Actual size", "figure-reverse-box"]
    assert order.index("Download SVG") < order.index("Download PNG") < order.index("Copy SVG")
    assert "Close" in order  # wrapped around from the last control to the first
    dialog.locator(".figure-close").focus()
    page.screenshot(path=str(page.shots / "figure-dialog.png"))  # the viewport: the dialog over the page

    # reverse flows, from the keyboard: the checkbox is reached with Tab and toggled with Space
    box = dialog.locator("input.figure-reverse-box")
    box.focus()
    page.keyboard.press("Space")
    expect(image).to_have_attribute("src", re.compile(r"reverse=1"))
    expect(image).to_have_attribute("alt", "Money flow diagram, with reverse flows")
    _sized(image)
    assert "reverse=1" in dialog.locator("a.figure-dl[data-format='png']").get_attribute("href")
    page.screenshot(path=str(page.shots / "figure-dialog-reverse.png"))

    # zoom to the actual size and back
    dialog.get_by_role("button", name="Actual size").click()
    expect(dialog.locator(".figure-scroll")).to_have_class(re.compile(r"\bis-full\b"))
    dialog.get_by_role("button", name="Fit width").click()
    expect(dialog.locator(".figure-scroll")).not_to_have_class(re.compile(r"\bis-full\b"))

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.figureKind") == "money-flow"  # focus back on the link


def test_dialog_downloads_png_and_svg_and_copies(page, live_server):
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/?{MARKET}")
    page.locator("a.figure-open[data-figure-kind='liability']").click()
    dialog = page.locator("dialog.figure-dialog")
    expect(dialog).to_be_visible()
    with page.expect_download() as info:
        dialog.get_by_role("link", name="Download PNG").click()
    assert info.value.suggested_filename == "connectplan-liability.png"
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    png = page.request.get(live_server + dialog.locator("a.figure-dl[data-format='png']").get_attribute("href"))
    assert png.headers["content-type"] == "image/png"
    with page.expect_download() as info:
        dialog.get_by_role("link", name="Download SVG").click()
    assert info.value.suggested_filename == "connectplan-liability.svg"
    assert b"<svg" in Path(info.value.path()).read_bytes()
    dialog.get_by_role("button", name="Copy SVG").click()
    expect(dialog.locator(".figure-status")).to_have_text("SVG copied")
    assert "<svg" in page.evaluate("navigator.clipboard.readText()")
    dialog.get_by_role("button", name="Copy PNG").click()
    expect(dialog.locator(".figure-status")).to_have_text("PNG copied")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_figure_page_works_without_javascript(browser, live_server, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(f"{live_server}/?{MARKET}")
        link = pg.locator("a.figure-open[data-figure-kind='money-flow']")
        link.focus()
        pg.keyboard.press("Enter")
        expect(pg).to_have_url(re.compile(r"/figures/money-flow\?"))
        image = pg.locator(".figure-full img")
        _sized(image)
        assert image.get_attribute("alt").startswith("Money flow diagram: ")
        box = pg.get_by_label("Show reverse flows (refunds, disputes, reversals, recovery)")
        box.check()
        pg.get_by_role("button", name="Apply").click()
        expect(pg).to_have_url(re.compile(r"reverse=1"))
        expect(pg.get_by_label("Show reverse flows (refunds, disputes, reversals, recovery)")).to_be_checked()
        _sized(pg.locator(".figure-full img"))
        assert pg.locator("h1").inner_text() == "Money flow diagram"
        pg.screenshot(path=str(tmp_path / "figure-page-no-js.png"))
        pg.get_by_role("link", name="Back to the configurator").click()
        expect(pg).to_have_url(re.compile(r"/\?catalog="))
    finally:
        context.close()


def test_figure_page_with_javascript_toggles_without_a_button(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/figures/money-flow?{MARKET}")
    expect(page.get_by_role("button", name="Apply")).to_be_hidden()  # the checkbox submits by itself
    page.get_by_label("Show reverse flows (refunds, disputes, reversals, recovery)").check()
    expect(page).to_have_url(re.compile(r"reverse=1"))
    _sized(page.locator(".figure-full img"))
    for name in ("Copy SVG", "Copy PNG", "Fit width", "Actual size"):
        expect(page.get_by_role("button", name=name)).to_be_visible()
    shot(page, "figure-page")
