"""engine.diff.diff_resolutions: what changed between two resolutions (issue 3, point 5)."""

from __future__ import annotations

import copy

from conftest import tiny_doc

from engine import catalog_from_dict, resolve
from engine.diff import diff_resolutions


def _steps(*specs: tuple[str, int]) -> list[dict]:
    return [
        {"id": sid, "order": order, "phase": "accounts", "condition": "always", "title": sid.title()}
        for sid, order in specs
    ]


def test_identical_resolutions_have_an_empty_diff(tiny):
    a = resolve(tiny, {"color": "red", "size": "s"})
    d = diff_resolutions(a, resolve(tiny, {"color": "red", "size": "s"}), from_ref="p@1", to_ref="p@2")
    assert d.identical
    doc = d.to_dict()
    assert doc["selection"] == {}
    assert doc["verdict"] == ["allowed", "allowed"]
    for section in ("findings", "money_flows", "responsibilities"):
        assert doc[section] == {"added": [], "removed": []}
    assert doc["steps"] == {"added": [], "removed": [], "moved": []}


def test_json_keys_follow_the_contract_order(tiny):
    d = diff_resolutions(resolve(tiny, {"color": "red", "size": "s"}), resolve(tiny, {"color": "red", "size": "l"}))
    doc = d.to_dict()
    assert list(doc)[:8] == [
        "from",
        "to",
        "selection",
        "verdict",
        "findings",
        "steps",
        "money_flows",
        "responsibilities",
    ]
    assert list(doc["steps"]) == ["added", "removed", "moved"]
    assert doc["from"] == {"ref": "a", "catalog": {"name": "tiny", "edition": "1"}}


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


def test_responsibility_holder_change_is_removed_plus_added(tiny):
    # The owner responsibility goes to party a for red and to b for blue; blue also fires an info rule.
    a = resolve(tiny, {"color": "red", "size": "s"})
    b = resolve(tiny, {"color": "blue", "size": "s"})
    d = diff_resolutions(a, b)
    assert [(r.id, r.party) for r in d.responsibilities_added] == [("owner", "b")]
    assert [(r.id, r.party) for r in d.responsibilities_removed] == [("owner", "a")]
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
    assert d.to_dict()["steps"]["moved"] == [{"id": "c", "title": "C", "from": 3, "to": 1}]


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
    assert d.to_dict()["selection"] == {"shape": [None, "round"]}
    assert d.to_dict()["to"]["catalog"] == {"name": "tiny", "edition": "2"}
