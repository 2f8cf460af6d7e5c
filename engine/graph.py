"""The catalog as a typed ``networkx.DiGraph``, and back.

Nodes are ``(kind, id)`` tuples (:class:`NodeKey`); option ids are ``property.option``.
Every node carries ``kind``, ``index`` (declaration order) and ``data`` (the record as a
plain document, JSON-ready), so the graph holds the whole catalog: the store persists nodes
and edges and :func:`catalog_from_graph` rebuilds the identical :class:`~engine.catalog.Catalog`.

Edge kinds:

``has_option``   property -> option
``constrains``   rule -> option its condition references
``references``   step / flow / responsibility -> option its condition references
``requires``     step -> step it requires (a prerequisite)
``involves``     flow -> party it moves money from or to; responsibility -> party that may hold it
``selects``      preset -> option it picks
"""

from __future__ import annotations

from typing import Any, NamedTuple

import networkx as nx

from connectplan.engine.catalog import Catalog, catalog_to_dict
from connectplan.engine.expression import iter_terms, parse_expression
from connectplan.engine.loading import catalog_from_dict

__all__ = [
    "EDGE_KINDS",
    "NODE_KINDS",
    "NodeKey",
    "build_graph",
    "catalog_from_graph",
    "step_order",
]

NODE_KINDS = ("party", "property", "option", "rule", "step", "flow", "responsibility", "preset")
EDGE_KINDS = ("has_option", "constrains", "references", "requires", "involves", "selects")


class NodeKey(NamedTuple):
    kind: str
    id: str


def build_graph(catalog: Catalog) -> nx.DiGraph:
    """Build the typed dependency graph of a catalog (see the module docstring)."""
    doc = catalog_to_dict(catalog)
    G = nx.DiGraph()
    G.graph.update({k: doc[k] for k in ("format", "name", "edition", "title")})
    G.graph["description"] = doc.get("description", "")
    G.graph["renames"] = doc.get("renames", {"options": {}, "steps": {}})

    def add(kind: str, ident: str, index: int, data: dict[str, Any]) -> NodeKey:
        key = NodeKey(kind, ident)
        G.add_node(key, kind=kind, index=index, data=data)
        return key

    def link_terms(src: NodeKey, condition: str, kind: str) -> None:
        for term in iter_terms(parse_expression(condition)):
            G.add_edge(src, NodeKey("option", str(term)), kind=kind)

    for i, party in enumerate(doc["parties"]):
        add("party", party["id"], i, party)
    opt_index = 0
    for i, prop in enumerate(doc["properties"]):
        pdata = {k: v for k, v in prop.items() if k != "options"}
        pkey = add("property", prop["id"], i, pdata)
        for opt in prop["options"]:
            okey = add("option", f"{prop['id']}.{opt['id']}", opt_index, {"property": prop["id"], **opt})
            opt_index += 1
            G.add_edge(pkey, okey, kind="has_option")
    for i, rule in enumerate(doc["rules"]):
        link_terms(add("rule", rule["id"], i, rule), rule["condition"], "constrains")
    for i, step in enumerate(doc["steps"]):
        add("step", step["id"], i, step)
    for step in doc["steps"]:
        skey = NodeKey("step", step["id"])
        link_terms(skey, step["condition"], "references")
        for pre in step["prereqs"]:
            G.add_edge(skey, NodeKey("step", pre), kind="requires")
    for i, flow in enumerate(doc["flows"]):
        fkey = add("flow", flow["id"], i, flow)
        link_terms(fkey, flow["condition"], "references")
        for end in (flow["from"], flow["to"]):
            G.add_edge(fkey, NodeKey("party", end), kind="involves")
    for i, resp in enumerate(doc["responsibilities"]):
        rkey = add("responsibility", resp["id"], i, resp)
        for a in resp["assignments"]:
            link_terms(rkey, a["condition"], "references")
            G.add_edge(rkey, NodeKey("party", a["party"]), kind="involves")
    # revision and changelog travel as a node, not graph attributes, so a store keeps them with the
    # other nodes (its edition row only keeps format, description and renames); absent for revision 1
    if "revision" in doc or "changelog" in doc:
        add("revision", "revision", 0, {k: doc[k] for k in ("revision", "changelog") if k in doc})
    for i, preset in enumerate(doc["presets"]):
        pkey = add("preset", preset["id"], i, preset)
        for prop, value in preset["selection"].items():
            for opt in [value] if isinstance(value, str) else value:
                G.add_edge(pkey, NodeKey("option", f"{prop}.{opt}"), kind="selects")
    return G


def _nodes_of(G: nx.DiGraph, kind: str) -> list[dict[str, Any]]:
    found = [(attrs["index"], attrs["data"]) for _, attrs in G.nodes(data=True) if attrs.get("kind") == kind]
    return [data for _, data in sorted(found, key=lambda pair: pair[0])]


def catalog_from_graph(G: nx.DiGraph, *, source: str = "<graph>") -> Catalog:
    """Rebuild the :class:`Catalog` from a graph made by :func:`build_graph` (or loaded from a store).

    To reuse ``G`` as the catalog's graph instead of building it again, pass it on:
    ``engine.compiled.compile_catalog(catalog, graph=G)``.
    """
    options_by_prop: dict[str, list[dict[str, Any]]] = {}
    for opt in _nodes_of(G, "option"):
        options_by_prop.setdefault(opt["property"], []).append({k: v for k, v in opt.items() if k != "property"})
    doc: dict[str, Any] = {k: G.graph[k] for k in ("format", "name", "edition", "title")}
    for meta in _nodes_of(G, "revision"):
        doc.update(meta)
    if G.graph.get("description"):
        doc["description"] = G.graph["description"]
    renames = G.graph.get("renames") or {}
    if renames.get("options") or renames.get("steps") or renames.get("defaults"):
        doc["renames"] = renames
    doc["parties"] = _nodes_of(G, "party")
    doc["properties"] = [{**p, "options": options_by_prop.get(p["id"], [])} for p in _nodes_of(G, "property")]
    for kind, key in (
        ("rule", "rules"),
        ("step", "steps"),
        ("flow", "flows"),
        ("responsibility", "responsibilities"),
        ("preset", "presets"),
    ):
        doc[key] = _nodes_of(G, kind)
    return catalog_from_dict(doc, source=source)


def step_order(catalog: Catalog) -> tuple[str, ...]:
    """Every step id in a deterministic topological order of the prerequisite graph.

    A step comes after all its prerequisites; among steps whose prerequisites are all
    placed, the lowest ``order`` (then id) comes first. Only the step layer is built (the
    graph's ``requires`` relation, read from the step records), so resolving a catalog does not
    pay for the whole graph.
    """
    steps = catalog.step_index
    prereq_first = nx.DiGraph()
    prereq_first.add_nodes_from(steps)
    for step in catalog.steps:
        for pre in step.prereqs:
            prereq_first.add_edge(pre, step.id)
    return tuple(nx.lexicographical_topological_sort(prereq_first, key=lambda sid: (steps[sid].order, sid)))
