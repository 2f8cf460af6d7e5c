"""Money-flow diagrams: the edges are the catalog's flow facts for the selection (DOMAIN.md §6)."""

from __future__ import annotations

import re

import pytest
from conftest import all_selections, tiny_doc

from connectplan.engine import catalog_from_dict, resolve
from connectplan.visualize import money_flow_diagram, parse_include
from connectplan.visualize._dot import node_id
from connectplan.visualize.money_flow import money_flow_figure


def sel(**choices: str) -> dict[str, str]:
    base = {"onboarding": "embedded", "dashboard": "express", "fee_payer": "platform", "liability": "platform"}
    base.update(choices)
    return base


def edges(source: str) -> set[tuple[str, str]]:
    """(tail, head) party ids of every edge in DOT text."""
    return {
        (a.removeprefix("party__"), b.removeprefix("party__"))
        for a, b in re.findall(r"^\t(party__\w+) -> (party__\w+) ", source, flags=re.M)
    }


def edge_labels(source: str, tail: str, head: str) -> list[str]:
    pattern = rf"^\tparty__{tail} -> party__{head} \[label=<(.*?)> "
    return re.findall(pattern, source, flags=re.M)


def node_line(source: str, party: str) -> str:
    return next(line for line in source.splitlines() if line.startswith(f"\tparty__{party} "))


class TestChargeTypes:
    def test_direct_charge_goes_from_customer_to_connected_account(self, cat2024):
        src = money_flow_diagram(
            resolve(
                cat2024, sel(charge_type="direct", dashboard="full", fee_payer="connected_account", liability="stripe")
            )
        ).source
        assert ("customer", "connected_account") in edges(src)
        assert ("customer", "platform") not in edges(src)
        assert ("platform", "connected_account") not in edges(src)  # no transfer for direct charges
        assert ("connected_account", "platform") in edges(src)  # the application fee
        assert "peripheries=2" in node_line(src, "connected_account")  # merchant of record
        assert "peripheries" not in node_line(src, "platform")

    def test_destination_charge_lands_on_the_platform_then_transfers(self, cat2025):
        src = money_flow_diagram(resolve(cat2025, sel(charge_type="destination"))).source
        assert ("customer", "platform") in edges(src)
        assert ("platform", "connected_account") in edges(src)
        assert ("customer", "connected_account") not in edges(src)
        assert any("Transfer" in label for label in edge_labels(src, "platform", "connected_account"))
        assert "peripheries=2" in node_line(src, "platform")
        assert "peripheries" not in node_line(src, "connected_account")

    def test_separate_charges_and_transfers(self, cat2024):
        src = money_flow_diagram(resolve(cat2024, sel(charge_type="separate"))).source
        assert {("customer", "platform"), ("platform", "connected_account"), ("platform", "stripe")} <= edges(src)
        assert ("customer", "connected_account") not in edges(src)
        # no application fee with separate charges (DOMAIN.md §6.9)
        assert ("connected_account", "platform") not in edges(src)

    def test_on_behalf_of_makes_the_connected_account_merchant_of_record(self, cat2025):
        src = money_flow_diagram(resolve(cat2025, sel(charge_type="destination_obo"))).source
        assert ("customer", "platform") in edges(src)
        assert "peripheries=2" in node_line(src, "connected_account")


class TestFeePayer:
    def test_connected_account_pays_stripe_on_direct_charges(self, cat2024):
        src = money_flow_diagram(
            resolve(
                cat2024, sel(charge_type="direct", dashboard="full", fee_payer="connected_account", liability="stripe")
            )
        ).source
        assert ("connected_account", "stripe") in edges(src)
        assert ("platform", "stripe") not in edges(src)

    def test_platform_pays_stripe_on_direct_charges(self, cat2024):
        src = money_flow_diagram(
            resolve(cat2024, sel(charge_type="direct", dashboard="none", fee_payer="platform"))
        ).source
        assert ("platform", "stripe") in edges(src)
        assert ("connected_account", "stripe") not in edges(src)

    def test_platform_pays_stripe_on_indirect_charges_whatever_the_setting(self, cat2024):
        src = money_flow_diagram(resolve(cat2024, sel(charge_type="destination", fee_payer="connected_account"))).source
        assert ("platform", "stripe") in edges(src)
        assert ("connected_account", "stripe") not in edges(src)


