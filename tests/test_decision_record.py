"""Design documents as decision records, and ``doc --since`` (issue 13, points 4 and 5)."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from test_docgen import parse, run

from connectplan.engine import resolve
from connectplan.output.design_doc import HistoryItem, PlanInfo, design_html, design_markdown, github_anchor
from connectplan.output.documents import to_document


@pytest.fixture
def three_versions(tmp_path):
    from connectplan.workspace import open_workspace

    url = f"sqlite:///{tmp_path / 'plans.db'}"
    with open_workspace(url) as ws:
        ws.new_plan("acme", catalog="stripe-connect@2025", preset="marketplace", message="first cut", author="ann")
        ws.set_plan("acme", {"charge_type": "separate"}, message="multi-seller carts", author="bob")
        ws.set_plan("acme", {"dashboard": "none"}, message="our own seller portal", author="cy")
        ws.tag("acme@3", "proposed")
        ws.tag("acme@1", "superseded")
    return url


def markdown_text(md: str) -> tuple[str, list[str]]:
    page = parse(MarkdownIt("commonmark").enable("table").render(md))
    return page.all_text, page.hrefs


@pytest.mark.dot
class TestDocOfAPlan:
    def test_three_versions_and_a_proposed_tag(self, runner, three_versions, tmp_path):
        """Issue 13 acceptance: the decision log, considered options with reasons, and the status."""
        out = tmp_path / "doc"
        result = run(runner, three_versions, "doc", "acme@3", "-o", str(out))
        assert result.exit_code == 0, result.output
        md = (out / "README.md").read_text(encoding="utf-8")
        text, hrefs = markdown_text(md)
        assert "Status: proposed" in text
        # the decision log: every version's message in order, with author and date
        log = [text.index(f"acme@{n} · ") for n in (1, 2, 3)]
        assert log == sorted(log)
        for message, author in (("first cut", "ann"), ("multi-seller carts", "bob"), ("our own seller portal", "cy")):
            assert re.search(rf"· \d{{4}}-\d\d-\d\dT[\d:]+Z · {author} · .*: {message}", text), message
        assert "tags superseded" in text
        # considered options: other options with status, the rule and its cause
        considered = text[text.index("Considered options\nEach row") :]
        assert "API onboarding (platform-built) onboarding.api" in considered
        assert "excluded" in considered and "penalised" in considered and "possible" in considered
        assert "api_onboarding_sales_led [sales_gated]: " in considered
        assert "Because: onboarding.api [=y]" in considered
        assert "stripe_liability_requires_direct_charges [blocked]" in considered  # liability.stripe is excluded
        assert "Nearest alternatives" in considered
        # table of contents: each section's link is the anchor GitHub gives its heading
        for name in ("Status", "Context", "Decision", "Considered options", "Consequences"):
            assert f"#{github_anchor(name)}" in hrefs
        assert md.index("## Status") < md.index("## Context") < md.index("## Decision") < md.index("## Consequences")

    def test_since_adds_what_changed_with_the_change_diagrams(self, runner, three_versions, tmp_path):
        out = tmp_path / "doc"
        result = run(runner, three_versions, "doc", "acme@3", "-o", str(out), "--since", "acme@1")
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir()) == [
            ".connectplan-doc.json",  # the manifest of the files doc wrote (it overwrites only those)
            "README.md",
            "change-liability.svg",
            "change-money-flow.svg",
            "change-steps.svg",
            "liability.svg",
            "money-flow-reverse.svg",
            "money-flow.svg",
            "steps.svg",
        ]
        md = (out / "README.md").read_text(encoding="utf-8")
        since = md[md.index("## What changed since acme@1") : md.index("## Change from the previous version")]
        assert "Decision `charge_type`: `destination` → `separate`" in since
        assert "Decision `dashboard`: `express` → `none`" in since
        assert "![Money flow change from acme@1: added, removed and changed elements](<change-money-flow.svg>)" in since
        # flows are matched by movement: the customer's charge is no change
        assert "Customer → Platform" not in since
        page = parse(MarkdownIt("commonmark").enable("table").render(md))
        assert "#what-changed-since-acme1" in page.hrefs
        assert "change-steps.svg" in page.srcs

    def test_since_an_unknown_version_is_one_line(self, runner, three_versions, tmp_path):
        result = run(runner, three_versions, "doc", "acme@3", "-o", str(tmp_path / "d"), "--since", "acme@9")
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
        assert not (tmp_path / "d").exists()

    def test_html_prints_well(self, runner, three_versions, tmp_path):
        target = tmp_path / "acme.html"
        result = run(
            runner, three_versions, "doc", "acme@3", "-o", str(target), "--format", "html", "--since", "acme@2"
        )
        assert result.exit_code == 0, result.output
        page = target.read_text(encoding="utf-8")
        assert "@media print" in page
        assert re.search(r"figure \{[^}]*page-break-before: always", page)
        assert re.search(r"figure img \{[^}]*max-width: 100%", page)
        assert (
            page.count("<figure>") == 7
        )  # four diagrams (money flow also with its reverse flows), three change diagrams
        assert '<h2 id="considered-options">' in page and 'href="#considered-options"' in page
        ids = re.findall(r'<h\d id="([^"]+)"', page)
        assert len(ids) == len(set(ids)) and "integration-steps-1" in ids  # unique, numbered as on GitHub
        assert '<figure><h3 id="money-flow">Money flow</h3>' in page  # a figure keeps its heading when printed


class TestStatusAndLog:
    @pytest.fixture
    def res(self, cat2025):
        return resolve(cat2025, dict(cat2025.presets[0].selection))

    def test_status_comes_from_the_lifecycle_tag(self, res):
        for tags, status in ((("proposed",), "proposed"), (("proposed", "accepted"), "accepted"), (("v1",), "draft")):
            text, _ = markdown_text(design_markdown(res, PlanInfo("acme", 1, tags=tags)))
            assert f"Status: {status}" in text

    def test_what_if_selection_has_no_decision_log(self, res):
        text, _ = markdown_text(design_markdown(res))
        assert "Status: what-if" in text
        assert "it has no decision log" in text

    def test_history_is_listed_oldest_first_and_escaped(self, res):
        info = PlanInfo(
            "acme",
            2,
            history=(
                HistoryItem(1, "2026-01-01T00:00:00Z", "<ann>", "first *cut*", ("proposed",), "caution"),
                HistoryItem(2, "2026-01-02T00:00:00Z", "bob", "second", (), "allowed"),
            ),
        )
        text, _ = markdown_text(design_markdown(res, info))
        assert text.index("acme@1 · 2026-01-01T00:00:00Z · <ann>") < text.index("acme@2 · 2026-01-02")
        assert "verdict caution · tags proposed: first *cut*" in text
        page = parse(design_html(res, info))
        assert "script" not in page.tags and "<ann>" in page.all_text


def test_render_catalog_property_figure_and_its_errors(runner, three_versions):
    result = run(
        runner, three_versions, "render", "catalog", "--catalog", "stripe-connect@2025", "--property", "fee_payer"
    )
    assert result.exit_code == 0, result.output
    assert "Catalog: stripe-connect@2025 · property fee_payer" in result.output
    assert "subgraph cluster_c__fee_payer " in result.output and "cluster_c__charge_type" not in result.output
    bad = run(runner, three_versions, "render", "catalog", "--catalog", "stripe-connect@2025", "--property", "nope")
    assert bad.exit_code == 2 and "unknown property 'nope'" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
    wrong = run(runner, three_versions, "render", "steps", "acme", "--property", "fee_payer")
    assert wrong.exit_code == 2 and "--property applies to catalog diagrams only" in wrong.output


def test_multi_choice_selections_in_the_diff_the_record_and_the_figures():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_multi_choice import monetized

    from connectplan.engine import catalog_from_dict
    from connectplan.engine.diff import diff_resolutions
    from connectplan.visualize.catalog import catalog_diagrams
    from connectplan.visualize.change import change_figure

    cat = catalog_from_dict(monetized())
    a = resolve(cat, {"model": "platform", "money": ("fees", "saas")})
    b = resolve(cat, {"model": "platform", "money": ("markup",)})
    d = diff_resolutions(a, b, from_ref="shop@1", to_ref="shop@2")
    assert to_document(d)["selection"] == {"money": [["fees", "saas"], ["markup"]]}
    md = design_markdown(b, PlanInfo("shop", 2), previous=(PlanInfo("shop", 1), a), since=(PlanInfo("shop", 1), a))
    text, _ = markdown_text(md)
    assert "Decision money: fees,saas → markup" in text
    assert "Product markup money.markup" in text  # one decision row per chosen option
    assert re.search(r"Application fees money\.fees\s*possible", text) and "would clear markup_without_fees" in text
    assert ("step", "removed", "bill") in change_figure("steps", a, b).changes()
    assert all(dot.source for _, dot in catalog_diagrams(cat, b))
