"""The typed NetworkX graph of a catalog."""

from __future__ import annotations

import networkx as nx

from connectplan.engine import NodeKey, build_graph, catalog_from_graph, step_order
from connectplan.engine.compiled import compile_catalog


def test_typed_nodes_and_edges(tiny):
    G = build_graph(tiny)
    kinds = {attrs["kind"] for _, attrs in G.nodes(data=True)}
    assert kinds == {"party", "property", "option", "rule", "step", "flow", "responsibility", "preset"}
    assert G.edges[NodeKey("property", "color"), NodeKey("option", "color.red")]["kind"] == "has_option"
    assert G.edges[NodeKey("rule", "no_big_red"), NodeKey("option", "size.l")]["kind"] == "constrains"
    assert G.edges[NodeKey("step", "second"), NodeKey("option", "size.l")]["kind"] == "references"
    assert G.edges[NodeKey("step", "second"), NodeKey("step", "first")]["kind"] == "requires"
    assert G.edges[NodeKey("flow", "pay"), NodeKey("party", "b")]["kind"] == "involves"
    assert G.edges[NodeKey("preset", "small_red"), NodeKey("option", "size.s")]["kind"] == "selects"


def test_graph_round_trips_to_the_same_catalog(stripe_catalog):
    G = build_graph(stripe_catalog)
    again = catalog_from_graph(G)
    assert again == stripe_catalog
    assert compile_catalog(again, graph=G).graph is G


def test_every_condition_reference_is_an_option_node(stripe_catalog):
    G = compile_catalog(stripe_catalog).graph
    for src, dst, kind in G.edges(data="kind"):
        if kind in ("constrains", "references", "selects"):
            assert G.nodes[dst]["kind"] == "option", (src, dst)


def test_step_prerequisite_graph_is_acyclic(stripe_catalog):
    G = compile_catalog(stripe_catalog).graph
    requires = nx.DiGraph([(u, v) for u, v, k in G.edges(data="kind") if k == "requires"])
    assert nx.is_directed_acyclic_graph(requires)


def test_step_order_puts_prerequisites_first_and_breaks_ties_by_order(stripe_catalog):
    order = step_order(stripe_catalog)
    pos = {sid: i for i, sid in enumerate(order)}
    assert sorted(order) == sorted(s.id for s in stripe_catalog.steps)
    for step in stripe_catalog.steps:
        for pre in step.prereqs:
            assert pos[pre] < pos[step.id]
    # in the Stripe catalogs prerequisites always point to lower `order` values, so the
    # topological order equals the plain `order` sort (DOMAIN.md section 5.1)
    assert list(order) == [s.id for s in sorted(stripe_catalog.steps, key=lambda s: (s.order, s.id))]


def test_topological_order_beats_order_field():
    from conftest import tiny_doc

    from connectplan.engine import catalog_from_dict

    doc = tiny_doc()
    # "first" now requires "second" although its order is lower: the prerequisite wins
    doc["steps"][0]["prereqs"] = ["second"]
    doc["steps"][1]["prereqs"] = []
    assert step_order(catalog_from_dict(doc)) == ("second", "first")
