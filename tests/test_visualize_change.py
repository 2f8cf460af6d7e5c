"""Change diagrams: one picture of two resolutions, drawn from engine.diff (issue 13)."""

from __future__ import annotations

import re

import pytest

from connectplan.engine import resolve
from connectplan.visualize import change_diagram
from connectplan.visualize._dot import FLOW_STYLES
from connectplan.visualize.change import change_figure
from connectplan.visualize.money_flow import money_flow_figure

SAAS_2024 = {
    "onboarding": "hosted",
    "dashboard": "full",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
}
MARKET = {
    "onboarding": "embedded",
    "dashboard": "express",
    "charge_type": "destination",
    "fee_payer": "platform",
    "liability": "platform",
}


def edges_between(fig, tail: str, head: str):
    return [e for e in fig.edges if e.tail == f"party__{tail}" and e.head == f"party__{head}"]


def status(element) -> str:
    return element.change[1] if element.change else "unchanged"


def test_direct_to_destination_moves_the_charge(cat2024, cat2025):
    fig = change_figure(
        "money-flow", resolve(cat2024, SAAS_2024), resolve(cat2025, MARKET), old_subject="acme@1", new_subject="acme@2"
    )
    assert [status(e) for e in edges_between(fig, "customer", "connected_account")] == ["removed"]
    assert [status(e) for e in edges_between(fig, "customer", "platform")] == ["added"]
    assert [status(e) for e in edges_between(fig, "platform", "connected_account")] == ["added"]  # the transfer
    assert [status(e) for e in edges_between(fig, "connected_account", "platform")] == ["unchanged"]  # app fee
    assert fig.title[0] == "Money flow change: acme@1 → acme@2"
    assert "stripe-connect@2024 → stripe-connect@2025" in fig.title[-1]


def test_status_is_line_style_and_marker_and_the_kind_colour_stays(cat2025):
    """Issue 13 point 1: a flow keeps its kind's colour; status shows as line style and a marker."""
    before = resolve(cat2025, {**MARKET, "charge_type": "direct"})
    fig = change_figure("money-flow", before, resolve(cat2025, MARKET))
    for edge in fig.edges:
        assert dict(edge.attrs)["color"] in {s["color"] for s in FLOW_STYLES.values()}
    removed = [e for e in fig.edges if status(e) == "removed"]
    assert removed and all(dict(e.attrs)["style"] == "dotted" and "<B>− </B>" in e.label for e in removed)
    changed = [e for e in fig.edges if status(e) == "changed"]
    assert changed and all("<B>~ </B>" in e.label and "was: " in e.label for e in changed)
    separate = resolve(cat2025, {**MARKET, "charge_type": "separate"})
    src = change_diagram("money-flow", separate, resolve(cat2025, MARKET)).source
    # the customer's charge moved from separate_charge to destination_charge: the same movement, unchanged
    assert re.search(r"party__customer -> party__platform \[label=<Charge amount", src)


def test_identical_sides_show_no_change_and_no_status_legend(cat2025):
    res = resolve(cat2025, MARKET)
    for kind in ("money-flow", "liability", "steps"):
        fig = change_figure(kind, res, res)
        assert fig.changes() == frozenset()
        assert not any(m in r.meaning for r in fig.present_legend() for m in ("added", "removed", "changed"))


def test_steps_change_ignores_renumbering_and_keeps_the_fill(cat2025):
    hosted = resolve(cat2025, {**MARKET, "onboarding": "hosted"})
    fig = change_figure("steps", hosted, resolve(cat2025, MARKET))
    by_id = {n.id: n for n in fig.nodes}
    assert status(by_id["step__onboard_embedded"]) == "added"
    assert status(by_id["step__onboard_hosted"]) == "removed"
    assert status(by_id["step__webhooks"]) == "unchanged"
    assert "dotted" in dict(by_id["step__onboard_hosted"].attrs)["style"]
    assert dict(by_id["step__onboard_embedded"].attrs)["fillcolor"] == "#dbe9f6"  # a core step stays filled
    # the merged order keeps each phase in one piece and reads down the page
    assert fig.sequence.index("step__onboard_hosted") < fig.sequence.index("step__webhooks")


def test_renamed_step_across_editions_is_one_node(cat2024, cat2025):
    fig = change_figure("steps", resolve(cat2024, SAAS_2024), resolve(cat2025, {**SAAS_2024}))
    renamed = [n for n in fig.nodes if n.change and n.change[1] == "renamed"]
    assert [n.change for n in renamed] == [("step", "renamed", "create_accounts_v1_controller", "create_accounts_v2")]
    assert "was create_accounts_v1_controller" in renamed[0].label
    assert "step__create_accounts_v1_controller" not in {n.id for n in fig.nodes}


def test_money_flow_figure_keys_edges_by_flow_id(cat2025):
    fig = money_flow_figure(resolve(cat2025, MARKET))
    assert {e.key for e in fig.edges} <= {f.id for f in cat2025.flows}


def test_unknown_kind_is_refused(cat2025):
    res = resolve(cat2025, MARKET)
    with pytest.raises(ValueError, match="money-flow, liability, steps"):
        change_diagram("catalog", res, res)
