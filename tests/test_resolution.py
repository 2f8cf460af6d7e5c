"""Resolution: verdicts, findings, ordered steps, flows and responsibilities."""

from __future__ import annotations

import pytest
from conftest import all_selections, tiny_doc

from connectplan.engine import (
    SelectionError,
    Term,
    build_graph,
    catalog_from_dict,
    evaluate,
    resolve,
    step_order,
    verdict_of,
)
from connectplan.engine.resolution import minimal_cause
from connectplan.output.documents import to_document

GUIDE = {
    "onboarding": "hosted",
    "dashboard": "full",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
}


class TestGuideExample:
    """DOMAIN.md section 5.1: the one concrete output of Stripe's 2024 guide."""

    def test_verdict_allowed(self, cat2024):
        assert resolve(cat2024, GUIDE).verdict == "allowed"

    def test_core_steps_are_the_guides_five(self, cat2024):
        core = [s.step.id for s in resolve(cat2024, GUIDE).steps if s.step.core]
        assert core == [
            "onboard_hosted",
            "direct_charges_connected_account_pays_fees",
            "full_dashboard_access",
            "stripe_negative_balance_liability",
            "control_payouts",
        ]

    def test_prerequisites_come_first(self, cat2024):
        ids = [s.step.id for s in resolve(cat2024, GUIDE).steps]
        assert ids[:2] == ["create_stripe_account", "complete_platform_profile"]

    def test_because_names_the_selected_terms(self, cat2024):
        steps = {s.step.id: s.because for s in resolve(cat2024, GUIDE).steps}
        assert steps["create_stripe_account"] == ()
        assert steps["onboard_hosted"] == (Term("onboarding", "hosted"),)
        assert steps["direct_charges_connected_account_pays_fees"] == (
            Term("charge_type", "direct"),
            Term("fee_payer", "connected_account"),
        )


#: DOMAIN §0.3, written out independently of engine.severity
RANK = {"info": 0, "caution": 1, "sales_gated": 2, "blocked": 3, "out_of_scope": 4}

PRESET_VERDICTS = {
    # DOMAIN.md section 8
    "2024": {
        "saas": "allowed",
        "marketplace": "allowed",
        "on_demand": "allowed",
        "crowdfunding": "caution",
        "multi_seller": "caution",
        "white_label": "allowed",
        "embedded_saas": "allowed",
        "b2b": "caution",
    },
    "2025": {
        "saas": "allowed",
        "marketplace": "caution",
        "on_demand": "caution",
        "crowdfunding": "caution",
        "multi_seller": "caution",
        "white_label": "allowed",
        "b2b": "allowed",
    },
}


def test_preset_verdicts_match_the_domain_sheet(stripe_catalog):
    expected = PRESET_VERDICTS[stripe_catalog.edition]
    got = {p.id: resolve(stripe_catalog, dict(p.selection)).verdict for p in stripe_catalog.presets}
    assert got == expected


class TestMatrix2025:
    """Facts DOMAIN.md states about Stripe's 2025 compatibility matrix (onboarding embedded)."""

    def verdict(self, cat, dashboard, charge, fees, liability):
        return resolve(
            cat,
            {
                "onboarding": "embedded",
                "dashboard": dashboard,
                "charge_type": charge,
                "fee_payer": fees,
                "liability": liability,
            },
        ).verdict

    def test_every_obo_cell_is_out_of_scope(self, cat2025):
        for d in ("full", "express", "none"):
            for c in ("destination_obo", "separate_obo"):
                for f in ("platform", "connected_account"):
                    for li in ("platform", "stripe"):
                        assert self.verdict(cat2025, d, c, f, li) == "out_of_scope"

    def test_full_dashboard_platform_pricing_is_sales_gated_for_non_obo(self, cat2025):
        for c in ("direct", "destination", "separate"):
            for li in ("platform", "stripe"):
                assert self.verdict(cat2025, "full", c, "platform", li) == "sales_gated"

    def test_no_dashboard_platform_platform_is_allowed_even_for_separate(self, cat2025):
        for c in ("direct", "destination", "separate"):
            assert self.verdict(cat2025, "none", c, "platform", "platform") == "allowed"

    def test_changes_from_2024(self, cat2024, cat2025):
        # DOMAIN.md 4.6 (1)-(3)
        sel = {
            "onboarding": "embedded",
            "dashboard": "none",
            "charge_type": "direct",
            "fee_payer": "platform",
            "liability": "stripe",
        }
        assert resolve(cat2024, sel).verdict == "allowed"
        assert resolve(cat2025, sel).verdict == "blocked"
        sel = {
            "onboarding": "embedded",
            "dashboard": "express",
            "charge_type": "direct",
            "fee_payer": "platform",
            "liability": "platform",
        }
        assert resolve(cat2024, sel).verdict == "caution"
        assert resolve(cat2025, sel).verdict == "allowed"

    def test_stripe_liability_only_with_direct_charges(self, cat2025):
        for c in ("destination", "separate"):
            assert self.verdict(cat2025, "none", c, "platform", "stripe") == "blocked"


