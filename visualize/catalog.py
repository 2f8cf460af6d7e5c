"""Catalog diagram for catalog authors: properties with their options, rules and steps.

Drawn from the catalog's dependency graph (:attr:`engine.compiled.CompiledCatalog.graph`): an edge runs from an
option to each rule and step whose condition mentions it, and from a prerequisite step to the
step that needs it. With a resolution, the chosen options, the rules that fire and the active
steps are highlighted and everything else is greyed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.compiled import compile_catalog
from visualize._dot import (
    SEVERITY_COLORS,
    Cluster,
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
from visualize._parts import selection_text

if TYPE_CHECKING:
    import graphviz

    from engine import Catalog, Resolution

__all__ = ["catalog_diagram", "catalog_figure"]

WIDTH = 40
OPTION_ATTRS = {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#4d4d4d"}
CHOSEN_ATTRS = {
    "shape": "box",
    "style": "rounded,filled,bold",
    "fillcolor": "#c8ecc8",
    "color": "#1a8f1a",
    "penwidth": "2",
}
DIM = {"color": "#c0c0c0", "fontcolor": "#9a9a9a"}
STEP_ATTRS = {"shape": "box", "style": "rounded", "color": "#4d4d4d"}
ACTIVE_STEP_ATTRS = {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#dbe9f6", "color": "#1f5fa8"}
MENTION_EDGE = {"color": "#9a9a9a", "arrowsize": "0.5"}
HOT_EDGE = {"color": "#1a8f1a", "penwidth": "1.6", "arrowsize": "0.6"}
REQUIRES_EDGE = {"color": "#1f5fa8", "style": "dashed", "arrowsize": "0.6"}
PROPERTY_CLUSTER = {"style": "rounded", "color": "#8c8c8c"}
GROUP_CLUSTER = {"style": "rounded,dashed", "color": "#b0b0b0"}


def _rule_attrs(severity: str, *, fired: bool | None) -> dict[str, str]:
    attrs = {
        "shape": "note",
        "style": "filled",
        "fillcolor": SEVERITY_COLORS.get(severity, "#ffffff"),
        "color": "#4d4d4d",
    }
    if fired:
        attrs.update({"penwidth": "2.2", "color": "#000000", "style": "filled,bold"})
    elif fired is False:
        attrs.update({"fillcolor": "#f5f5f5", **DIM})
    return attrs


def catalog_figure(catalog: Catalog, res: Resolution | None = None) -> Figure:
    """The catalog figure, with ``res``'s choices highlighted when given (see :func:`catalog_diagram`)."""
    chosen = {f"{p}.{o}" for p, o in res.selection} if res else set()
    fired = {f.rule.id for f in res.findings} if res else set()
    active = {s.step.id for s in res.steps} if res else set()
    nodes: list[FigNode] = []
    clusters: list[Cluster] = []
    for pindex, prop in enumerate(catalog.properties):
        clusters.append(
            Cluster(
                prop.id,
                f"<B>{text(prop.title)}</B> {small(text(prop.id))}",
                attrs_of(PROPERTY_CLUSTER),
                rank=(0, pindex),
            )
        )
        for oindex, opt in enumerate(prop.options):
            key = f"{prop.id}.{opt.id}"
            attrs = dict(OPTION_ATTRS)
            if res is not None:
                attrs = dict(CHOSEN_ATTRS) if key in chosen else {**OPTION_ATTRS, **DIM}
            nodes.append(
                FigNode(
                    node_id("option", prop.id, opt.id),
                    f"{text(opt.title, width=WIDTH)}<BR/>{small(text(key))}",
                    attrs_of(attrs),
                    cluster=prop.id,
                    rank=(oindex,),
                )
            )
    clusters.append(Cluster("rules", f"<B>{text('Rules')}</B>", attrs_of(GROUP_CLUSTER), rank=(1, 0)))
    for index, rule in enumerate(catalog.rules):
        state = (rule.id in fired) if res is not None else None
        body = (
            f"<B>{text(rule.id)}</B> {small(text(rule.severity))}<BR/>"
            f"{small(text(rule.condition_text, width=WIDTH + 10))}"
        )
        nodes.append(
            FigNode(
                node_id("rule", rule.id), body, attrs_of(_rule_attrs(rule.severity, fired=state)), "rules", (index,)
            )
        )
    clusters.append(Cluster("steps", f"<B>{text('Steps')}</B>", attrs_of(GROUP_CLUSTER), rank=(2, 0)))
    for index, step in enumerate(sorted(catalog.steps, key=lambda s: (s.order, s.id))):
        attrs = dict(STEP_ATTRS)
        if res is not None:
            attrs = dict(ACTIVE_STEP_ATTRS) if step.id in active else {**STEP_ATTRS, **DIM}
        core = " · core" if step.core else ""
        body = (
            f"{text(step.title, width=WIDTH)}<BR/>"
            f"{small(text(f'{step.id} · {step.phase} · order {step.order}{core}'))}<BR/>"
            f"{small(text('when ' + step.condition_text, width=WIDTH + 10))}"
        )
        nodes.append(FigNode(node_id("step", step.id), body, attrs_of(attrs), "steps", (index,)))
    edges: list[FigEdge] = []
    for src, dst, kind in sorted(compile_catalog(catalog).graph.edges(data="kind")):
        if kind in ("constrains", "references") and src.kind in ("rule", "step"):
            hot = res is not None and dst.id in chosen and (src.id in fired or src.id in active)
            edges.append(
                FigEdge(
                    node_id("option", *dst.id.split(".", 1)),
                    node_id(src.kind, src.id),
                    key=f"{dst.id}>{src.kind}>{src.id}",
                    attrs=attrs_of(HOT_EDGE if hot else MENTION_EDGE),
                    rank=(0,),
                )
            )
        elif kind == "requires":
            edges.append(
                FigEdge(
                    node_id("step", dst.id),
                    node_id("step", src.id),
                    key=f"{dst.id}>requires>{src.id}",
                    attrs=attrs_of(REQUIRES_EDGE),
                    rank=(1,),
                )
            )
    legend = [
        LegendRow(box_sample("#ffffff", "#4d4d4d"), text("option (grouped by property)")),
        *(LegendRow(box_sample(SEVERITY_COLORS[s]), text(f"rule, severity {s}")) for s in SEVERITY_COLORS),
        LegendRow(box_sample("#ffffff", "#4d4d4d"), text("step (when: its condition)")),
        LegendRow(edge_sample(MENTION_EDGE), text("option → rule or step whose condition mentions it")),
        LegendRow(edge_sample(REQUIRES_EDGE), text("prerequisite → step that needs it")),
    ]
    title = [f"Catalog: {catalog.ref}", catalog.title]
    if res is not None:
        title.append(f"Selection: {selection_text(res)} · verdict {res.verdict}")
        legend += [
            LegendRow(box_sample("#c8ecc8", "#1a8f1a"), text("chosen option")),
            LegendRow(box_sample(SEVERITY_COLORS["caution"], "#000000"), text("rule that fires (bold border)")),
            LegendRow(box_sample("#dbe9f6", "#1f5fa8"), text("active step")),
            LegendRow(edge_sample(HOT_EDGE), text("chosen option → rule that fires or active step")),
        ]
    return Figure(
        name="catalog",
        kind="catalog",
        title=tuple(title),
        nodes=tuple(nodes),
        edges=tuple(edges),
        clusters=tuple(clusters),
        legend=tuple(legend),
        graph_attrs=attrs_of({"rankdir": "LR", "ranksep": "1.6", "nodesep": "0.15"}),
    )


def catalog_diagram(catalog: Catalog, res: Resolution | None = None) -> graphviz.Digraph:
    """Draw a catalog's properties, options, rules and steps.

    With ``res`` (a resolution against this catalog) the chosen options, the rules that fire and
    the active steps are highlighted.
    """
    return to_digraph(catalog_figure(catalog, res))
