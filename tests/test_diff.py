"""engine.diff.diff_resolutions: what changed between two resolutions (issue 3, point 5)."""

from __future__ import annotations

import copy

from conftest import tiny_doc

from connectplan.engine import catalog_from_dict, resolve
from connectplan.engine.diff import diff_resolutions
from connectplan.output.documents import to_document


def _steps(*specs: tuple[str, int]) -> list[dict]:
    return [
        {"id": sid, "order": order, "phase": "accounts", "condition": "always", "title": sid.title()}
        for sid, order in specs
    ]


def test_identical_resolutions_have_an_empty_diff(tiny):
    a = resolve(tiny, {"color": "red", "size": "s"})
    d = diff_resolutions(a, resolve(tiny, {"color": "red", "size": "s"}), from_ref="p@1", to_ref="p@2")
    assert d.identical
    doc = to_document(d)
    assert doc["selection"] == {}
    assert doc["verdict"] == ["allowed", "allowed"]
    assert doc["findings"] == {"added": [], "removed": []}
    assert doc["responsibilities"] == {"added": [], "removed": [], "changed": []}
    assert doc["money_flows"]["added"] == doc["money_flows"]["removed"] == doc["money_flows"]["changed"] == []
    assert doc["steps"] == {"added": [], "removed": [], "moved": [], "renamed": [], "changed": []}
    assert doc["renamed"] == {"options": [], "steps": []}
    assert d.changes() == frozenset()


def test_json_keys_follow_the_contract_order(tiny):
    d = diff_resolutions(resolve(tiny, {"color": "red", "size": "s"}), resolve(tiny, {"color": "red", "size": "l"}))
    doc = to_document(d)
    assert list(doc)[:9] == [
        "from",
        "to",
        "selection",
        "renamed",
        "verdict",
        "findings",
        "steps",
        "money_flows",
        "responsibilities",
    ]
    assert list(doc["steps"]) == ["added", "removed", "moved", "renamed", "changed"]
    assert list(doc["money_flows"]) == ["added", "removed", "changed", "unchanged"]
    assert doc["from"] == {"ref": "a", "catalog": {"name": "tiny", "edition": "1", "revision": 1}}


def test_selection_verdict_findings_and_steps(tiny):
    # red+s is allowed with one step; red+l fires the blocked rule and activates "second".
    a = resolve(tiny, {"color": "red", "size": "s"})
    b = resolve(tiny, {"color": "red", "size": "l"})
    d = diff_resolutions(a, b, from_ref="p@1", to_ref="p@2")
    assert not d.identical
    assert d.selection == (("size", "s", "l"),)
    assert d.verdict == ("allowed", "blocked")
    assert [(f.rule, f.severity) for f in d.findings_added] == [("no_big_red", "blocked")]
    assert d.findings_removed == ()
    assert [(s.id, s.position) for s in d.steps_added] == [("second", 2)]
    assert d.steps_removed == () and d.steps_moved == ()
    back = diff_resolutions(b, a)
    assert [f.rule for f in back.findings_removed] == ["no_big_red"]
    assert [s.id for s in back.steps_removed] == ["second"]


def test_responsibility_holder_change_is_one_changed_responsibility(tiny):
    # The owner responsibility goes to party a for red and to b for blue; blue also fires an info rule.
    a = resolve(tiny, {"color": "red", "size": "s"})
    b = resolve(tiny, {"color": "blue", "size": "s"})
    d = diff_resolutions(a, b)
    assert [(r.id, r.status, r.before, r.after) for r in d.responsibilities] == [("owner", "changed", ("a",), ("b",))]
    assert to_document(d)["responsibilities"]["changed"] == [
        {"id": "owner", "title": "Owner", "from": ["a"], "to": ["b"]}
    ]
    assert ("responsibility", "changed", "owner") in d.changes()
    assert [f.rule for f in d.findings_added] == ["blue_note"]
    assert d.verdict == ("allowed", "allowed") and not d.verdict_changed


def test_flows_added_and_removed():
    doc = tiny_doc()
    doc["flows"] = [
        {"id": "small_pay", "from": "a", "to": "b", "what": "small", "kind": "charge", "condition": "size.s"},
        {"id": "big_pay", "from": "b", "to": "a", "what": "big", "kind": "charge", "condition": "size.l"},
    ]
    cat = catalog_from_dict(doc)
    d = diff_resolutions(resolve(cat, {"color": "blue", "size": "s"}), resolve(cat, {"color": "blue", "size": "l"}))
    assert [(f.id, f.from_party, f.to_party) for f in d.flows_added] == [("big_pay", "b", "a")]
    assert [f.id for f in d.flows_removed] == ["small_pay"]


def test_a_step_moved_to_the_front_is_the_only_move():
    # Edition 1 orders a, b, c; edition 2 puts c first. Only c moved: a and b keep their relative order.
    one = tiny_doc(steps=_steps(("a", 1), ("b", 2), ("c", 3)), edition="1")
    two = copy.deepcopy(one)
    two["edition"] = "2"
    two["steps"] = _steps(("a", 2), ("b", 3), ("c", 1))
    sel = {"color": "blue", "size": "s"}
    d = diff_resolutions(resolve(catalog_from_dict(one), sel), resolve(catalog_from_dict(two), sel))
    assert [(m.id, m.before, m.after) for m in d.steps_moved] == [("c", 3, 1)]
    assert d.steps_added == () and d.steps_removed == ()
    assert d.catalog_changed
    assert to_document(d)["steps"]["moved"] == [{"id": "c", "title": "C", "from": 3, "to": 1}]


