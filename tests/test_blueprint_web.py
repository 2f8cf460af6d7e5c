"""The Blueprint page of a plan version (issue 21, point 5): renders, escapes, downloads, copies.

The browser test uses tests/chromium.py's Chromium fixtures and starts its own live server on
a store that already holds the plans (so it does not depend on the configurator's forms).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from webapp import client_for, new_store, running

from connectplan import open_workspace
from connectplan.output.blueprint import format_blueprint

if TYPE_CHECKING:
    from collections.abc import Iterator

HOSTILE_TITLE = "<script>alert('x')</script> & \"quoted\" café"


def _hostile_catalog(tmp_path: Path) -> Path:
    import yaml

    from tests.conftest import tiny_doc

    doc = tiny_doc(name="evil")
    doc["steps"][0].update(
        title=HOSTILE_TITLE,
        api=[
            {
                "text": HOSTILE_TITLE,
                "api": "v1",
                "method": "POST",
                "path": "/v1/payouts",
                "params": {"amount": "{{amount}}", "currency": "{{currency}}", "description": HOSTILE_TITLE},
            }
        ],
    )
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = new_store(tmp_path)
    with open_workspace(url) as ws:
        ws.new_plan("acme", preset="marketplace", message="first cut")
        ws.import_catalog(_hostile_catalog(tmp_path))
        ws.new_plan("evil", catalog="evil", preset="small_red")
    return url


def test_the_version_page_links_to_its_blueprint(store):
    with client_for(store) as tc:
        html = tc.get("/versions/acme@1").text
        assert 'href="/versions/acme%401/blueprint"' in html or 'href="/versions/acme@1/blueprint"' in html


def test_the_blueprint_page_shows_the_four_formats_with_copy_buttons_and_downloads(store):
    with client_for(store) as tc, open_workspace(store) as ws:
        response = tc.get("/versions/acme@1/blueprint")
        assert response.status_code == 200
        html = response.text
        bp = ws.blueprint("acme@1")
        for fmt in ("text", "json", "python", "curl"):
            assert f'<pre id="bp-{fmt}"' in html
            assert f'data-copy-target="bp-{fmt}"' in html
            assert f'href="/versions/acme@1/blueprint?download={fmt}"' in html
            download = tc.get(f"/versions/acme@1/blueprint?download={fmt}")
            assert download.status_code == 200
            assert download.text == format_blueprint(bp, fmt)
            assert download.headers["content-disposition"].startswith("attachment; filename=")
        assert "<script>" not in html.replace('<script src="/static/', "")  # no inline script (strict CSP)
        assert "/static/blueprint.js?v=" in html and "/static/blueprint.css?v=" in html
        assert tc.get("/static/blueprint.js").status_code == 200
        assert tc.get("/versions/acme@1/blueprint?download=xml").status_code == 400
        assert tc.get("/versions/nope@1/blueprint").status_code == 404


def test_the_blueprint_page_escapes_catalog_text(store):
    with client_for(store) as tc:
        html = tc.get("/versions/evil@1/blueprint").text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(" in html
        python = tc.get("/versions/evil@1/blueprint?download=python").text
        assert python.isascii() and "\\xe9" in python


@pytest.fixture(scope="module")
def live_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("blueprint-browser")
    url = new_store(directory)
    with open_workspace(url) as ws:
        ws.new_plan("acme", preset="marketplace", message="first cut")
    with running(url=url) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.browser
def test_copy_buttons_copy_each_block_and_downloads_work(page, live_store):
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_store)
    page.goto(f"{live_store}/versions/acme@1")
    page.click("text=API blueprint")
    expect(page.locator("h1")).to_contain_text("API blueprint of acme@1")
    for fmt in ("python", "curl", "json", "text"):
        button = page.locator(f"button[data-copy-target=bp-{fmt}]")
        button.click()
        expect(button).to_have_attribute("data-copied", "true")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.locator(f"#bp-{fmt}").text_content()
    assert "client.v2.core.accounts.create(" in page.evaluate("document.getElementById('bp-python').textContent")
    with page.expect_download() as info:
        page.click("text=Download acme-1-blueprint.sh")
    assert info.value.suggested_filename == "acme-1-blueprint.sh"
    assert Path(info.value.path()).read_text(encoding="utf-8").startswith("#!/usr/bin/env bash")
    page.screenshot(path=str(page.shots / "blueprint.png"))
