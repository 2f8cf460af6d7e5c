"""Change diagrams: one picture of two resolutions (two plan versions, or a what-if).

Both sides are built with the same figure builder; nodes are matched by id and edges by key
(a money flow's key is who pays whom, its kind and what moves, so a flow renamed between catalog
editions but unchanged in substance stays "unchanged"). Each element is then styled as added,
removed, changed (same node, different text) or unchanged, and its label is prefixed ``+``,
``−`` or ``~`` so the picture reads the same in grey scale.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from visualize._dot import (
    CHANGE_FILLS,
    CHANGE_MARKS,
    CHANGE_STYLES,
    FigEdge,
    FigNode,
    Figure,
    LegendRow,
    attrs_of,
    box_sample,
    edge_sample,
    text,
    to_digraph,
)
from visualize._parts import selection_text
from visualize.liability import liability_figure
from visualize.money_flow import money_flow_figure
from visualize.steps import steps_figure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import graphviz

    from engine import Resolution

__all__ = ["CHANGE_KINDS", "change_diagram", "change_figure", "merge_figures", "resolution_diagram"]

#: Diagram kinds that have a change form, with their builders and titles.
CHANGE_KINDS: dict[str, tuple[str, Callable[..., Figure]]] = {
    "money-flow": ("Money flow", money_flow_figure),
    "liability": ("Liability and responsibilities", liability_figure),
    "steps": ("Integration steps", steps_figure),
}


def resolution_diagram(kind: str, res: Resolution, *, subject: str | None = None, **options: Any) -> graphviz.Digraph:
    """Draw ``kind`` (a key of :data:`CHANGE_KINDS`) for one resolution; ``options`` go to the builder."""
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown diagram kind {kind!r}; use one of: {', '.join(CHANGE_KINDS)}")
    return to_digraph(CHANGE_KINDS[kind][1](res, subject=subject, **options))


def _mark(label: str, status: str) -> str:
    mark = CHANGE_MARKS[status]
    return f"<B>{text(mark)}</B>{label}" if mark and label else label


def _node(node: FigNode, status: str) -> FigNode:
    attrs = dict(node.attrs)
    style = CHANGE_STYLES[status]
    styles = [s for s in attrs.get("style", "").split(",") if s and s not in ("dashed", "bold", "filled")]
    styles.append("filled")
    if status == "removed":
        styles.append("dashed")
    elif status in ("added", "changed"):
        styles.append("bold")
    attrs.update({"color": style["color"], "fillcolor": CHANGE_FILLS[status], "style": ",".join(styles)})
    if status == "removed":
        attrs.pop("peripheries", None)
        attrs["fontcolor"] = style["fontcolor"]
    return replace(node, label=_mark(node.label, status), attrs=attrs_of(attrs))


def _edge(edge: FigEdge, status: str) -> FigEdge:
    attrs = dict(edge.attrs)
    base_dashed = attrs.get("style") == "dashed"
    attrs.update(CHANGE_STYLES[status])
    if status != "removed":
        attrs["style"] = "dashed" if base_dashed else "solid"
    return replace(edge, label=_mark(edge.label, status), attrs=attrs_of(attrs))


def merge_figures(old: Figure, new: Figure, title: Iterable[str]) -> Figure:
    """One figure of both sides: every node and edge styled by its change status."""
    old_nodes = {n.id: n for n in old.nodes}
    new_nodes = {n.id: n for n in new.nodes}
    nodes: list[FigNode] = []
    for nid in sorted(old_nodes.keys() | new_nodes.keys()):
        before, after = old_nodes.get(nid), new_nodes.get(nid)
        if before is None and after is not None:
            nodes.append(_node(after, "added"))
        elif after is None and before is not None:
            # A removed node keeps the new side's order by sorting after it.
            nodes.append(_node(replace(before, rank=(*before.rank, "~")), "removed"))
        elif before is not None and after is not None:
            status = (
                "unchanged" if before.fingerprint == after.fingerprint and before.attrs == after.attrs else "changed"
            )
            nodes.append(_node(after, status))
    old_edges = {e.key: e for e in old.edges}
    new_edges = {e.key: e for e in new.edges}
    edges: list[FigEdge] = []
    kept_dashed = False
    for key in sorted(old_edges.keys() | new_edges.keys()):
        if key not in old_edges:
            edges.append(_edge(new_edges[key], "added"))
        elif key not in new_edges:
            edges.append(_edge(old_edges[key], "removed"))
            continue
        else:
            edges.append(_edge(new_edges[key], "unchanged"))
        kept_dashed = kept_dashed or dict(new_edges[key].attrs).get("style") == "dashed"
    clusters = {c.id: c for c in old.clusters}
    clusters.update({c.id: c for c in new.clusters})
    present = {n.cluster for n in nodes}
    legend = [
        LegendRow(box_sample(CHANGE_FILLS["added"], CHANGE_STYLES["added"]["color"]), text("+ added node")),
        LegendRow(
            box_sample(CHANGE_FILLS["removed"], CHANGE_STYLES["removed"]["color"], dashed=True), text("− removed node")
        ),
        LegendRow(
            box_sample(CHANGE_FILLS["changed"], CHANGE_STYLES["changed"]["color"]),
            text("~ changed node (new text shown)"),
        ),
        LegendRow(box_sample(CHANGE_FILLS["unchanged"], CHANGE_STYLES["unchanged"]["color"]), text("unchanged node")),
        LegendRow(edge_sample(CHANGE_STYLES["added"]), text("+ added edge")),
        LegendRow(edge_sample(CHANGE_STYLES["removed"]), text("− removed edge")),
        LegendRow(edge_sample(CHANGE_STYLES["unchanged"]), text("unchanged edge")),
    ]
    if kept_dashed:
        dashed = {**CHANGE_STYLES["unchanged"], "style": "dashed"}
        legend.append(LegendRow(edge_sample(dashed), text("reverse flow or indirect prerequisite (dashed)")))
    return Figure(
        name=f"{new.name}_change",
        kind=new.kind,
        title=tuple(title),
        nodes=tuple(nodes),
        edges=tuple(edges),
        clusters=tuple(c for cid, c in sorted(clusters.items()) if cid in present),
        legend=tuple(legend),
        graph_attrs=new.graph_attrs,
    )


def _selection_changes(old: Resolution, new: Resolution) -> str:
    before, after = old.selection_dict, new.selection_dict
    changes = [
        f"{p}: {before.get(p, '∅')} → {after.get(p, '∅')}"
        for p in dict.fromkeys([*before, *after])
        if before.get(p) != after.get(p)
    ]
    return "; ".join(changes) if changes else "no change"


def change_figure(
    kind: str,
    old: Resolution,
    new: Resolution,
    *,
    old_subject: str | None = None,
    new_subject: str | None = None,
    **options: Any,
) -> Figure:
    """The change figure of ``kind`` (a key of :data:`CHANGE_KINDS`) from ``old`` to ``new``."""
    if kind not in CHANGE_KINDS:
        raise ValueError(f"no change diagram for {kind!r}; use one of: {', '.join(CHANGE_KINDS)}")
    kind_title, build = CHANGE_KINDS[kind]
    before = build(old, subject=old_subject, **options)
    after = build(new, subject=new_subject, **options)
    catalogs = old.catalog.ref if old.catalog.ref == new.catalog.ref else f"{old.catalog.ref} → {new.catalog.ref}"
    title = [
        f"{kind_title} change: {old_subject or 'before'} → {new_subject or 'after'}",
        f"Selection changes: {_selection_changes(old, new)}",
        f"Before: {selection_text(old)}",
        f"After: {selection_text(new)}",
        f"Catalog {catalogs} · verdict {old.verdict} → {new.verdict}",
    ]
    if options.get("include"):
        title.append(f"Reverse flows included: {', '.join(sorted(set(options['include'])))}")
    return merge_figures(before, after, title)


def change_diagram(
    kind: str,
    old: Resolution,
    new: Resolution,
    *,
    old_subject: str | None = None,
    new_subject: str | None = None,
    **options: Any,
) -> graphviz.Digraph:
    """Draw one diagram of two resolutions: added, removed, changed and unchanged nodes and edges.

    Parameters
    ----------
    kind:
        ``money-flow``, ``liability`` or ``steps``.
    old, new:
        The two resolutions (e.g. ``plan@1`` and ``plan@2``); they may use different catalog editions.
    old_subject, new_subject:
        How the title names each side.
    options:
        Passed to the diagram builder (``include=`` for money flows).
    """
    return to_digraph(change_figure(kind, old, new, old_subject=old_subject, new_subject=new_subject, **options))
