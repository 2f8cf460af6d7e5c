"""Decisions that can wait (issue 17): sections, pending and exclusive options, structured API settings."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectplan.engine import (
    CatalogError,
    SelectionError,
    build_graph,
    catalog_from_dict,
    catalog_from_graph,
    catalog_to_dict,
)
from connectplan.engine.catalog import SECTIONS, ApiSetting, Catalog
from connectplan.output.documents import to_document


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
        from connectplan.engine import check_selection

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
        from connectplan.engine.causes import space_of, space_values
        from connectplan.engine.sat import Encoding
        from connectplan.sat import make_solver
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
        from connectplan.engine.propagation import EXCLUDED, FORCED, propagate
        from connectplan.sat import make_solver

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
        from connectplan.engine.alternatives import nearest_alternatives
        from connectplan.sat import make_solver

        sel = {"model": "marketplace", "payout": "held", "risk": ["radar"]}
        alts = nearest_alternatives(plan, sel, make_solver, limit=10)
        afters = [(c.prop, c.after) for a in alts for c in a.changes]
        assert ("payout", "daily") in afters and ("model", "platform") in afters
        assert not any(prop == "payout" and after == "undecided" for prop, after in afters)

    def test_a_pending_option_already_chosen_may_stay_but_none_is_added(self, plan):
        from connectplan.engine.alternatives import nearest_alternatives
        from connectplan.sat import make_solver

        sel = {"model": "marketplace", "payout": "undecided", "risk": ["none"]}
        alts = nearest_alternatives(plan, sel, make_solver, limit=10)
        assert alts
        for alt in alts:
            chosen = dict(alt.selection)
            assert "undecided" not in chosen["risk"]
        assert any(dict(a.selection)["payout"] == "undecided" for a in alts)


class TestOpenDecisions:
    def test_each_pending_property_lists_the_best_verdict_of_each_real_option(self):
        from connectplan.engine import resolve
        from connectplan.engine.resolution import OpenDecision

        doc = planned()
        doc["rules"].append(
            {
                "id": "radar_alone",
                "condition": "risk.radar and not risk.reserves",
                "severity": "caution",
                "message": "Radar alone is thin.",
                "source": "https://docs.stripe.com/radar",
            }
        )
        cat = catalog_from_dict(doc)
        res = resolve(cat, {"model": "marketplace", "payout": "undecided", "risk": ["undecided"]})
        assert res.verdict == "allowed"
        assert res.open_decisions == (
            OpenDecision("payout", "When are sellers paid?", "payouts", (("daily", "allowed"), ("held", "caution"))),
            # radar alone is caution, radar with reserves allowed: the best set counts
            OpenDecision(
                "risk",
                "Who runs fraud rules?",
                "risk",
                (("radar", "allowed"), ("reserves", "allowed"), ("none", "blocked")),
            ),
        )
        assert to_document(res)["open_decisions"][0] == {
            "property": "payout",
            "question": "When are sellers paid?",
            "section": "payouts",
            "options": [{"id": "daily", "best_verdict": "allowed"}, {"id": "held", "best_verdict": "caution"}],
        }
        # every other choice stays as it is: on a platform, no risk option is blocked
        platform = resolve(cat, {"model": "platform", "payout": "held", "risk": ["undecided"]})
        assert [d.property for d in platform.open_decisions] == ["risk"]
        assert dict(platform.open_decisions[0].options)["none"] == "allowed"

    def test_a_decided_selection_has_none_and_old_documents_keep_their_keys(self, plan):
        from connectplan.engine import resolve

        res = resolve(plan, {"model": "platform", "payout": "daily", "risk": ["radar"]})
        assert res.open_decisions == () and to_document(res)["open_decisions"] == []
        bare = planned()
        for prop in bare["properties"]:
            prop["options"] = [o for o in prop["options"] if not o.get("pending")]
        decided = resolve(catalog_from_dict(bare), {"model": "platform", "payout": "daily", "risk": ["radar"]})
        assert "open_decisions" not in to_document(decided)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_open_decisions_agree_with_brute_force(data: st.DataObject) -> None:
    from connectplan.engine import resolve
    from tests.enumeration import values_of, verdict_rank
    from tests.random_catalogs import catalogs, complete_selections

    cat = data.draw(catalogs())
    sel = data.draw(complete_selections(cat))
    expected = []
    for prop in cat.properties:
        if not prop.is_pending(sel[prop.id]):
            continue
        best: dict[str, Any] = {}
        for value in values_of(prop):
            members = (value,) if isinstance(value, str) else value
            if prop.pending_option in members:
                continue
            rank = verdict_rank(cat, {**sel, prop.id: value})
            for o in members:
                best[o] = min(best.get(o, rank), rank)
        expected.append((prop.id, tuple((o.id, best[o.id].verdict) for o in prop.options if o.id in best)))
    assert [(d.property, d.options) for d in resolve(cat, sel).open_decisions] == expected


def test_upgrade_reports_a_pending_default_as_left_open():
    from connectplan.engine import resolve
    from connectplan.engine.upgrade import plan_upgrade

    old_doc = planned(edition="0")
    old_doc["properties"] = [old_doc["properties"][0]]
    old_doc["rules"] = []
    old = catalog_from_dict(old_doc)
    new = catalog_from_dict(
        planned(
            renames={
                "defaults": [
                    {"property": "payout", "option": "daily", "because": "Most platforms pay daily."},
                    {"property": "risk", "option": ["undecided"], "because": "New in this edition: decide it."},
                ]
            }
        )
    )
    up = plan_upgrade(resolve(old, {"model": "platform"}), new)
    assert [d.property for d in up.chosen_defaults] == ["payout"]
    assert [d.property for d in up.left_open] == ["risk"]
    assert [d.property for d in up.after.open_decisions] == ["risk"]
    assert [(d["property"], d["open"]) for d in to_document(up)["defaults"]] == [("payout", False), ("risk", True)]


def _rule(rule_id: str, condition: str, severity: str = "caution") -> dict[str, Any]:
    return {"id": rule_id, "condition": condition, "severity": severity, "message": "m", "source": "https://x.test"}


class TestLint:
    def _lint(self, doc: dict[str, Any]):  # type: ignore[no-untyped-def]
        from connectplan.engine.lint import lint_catalog
        from connectplan.sat import make_solver

        return lint_catalog(catalog_from_dict(doc), make_solver)

    def test_the_plain_catalog_is_clean(self):
        report = self._lint(planned())
        assert report.ok and [m.code for m in report.warnings] == []  # pending options need no docs

    def test_a_rule_only_an_open_decision_fires_is_an_error(self):
        doc = planned()
        doc["rules"] += [
            _rule("only_undecided", "not payout.daily and not payout.held and model.platform"),
            _rule("risk_unset", "not risk.radar and not risk.reserves and not risk.none", "blocked"),
            _rule("guarded", "not payout.daily and not payout.undecided"),  # held fires it: fine
            _rule("also_held", "not payout.daily and model.marketplace"),  # held fires it too: fine
            _rule("named", "payout.undecided and model.marketplace"),
            _rule("named_info", "payout.undecided", "info"),
            _rule("named_negated", "not payout.undecided and payout.held"),
        ]
        report = self._lint(doc)
        assert [(m.code, m.subject) for m in report.errors] == [
            ("pending_raises_verdict", "only_undecided"),
            ("pending_raises_verdict", "risk_unset"),
            ("pending_misuse", "named"),
        ]
        first, _, named = (m.message for m in report.errors)
        assert first == (
            "caution rule fires with payout.undecided (e.g. with model=platform) while no real option of payout "
            "makes it fire: guard it with 'not payout.undecided'"
        )
        assert "names the pending option payout.undecided" in named and "guard with 'not payout.undecided'" in named

    def test_presets_api_settings_and_option_docs(self):
        doc = planned(
            presets=[
                {
                    "id": "open",
                    "title": "Open",
                    "selection": {"model": "platform", "payout": "undecided", "risk": ["radar"]},
                },
                {
                    "id": "done",
                    "title": "Done",
                    "selection": {"model": "platform", "payout": "daily", "risk": ["radar"]},
                },
            ]
        )
        doc["properties"][0]["options"][0]["api"] = ["v1 legacy", STRUCTURED, "v1 another"]
        doc["properties"][0]["options"][1]["api"] = [STRUCTURED]
        del doc["properties"][1]["options"][0]["docs"]
        doc["steps"] = [
            {
                "id": "s",
                "order": 1,
                "phase": "accounts",
                "condition": "always",
                "title": "S",
                "url": "https://docs.stripe.com/connect",
                "basis": "stated",
                "api": ["v1 legacy"],
            }
        ]
        report = self._lint(doc)
        assert report.ok
        found = [(m.code, m.subject, m.message) for m in report.warnings]
        assert (
            "preset_pending",
            "open",
            "the preset leaves payout undecided (payout.undecided); a preset decides every property",
        ) in found
        assert [(c, s) for c, s, _ in found if c != "preset_pending"] == [
            ("api_not_structured", "model.platform"),
            ("missing_source", "payout.daily"),
            ("api_not_structured", "s"),
        ]
        assert found[0][2].startswith("2 API settings are plain text")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pending_lint_errors_agree_with_brute_force(data: st.DataObject) -> None:
    """``pending_raises_verdict`` is exact: one selection with P pending fires the rule while no
    real value of P does (every other choice unchanged), unless the rule names P's pending option positively."""
    from connectplan.engine.expression import evaluate, iter_terms
    from connectplan.engine.lint import lint_catalog
    from connectplan.engine.lint_decisions import _positive_terms
    from connectplan.engine.severity import Severity
    from connectplan.sat import make_solver
    from tests.enumeration import iter_selections, values_of
    from tests.random_catalogs import catalog_docs, conditions

    doc = data.draw(catalog_docs(max_rules=4))
    terms = [f"{p['id']}.{o['id']}" for p in doc["properties"] for o in p["options"]]
    for prop in doc["properties"]:  # rules that leave out a real option: some fire only when P is pending
        if prop["options"][-1].get("pending") and data.draw(st.booleans()):
            condition = f"not {prop['id']}.o0 and ({data.draw(conditions(terms, 1))})"
            doc["rules"].append(_rule(f"r_{prop['id']}", condition, "blocked"))
    cat = catalog_from_dict(doc)
    sels = list(iter_selections(cat))
    raises, misuse = [], []
    for rule in cat.rules:
        if rule.rank <= Severity.ALLOWED:
            continue
        named = {
            t.prop for t in _positive_terms(rule.condition) if cat.property_index[t.prop].pending_option == t.option
        }
        misuse.extend(rule.id for _ in named)
        for prop in cat.properties:
            if (
                prop.pending_option is None
                or prop.id in named
                or prop.id not in {t.prop for t in iter_terms(rule.condition)}
            ):
                continue
            real = [v for v in values_of(prop) if not prop.is_pending(v)]
            if any(
                prop.is_pending(s[prop.id])
                and evaluate(rule.condition, s)
                and not any(evaluate(rule.condition, {**s, prop.id: v}) for v in real)
                for s in sels
            ):
                raises.append(rule.id)
    report = lint_catalog(cat, make_solver)
    assert sorted(m.subject for m in report.errors if m.code == "pending_raises_verdict") == sorted(raises)
    assert sorted(m.subject for m in report.errors if m.code == "pending_misuse") == sorted(misuse)


