"""Golden DOT files: the exact DOT text of chosen diagrams, byte for byte.

Regenerate after an intended change with ``CONNECTPLAN_UPDATE_GOLDEN=1 pytest tests/test_visualize_golden.py``
and read the diff: the independent facts each golden must show are asserted in
test_visualize_money_flow.py, test_visualize_diagrams.py and test_visualize_change.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from connectplan.catalog_files import load_builtin
from connectplan.engine import resolve
from connectplan.visualize import catalog_diagram, change_diagram, liability_diagram, money_flow_diagram, steps_diagram

if TYPE_CHECKING:
    from collections.abc import Callable


def get_catalog(ref: str):
    """A built-in edition read straight from its file (no store needed)."""
    return load_builtin(f"{ref}.yaml")


GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("CONNECTPLAN_UPDATE_GOLDEN") == "1"


def res(edition: str, onboarding: str, dashboard: str, charge_type: str, fee_payer: str, liability: str):
    return resolve(
        get_catalog(f"stripe-connect@{edition}"),
        {
            "onboarding": onboarding,
            "dashboard": dashboard,
            "charge_type": charge_type,
            "fee_payer": fee_payer,
            "liability": liability,
        },
    )


SAAS_2024 = ("2024", "hosted", "full", "direct", "connected_account", "stripe")
MARKET_2025 = ("2025", "embedded", "express", "destination", "platform", "platform")

#: file stem -> how to build the DOT text. One selection per charge type of each edition and per fee payer.
CASES: dict[str, Callable[[], str]] = {
    "money-flow_2024_direct_connected-account-pays": lambda: (
        money_flow_diagram(res(*SAAS_2024), subject="golden@1").source
    ),
    "money-flow_2024_direct_platform-pays": lambda: (
        money_flow_diagram(res("2024", "embedded", "none", "direct", "platform", "platform")).source
    ),
    "money-flow_2024_destination_with-reverse-flows": lambda: (
        money_flow_diagram(
            res("2024", "embedded", "express", "destination", "platform", "platform"), include=("disputes", "refunds")
        ).source
    ),
    "money-flow_2024_separate": lambda: (
        money_flow_diagram(res("2024", "embedded", "express", "separate", "platform", "platform")).source
    ),
    "money-flow_2025_direct": lambda: (
        money_flow_diagram(res("2025", "embedded", "full", "direct", "connected_account", "stripe")).source
    ),
    "money-flow_2025_destination": lambda: money_flow_diagram(res(*MARKET_2025)).source,
    "money-flow_2025_separate": lambda: (
        money_flow_diagram(res("2025", "embedded", "none", "separate", "platform", "platform")).source
    ),
    "money-flow_2025_destination-obo": lambda: (
        money_flow_diagram(res("2025", "embedded", "express", "destination_obo", "platform", "platform")).source
    ),
    "money-flow_2025_separate-obo": lambda: (
        money_flow_diagram(res("2025", "embedded", "express", "separate_obo", "platform", "platform")).source
    ),
    "liability_2025_destination": lambda: liability_diagram(res(*MARKET_2025), subject="golden@2").source,
    "steps_2024_guide-selection": lambda: steps_diagram(res(*SAAS_2024)).source,
    "catalog_2024_guide-selection": lambda: catalog_diagram(get_catalog("stripe-connect@2024"), res(*SAAS_2024)).source,
    "change_money-flow_2024-direct_to_2025-destination": lambda: (
        change_diagram(
            "money-flow", res(*SAAS_2024), res(*MARKET_2025), old_subject="golden@1", new_subject="golden@2"
        ).source
    ),
    "catalog_2025_charge-type": lambda: catalog_diagram(get_catalog("stripe-connect@2025"), prop="charge_type").source,
    "change_liability_2025-direct_to_destination": lambda: (
        change_diagram(
            "liability",
            res("2025", "embedded", "express", "direct", "platform", "platform"),
            res(*MARKET_2025),
            old_subject="golden@1",
            new_subject="golden@2",
        ).source
    ),
    "change_steps_2024_to_2025-renamed-step": lambda: (
        change_diagram(
            "steps", res(*SAAS_2024), res("2025", *SAAS_2024[1:]), old_subject="golden@1", new_subject="golden@2"
        ).source
    ),
    "change_steps_2025-hosted_to_embedded": lambda: (
        change_diagram(
            "steps",
            res("2025", "hosted", "express", "destination", "platform", "platform"),
            res(*MARKET_2025),
            old_subject="golden@1",
            new_subject="golden@2",
        ).source
    ),
}


@pytest.mark.parametrize("stem", sorted(CASES))
def test_golden_dot(stem: str) -> None:
    text = CASES[stem]()
    assert text == CASES[stem](), "two builds of the same input differ"
    path = GOLDEN / f"{stem}.dot"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing golden {path.name}; run with CONNECTPLAN_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs; if intended, regenerate and review the diff"


def test_no_stale_golden_files() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.dot")) == sorted(CASES)
