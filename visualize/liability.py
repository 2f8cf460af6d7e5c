"""Liability: how the parties stand towards each other for a selection, drawn between party nodes.

Every edge joins two parties and says how the first stands towards the second: who is debited
first when a customer is refunded or wins a dispute, who covers a connected account's shortfall
(negative-balance liability), who recovers from whom, who answers disputes and issues refunds,
who faces the customer (merchant of record, whose Radar rules and payment methods apply), who
pays Stripe, and who serves the connected account (dashboard, KYC, risk, support, payouts).

The facts come from the resolution: each responsibility's holder (the catalog's assignments whose
condition holds) and the reverse flows (refunds, disputes and recoveries). The catalog format's
responsibility ids (``docs/catalog-format.md``) say which party a responsibility relates its
holder to; a responsibility of another catalog is drawn as a loop on its holder. Edges of one
relation between the same two parties are merged into one, labelled with every fact it carries.
A responsibility nobody holds is listed in a dashed box, so gaps in a catalog stay visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectplan.visualize._dot import (
    FigEdge,
    FigNode,
    Figure,
    LegendRow,
    attrs_of,
    bold,
    box_sample,
    edge_sample,
    node_id,
    small,
    text,
    to_digraph,
)
from connectplan.visualize._parts import MOR_LEGEND, PARTY_LEGEND, merchants_of_record, party_node, title_lines

if TYPE_CHECKING:
    import graphviz

    from connectplan.engine import Catalog, Resolution

__all__ = ["RELATIONS", "RELATION_OF", "Relation", "liability_diagram", "liability_figure"]

#: Characters per line of a fact on an edge (narrow labels keep the figure inside a page column).
LABEL_WIDTH = 20
#: Characters per line of a legend entry (two entries side by side stay inside a page column).
LEGEND_WIDTH = 44
CUSTOMER, ACCOUNT, STRIPE = "customer", "connected_account", "stripe"


@dataclass(frozen=True)
class Relation:
    """One way a party can stand towards another: the words on its edges, its legend text and its line style."""

    id: str
    verb: str
    meaning: str
    style: tuple[tuple[str, str], ...]


RELATIONS: tuple[Relation, ...] = (
    Relation(
        "debited",
        "debited first",
        "debited first: its balance pays the customer's refunds and lost disputes",
        attrs_of({"color": "#b22222", "fontcolor": "#b22222", "penwidth": "2"}),
    ),
    Relation(
        "shortfall",
        "covers the shortfall",
        "covers a shortfall: absorbs what cannot be recovered from a negative balance",
        attrs_of({"color": "#7a1f1f", "fontcolor": "#7a1f1f", "penwidth": "2.4", "style": "bold"}),
    ),
    Relation(
        "recovers",
        "recovers from",
        "recovers from: takes money back (arrow from who recovers to whom)",
        attrs_of({"color": "#555555", "fontcolor": "#555555", "style": "dashed"}),
    ),
    Relation(
        "disputes",
        "handles",
        "handles the customer's disputes and refunds",
        attrs_of({"color": "#a0307a", "fontcolor": "#a0307a", "penwidth": "1.4"}),
    ),
    Relation(
        "faces",
        "faces the customer",
        "faces the customer: merchant of record, whose Radar rules and payment methods apply",
        attrs_of({"color": "#1f5fa8", "fontcolor": "#1f5fa8", "penwidth": "1.4"}),
    ),
    Relation(
        "fees",
        "pays",
        "pays Stripe's fees",
        attrs_of({"color": "#6a3d9a", "fontcolor": "#6a3d9a", "penwidth": "1.4"}),
    ),
    Relation(
        "serves",
        "serves",
        "serves the connected account: dashboard, KYC, risk, contact, support, payouts",
        attrs_of({"color": "#2a7f2a", "fontcolor": "#2a7f2a", "penwidth": "1.4"}),
    ),
    Relation(
        "holds",
        "holds",
        "holds a responsibility of this catalog (a loop on its holder)",
        attrs_of({"color": "#4d4d4d", "fontcolor": "#4d4d4d"}),
    ),
)
_BY_ID = {r.id: r for r in RELATIONS}
_ORDER = {r.id: i for i, r in enumerate(RELATIONS)}

#: The catalog format's responsibility ids: the relation each draws from its holder, and to which party.
RELATION_OF: dict[str, tuple[str, str]] = {
    "negative_balance_liability": ("shortfall", ACCOUNT),
    "funds_refunds": ("debited", CUSTOMER),
    "answers_disputes": ("disputes", CUSTOMER),
    "issues_refunds": ("disputes", CUSTOMER),
    "merchant_of_record": ("faces", CUSTOMER),
    "radar_rules_apply": ("faces", CUSTOMER),
    "payment_methods_enabled_on": ("faces", CUSTOMER),
    "pays_stripe_fees": ("fees", STRIPE),
    "pays_connect_fees": ("fees", STRIPE),
    "provides_dashboard": ("serves", ACCOUNT),
    "collects_kyc": ("serves", ACCOUNT),
    "monitors_risk": ("serves", ACCOUNT),
    "communicates_with_accounts": ("serves", ACCOUNT),
    "supports_accounts": ("serves", ACCOUNT),
    "controls_payouts": ("serves", ACCOUNT),
}

UNHELD_ATTRS = {"shape": "box", "style": "rounded,dashed", "color": "#999999", "fontcolor": "#777777"}
UNHELD_ID = node_id("note", "unheld")


@dataclass(frozen=True)
class _Fact:
    """One relationship fact: ``tail`` stands in ``relation`` towards ``head``; ``key`` is stable across versions."""

    relation: str
    tail: str
    head: str
    line: str  # catalog text (unescaped)
    key: str
    order: int


def _facts(res: Resolution) -> list[_Fact]:
    catalog = res.catalog
    parties = {p.id for p in catalog.parties}
    resp_order = {r.id: i for i, r in enumerate(catalog.responsibilities)}
    facts: list[_Fact] = []
    for held in res.responsibilities:
        resp, holder = held.responsibility, held.assignment.party
        relation, counterpart = RELATION_OF.get(resp.id, ("holds", holder))
        if counterpart not in parties:
            relation, counterpart = "holds", holder
        key = f"responsibility:{resp.id}:{holder}"
        facts.append(_Fact(relation, holder, counterpart, resp.title, key, resp_order.get(resp.id, 0)))
    # the flows add what the responsibilities leave implicit: who pays a lost dispute, who recovers
    # the payer: a party that pays a charge and receives nothing but refunds and disputes (the customer)
    receives = {f.to_party for f in res.flows if not f.is_reverse}
    payers = {f.from_party for f in res.flows if f.kind == "charge"} - receives
    for index, flow in enumerate(res.flows, len(resp_order)):
        if flow.kind == "dispute" and flow.to_party in payers and flow.from_party != flow.to_party:
            facts.append(_Fact("debited", flow.from_party, flow.to_party, flow.what, f"flow:{flow.id}", index))
        elif flow.kind == "recovery" and flow.from_party != flow.to_party:
            facts.append(_Fact("recovers", flow.to_party, flow.from_party, flow.what, f"flow:{flow.id}", index))
    return facts


def _label(relation: Relation, lines: list[str]) -> str:
    seen: list[str] = []
    for line in lines:
        if line not in seen:
            seen.append(line)
    body = "<BR/>".join(text(line, width=LABEL_WIDTH) for line in seen)
    return bold(text(relation.verb)) + "<BR/>" + small(body, color=dict(relation.style)["color"])


def _edges(facts: list[_Fact], *, merge: bool) -> list[FigEdge]:
    groups: dict[tuple[str, ...], list[_Fact]] = {}
    for fact in sorted(facts, key=lambda f: (_ORDER[f.relation], f.order, f.key)):
        group = (fact.relation, fact.tail, fact.head) if merge else (fact.relation, fact.key)
        groups.setdefault(group, []).append(fact)
    edges: list[FigEdge] = []
    for members in groups.values():
        first = members[0]
        relation = _BY_ID[first.relation]
        key = f"{first.relation}:{first.tail}>{first.head}" if merge else first.key
        edges.append(
            FigEdge(
                node_id("party", first.tail),
                node_id("party", first.head),
                key=key,
                label=_label(relation, [m.line for m in members]),
                attrs=relation.style,
                rank=(_ORDER[first.relation], first.order),
            )
        )
    return edges


def _unheld_node(catalog: Catalog, held: set[str]) -> FigNode | None:
    missing = [r.title for r in catalog.responsibilities if r.id not in held]
    if not missing:
        return None
    body = bold(text("Held by nobody for this selection")) + "<BR/>" + "<BR/>".join(text(t, width=40) for t in missing)
    return FigNode(UNHELD_ID, body, attrs_of(UNHELD_ATTRS), rank=(2,))


def liability_figure(res: Resolution, *, subject: str | None = None, merge: bool = True) -> Figure:
    """The liability figure of a resolution (see :func:`liability_diagram`).

    ``merge=False`` keeps one edge per responsibility holder and per flow (change figures mark each).
    """
    catalog = res.catalog
    mor = merchants_of_record(res)
    facts = _facts(res)
    edges = _edges(facts, merge=merge)
    parties = {f.tail for f in facts} | {f.head for f in facts} | set(mor)
    nodes = [party_node(catalog, pid, mor=pid in mor) for pid in sorted(parties)]
    unheld = _unheld_node(catalog, {h.responsibility.id for h in res.responsibilities})
    if unheld is not None:
        nodes.append(unheld)
    legend = [
        LegendRow(
            edge_sample(dict(r.style)), text(r.meaning, width=LEGEND_WIDTH), target="edge", match=attrs_of({"color": c})
        )
        for r in RELATIONS
        for c in [dict(r.style)["color"]]
    ]
    legend += [
        PARTY_LEGEND,
        MOR_LEGEND,
        LegendRow(
            box_sample("#ffffff", "#999999", dashed=True),
            text("responsibilities no party holds for this selection"),
            target="node",
            match=attrs_of({"color": UNHELD_ATTRS["color"]}),
        ),
    ]
    return Figure(
        name="liability",
        kind="liability",
        title=title_lines("Liability and responsibilities", res, subject),
        nodes=tuple(nodes),
        edges=tuple(edges),
        legend=tuple(legend),
        graph_attrs=attrs_of({"rankdir": "LR", "ranksep": "0.3", "nodesep": "0.15"}),
    )


def liability_diagram(res: Resolution, *, subject: str | None = None) -> graphviz.Digraph:
    """Draw how the parties stand towards each other: debited first, shortfall, recovery, disputes, fees, service.

    ``subject`` names the plan in the title (``plan@version``); the selection is named when omitted.
    """
    return to_digraph(liability_figure(res, subject=subject))
