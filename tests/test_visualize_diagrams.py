"""Liability, steps and catalog diagrams: drawn from the catalog's facts for the selection."""

from __future__ import annotations

import re

import pytest
from conftest import all_selections

from connectplan.engine import resolve
from connectplan.visualize import catalog_diagram, liability_diagram, steps_diagram
from connectplan.visualize._dot import node_id
from connectplan.visualize.catalog import catalog_diagrams
from connectplan.visualize.liability import liability_figure
from connectplan.visualize.steps import steps_figure

SAAS_2024 = {
    "onboarding": "hosted",
    "dashboard": "full",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
}
MARKET_2025 = {
    "onboarding": "embedded",
    "dashboard": "express",
    "charge_type": "destination",
    "fee_payer": "platform",
    "liability": "platform",
}


def holder_edges(source: str) -> set[tuple[str, str]]:
    return set(re.findall(r"^\tresponsibility__(\w+) -> party__(\w+) ", source, flags=re.M))


class TestLiability:
    def test_stripe_liable_saas(self, cat2024):
        held = holder_edges(liability_diagram(resolve(cat2024, SAAS_2024)).source)
        # DOMAIN.md §7: liability.stripe -> Stripe; direct + connected_account -> the account pays fees;
        # direct + full dashboard -> the account answers disputes; full dashboard -> Stripe provides it.
        assert ("negative_balance_liability", "stripe") in held
        assert ("pays_stripe_fees", "connected_account") in held
        assert ("answers_disputes", "connected_account") in held
        assert ("provides_dashboard", "stripe") in held
        assert ("merchant_of_record", "connected_account") in held
        assert ("negative_balance_liability", "platform") not in held

    def test_platform_liable_marketplace(self, cat2025):
        src = liability_diagram(resolve(cat2025, MARKET_2025), subject="acme@2").source
        held = holder_edges(src)
        assert {
            ("negative_balance_liability", "platform"),
            ("pays_stripe_fees", "platform"),
            ("answers_disputes", "platform"),
            ("funds_refunds", "platform"),
            ("monitors_risk", "platform"),
            ("merchant_of_record", "platform"),
        } <= held
        assert "Liability and responsibilities: acme@2" in src
        assert re.search(r"^\tparty__platform .*peripheries=2", src, flags=re.M)

    def test_every_responsibility_is_drawn_with_its_holders(self, stripe_catalog):
        for selection in list(all_selections(stripe_catalog))[::7]:
            res = resolve(stripe_catalog, selection)
            fig = liability_figure(res)
            resp_nodes = {n.id for n in fig.nodes if n.id.startswith("responsibility__")}
            assert resp_nodes == {node_id("responsibility", r.id) for r in stripe_catalog.responsibilities}
            expected = {
                (node_id("responsibility", h.responsibility.id), node_id("party", h.assignment.party))
                for h in res.responsibilities
            }
            assert {(e.tail, e.head) for e in fig.edges} == expected

    def test_a_responsibility_nobody_holds_is_dashed(self, tiny):
        # tiny: "owner" is held by a (color.red) or b (color.blue); drop b's assignment by picking blue
        # in a catalog whose blue assignment is gone.
        from conftest import tiny_doc

        from connectplan.engine import catalog_from_dict

        doc = tiny_doc()
        doc["responsibilities"][0]["assignments"] = doc["responsibilities"][0]["assignments"][:1]
        cat = catalog_from_dict(doc)
        src = liability_diagram(resolve(cat, {"color": "blue", "size": "s"})).source
        line = next(x for x in src.splitlines() if x.startswith("\tresponsibility__owner "))
        assert "dashed" in line and "no party holds this" in line
        assert not holder_edges(src)


class TestSteps:
    def test_steps_are_numbered_in_resolution_order_with_phase_clusters(self, cat2024):
        res = resolve(cat2024, SAAS_2024)
        src = steps_diagram(res).source
        for number, active in enumerate(res.steps, 1):
            line = next(x for x in src.splitlines() if x.lstrip("\t").startswith(node_id("step", active.step.id) + " "))
            assert f"<B>{number}.</B>" in line
            assert ("filled" in line) == active.step.core
        phases = re.findall(r"subgraph cluster_c__(\w+) \{", src)
        assert phases == [
            p
            for p in ("prerequisites", "accounts", "payments", "fees", "dashboard", "risk", "payouts", "operations")
            if any(s.step.phase == p for s in res.steps)
        ]

    def test_prerequisite_edges_point_from_the_prerequisite(self, cat2024):
        res = resolve(cat2024, SAAS_2024)
        fig = steps_figure(res)
        active = {s.step.id for s in res.steps}
        for s in res.steps:
            for pre in s.step.prereqs:
                if pre in active:
                    assert any(
                        e.tail == node_id("step", pre) and e.head == node_id("step", s.step.id) for e in fig.edges
                    )
        # the guide's own five steps are the core ones (DOMAIN.md §5.1)
        assert sum(1 for s in res.steps if s.step.core) == 5

    def test_prerequisites_through_inactive_steps_are_dashed(self, cat2024):
        fig = steps_figure(resolve(cat2024, SAAS_2024))
        order = [s for s in fig.nodes]
        assert order
        for edge in fig.edges:
            direct = edge.key.endswith(">direct")
            assert (("style", "dashed") in edge.attrs) != direct


