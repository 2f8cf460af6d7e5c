"""Edition upgrades of saved plans: mapping through renames, impact report, saving rules."""

from __future__ import annotations

import copy
import json

import pytest

from connectplan.catalog_files import load_builtin
from connectplan.cli import cli
from connectplan.engine import catalog_from_dict, resolve
from connectplan.engine.upgrade import UpgradeError, map_selection, plan_upgrade
from connectplan.output.documents import to_document
from connectplan.sat import make_solver
from tests.conftest import tiny_doc

FULLY_EMBEDDED_2024 = {
    "onboarding": "embedded",
    "dashboard": "none",
    "charge_type": "direct",
    "fee_payer": "platform",
    "liability": "stripe",
}


def test_2024_fully_embedded_plan_becomes_blocked_in_2025() -> None:
    """Issue 5 acceptance: none / direct / platform / stripe is allowed in 2024 and blocked in 2025."""
    old, new = load_builtin("stripe-connect@2024.yaml"), load_builtin("stripe-connect@2025.yaml")
    before = resolve(old, FULLY_EMBEDDED_2024)
    report = plan_upgrade(before, new, from_ref="acme@1", to_ref="acme@2", solver_factory=make_solver)
    assert (report.before.verdict, report.after.verdict) == ("allowed", "blocked")
    assert report.blocked
    assert [f.rule.id for f in report.blocking_findings] == ["no_dashboard_requires_platform_pricing_and_liability"]
    added = [f.rule for f in report.diff.findings_added]
    assert "no_dashboard_requires_platform_pricing_and_liability" in added
    # the account-creation step is renamed, not removed and added
    assert report.renamed_steps == (("create_accounts_v1_controller", "create_accounts_v2"),)
    assert "create_accounts_v2" not in [s.id for s in report.diff.steps_added]
    assert "create_accounts_v1_controller" not in [s.id for s in report.diff.steps_removed]
    assert report.alternatives and all(a.verdict != "blocked" for a in report.alternatives)
    doc = to_document(report)
    assert list(doc)[:6] == ["from", "to", "selection", "renamed", "verdict", "findings"]
    assert doc["verdict"] == ["allowed", "blocked"]
    assert set(doc["steps"]) >= {"added", "removed", "moved", "renamed"}


def test_option_renames_are_applied() -> None:
    old = catalog_from_dict(tiny_doc())
    new_doc = copy.deepcopy(tiny_doc())
    new_doc["edition"] = "2"
    new_doc["properties"][1]["options"][1]["id"] = "large"
    for item in (*new_doc["rules"], *new_doc["steps"]):
        item["condition"] = item["condition"].replace("size.l", "size.large")
    new_doc["renames"] = {"options": {"size.l": "size.large"}}
    new = catalog_from_dict(new_doc)
    mapped, renamed = map_selection(old, new, {"color": "blue", "size": "l"})
    assert mapped == {"color": "blue", "size": "large"}
    assert [(c.prop, c.before, c.after) for c in renamed] == [("size", "l", "large")]
    report = plan_upgrade(resolve(old, {"color": "blue", "size": "l"}), new)
    assert report.after.selection_dict == mapped and not report.blocked and report.alternatives is None


def test_unmappable_option_is_an_error() -> None:
    old = catalog_from_dict(tiny_doc())
    new_doc = copy.deepcopy(tiny_doc())
    new_doc["edition"] = "2"
    new_doc["properties"][1]["options"][1]["id"] = "large"
    for item in (*new_doc["rules"], *new_doc["steps"]):
        item["condition"] = item["condition"].replace("size.l", "size.large")
    with pytest.raises(UpgradeError, match=r"size\.l does not exist"):
        map_selection(old, catalog_from_dict(new_doc), {"color": "red", "size": "l"})


@pytest.fixture
def invoke(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"

    def run(*args: str):
        return runner.invoke(cli, ["--db", url, *args], catch_exceptions=False)

    return run


def _new_2024_plan(invoke, name="acme"):  # type: ignore[no-untyped-def]
    sets = [a for p, o in FULLY_EMBEDDED_2024.items() for a in ("--set", f"{p}={o}")]
    result = invoke("plan", "new", name, "--catalog", "stripe-connect@2024", *sets, "-m", "first")
    assert result.exit_code == 0, result.output


def test_cli_dry_run_reports_and_saves_nothing(invoke):
    _new_2024_plan(invoke)
    result = invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025", "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["verdict"] == ["allowed", "blocked"]
    assert doc["from"]["ref"] == "acme@1" and doc["to"]["catalog"]["edition"] == "2025"
    assert doc["saved"] is None
    assert [b["rule"] for b in doc["blocked_by"]] == ["no_dashboard_requires_platform_pricing_and_liability"]
    text = invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025", "--dry-run").output
    assert "allowed -> blocked" in text and "no_dashboard_requires_platform_pricing_and_liability" in text
    assert "Dry run: nothing saved." in text
    show = json.loads(invoke("plan", "show", "acme", "--format", "json").output)
    assert show["plan"]["version"] == 1


def test_cli_blocked_upgrade_needs_allow_blocked(invoke):
    _new_2024_plan(invoke)
    refused = invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025")
    assert refused.exit_code == 1
    assert "Nearest alternatives" in refused.output and "--allow-blocked" in refused.output
    saved = invoke(
        "plan", "upgrade", "acme", "--to", "stripe-connect@2025", "--allow-blocked", "-m", "move to Accounts v2"
    )
    assert saved.exit_code == 0, saved.output
    assert "Saved acme@2 on stripe-connect@2025." in saved.output
    show = json.loads(invoke("plan", "show", "acme", "--format", "json").output)
    assert show["plan"]["version"] == 2
    again = invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025")
    assert again.exit_code == 2 and "already on stripe-connect@2025" in again.output


def test_cli_allowed_upgrade_saves_a_new_version(invoke):
    result = invoke("plan", "new", "shop", "--catalog", "stripe-connect@2024", "--preset", "marketplace")
    assert result.exit_code == 0, result.output
    up = invoke("plan", "upgrade", "shop", "--to", "stripe-connect@2025", "--format", "json")
    assert up.exit_code == 0, up.output
    doc = json.loads(up.output)
    assert doc["saved"] == "shop@2"
    assert doc["verdict"] == ["allowed", "caution"]  # DOMAIN.md §8: the marketplace preset is caution in 2025
