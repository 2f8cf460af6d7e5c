"""Nearest alternatives: the issue's 2025 example, minimality, ranking, and exactness against brute force."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectplan.engine import Catalog, SelectionError, Severity, catalog_from_dict, resolve
from connectplan.engine.alternatives import nearest_alternatives
from connectplan.sat import make_solver
from tests.enumeration import alternatives_exhaustive
from tests.random_catalogs import catalogs, complete_selections

BLOCKED_2025 = {
    "onboarding": "embedded",
    "dashboard": "express",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
}


def _changes(alt):  # type: ignore[no-untyped-def]
    return [(c.prop, c.before, c.after) for c in alt.changes]


def test_issue_example_2025(cat2025: Catalog) -> None:
    """Issue 5 point 3: first only dashboard -> full, second fee_payer and liability -> platform, both allowed."""
    assert resolve(cat2025, BLOCKED_2025).verdict == "blocked"
    alts = nearest_alternatives(cat2025, BLOCKED_2025, make_solver)
    assert 2 <= len(alts) <= 3
    assert _changes(alts[0]) == [("dashboard", "express", "full")]
    assert alts[0].verdict == "allowed"
    assert _changes(alts[1]) == [("fee_payer", "connected_account", "platform"), ("liability", "stripe", "platform")]
    assert alts[1].verdict == "allowed"
    for alt in alts:  # each alternative really resolves to its verdict
        assert resolve(cat2025, dict(alt.selection)).verdict == alt.verdict


def test_listed_alternatives_are_minimal(cat2025: Catalog) -> None:
    sel = {
        "onboarding": "api",
        "dashboard": "full",
        "charge_type": "separate_obo",
        "fee_payer": "connected_account",
        "liability": "platform",
    }
    alts = nearest_alternatives(cat2025, sel, make_solver)
    assert alts
    for a in alts:
        for b in alts:
            if a is not b:
                contained = set(a.changes) <= set(b.changes)
                assert not (contained and Severity.parse(a.verdict) <= Severity.parse(b.verdict))


def test_no_alternatives_for_an_allowed_selection(cat2025: Catalog) -> None:
    sel = dict(BLOCKED_2025, dashboard="full")
    assert nearest_alternatives(cat2025, sel, make_solver) == ()


def test_preset_closeness_breaks_ties() -> None:
    """Two single changes reach allowed; the one landing on a preset ranks first."""
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
            "rules": [{"id": "no", "condition": "a.x and b.x", "severity": "blocked", "message": "m"}],
            "steps": [],
            "presets": [{"id": "p", "title": "P", "selection": {"a": "x", "b": "y"}}],
        }
    )
    alts = nearest_alternatives(cat, {"a": "x", "b": "x"}, make_solver)
    assert [_changes(a) for a in alts] == [[("b", "x", "y")], [("a", "x", "y")]]
    assert alts[0].preset == "p" and alts[0].distance == 0


def test_incomplete_selection_is_an_error(cat2025: Catalog) -> None:
    with pytest.raises(SelectionError, match="no option selected"):
        nearest_alternatives(cat2025, {"dashboard": "express"}, make_solver)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_matches_brute_force(data: st.DataObject) -> None:
    cat = data.draw(catalogs())
    sel = data.draw(complete_selections(cat))
    limit = data.draw(st.integers(1, 4))
    assert nearest_alternatives(cat, sel, make_solver, limit=limit) == alternatives_exhaustive(cat, sel, limit=limit)
