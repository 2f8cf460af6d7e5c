"""Liability and responsibilities: which party holds each responsibility for a selection.

Drawn from the catalog's responsibility facts: every responsibility is a node, joined to the
party (or parties) whose assignment condition holds. A responsibility nobody holds for this
selection is drawn dashed, so gaps in a catalog are visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectplan.visualize._dot import (
    FigEdge,
    FigNode,
    Figure,
    LegendRow,
    attrs_of,
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

    from connectplan.engine import Resolution

__all__ = ["liability_diagram", "liability_figure"]

NOTE_WIDTH = 56
RESP_ATTRS = {"shape": "box", "style": "rounded", "color": "#4d4d4d"}
UNHELD_ATTRS = {"shape": "box", "style": "rounded,dashed", "color": "#999999", "fontcolor": "#777777"}
HOLDS_STYLE = {"color": "#4d4d4d", "arrowhead": "normal"}


def liability_figure(res: Resolution, *, subject: str | None = None) -> Figure:
    """The responsibility figure of a resolution (see :func:`liability_diagram`)."""
    catalog = res.catalog
    holders: dict[str, list[tuple[str, str]]] = {}
    for h in res.responsibilities:
        holders.setdefault(h.responsibility.id, []).append((h.assignment.party, h.assignment.note))
    mor = merchants_of_record(res)
    nodes: list[FigNode] = []
    edges: list[FigEdge] = []
    parties: set[str] = set(mor)
    for index, resp in enumerate(catalog.responsibilities):
        held = holders.get(resp.id, [])
        notes = [note for _, note in held if note]
        body = f"<B>{text(resp.title, width=NOTE_WIDTH)}</B>"
        if notes:
            body += "<BR/>" + small("<BR/>".join(text(n, width=NOTE_WIDTH) for n in notes))
        elif not held:
            body += "<BR/>" + small(text("no party holds this for the selection"))
        rid = node_id("responsibility", resp.id)
        nodes.append(FigNode(rid, body, attrs_of(RESP_ATTRS if held else UNHELD_ATTRS), rank=(1, index, resp.id)))
        for party in sorted({p for p, _ in held}):
            parties.add(party)
            edges.append(
                FigEdge(
                    rid, node_id("party", party), key=f"{resp.id}>{party}", attrs=attrs_of(HOLDS_STYLE), rank=(index,)
                )
            )
    nodes.extend(party_node(catalog, pid, mor=pid in mor) for pid in sorted(parties))
    legend = [
        LegendRow(
            box_sample("#ffffff", "#4d4d4d"),
            text("responsibility (catalog text)"),
            target="node",
            match=attrs_of({"color": RESP_ATTRS["color"]}),
        ),
        PARTY_LEGEND,
        LegendRow(edge_sample(HOLDS_STYLE), text("is held by"), target="edge", match=attrs_of({"color": "#4d4d4d"})),
        LegendRow(
            box_sample("#ffffff", "#999999", dashed=True),
            text("held by nobody for this selection"),
            target="node",
            match=attrs_of({"color": UNHELD_ATTRS["color"]}),
        ),
        MOR_LEGEND,
    ]
    return Figure(
        name="liability",
        kind="liability",
        title=title_lines("Liability and responsibilities", res, subject),
        nodes=tuple(nodes),
        edges=tuple(edges),
        legend=tuple(legend),
        graph_attrs=attrs_of({"rankdir": "LR", "ranksep": "1.4", "nodesep": "0.25"}),
    )


def liability_diagram(res: Resolution, *, subject: str | None = None) -> graphviz.Digraph:
    """Draw which party holds each responsibility (negative-balance liability, fees, disputes, ...).

    ``subject`` names the plan in the title (``plan@version``); the selection is named when omitted.
    """
    return to_digraph(liability_figure(res, subject=subject))
