"""Decisions that can wait (issue 17): sections, pending and exclusive options, structured API settings."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine import CatalogError, SelectionError, build_graph, catalog_from_dict, catalog_from_graph, catalog_to_dict
from engine.catalog import SECTIONS, ApiSetting, Catalog


def planned(**overrides: Any) -> dict[str, Any]:
    """A small catalog with a pending single-choice property and a multi-choice one with an exclusive pending option."""
    doc: dict[str, Any] = {
        "format": "connectplan-catalog/1",
        "name": "plan",
        "edition": "1",
        "title": "Plan",
        "properties": [
            {
                "id": "model",
                "title": "Business model",
                "section": "business",
                "options": [
                    {"id": "platform", "title": "Platform", "docs": ["https://docs.stripe.com/connect"]},
                    {"id": "marketplace", "title": "Marketplace", "docs": ["https://docs.stripe.com/connect"]},
                ],
            },
            {
                "id": "payout",
                "title": "Payout timing",
                "question": "When are sellers paid?",
                "section": "payouts",
                "options": [
                    {"id": "daily", "title": "Daily", "docs": ["https://docs.stripe.com/payouts"]},
                    {"id": "held", "title": "Held", "docs": ["https://docs.stripe.com/payouts"]},
                    {"id": "undecided", "title": "Not decided yet", "pending": True},
                ],
            },
            {
                "id": "risk",
                "title": "Risk controls",
                "question": "Who runs fraud rules?",
                "section": "risk",
                "choice": "many",
                "options": [
                    {"id": "radar", "title": "Radar", "docs": ["https://docs.stripe.com/radar"]},
                    {"id": "reserves", "title": "Reserves", "docs": ["https://docs.stripe.com/connect"]},
                    {"id": "none", "title": "None", "exclusive": True, "docs": ["https://docs.stripe.com/radar"]},
                    {"id": "undecided", "title": "Not decided yet", "pending": True, "exclusive": True},
                ],
            },
        ],
        "rules": [
            {
                "id": "held_marketplace",
                "condition": "payout.held and model.marketplace",
                "severity": "caution",
                "message": "Held funds need a reason.",
                "source": "https://docs.stripe.com/connect/manual-payouts",
            },
            {
                "id": "no_risk_marketplace",
                "condition": "risk.none and model.marketplace",
                "severity": "blocked",
                "message": "A marketplace needs risk controls.",
                "source": "https://docs.stripe.com/connect/risk-management",
            },
        ],
        "steps": [],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def plan() -> Catalog:
    return catalog_from_dict(planned())


STRUCTURED = {
    "text": 'v2 dashboard = "full"',
    "api": "v2",
    "method": "POST",
    "path": "/v2/core/accounts",
    "params": {"dashboard": "full", "include": ["configuration.merchant"], "metadata.tier": 2},
    "stripe_account": True,
    "stripe_version": "2026-11-18.endive",
}


def with_api(api: list[Any], *, step: bool = False) -> dict[str, Any]:
    doc = planned()
    if step:
        doc["steps"] = [{"id": "s", "order": 1, "phase": "accounts", "condition": "always", "title": "S", "api": api}]
    else:
        doc["properties"][0]["options"][0]["api"] = api
    return doc


def problems(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(CatalogError) as info:
        catalog_from_dict(doc)
    return [(p.code, p.path, p.message) for p in info.value.problems]


class TestRecords:
    def test_sections_flags_and_required(self, plan):
        assert SECTIONS == ("business", "accounts", "payments", "fees", "payouts", "risk", "operations")
        model, payout, risk = plan.properties
        assert [p.section for p in plan.properties] == ["business", "payouts", "risk"]
        assert (model.pending_option, model.required) == (None, True)
        assert (payout.pending_option, payout.required) == ("undecided", False)
        assert risk.pending_option == "undecided" and not risk.required
        assert [o.id for o in risk.options if o.exclusive] == ["none", "undecided"]
        assert payout.is_pending("undecided") and not payout.is_pending("daily")
        assert risk.is_pending(("undecided",)) and not risk.is_pending(("radar",))

    def test_round_trip_keeps_new_keys_and_omits_unset_ones(self, plan):
        doc = catalog_to_dict(plan)
        props = doc["properties"]
        assert props[1]["section"] == "payouts" and props[1]["options"][2]["pending"] is True
        assert props[2]["options"][2] == {
            "id": "none",
            "title": "None",
            "exclusive": True,
            "summary": "",
            "best_for": [],
            "examples": [],
            "api": [],
            "docs": ["https://docs.stripe.com/radar"],
        }
        assert "pending" not in props[1]["options"][0] and "exclusive" not in props[1]["options"][0]
        assert catalog_from_dict(copy.deepcopy(doc)) == plan
        assert catalog_from_graph(build_graph(plan)).content_hash == plan.content_hash
        bare = planned()
        for prop in bare["properties"]:
            del prop["section"]
        assert "section" not in catalog_to_dict(catalog_from_dict(bare))["properties"][0]


class TestApiSettings:
    def test_structured_setting_loads_and_round_trips(self):
        cat = catalog_from_dict(with_api(["v1 legacy line", STRUCTURED, {"text": "Dashboard setting only."}]))
        legacy, request, fact = cat.properties[0].options[0].api
        assert legacy == ApiSetting("v1 legacy line", structured=False) and str(legacy) == "v1 legacy line"
        assert request.is_request and request.structured and request.text == 'v2 dashboard = "full"'
        assert request.params == (
            ("dashboard", "full"),
            ("include", ("configuration.merchant",)),
            ("metadata.tier", 2),
        )
        assert (request.stripe_account, request.stripe_version) == (True, "2026-11-18.endive")
        assert not fact.is_request and fact.structured
        doc = catalog_to_dict(cat)
        assert doc["properties"][0]["options"][0]["api"] == [
            "v1 legacy line",
            STRUCTURED,
            {"text": "Dashboard setting only."},
        ]
        assert catalog_from_dict(doc) == cat
        assert catalog_from_graph(build_graph(cat)) == cat

    def test_steps_carry_api_settings_only_when_set(self):
        cat = catalog_from_dict(with_api([STRUCTURED], step=True))
        assert cat.steps[0].api[0].path == "/v2/core/accounts"
        assert catalog_to_dict(cat)["steps"][0]["api"] == [STRUCTURED]
        plain = catalog_from_dict(with_api([], step=True))
        assert "api" not in catalog_to_dict(plain)["steps"][0]

    def test_legacy_strings_keep_the_content_hash(self):
        """A file with string API settings hashes exactly as before structured settings existed."""
        cat = catalog_from_dict(with_api(['v1 type = "express"']))
        assert catalog_to_dict(cat)["properties"][0]["options"][0]["api"] == ['v1 type = "express"']

    @pytest.mark.parametrize(
        ("change", "code", "message"),
        [
            ({"api": "v3"}, "unknown_value", "unknown API 'v3' (expected v1 or v2)"),
            ({"method": "PATCH"}, "unknown_value", "unknown method 'PATCH' (expected one of: GET, POST, DELETE)"),
            ({"path": "v2/core/accounts"}, "invalid_path", "expected a Stripe API path like"),
            ({"path": "/v1/accounts"}, "invalid_path", "path '/v1/accounts' is not a v2 path"),
            ({"params": {"Dashboard": "full"}}, "invalid_param", "expected a dotted parameter name"),
            ({"params": {"amount": 1.5}}, "wrong_type", "expected text, a whole number, a boolean or a list"),
            ({"params": {"amount": "{{Amount}}"}}, "invalid_placeholder", "found {{Amount}}"),
            ({"stripe_account": "yes"}, "wrong_type", "expected true or false, found text"),
            ({"stripe_version": "endive"}, "unknown_value", "expected an API version like 2026-11-18.endive"),
            ({"colour": 1}, "unknown_key", "unknown key 'colour'"),
            ({"text": ""}, "empty", "must not be empty"),
        ],
    )
    def test_each_problem_has_one_clear_message(self, change, code, message):
        found = problems(with_api([{**STRUCTURED, **change}]))
        assert len(found) == 1, found
        assert found[0][0] == code and message in found[0][2], found
        assert found[0][1].startswith("properties[0].options[0].api[0]")

    def test_a_request_needs_api_method_and_path(self):
        entry = {"text": "t", "params": {"dashboard": "full"}}
        (found,) = problems(with_api([entry], step=True))
        assert found[:2] == ("missing_key", "steps[0].api[0]")
        assert "needs api, method and path (missing api, method, path)" in found[2]


class TestFlagsAreChecked:
    def test_two_pending_options(self):
        doc = planned()
        doc["properties"][1]["options"][1]["pending"] = True
        (found,) = problems(doc)
        assert found[0] == "bad_pending" and "has 2 pending options (held, undecided)" in found[2]

    def test_exclusive_on_a_single_choice_property(self):
        doc = planned()
        doc["properties"][1]["options"][2]["exclusive"] = True
        (found,) = problems(doc)
        assert found[:2] == ("bad_exclusive", "properties[1].options[2].exclusive")
        assert "applies only to an option of a property with choice: many" in found[2]

    def test_pending_multi_choice_option_must_be_exclusive(self):
        doc = planned()
        del doc["properties"][2]["options"][3]["exclusive"]
        (found,) = problems(doc)
        assert found[0] == "bad_pending" and "must also be exclusive: true" in found[2]

    def test_exclusive_needs_min_one(self):
        doc = planned()
        doc["properties"][2]["min"] = 2
        found = problems(doc)
        assert {f[0] for f in found} == {"bad_exclusive"} and "has min 2" in found[0][2]

    def test_flags_are_booleans_and_sections_known(self):
        doc = planned()
        doc["properties"][1]["options"][2]["pending"] = "yes"
        doc["properties"][0]["section"] = "money"
        found = problems(doc)
        assert sorted(f[0] for f in found) == ["unknown_value", "wrong_type"]
        assert any("unknown section 'money'" in f[2] for f in found)


class TestExclusiveSelections:
    def test_mixing_an_exclusive_option_is_one_line_naming_the_fix(self, plan):
        from engine import check_selection

        with pytest.raises(SelectionError) as info:
            check_selection(plan, {"model": "platform", "payout": "daily", "risk": ["radar", "undecided"]})
        assert info.value.code == "exclusive_option"
        message = str(info.value)
        assert "\n" not in message
        assert "property 'risk'" in message and "'undecided' is chosen alone, not with radar" in message
        assert "set risk=undecided or leave undecided out" in message
        assert check_selection(plan, {"model": "platform", "payout": "daily", "risk": ["none"]})[2] == (
            "risk",
            ("none",),
        )

    def test_a_preset_mixing_an_exclusive_option_is_a_catalog_error(self):
        doc = planned(
            presets=[
                {
                    "id": "p",
                    "title": "P",
                    "selection": {"model": "platform", "payout": "daily", "risk": ["radar", "none"]},
                }
            ]
        )
        (found,) = problems(doc)
        assert found[0] == "exclusive_option"


class TestExclusiveInTheSearch:
    def test_sat_models_are_exactly_the_valid_sets(self, plan):
        from connectplan.sat import make_solver
        from engine.causes import space_of, space_values
        from engine.sat import Encoding
        from tests.enumeration import values_of

        risk = plan.property_index["risk"]
        enc = Encoding(plan, make_solver())
        fixed = [*enc.choice_literals("model", "platform"), *enc.choice_literals("payout", "daily")]
        seen = set()
        while (model := enc.solve(fixed)) is not None:
            seen.add(enc.model_selection(model)["risk"])
            enc.solver.add_clause([-lit for lit in enc.choice_literals("risk", enc.model_selection(model)["risk"])])
        expected = {("radar",), ("reserves",), ("none",), ("undecided",), ("radar", "reserves")}
        assert seen == expected
        assert set(values_of(risk)) == expected == set(space_values(space_of(risk)))

    def test_explore_never_pairs_an_exclusive_option(self):
        from connectplan.sat import make_solver
        from engine.propagation import EXCLUDED, FORCED, propagate

        doc = planned()
        doc["rules"][1]["condition"] = "not risk.none"
        risk = propagate(catalog_from_dict(doc), {"model": "platform"}, make_solver).property("risk")
        # only the set {none} escapes the rule: radar cannot come along with none
        assert [(o.id, o.status) for o in risk.options] == [
            ("radar", EXCLUDED),
            ("reserves", EXCLUDED),
            ("none", FORCED),
            ("undecided", EXCLUDED),
        ]


class TestAlternativesNeverProposePending:
    def test_no_change_to_a_pending_option(self, plan):
        from connectplan.sat import make_solver
        from engine.alternatives import nearest_alternatives

        sel = {"model": "marketplace", "payout": "held", "risk": ["radar"]}
        alts = nearest_alternatives(plan, sel, make_solver, limit=10)
        afters = [(c.prop, c.after) for a in alts for c in a.changes]
        assert ("payout", "daily") in afters and ("model", "platform") in afters
        assert not any(prop == "payout" and after == "undecided" for prop, after in afters)

    def test_a_pending_option_already_chosen_may_stay_but_none_is_added(self, plan):
        from connectplan.sat import make_solver
        from engine.alternatives import nearest_alternatives

        sel = {"model": "marketplace", "payout": "undecided", "risk": ["none"]}
        alts = nearest_alternatives(plan, sel, make_solver, limit=10)
        assert alts
        for alt in alts:
            chosen = dict(alt.selection)
            assert "undecided" not in chosen["risk"]
        assert any(dict(a.selection)["payout"] == "undecided" for a in alts)
