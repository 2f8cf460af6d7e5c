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


@pytest.fixture(scope="module")
def cat2026_12():
    from connectplan.catalog_files import load_builtin

    return load_builtin("stripe-connect@2026-12.yaml")


def relations(fig) -> set[tuple[str, str, str]]:
    """(relation, tail party, head party) of every edge of a liability figure."""
    return {(e.key.split(":")[0], e.tail.removeprefix("party__"), e.head.removeprefix("party__")) for e in fig.edges}


def preset(cat, name: str, **changes: str) -> dict:
    return {**dict(cat.preset_index[name].selection), **changes}


class TestLiability:
    """The liability figure joins parties: each edge says how one party stands towards another."""

    def test_stripe_liable_saas(self, cat2024):
        fig = liability_figure(resolve(cat2024, SAAS_2024))
        rel = relations(fig)
        # DOMAIN.md §7: liability.stripe -> Stripe covers the shortfall; direct charges -> the account is
        # debited first, answers disputes and pays Stripe's fees; a full dashboard -> Stripe serves the account.
        assert ("shortfall", "stripe", "connected_account") in rel
        assert ("debited", "connected_account", "customer") in rel
        assert ("disputes", "connected_account", "customer") in rel
        assert ("fees", "connected_account", "stripe") in rel
        assert ("serves", "stripe", "connected_account") in rel
        assert ("faces", "connected_account", "customer") in rel
        assert not any(r[0] == "shortfall" and r[1] == "platform" for r in rel)

    @pytest.mark.parametrize("charge_type", ["destination", "direct"])
    def test_stripe_liable_express_2026_12(self, cat2026_12, charge_type):
        """A Stripe-liable Express selection: every relationship kind joins two distinct parties."""
        sel = preset(cat2026_12, "express_saas", charge_type=charge_type)
        rel = relations(liability_figure(resolve(cat2026_12, sel)))
        debited = "platform" if charge_type == "destination" else "connected_account"
        assert ("shortfall", "stripe", "connected_account") in rel
        assert ("debited", debited, "customer") in rel
        assert ("disputes", debited, "customer") in rel
        assert ("recovers", "connected_account", "bank") in rel  # an external account debit
        assert ("serves", "stripe", "connected_account") in rel  # the Express Dashboard, KYC, risk
        if charge_type == "destination":
            assert ("recovers", "platform", "connected_account") in rel  # transfer reversals
        for kind in ("shortfall", "debited", "recovers", "disputes", "faces", "fees", "serves"):
            assert any(r[0] == kind and r[1] != r[2] for r in rel), kind

    def test_platform_liable_marketplace_2026_12(self, cat2026_12):
        fig = liability_figure(resolve(cat2026_12, preset(cat2026_12, "marketplace")), subject="acme@2")
        rel = relations(fig)
        assert {
            ("shortfall", "platform", "connected_account"),
            ("debited", "platform", "customer"),
            ("disputes", "platform", "customer"),
            ("recovers", "platform", "connected_account"),  # transfer reversals, account debits
            ("recovers", "stripe", "platform"),  # an unrecovered negative balance
            ("fees", "platform", "stripe"),
            ("serves", "platform", "connected_account"),  # risk and payouts are the platform's
            ("faces", "platform", "customer"),
        } <= rel
        assert not any(r[0] == "shortfall" and r[1] == "stripe" for r in rel)
        assert all(r[1] != r[2] for r in rel)  # no loops: every built-in responsibility relates two parties
        src = liability_diagram(resolve(cat2026_12, preset(cat2026_12, "marketplace")), subject="acme@2").source
        assert "Liability and responsibilities: acme@2" in src
        assert re.search(r"^\tparty__platform .*peripheries=2", src, flags=re.M)
        assert not re.search(r"^\tresponsibility__", src, flags=re.M)  # no responsibility nodes any more

    def test_every_held_responsibility_is_on_an_edge_from_its_holder(self, stripe_catalog):
        for selection in list(all_selections(stripe_catalog))[::7]:
            res = resolve(stripe_catalog, selection)
            unmerged = liability_figure(res, merge=False)
            keys = {e.key: e for e in unmerged.edges}
            for h in res.responsibilities:
                edge = keys[f"responsibility:{h.responsibility.id}:{h.assignment.party}"]
                assert edge.tail == node_id("party", h.assignment.party)
            # merging joins edges of one relation between the same two parties, and loses no fact
            merged = liability_figure(res)
            assert relations(merged) == {
                (k.split(":")[0], *k.split(":")[1].split(">")) for k in (e.key for e in merged.edges)
            }
            assert len(merged.edges) <= len(unmerged.edges)

    def test_a_responsibility_nobody_holds_is_listed_dashed(self, tiny):
        # tiny: "owner" is held by a (color.red) or b (color.blue); drop b's assignment and pick blue
        from conftest import tiny_doc

        from connectplan.engine import catalog_from_dict

        doc = tiny_doc()
        doc["responsibilities"][0]["assignments"] = doc["responsibilities"][0]["assignments"][:1]
        cat = catalog_from_dict(doc)
        src = liability_diagram(resolve(cat, {"color": "blue", "size": "s"})).source
        line = next(x for x in src.splitlines() if x.startswith("\tnote__unheld "))
        assert "dashed" in line and "Held by nobody" in line
        # a responsibility the catalog format does not know is a loop on its holder
        held = liability_figure(resolve(cat, {"color": "red", "size": "s"}))
        assert [(e.tail, e.head) for e in held.edges if e.key.startswith("holds:")] == [("party__a", "party__a")]


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
        """Within a column an edge; across columns the step names its prerequisite's number."""
        res = resolve(cat2024, SAAS_2024)
        fig = steps_figure(res)
        active = {s.step.id for s in res.steps}
        column_of = {nid: i for i, column in enumerate(fig.columns) for nid in column}
        number = {s.step.id: n for n, s in enumerate(res.steps, 1)}
        labels = {n.id: n.label for n in fig.nodes}
        for s in res.steps:
            sid = node_id("step", s.step.id)
            for pre in s.step.prereqs:
                if pre not in active:
                    continue
                pid = node_id("step", pre)
                if column_of[pid] == column_of[sid]:
                    assert any(e.tail == pid and e.head == sid for e in fig.edges)
                else:
                    assert not any(e.tail == pid and e.head == sid for e in fig.edges)
                    assert re.search(rf"after [0-9., ]*\b{number[pre]}\.", labels[sid])
        # the guide's own five steps are the core ones (DOMAIN.md §5.1)
        assert sum(1 for s in res.steps if s.step.core) == 5

    def test_steps_are_grouped_by_phase_in_columns(self, cat2026_12):
        """Issue 19: by phase, a few columns side by side instead of one long chain; a frame is never split."""
        for p in cat2026_12.presets:
            res = resolve(cat2026_12, dict(p.selection))
            fig = steps_figure(res)
            assert tuple(n for column in fig.columns for n in column) == fig.sequence  # read down each column
            assert 2 <= len(fig.columns) <= 3, p.id
            column_of = {nid: i for i, column in enumerate(fig.columns) for nid in column}
            frames: dict[str, set[int]] = {}
            phases: dict[str, set[str]] = {}
            for node in fig.nodes:
                frames.setdefault(node.cluster, set()).add(column_of[node.id])
                phases.setdefault(node.cluster, set()).add(cat2026_12.step_index[node.id.removeprefix("step__")].phase)
            assert all(len(c) == 1 for c in frames.values()), p.id
            assert all(len(ph) == 1 for ph in phases.values()), p.id
            assert max(len(c) for c in fig.columns) <= len(fig.sequence) // 2 + 3
            src = steps_diagram(res).source
            assert "rank=same" in src  # the columns start on one line

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
