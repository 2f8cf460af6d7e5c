"""Money-flow diagram: who pays whom for a resolved selection, drawn from the catalog's flow facts.

Parties are nodes; every flow whose condition holds is an edge labelled with what moves, styled by
its kind. Reverse flows (refunds, disputes, recoveries) are drawn only on request, dashed. The
merchant of record (the holder of the ``merchant_of_record`` responsibility) has a double border.
No code here knows about charge types: a new catalog edition changes the picture by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectplan.visualize._dot import (
    FLOW_KIND_TITLES,
    FLOW_STYLES,
    UNKNOWN_FLOW_STYLE,
    FigEdge,
    Figure,
    LegendRow,
    attrs_of,
    edge_sample,
    node_id,
    text,
    to_digraph,
)
from connectplan.visualize._parts import MOR_LEGEND, merchants_of_record, party_node, title_lines

if TYPE_CHECKING:
    from collections.abc import Iterable

    import graphviz

    from connectplan.engine import Flow, Resolution

__all__ = ["INCLUDE_CHOICES", "money_flow_diagram", "money_flow_figure", "parse_include"]

FORWARD_KINDS = ("charge", "stripe_fee", "application_fee", "transfer", "payout")
KIND_ORDER = (*FORWARD_KINDS, "refund", "dispute", "recovery")
#: ``--include`` values and the reverse flow kinds each adds. Recoveries (transfer reversals,
#: account debits) are what follows a refund or a dispute, so both bring them along.
INCLUDE_CHOICES: dict[str, tuple[str, ...]] = {
    "refunds": ("refund", "recovery"),
    "disputes": ("dispute", "recovery"),
    "recoveries": ("recovery",),
    "all": ("refund", "dispute", "recovery"),
}
LABEL_WIDTH = 16


def parse_include(values: Iterable[str]) -> tuple[str, ...]:
    """Split ``refunds,disputes`` style values; return the sorted, checked include names.

    Raises ValueError naming the allowed values for an unknown one.
    """
    out: set[str] = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part not in INCLUDE_CHOICES:
                raise ValueError(f"unknown --include value {part!r}; use any of: {', '.join(INCLUDE_CHOICES)}")
            out.add(part)
    return tuple(sorted(out))


def drawn_kinds(include: Iterable[str]) -> frozenset[str]:
    kinds = set(FORWARD_KINDS)
    for name in include:
        kinds.update(INCLUDE_CHOICES[name])
    return frozenset(kinds)


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _edge(flow: Flow, key: str) -> FigEdge:
    style = FLOW_STYLES.get(flow.kind, UNKNOWN_FLOW_STYLE)
    return FigEdge(
        tail=node_id("party", flow.from_party),
        head=node_id("party", flow.to_party),
        key=key,
        label=text(flow.what, width=LABEL_WIDTH),
        attrs=attrs_of(style),
        rank=(_kind_rank(flow.kind),),
    )


def money_flow_figure(res: Resolution, *, subject: str | None = None, include: Iterable[str] = ()) -> Figure:
    """The money-flow figure of a resolution (see :func:`money_flow_diagram`)."""
    include = tuple(sorted(set(include)))
    kinds = drawn_kinds(include)
    catalog = res.catalog
    flows = [f for f in res.flows if f.kind in kinds]
    mor = merchants_of_record(res)
    edges: list[FigEdge] = []
    for flow in sorted(flows, key=lambda f: (_kind_rank(f.kind), f.from_party, f.to_party, f.what, f.id)):
        # the key is the flow id; change diagrams pair flows by movement through engine.diff
        edges.append(_edge(flow, flow.id))
    parties = sorted({f.from_party for f in flows} | {f.to_party for f in flows} | set(mor))
    nodes = tuple(party_node(catalog, pid, mor=pid in mor) for pid in parties)
    legend = [
        LegendRow(
            edge_sample(FLOW_STYLES[k]),
            text(FLOW_KIND_TITLES[k]),
            target="edge",
            match=attrs_of({"color": FLOW_STYLES[k]["color"]}),
        )
        for k in KIND_ORDER
    ]
    legend.append(MOR_LEGEND)
    title = list(title_lines("Money flow", res, subject))
    if include:
        title.append(f"Reverse flows included: {', '.join(include)}")
    return Figure(
        name="money_flow",
        kind="money-flow",
        title=tuple(title),
        nodes=nodes,
        edges=tuple(edges),
        legend=tuple(legend),
        graph_attrs=attrs_of({"rankdir": "LR", "nodesep": "0.3", "ranksep": "0.4"}),
    )


def money_flow_diagram(res: Resolution, *, subject: str | None = None, include: Iterable[str] = ()) -> graphviz.Digraph:
    """Draw who pays whom for a resolved selection.

    Parameters
    ----------
    res:
        The resolution; its ``flows`` are the catalog flows whose condition holds.
    subject:
        What the title names (``plan@version``); the selection is named when omitted.
    include:
        Reverse-flow groups to add (keys of :data:`INCLUDE_CHOICES`: refunds, disputes, recoveries, all).
    """
    return to_digraph(money_flow_figure(res, subject=subject, include=include))
