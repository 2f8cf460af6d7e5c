"""Propagation (``explore``): statuses, best verdicts and excluding causes, checked against brute force."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectplan.engine import Catalog, SelectionError, Severity, Term, catalog_from_dict
from connectplan.engine.expression import holds
from connectplan.engine.propagation import EXCLUDED, FORCED, OPEN, propagate
from connectplan.output.documents import to_document
from connectplan.sat import make_solver
from tests.enumeration import best_ranks_exhaustive, excluded_by, literals_of, smallest_excluding_size
from tests.random_catalogs import catalogs, complete_selections, partial_selections


def test_express_excludes_stripe_liability_and_connected_account_fees(cat2025: Catalog) -> None:
    """Issue 5 acceptance: explore --set dashboard=express on 2025."""
    prop = propagate(cat2025, {"dashboard": "express"}, make_solver)
    liability = prop.property("liability")
    fee_payer = prop.property("fee_payer")
    for status in (liability.option("stripe"), fee_payer.option("connected_account")):
        assert status.status == EXCLUDED
        assert status.best_verdict == "blocked"
        assert status.reason is not None
        assert status.reason.rule == "express_requires_platform_pricing_and_liability"
        assert [str(t) for t in status.reason.because] == ["dashboard.express"]
    assert liability.option("platform").status == FORCED
    assert fee_payer.option("platform").status == FORCED
    assert prop.property("dashboard").selected == "express"
    assert prop.property("onboarding").selected is None


def test_on_behalf_of_options_are_excluded_by_no_choice_at_all(cat2025: Catalog) -> None:
    charge = propagate(cat2025, {}, make_solver).property("charge_type")
    for opt in ("destination_obo", "separate_obo"):
        status = charge.option(opt)
        assert status.status == EXCLUDED and status.best_verdict == "out_of_scope"
        assert status.reason is not None and status.reason.rule == "obo_out_of_scope" and status.reason.because == ()
    assert charge.option("direct").status == OPEN and charge.option("direct").best_verdict == "allowed"


def test_selected_property_is_judged_without_its_own_choice(cat2025: Catalog) -> None:
    """Switching liability to stripe is blocked by dashboard.none; the selected option itself is open."""
    prop = propagate(cat2025, {"dashboard": "none", "liability": "platform"}, make_solver)
    liability = prop.property("liability")
    assert liability.selected == "platform"
    assert liability.option("platform").status == FORCED
    stripe = liability.option("stripe")
    assert stripe.status == EXCLUDED
    assert stripe.reason is not None
    assert stripe.reason.rule == "no_dashboard_requires_platform_pricing_and_liability"
    assert [str(t) for t in stripe.reason.because] == ["dashboard.none"]


def test_complete_selection_is_resolved(cat2025: Catalog) -> None:
    sel = {
        "onboarding": "embedded",
        "dashboard": "full",
        "charge_type": "direct",
        "fee_payer": "connected_account",
        "liability": "stripe",
    }
    prop = propagate(cat2025, sel, make_solver)
    assert prop.resolution is not None and prop.resolution.verdict == "allowed"
    doc = to_document(prop)
    assert list(doc) == ["catalog", "selection", "properties", "resolution"]
    # a single switch of dashboard to express is blocked by the express rule, with the chosen fee payer as cause
    express = prop.property("dashboard").option("express")
    assert express.status == EXCLUDED and express.reason is not None
    assert express.reason.rule == "express_requires_platform_pricing_and_liability"


def test_json_document_keys(cat2025: Catalog) -> None:
    doc = to_document(propagate(cat2025, {"dashboard": "express"}, make_solver))
    assert list(doc) == ["catalog", "selection", "properties"]
    assert doc["selection"] == {"dashboard": "express"}
    first = doc["properties"][0]
    assert list(first) == ["id", "selected", "options"]
    assert list(first["options"][0]) == ["id", "status", "best_verdict", "reason"]


def test_unknown_ids_raise_selection_error(cat2025: Catalog) -> None:
    with pytest.raises(SelectionError, match="unknown option"):
        propagate(cat2025, {"dashboard": "fancy"}, make_solver)


def test_joint_exclusion_names_every_rule_needed() -> None:
    """b.x is blocked with a.x by one rule and with a.y by another: no single rule excludes it."""
    cat = catalog_from_dict(
        {
            "format": "connectplan-catalog/1",
            "name": "j",
            "edition": "1",
            "title": "J",
            "properties": [
                {"id": "a", "title": "A", "options": [{"id": "x", "title": "x"}, {"id": "y", "title": "y"}]},
                {"id": "b", "title": "B", "options": [{"id": "x", "title": "x"}, {"id": "y", "title": "y"}]},
            ],
            "rules": [
                {"id": "one", "condition": "a.x and b.x", "severity": "blocked", "message": "m"},
                {"id": "two", "condition": "a.y and b.x", "severity": "out_of_scope", "message": "m"},
            ],
            "steps": [],
        }
    )
    status = propagate(cat, {}, make_solver).property("b").option("x")
    assert status.status == EXCLUDED and status.best_verdict == "blocked"
    assert status.reason is not None and status.reason.rule is None
    assert status.reason.rules == ("one", "two") and status.reason.because == ()


def _check_against_brute_force(cat: Catalog, sel: dict[str, Any]) -> None:
    result = propagate(cat, sel, make_solver)
    oracle = best_ranks_exhaustive(cat, sel)
    without = best_ranks_exhaustive(cat, sel, without=True)
    blocking = [r for r in cat.rules if r.rank >= Severity.BLOCKED]
    for prop in result.properties:
        record = cat.property_index[prop.id]
        alive = [o for o in record.option_ids if oracle[(prop.id, o)] < 3]
        context = {p: o for p, o in sel.items() if p != prop.id}
        for status in prop.options:
            rank = oracle[(prop.id, status.id)]
            assert status.best_verdict == Severity(rank).verdict, (prop.id, status.id)
            if rank >= 3:
                expected = EXCLUDED
            elif record.multi:  # forced: every completion without the option is excluded
                expected = FORCED if without[(prop.id, status.id)] >= 3 else OPEN
            else:
                expected = FORCED if len(alive) == 1 else OPEN
            assert status.status == expected, (prop.id, status.id)
            if status.status != EXCLUDED:
                assert status.reason is None
                continue
            reason = status.reason
            assert reason is not None
            own = Term(prop.id, status.id)
            assert all(holds(t, context) for t in reason.because), "because uses chosen terms only"
            assert excluded_by(cat, rule_ids=set(reason.rules), literals=[*reason.because, own])
            # the smallest single-rule cause, computed by enumeration
            single = []
            items = literals_of(cat, context)
            for i, rule in enumerate(cat.rules):
                if rule not in blocking:
                    continue
                for size in range(len(items) + 1):
                    if any(excluded_by(cat, rule_ids={rule.id}, literals=[*s, own]) for s in combinations(items, size)):
                        single.append((size, i, rule.id))
                        break
            if single:
                size, _, rule_id = min(single)
                assert reason.rule == rule_id and len(reason.because) == size
            else:
                assert reason.rule is None
                assert len(reason.because) == smallest_excluding_size(cat, context, prop.id, status.id)
                for r in reason.rules:  # every listed rule is needed
                    assert not excluded_by(cat, rule_ids=set(reason.rules) - {r}, literals=[*reason.because, own])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_partial_selections_match_brute_force(data: st.DataObject) -> None:
    cat = data.draw(catalogs())
    _check_against_brute_force(cat, data.draw(partial_selections(cat)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_complete_selections_match_brute_force(data: st.DataObject) -> None:
    cat = data.draw(catalogs())
    _check_against_brute_force(cat, data.draw(complete_selections(cat)))


def test_a_rule_true_for_every_selection_excludes_everything() -> None:
    cat = catalog_from_dict(
        {
            "format": "connectplan-catalog/1",
            "name": "t",
            "edition": "1",
            "title": "T",
            "properties": [
                {"id": "a", "title": "A", "options": [{"id": "x", "title": "x"}, {"id": "y", "title": "y"}]},
                {"id": "b", "title": "B", "options": [{"id": "x", "title": "x"}, {"id": "y", "title": "y"}]},
            ],
            "rules": [{"id": "taut", "condition": "b.x or not b.x", "severity": "blocked", "message": "m"}],
            "steps": [],
        }
    )
    status = propagate(cat, {}, make_solver).property("a").option("y")
    assert status.status == EXCLUDED and status.reason is not None
    assert status.reason.rule == "taut" and status.reason.because == ()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_finding_causes_are_smallest_by_brute_force(data: st.DataObject) -> None:
    """Issue 5 point 2: each finding's ``because`` is a smallest set of selected terms forcing its rule."""
    from connectplan.engine import evaluate, resolve
    from tests.enumeration import iter_selections, literals_of

    cat = data.draw(catalogs())
    sel = data.draw(complete_selections(cat))
    items = literals_of(cat, sel)
    for finding in resolve(cat, sel).findings:
        assert all(holds(t, sel) for t in finding.because)
        assert all(evaluate(finding.rule.condition, s) for s in iter_selections(cat, literals=finding.because))
        smaller = [sub for size in range(len(finding.because)) for sub in combinations(items, size)]
        assert not any(
            all(evaluate(finding.rule.condition, s) for s in iter_selections(cat, literals=sub)) for sub in smaller
        )