def test_a_step_inserted_in_front_does_not_move_the_others():
    one = tiny_doc(steps=_steps(("a", 1), ("b", 2)))
    two = tiny_doc(steps=_steps(("z", 0), ("a", 1), ("b", 2)), edition="2")
    sel = {"color": "blue", "size": "s"}
    d = diff_resolutions(resolve(catalog_from_dict(one), sel), resolve(catalog_from_dict(two), sel))
    assert [s.id for s in d.steps_added] == ["z"]
    assert d.steps_moved == ()


def test_property_missing_on_one_side_shows_none():
    one = tiny_doc()
    two = copy.deepcopy(one)
    two["edition"] = "2"
    two["properties"].append({"id": "shape", "title": "Shape", "options": [{"id": "round", "title": "Round"}]})
    two["presets"][0]["selection"]["shape"] = "round"
    a = resolve(catalog_from_dict(one), {"color": "red", "size": "s"})
    b = resolve(catalog_from_dict(two), {"color": "red", "size": "s", "shape": "round"})
    d = diff_resolutions(a, b)
    assert d.selection == (("shape", None, "round"),)
    assert to_document(d)["selection"] == {"shape": [None, "round"]}
    assert to_document(d)["to"]["catalog"] == {"name": "tiny", "edition": "2", "revision": 1}


def _flow_doc(*flows: dict) -> dict:
    return tiny_doc(flows=list(flows))


def test_a_flow_under_another_id_with_the_same_movement_is_unchanged():
    """Issue 13: flows are matched by (from, to, kind), not by id."""
    cat = catalog_from_dict(
        _flow_doc(
            {"id": "small_pay", "from": "a", "to": "b", "what": "A", "kind": "charge", "condition": "size.s"},
            {"id": "big_pay", "from": "a", "to": "b", "what": "A", "kind": "charge", "condition": "size.l"},
        )
    )
    d = diff_resolutions(resolve(cat, {"color": "blue", "size": "s"}), resolve(cat, {"color": "blue", "size": "l"}))
    assert [(c.status, c.before.id, c.after.id) for c in d.flows] == [("unchanged", "small_pay", "big_pay")]
    assert d.flows_added == d.flows_removed == ()
    assert to_document(d)["money_flows"]["unchanged"] == [
        {"from": "a", "to": "b", "kind": "charge", "ids": ["small_pay", "big_pay"], "what": ["A", "A"]}
    ]
    assert not any(c[0] == "flow" for c in d.changes())


def test_a_flow_whose_amount_text_changed_is_changed_and_another_kind_is_added():
    cat = catalog_from_dict(
        _flow_doc(
            {"id": "small_pay", "from": "a", "to": "b", "what": "A", "kind": "charge", "condition": "size.s"},
            {"id": "big_pay", "from": "a", "to": "b", "what": "A + tip", "kind": "charge", "condition": "size.l"},
            {"id": "fee", "from": "b", "to": "a", "what": "F", "kind": "application_fee", "condition": "size.l"},
        )
    )
    d = diff_resolutions(resolve(cat, {"color": "blue", "size": "s"}), resolve(cat, {"color": "blue", "size": "l"}))
    assert [(c.status, c.movement) for c in d.flows] == [
        ("changed", ("a", "b", "charge")),
        ("added", ("b", "a", "application_fee")),
    ]
    assert d.changes() >= {("flow", "changed", "a", "b", "charge"), ("flow", "added", "b", "a", "application_fee")}


def test_renamed_steps_and_options_across_editions_are_renamed_both_ways():
    one = tiny_doc(steps=_steps(("old_step", 1), ("b", 2)))
    two = copy.deepcopy(one)
    two["edition"] = "2"
    two["steps"] = _steps(("new_step", 1), ("b", 2))
    two["properties"][0]["options"][0]["id"] = "crimson"
    two["rules"][0]["condition"] = "color.crimson and size.l"
    two["responsibilities"][0]["assignments"][0]["condition"] = "color.crimson"
    two["presets"][0]["selection"]["color"] = "crimson"
    two["renames"] = {"steps": {"old_step": "new_step"}, "options": {"color.red": "color.crimson"}}
    a = resolve(catalog_from_dict(one), {"color": "red", "size": "s"})
    b = resolve(catalog_from_dict(two), {"color": "crimson", "size": "s"})
    d = diff_resolutions(a, b)
    assert [(r.before_id, r.after_id, r.before, r.after) for r in d.steps_renamed] == [("old_step", "new_step", 1, 1)]
    assert d.steps_added == d.steps_removed == d.steps_moved == ()
    assert d.selection == ()
    assert [(r.prop, r.before, r.after) for r in d.options_renamed] == [("color", "red", "crimson")]
    assert to_document(d)["renamed"] == {
        "options": [{"property": "color", "from": "red", "to": "crimson"}],
        "steps": [{"from": "old_step", "to": "new_step"}],
    }
    back = diff_resolutions(b, a)
    assert [(r.before_id, r.after_id) for r in back.steps_renamed] == [("new_step", "old_step")]
    assert [(r.before, r.after) for r in back.options_renamed] == [("crimson", "red")]


def test_builtin_editions_rename_the_accounts_v1_step(cat2024, cat2025):
    sel = dict(cat2024.presets[0].selection)
    a = resolve(cat2024, sel)
    b = resolve(cat2025, {**sel, **dict(cat2025.presets[0].selection)})
    d = diff_resolutions(a, b)
    renamed = {(r.before_id, r.after_id) for r in d.steps_renamed}
    assert renamed <= set(cat2025.renames.steps)
    assert not {s.id for s in d.steps_removed} & {old for old, _ in renamed}