class TestReverseFlows:
    def test_left_out_by_default(self, cat2025):
        res = resolve(cat2025, sel(charge_type="destination"))
        src = money_flow_diagram(res).source
        assert "style=dashed" not in src.split("subgraph cluster_legend")[0]
        assert ("platform", "customer") not in edges(src)

    def test_refunds_and_disputes_are_dashed_and_show_transfer_reversals(self, cat2025):
        res = resolve(cat2025, sel(charge_type="destination"))
        src = money_flow_diagram(res, include=parse_include(["refunds,disputes"])).source
        assert ("platform", "customer") in edges(src)  # the platform refunds and is debited for disputes
        reversals = [line for line in src.splitlines() if "Transfer<BR/>reversal" in line]
        assert reversals and all("party__connected_account -> party__platform" in line for line in reversals)
        assert all("style=dashed" in line for line in reversals)
        assert "Reverse flows included: disputes, refunds" in src

    def test_direct_charge_refunds_are_debited_from_the_connected_account(self, cat2024):
        res = resolve(
            cat2024, sel(charge_type="direct", dashboard="full", fee_payer="connected_account", liability="stripe")
        )
        src = money_flow_diagram(res, include=("refunds",)).source
        assert any(label.startswith("Refund") for label in edge_labels(src, "connected_account", "customer"))
        assert not edge_labels(src, "platform", "customer")

    def test_unknown_include_value_names_the_choices(self):
        with pytest.raises(ValueError, match="refunds, disputes, recoveries, all"):
            parse_include(["refunds,chargebacks"])


def test_every_selection_draws_exactly_its_forward_flows(stripe_catalog):
    """Whatever the selection, the edges are the resolution's forward flows: nothing added, nothing lost."""
    for selection in all_selections(stripe_catalog):
        res = resolve(stripe_catalog, selection)
        fig = money_flow_figure(res)
        expected = sorted(
            (node_id("party", f.from_party), node_id("party", f.to_party)) for f in res.flows if not f.is_reverse
        )
        assert sorted((e.tail, e.head) for e in fig.edges) == expected, selection
        mor = [n.id for n in fig.nodes if ("peripheries", "2") in n.attrs]
        assert len(mor) == 1, selection


def test_a_new_catalog_changes_the_picture_without_code(tiny):
    """Parties and flows come from the catalog: a made-up catalog draws its own parties and flows."""
    doc = tiny_doc()
    doc["parties"].append({"id": "c", "title": "Collector"})
    doc["flows"].append(
        {"id": "skim", "from": "b", "to": "c", "what": "A cut", "kind": "application_fee", "condition": "size.l"}
    )
    cat = catalog_from_dict(doc)
    small = money_flow_diagram(resolve(cat, {"color": "red", "size": "s"})).source
    large = money_flow_diagram(resolve(cat, {"color": "red", "size": "l"})).source
    assert edges(small) == {("a", "b")}
    assert edges(large) == {("a", "b"), ("b", "c")}
    assert "Collector" in large and "Collector" not in small


def test_title_names_the_subject_selection_and_edition(cat2024):
    res = resolve(cat2024, sel(charge_type="destination"))
    src = money_flow_diagram(res, subject="acme@3").source
    assert "Money flow: acme@3" in src
    assert "charge_type=destination" in src
    assert "Catalog stripe-connect@2024" in src
    assert "<B>Legend</B>" in src
    assert money_flow_diagram(res).source.count("Money flow: selection") == 1