def test_the_store_keeps_the_new_keys(tmp_path):
    """A catalog with sections, pending and exclusive options and structured API settings goes through
    the store (its graph as JSON) and comes back with the same content."""
    from connectplan.workspace import open_workspace

    cat = catalog_from_dict(with_api(["v1 legacy", STRUCTURED, {"text": "A fact."}], step=True))
    with open_workspace(f"sqlite:///{tmp_path / 'store.db'}") as ws:
        ws.import_catalog(cat)
        again = ws.catalog("plan@1")
    assert again.content_hash == cat.content_hash
    assert again.steps[0].api == cat.steps[0].api and again.property_index["risk"].pending_option == "undecided"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_set_is_accepted_exactly_when_it_is_a_valid_value(data: st.DataObject) -> None:
    """Property.choose accepts exactly the sets the brute-force oracle lists, and refuses a mixed
    exclusive option with code exclusive_option."""
    from tests.enumeration import values_of
    from tests.random_catalogs import catalogs

    cat = data.draw(catalogs())
    for prop in (p for p in cat.properties if p.multi):
        subset = data.draw(st.sets(st.sampled_from(prop.option_ids), min_size=1))
        ordered = tuple(o for o in prop.option_ids if o in subset)
        try:
            chosen = prop.choose(sorted(subset), where="t")
        except SelectionError as exc:
            assert ordered not in values_of(prop)
            mixed = len(subset) > 1 and any(o.exclusive and o.id in subset for o in prop.options)
            in_bounds = prop.min_options <= len(subset) <= prop.max_options
            assert (exc.code == "exclusive_option") == (mixed and in_bounds), str(exc)
        else:
            assert chosen == ordered and chosen in values_of(prop)
