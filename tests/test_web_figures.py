"""Web figures (issue 19 point 3): full-width images sized from their SVG, the figure page, reverse flows on
request, SVG/PNG/DOT downloads; the same figures as `render`."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from click.testing import CliRunner
from webapp import Page, client_for, new_store

from connectplan.cli import cli
from connectplan.visualize._dot import FLOW_STYLES
from connectplan.web.figures import svg_size

CAT = "stripe-connect@2026-12"
MARKET = urlencode({"catalog": CAT, "preset": "marketplace"})

pytestmark = pytest.mark.dot


@pytest.fixture(scope="module")
def tc(tmp_path_factory):
    with client_for(new_store(tmp_path_factory.mktemp("web-figures"))) as client:
        yield client


def test_thumbnails_carry_the_svg_size_and_open_the_figure_page(tc):
    page = Page(tc.get(f"/?{MARKET}").text)
    images = [a for tag, a in page.elements if tag == "img" and "/diagrams/" in a.get("src", "")]
    assert {urlsplit(a["src"]).path for a in images} == {
        f"/diagrams/{k}.svg" for k in ("money-flow", "liability", "steps")
    }
    for attrs in images:
        svg = tc.get(attrs["src"]).content
        assert (int(attrs["width"]), int(attrs["height"])) == svg_size(svg)  # no layout shift
        assert attrs["alt"].endswith("diagram")
    links = [a for tag, a in page.elements if tag == "a" and "figure-open" in a.get("class", "")]
    assert sorted(urlsplit(a["href"]).path for a in links) == [
        "/figures/liability",
        "/figures/money-flow",
        "/figures/steps",
    ]


def test_an_htmx_update_takes_sizes_only_from_the_cache(tc):
    """An option change must not wait for Graphviz: the partial renders no figure, and sizes what is cached."""
    query = urlencode({"catalog": CAT, "preset": "on_demand", "liability": "platform"})
    cache = tc.app.state.figures
    before = len(cache.items)
    partial = Page(tc.get(f"/partials/workspace?{query}", headers={"HX-Request": "true"}).text)
    images = [a for tag, a in partial.elements if tag == "img" and "/diagrams/" in a.get("src", "")]
    assert len(images) == 3 and not any("width" in a for a in images)
    assert len(cache.items) == before  # nothing was rendered
    tc.get(images[0]["src"])  # the browser loads one picture
    again = Page(tc.get(f"/partials/workspace?{query}", headers={"HX-Request": "true"}).text)
    sized = [a for tag, a in again.elements if tag == "img" and "/diagrams/" in a.get("src", "") and "width" in a]
    assert [a["src"] for a in sized] == [images[0]["src"]]


def test_figure_page_is_full_width_sized_with_downloads_and_a_no_js_reverse_toggle(tc):
    resp = tc.get(f"/figures/money-flow?{MARKET}")
    assert resp.status_code == 200
    page = Page(resp.text)
    img = next(a for tag, a in page.elements if tag == "img" and "/diagrams/" in a.get("src", ""))
    assert (int(img["width"]), int(img["height"])) == svg_size(tc.get(img["src"]).content)
    assert img["alt"].startswith("Money flow diagram: ")
    hrefs = [a["href"] for tag, a in page.elements if tag == "a" and "href" in a]
    for fmt in ("svg", "png", "dot"):
        assert any(h.startswith(f"/diagrams/money-flow.{fmt}?") and h.endswith("download=1") for h in hrefs)
    # the toggle is a GET form carrying the selection, so it works without JavaScript
    form = next(a for tag, a in page.elements if tag == "form" and a.get("action") == "/figures/money-flow")
    assert form["method"] == "get"
    box = next(a for tag, a in page.elements if tag == "input" and a.get("name") == "reverse")
    assert box["type"] == "checkbox" and "checked" not in box
    hidden = {(a["name"], a["value"]) for tag, a in page.elements if tag == "input" and a.get("type") == "hidden"}
    assert hidden == {("catalog", CAT), ("preset", "marketplace")}
    on = Page(tc.get(f"/figures/money-flow?{MARKET}&reverse=1").text)
    assert "checked" in next(a for tag, a in on.elements if tag == "input" and a.get("name") == "reverse")


def test_reverse_flows_only_with_reverse_1_on_the_web_and_in_render(tc):
    plain = tc.get(f"/diagrams/money-flow.dot?{MARKET}").text
    full = tc.get(f"/diagrams/money-flow.dot?{MARKET}&reverse=1").text
    for kind in ("refund", "dispute", "recovery"):  # each reverse kind's edge colour
        colour = f'color="{FLOW_STYLES[kind]["color"]}"'
        assert colour not in plain and colour in full, kind
    assert full.count(" -> ") > plain.count(" -> ")
    # the web draws what `render` draws: without reverse flows by default, all of them with --include all
    base = ["render", "money-flow", "--catalog", CAT, "--preset", "marketplace", "--format", "dot"]
    assert CliRunner().invoke(cli, base).output == plain
    assert CliRunner().invoke(cli, [*base, "--include", "all"]).output == full
    # another ETag, so a cached picture without them is never shown for the toggle
    a = tc.get(f"/diagrams/money-flow.svg?{MARKET}").headers["etag"]
    b = tc.get(f"/diagrams/money-flow.svg?{MARKET}&reverse=1").headers["etag"]
    assert a != b
    # other kinds ignore the toggle
    assert tc.get(f"/diagrams/steps.dot?{MARKET}&reverse=1").text == tc.get(f"/diagrams/steps.dot?{MARKET}").text


def test_png_and_svg_downloads(tc):
    png = tc.get(f"/diagrams/liability.png?{MARKET}&download=1")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'filename="connectplan-liability.png"' in png.headers["content-disposition"]
    svg = tc.get(f"/diagrams/money-flow.svg?{MARKET}&reverse=1&download=1")
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content
    assert "connectplan-money-flow-with-reverse-flows.svg" in svg.headers["content-disposition"]


def test_figure_page_of_a_plan_and_bad_kinds(tc):
    assert tc.get(f"/figures/pie?{MARKET}").status_code == 400
    page = Page(tc.get(f"/figures/steps?{MARKET}").text)
    hrefs = [a["href"] for tag, a in page.elements if tag == "a" and "href" in a]
    assert f"/?{MARKET}" in hrefs  # back to the configurator with the same selection
    assert f"/figures/liability?{MARKET}" in hrefs and f"/figures/money-flow?{MARKET}" in hrefs