class TestEverySelection:
    """Properties checked over every complete selection of both editions."""

    def test_verdict_is_highest_finding_severity(self, stripe_catalog):
        for sel in all_selections(stripe_catalog):
            res = resolve(stripe_catalog, sel)
            fired = [r for r in stripe_catalog.rules if evaluate(r.condition, sel)]
            assert [f.rule.id for f in res.findings] == [r.id for r in sorted(fired, key=lambda r: -RANK[r.severity])]
            top = max((RANK[r.severity] for r in fired), default=0)
            assert res.verdict == ("allowed", "caution", "sales_gated", "blocked", "out_of_scope")[top]

    def test_step_order_respects_every_prerequisite(self, stripe_catalog):
        for sel in all_selections(stripe_catalog):
            ids = [s.step.id for s in resolve(stripe_catalog, sel).steps]
            active = set(ids)
            assert active == {s.id for s in stripe_catalog.steps if evaluate(s.condition, sel)}
            pos = {sid: i for i, sid in enumerate(ids)}
            # transitively: an active step comes after every active ancestor, even through inactive ones
            G = build_graph(stripe_catalog)
            import networkx as nx

            for sid in ids:
                for anc in nx.descendants(G, ("step", sid)):
                    if anc[0] == "step" and anc[1] in active:
                        assert pos[anc[1]] < pos[sid], (sel, anc[1], sid)

    def test_output_is_identical_across_runs(self, stripe_catalog):
        from connectplan.engine import catalog_from_dict, catalog_to_dict

        fresh = catalog_from_dict(catalog_to_dict(stripe_catalog))
        for sel in all_selections(stripe_catalog):
            assert to_document(resolve(stripe_catalog, sel)) == to_document(
                resolve(fresh, dict(reversed(list(sel.items()))))
            )

    def test_every_responsibility_has_exactly_one_holder(self, stripe_catalog):
        for sel in all_selections(stripe_catalog):
            held = [h.responsibility.id for h in resolve(stripe_catalog, sel).responsibilities]
            assert sorted(held) == sorted(r.id for r in stripe_catalog.responsibilities)

    def test_because_is_a_sufficient_minimal_cause(self, stripe_catalog):
        import itertools

        domains = {p.id: p.option_ids for p in stripe_catalog.properties}
        for sel in itertools.islice(all_selections(stripe_catalog), 0, None, 7):
            for f in resolve(stripe_catalog, sel).findings:
                fixed = {t.prop: t.option for t in f.because}
                assert all(sel[p] == o for p, o in fixed.items())
                free = [p for p in domains if p not in fixed]
                for combo in itertools.product(*(domains[p] for p in free)):
                    assert evaluate(f.rule.condition, {**fixed, **dict(zip(free, combo, strict=False))})
                for drop in f.because:  # minimal: removing any term breaks sufficiency
                    rest = {p: o for p, o in fixed.items() if p != drop.prop}
                    free2 = [p for p in domains if p not in rest]
                    assert not all(
                        evaluate(f.rule.condition, {**rest, **dict(zip(free2, combo, strict=False))})
                        for combo in itertools.product(*(domains[p] for p in free2))
                    )


class TestSelectionErrors:
    def test_missing_property(self, tiny):
        with pytest.raises(SelectionError, match=r"no option selected for size; set size=s\|l"):
            resolve(tiny, {"color": "red"})

    def test_unknown_property(self, tiny):
        with pytest.raises(SelectionError, match=r"unknown property 'shape' in tiny@1; properties: color, size"):
            resolve(tiny, {"color": "red", "size": "s", "shape": "round"})

    def test_unknown_option(self, tiny):
        with pytest.raises(
            SelectionError, match=r"unknown option 'green' for property 'color' in tiny@1; options: red, blue"
        ):
            resolve(tiny, {"color": "green", "size": "s"})


def test_inactive_prerequisite_still_orders_the_rest():
    doc = tiny_doc()
    doc["steps"] = [
        {"id": "z_late", "order": 1, "phase": "accounts", "condition": "always", "prereqs": ["gate"], "title": "Z"},
        {"id": "gate", "order": 5, "phase": "accounts", "condition": "size.l", "prereqs": ["a_early"], "title": "Gate"},
        {"id": "a_early", "order": 9, "phase": "accounts", "condition": "always", "title": "A"},
    ]
    cat = catalog_from_dict(doc)
    assert step_order(cat) == ("a_early", "gate", "z_late")
    ids = [s.step.id for s in resolve(cat, {"color": "red", "size": "s"}).steps]
    assert ids == ["a_early", "z_late"]  # "gate" is inactive but a_early still precedes z_late


def test_verdict_of():
    assert verdict_of([]) == "allowed"
    assert verdict_of(["info"]) == "allowed"
    assert verdict_of(["caution", "sales_gated"]) == "sales_gated"
    assert verdict_of(["blocked", "out_of_scope"]) == "out_of_scope"


def test_minimal_cause_prefers_fewest_terms():
    from connectplan.engine import parse_expression

    doms = {"a": ("x", "y"), "b": ("x", "y"), "c": ("x", "y")}
    expr = parse_expression("(a.x and b.x) or c.x")
    assert minimal_cause(expr, {"a": "x", "b": "x", "c": "x"}, doms) == (Term("c", "x"),)
    assert minimal_cause(expr, {"a": "x", "b": "x", "c": "y"}, doms) == (Term("a", "x"), Term("b", "x"))
    assert minimal_cause(expr, {"a": "y", "b": "x", "c": "y"}, doms) == ()
