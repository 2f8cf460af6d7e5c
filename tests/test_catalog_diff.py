"""Edition diff: added / removed / renamed / changed items, renames from the newer edition."""

from __future__ import annotations

import copy

from connectplan.catalog_files import load_builtin
from connectplan.engine import catalog_from_dict
from connectplan.engine.catalog_diff import SECTIONS, diff_catalogs
from connectplan.output.documents import to_document
from tests.conftest import tiny_doc


def test_identical_editions_have_no_differences() -> None:
    cat = catalog_from_dict(tiny_doc())
    diff = diff_catalogs(cat, cat)
    assert diff.identical
    assert [name for name, _ in diff.sections] == list(SECTIONS)


def test_added_removed_changed_in_each_section() -> None:
    old_doc = tiny_doc()
    new_doc = copy.deepcopy(old_doc)
    new_doc["edition"] = "2"
    new_doc["properties"][0]["options"].append({"id": "green", "title": "Green"})
    new_doc["rules"] = [
        dict(old_doc["rules"][0], severity="caution"),
        {"id": "new_rule", "condition": "size.s", "severity": "info", "message": "n"},
    ]
    new_doc["steps"][1]["title"] = "Second, renamed title"
    new_doc["flows"] = []
    diff = diff_catalogs(catalog_from_dict(old_doc), catalog_from_dict(new_doc))
    assert diff.section("options").added == ("color.green",)
    assert diff.section("rules").added == ("new_rule",)
    assert diff.section("rules").removed == ("blue_note",)
    assert [(c.id, c.fields) for c in diff.section("rules").changed] == [("no_big_red", ("severity",))]
    assert [(c.id, c.fields) for c in diff.section("steps").changed] == [("second", ("title",))]
    assert diff.section("flows").removed == ("pay",)
    assert diff.section("properties").empty
    doc = to_document(diff)
    assert list(doc) == ["from", "to", *SECTIONS, "identical"]
    assert doc["from"] == "tiny@1" and doc["to"] == "tiny@2" and doc["identical"] is False


def test_renamed_step_and_option_are_paired() -> None:
    old_doc = tiny_doc()
    new_doc = copy.deepcopy(old_doc)
    new_doc["edition"] = "2"
    new_doc["properties"][1]["options"][1]["id"] = "large"
    for item in (*new_doc["rules"], *new_doc["steps"]):
        item["condition"] = item["condition"].replace("size.l", "size.large")
    new_doc["steps"][0]["id"] = "start"
    new_doc["steps"][1]["prereqs"] = ["start"]
    new_doc["renames"] = {"options": {"size.l": "size.large"}, "steps": {"first": "start"}}
    diff = diff_catalogs(catalog_from_dict(old_doc), catalog_from_dict(new_doc))
    assert [(r.old, r.new, r.fields) for r in diff.section("options").renamed] == [("size.l", "size.large", ())]
    assert diff.section("options").added == () and diff.section("options").removed == ()
    assert [(r.old, r.new) for r in diff.section("steps").renamed] == [("first", "start")]
    # the prerequisite pointing at the renamed step is not a change
    assert [c.id for c in diff.section("steps").changed] == ["second"]
    assert diff.section("steps").changed[0].fields == ("condition",)


def test_stripe_2024_to_2025() -> None:
    diff = diff_catalogs(load_builtin("stripe-connect@2024.yaml"), load_builtin("stripe-connect@2025.yaml"))
    assert diff.section("options").added == ("charge_type.destination_obo", "charge_type.separate_obo")
    assert "no_dashboard_requires_platform_pricing_and_liability" in diff.section("rules").added
    steps = diff.section("steps")
    assert [(r.old, r.new) for r in steps.renamed] == [("create_accounts_v1_controller", "create_accounts_v2")]
    assert "create_accounts_v1_controller" not in steps.removed
    assert "create_accounts_v2" not in steps.added
    assert diff.section("properties").empty
