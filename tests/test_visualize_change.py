"""Change diagrams: one picture of two resolutions with added, removed and unchanged elements."""

from __future__ import annotations

import re

import pytest

from engine import resolve
from visualize import change_diagram
from visualize._dot import CHANGE_STYLES
from visualize.change import change_figure

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


def status_of(fig, tail: str, head: str) -> list[str]:
    colors = {style["color"]: name for name, style in CHANGE_STYLES.items()}
    return sorted(
        colors[dict(e.attrs)["color"]] for e in fig.edges if e.tail == f"party__{tail}" and e.head == f"party__{head}"
    )


def test_direct_to_destination_moves_the_charge(cat2024, cat2025):
    fig = change_figure(
        "money-flow", resolve(cat2024, SAAS_2024), resolve(cat2025, MARKET), old_subject="acme@1", new_subject="acme@2"
    )
    assert status_of(fig, "customer", "connected_account") == ["removed"]
    assert status_of(fig, "customer", "platform") == ["added"]
    assert status_of(fig, "platform", "connected_account") == ["added"]  # the transfer
    assert status_of(fig, "connected_account", "platform") == ["unchanged"]  # the application fee stays
    assert status_of(fig, "platform", "platform_bank") == ["unchanged"]
    # the merchant of record moved from the connected account to the platform: both nodes changed
    changed = {n.id for n in fig.nodes if dict(n.attrs)["color"] == CHANGE_STYLES["changed"]["color"]}
    assert changed == {"party__platform", "party__connected_account"}
    assert fig.title[0] == "Money flow change: acme@1 → acme@2"
    assert "stripe-connect@2024 → stripe-connect@2025" in fig.title[-1]


def test_labels_carry_the_change_marks(cat2025):
    before = resolve(cat2025, {**MARKET, "charge_type": "separate"})
    src = change_diagram("money-flow", before, resolve(cat2025, MARKET)).source
    assert re.search(r"party__customer -> party__platform \[label=<Charge amount", src)  # unchanged: no mark
    assert "<B>+ </B>Transfer (A, or" in src
    assert "<B>− </B>Transfers (T1..Tn)" in src
    assert "style=dashed" in next(line for line in src.splitlines() if "Transfers (T1..Tn)" in line)


def test_identical_sides_are_all_unchanged(cat2025):
    res = resolve(cat2025, MARKET)
    for kind in ("money-flow", "liability", "steps"):
        fig = change_figure(kind, res, res)
        grey = CHANGE_STYLES["unchanged"]["color"]
        assert all(dict(e.attrs)["color"] == grey for e in fig.edges)
        assert all(dict(n.attrs)["color"] == grey for n in fig.nodes)


def test_steps_change_ignores_renumbering(cat2025):
    hosted = resolve(cat2025, {**MARKET, "onboarding": "hosted"})
    fig = change_figure("steps", hosted, resolve(cat2025, MARKET))
    colors = {n.id: dict(n.attrs)["color"] for n in fig.nodes}
    assert colors["step__onboard_embedded"] == CHANGE_STYLES["added"]["color"]
    assert colors["step__onboard_hosted"] == CHANGE_STYLES["removed"]["color"]
    assert colors["step__webhooks"] == CHANGE_STYLES["unchanged"]["color"]


def test_unknown_kind_is_refused(cat2025):
    res = resolve(cat2025, MARKET)
    with pytest.raises(ValueError, match="money-flow, liability, steps"):
        change_diagram("catalog", res, res)