class TestCatalog:
    def test_overview_has_every_option_rule_and_step_as_a_table_row(self, cat2025):
        src = catalog_diagram(cat2025).source
        for prop in cat2025.properties:
            assert f"\t{node_id('option', prop.id)} [" in src
            for opt in prop.options:
                assert f'PORT="{node_id("o", opt.id)}"' in src
        for rule in cat2025.rules:
            assert f'PORT="{node_id("r", rule.id)}"' in src
        for step in cat2025.steps:
            assert f'PORT="{node_id("s", step.id)}"' in src
        assert "Catalog: stripe-connect@2025 · overview" in src

    def test_every_property_figure_draws_its_options_rules_and_steps(self, cat2025):
        mentioned: set[str] = set()
        for name, dot in catalog_diagrams(cat2025)[1:]:
            prop = cat2025.property_index[name.removeprefix("catalog-")]
            src = dot.source
            assert f"subgraph cluster_c__{prop.id} " in src
            for opt in prop.options:
                assert f"\t\t{node_id('option', prop.id, opt.id)} [" in src
            mentioned |= {line.split()[0] for line in src.splitlines() if line.startswith(("\t\trule__", "\t\tstep__"))}
        conditional = {node_id("rule", r.id) for r in cat2025.rules}
        conditional |= {node_id("step", s.id) for s in cat2025.steps if s.condition_text != "always"}
        assert conditional <= mentioned

    def test_selection_highlights_choices_fired_rules_and_active_steps(self, cat2024):
        res = resolve(cat2024, SAAS_2024)
        src = catalog_diagram(cat2024, res, prop="charge_type").source

        def line(nid: str) -> str:
            return next(x for x in src.splitlines() if x.startswith(f"\t\t{nid} "))

        assert "#c8ecc8" in line(node_id("option", "charge_type", SAAS_2024["charge_type"]))
        assert "#c8ecc8" not in line(node_id("option", "charge_type", "destination"))
        fired = {f.rule.id for f in res.findings}
        drawn = [r for r in cat2024.rules if f"\t\t{node_id('rule', r.id)} " in src]
        assert drawn
        for rule in drawn:
            assert ("penwidth=2.2" in line(node_id("rule", rule.id))) == (rule.id in fired)
        active = {s.step.id for s in res.steps}
        for step in (s for s in cat2024.steps if f"\t\t{node_id('step', s.id)} " in src):
            assert ("#dbe9f6" in line(node_id("step", step.id))) == (step.id in active)
        overview = catalog_diagram(cat2024, res).source
        for _prop, opt in res.selection:
            assert f'PORT="{node_id("o", opt)}" ALIGN="LEFT" BALIGN="LEFT" BGCOLOR="#c8ecc8"' in overview

    def test_option_to_rule_edges_follow_conditions(self, cat2024):
        src = catalog_diagram(cat2024, prop="charge_type").source
        rule = cat2024.rule_index["stripe_liability_indirect_charges_unsupported"]
        assert rule.condition_text == "liability.stripe and (charge_type.destination or charge_type.separate)"
        for opt in ("charge_type.destination", "charge_type.separate"):
            assert f"\t{node_id('option', *opt.split('.'))} -> {node_id('rule', rule.id)} " in src
        assert f"\t{node_id('option', 'charge_type', 'direct')} -> {node_id('rule', rule.id)} " not in src
        overview = catalog_diagram(cat2024).source
        port = f"{node_id('rule', 'blocked')}:{node_id('r', rule.id)}"
        assert f"\t{node_id('option', 'liability')}:{node_id('o', 'stripe')} -> {port} " in overview

    def test_unknown_property_is_refused(self, cat2024):
        with pytest.raises(ValueError, match="unknown property 'nope'"):
            catalog_diagram(cat2024, prop="nope")
