"""Change diagrams: one picture of two resolutions (two plan versions, or a what-if).

What changed comes from :func:`engine.diff.diff_resolutions`, the one model of change that
``plan diff``, the design document and ``plan upgrade`` use too, so the picture and the reports
always agree: money flows are paired by movement (who pays whom, and the kind of flow), steps by id
with the catalogs' renames, responsibilities by responsibility. Both sides are drawn with the
same figure builder; the elements the diff pairs are merged into one and styled by status.

The status is shown by line style and a marker, never by replacing colours (a flow keeps its
kind's colour, a core step its fill): added elements are drawn bold with ``+``, removed ones
dotted with ``−``, changed ones with a double border (nodes) or bold (edges) and ``~``, renamed
steps with ``»`` and their old id, moved steps with ``↕``; unchanged ones as usual. The picture
therefore reads the same in grey scale.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from connectplan.engine.diff import diff_resolutions
from connectplan.visualize._dot import (
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
from connectplan.visualize._parts import selection_text
from connectplan.visualize.liability import liability_figure
from connectplan.visualize.money_flow import money_flow_figure
from connectplan.visualize.steps import phase_columns, steps_figure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import graphviz

    from connectplan.engine import Resolution
    from connectplan.engine.diff import ResolutionDiff

__all__ = ["CHANGE_KINDS", "change_diagram", "change_figure", "resolution_diagram"]

#: Diagram kinds that have a change form, with their builders and titles.
CHANGE_KINDS: dict[str, tuple[str, Callable[..., Figure]]] = {
    "money-flow": ("Money flow", money_flow_figure),
    "liability": ("Liability and responsibilities", liability_figure),
    "steps": ("Integration steps", steps_figure),
}

#: Marker put before the label of an element, by status.
MARKS: dict[str, str] = {
    "added": "+ ",
    "removed": "− ",
    "changed": "~ ",
    "renamed": "» ",
    "moved": "↕ ",
    "unchanged": "",
}
REMOVED_FONT = "#777777"
#: Characters per line of a "was: ..." note under a changed element.
NOTE_WIDTH = 20
STATUS_MEANINGS: dict[str, str] = {
    "added": "added (bold, +)",
    "removed": "removed (dotted, −)",
    "changed": "changed (~; new text shown)",
    "renamed": "renamed step (», old id shown)",
    "moved": "moved to another position (↕)",
    "unchanged": "unchanged",
}


def resolution_diagram(kind: str, res: Resolution, *, subject: str | None = None, **options: Any) -> graphviz.Digraph:
    """Draw ``kind`` (a key of :data:`CHANGE_KINDS`) for one resolution; ``options`` go to the builder."""
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown diagram kind {kind!r}; use one of: {', '.join(CHANGE_KINDS)}")
    return to_digraph(CHANGE_KINDS[kind][1](res, subject=subject, **options))


# ---------------------------------------------------------------------------
# styling one element by its status


def _mark(label: str, status: str) -> str:
    mark = MARKS[status]
    return f"<B>{text(mark)}</B>{label}" if mark and label else label


def _styles(attrs: dict[str, str], add: str = "", drop: Iterable[str] = ()) -> str:
    parts = [p for p in attrs.get("style", "").split(",") if p and p not in drop]
    if add and add not in parts:
        parts.append(add)
    return ",".join(parts)


def _node(node: FigNode, status: str, change: tuple[str, ...] = (), note: str = "") -> FigNode:
    attrs = dict(node.attrs)
    if status == "added":
        attrs["style"] = _styles(attrs, "bold", drop=("dashed", "dotted"))
        attrs["penwidth"] = "3"
    elif status == "removed":
        attrs["style"] = _styles(attrs, "dotted", drop=("dashed", "bold"))
        attrs["fontcolor"] = REMOVED_FONT
        attrs["penwidth"] = "1.6"
        attrs.pop("peripheries", None)
    elif status in ("changed", "renamed"):
        attrs["peripheries"] = "2"
    label = _mark(node.label, status)
    if note:
        label += "<BR/>" + small(text(note, width=2 * NOTE_WIDTH))
    return replace(node, label=label, attrs=attrs_of(attrs), change=change)


def _edge(edge: FigEdge, status: str, change: tuple[str, ...] = (), note: str = "") -> FigEdge:
    attrs = dict(edge.attrs)
    width = float(attrs.get("penwidth", "1"))
    if status in ("added", "changed"):
        attrs["penwidth"] = f"{max(width * 1.8, 2.6):g}"
    elif status == "removed":
        attrs["style"] = "dotted"
        attrs["penwidth"] = f"{max(width, 1.4):g}"
        # a removed flow is a ghost: the newer side's flows lay the figure out (and keep it narrow)
        attrs["constraint"] = "false"
    label = _mark(edge.label, status)
    if note:
        label += "<BR/>" + small(text(note, width=NOTE_WIDTH))
    return replace(edge, label=label, attrs=attrs_of(attrs), change=change)


def _status_legend(statuses: set[str], *, nodes: bool) -> list[LegendRow]:
    rows = []
    for status in ("added", "removed", "changed", "renamed", "moved"):
        if status not in statuses:
            continue
        if nodes:
            double = status in ("changed", "renamed")
            sample = box_sample("#ffffff", "#4d4d4d", double=double, dotted=status == "removed")
        else:
            sample = edge_sample({"color": "#4d4d4d"}, "┈┈┈┈▶" if status == "removed" else None)
        rows.append(LegendRow(sample, text(MARKS[status] + STATUS_MEANINGS[status])))
    return rows


# ---------------------------------------------------------------------------
# merging two figures of one kind through the diff


def _merge_flows(diff: ResolutionDiff, old: Figure, new: Figure) -> tuple[list[FigNode], list[FigEdge], set[str]]:
    old_edges = {e.key: e for e in old.edges}
    new_edges = {e.key: e for e in new.edges}
    edges: list[FigEdge] = []
    statuses: set[str] = set()
    for c in diff.flows:
        before = old_edges.get(c.before.id) if c.before else None
        after = new_edges.get(c.after.id) if c.after else None
        shown = after or before
        if shown is None:
            continue  # a reverse flow this figure does not draw
        change = () if c.status == "unchanged" else ("flow", c.status, *c.movement)
        note = f"was: {c.before.what}" if c.status == "changed" and c.before else ""
        statuses.add(c.status)
        edges.append(_edge(shown, c.status, change, note))
    return _merge_parties(old, new), edges, statuses


def _merge_parties(old: Figure, new: Figure) -> list[FigNode]:
    """Party nodes: the newer side's; a party drawn on one side only is styled added or removed.

    A party is no change of its own (the flows or responsibilities that bring it are), so it
    carries no ``change``; the legend still explains its style.
    """
    old_nodes = {n.id: n for n in old.nodes}
    new_nodes = {n.id: n for n in new.nodes}
    out = [n if n.id in old_nodes else _node(n, "added") for n in new.nodes]
    out += [_node(n, "removed") for n in old.nodes if n.id not in new_nodes]
    return out


def _merge_liability(diff: ResolutionDiff, old: Figure, new: Figure) -> tuple[list[FigNode], list[FigEdge], set[str]]:
    """One edge per responsibility holder and per flow (figures built with ``merge=False``).

    A responsibility whose holders changed marks the lost holder's edge removed and the new one
    added, both with the responsibility's change; flows are paired by movement through the diff.
    """
    by_resp = {r.id: r for r in diff.responsibilities}
    old_edges = {e.key: e for e in old.edges}
    new_edges = {e.key: e for e in new.edges}
    edges: list[FigEdge] = []
    statuses: set[str] = set()
    for c in diff.flows:
        before = old_edges.get(f"flow:{c.before.id}") if c.before else None
        after = new_edges.get(f"flow:{c.after.id}") if c.after else None
        shown = after or before
        if shown is None:
            continue  # a flow this figure does not draw
        change = () if c.status == "unchanged" else ("flow", c.status, *c.movement)
        note = f"was: {c.before.what}" if c.status == "changed" and c.before else ""
        statuses.add(c.status)
        edges.append(_edge(shown, c.status, change, note))
    for key in [*new_edges, *(k for k in old_edges if k not in new_edges)]:
        if key.startswith("flow:"):
            continue
        status = "unchanged" if key in old_edges and key in new_edges else "added" if key in new_edges else "removed"
        resp = by_resp.get(key.split(":")[1])
        marked: tuple[str, ...] = ()
        if resp is not None and status != "unchanged":
            marked = ("responsibility", resp.status, resp.id)
        statuses.add(status)
        edges.append(_edge(new_edges.get(key) or old_edges[key], status, marked))
    prefix = node_id("party", "")
    parties = _merge_parties(
        replace(old, nodes=tuple(n for n in old.nodes if n.id.startswith(prefix))),
        replace(new, nodes=tuple(n for n in new.nodes if n.id.startswith(prefix))),
    )
    notes = [n for n in new.nodes if not n.id.startswith(prefix)]
    return [*parties, *notes], edges, statuses


def _merge_steps(
    diff: ResolutionDiff, old: Figure, new: Figure
) -> tuple[list[FigNode], list[FigEdge], set[str], tuple[str, ...]]:
    sid = node_id("step", "")
    renamed = {node_id("step", r.before_id): r for r in diff.steps_renamed}
    status_of: dict[str, tuple[str, tuple[str, ...], str]] = {}
    for s in diff.steps_added:
        status_of[node_id("step", s.id)] = ("added", ("step", "added", s.id), "")
    for s in diff.steps_removed:
        status_of[node_id("step", s.id)] = ("removed", ("step", "removed", s.id), "")
    for m in diff.steps_moved:
        status_of[node_id("step", m.id)] = ("moved", ("step", "moved", m.id), f"was {m.before}.")
    for c in diff.steps_changed:
        status_of[node_id("step", c.id)] = ("changed", ("step", "changed", c.id), f"was: {c.title_before}")
    for r in diff.steps_renamed:
        status_of[node_id("step", r.after_id)] = (
            "renamed",
            ("step", "renamed", r.before_id, r.after_id),
            f"was {r.before_id}",
        )
    old_order = [n.id for n in old.nodes]
    new_ids = {n.id for n in new.nodes}
    # the merged order: the newer list, each removed step right after the step it followed before
    order = [n.id for n in new.nodes]
    for index, nid in enumerate(old_order):
        if nid in new_ids or nid in renamed:
            continue
        anchor = None
        for previous in reversed(old_order[:index]):
            mapped = node_id("step", renamed[previous].after_id) if previous in renamed else previous
            if mapped in order:
                anchor = mapped
                break
        order.insert(order.index(anchor) + 1 if anchor is not None else 0, nid)
    old_nodes = {n.id: n for n in old.nodes}
    new_nodes = {n.id: n for n in new.nodes}
    # keep each phase frame in one piece: order by the frame's first appearance, then by position
    frames: dict[str, int] = {}
    for nid in order:
        frames.setdefault((new_nodes.get(nid) or old_nodes[nid]).cluster, len(frames))
    order = sorted(order, key=lambda nid: frames[(new_nodes.get(nid) or old_nodes[nid]).cluster])
    nodes: list[FigNode] = []
    statuses: set[str] = set()
    for position, nid in enumerate(order):
        node = new_nodes.get(nid) or old_nodes[nid]
        node = replace(node, rank=(position,))
        status, change, note = status_of.get(nid, ("unchanged", (), ""))
        if status != "unchanged":
            statuses.add(status)
        nodes.append(_node(node, status, change, note))
    # prerequisite edges are context, not changes: the newer side's, plus the older side's into removed steps
    edges = list(new.edges)
    present = {(e.tail, e.head) for e in edges}
    for e in old.edges:
        if (e.head not in new_ids or e.tail not in new_ids) and (e.tail, e.head) not in present:
            if e.tail.startswith(sid) and e.tail in order and e.head in order:
                edges.append(_edge(e, "removed"))
    return nodes, edges, statuses, tuple(order)


def _node_statuses(nodes: Iterable[FigNode], old: Figure, new: Figure) -> set[str]:
    """Statuses the merged nodes show: their changes, and parties drawn on one side only."""
    old_ids, new_ids = {n.id for n in old.nodes}, {n.id for n in new.nodes}
    out = {n.change[1] for n in nodes if n.change}
    if new_ids - old_ids:
        out.add("added")
    if old_ids - new_ids:
        out.add("removed")
    return out


def _selection_changes(diff: ResolutionDiff) -> str:
    from connectplan.engine.diff import option_text

    changes = [f"{p}: {option_text(b) or '∅'} → {option_text(a) or '∅'}" for p, b, a in diff.selection]
    changes += [f"{r.prop}: {r.before} → {r.after} (renamed)" for r in diff.options_renamed]
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
    if kind == "liability":
        options = {**options, "merge": False}  # one edge per responsibility holder, so each change is marked
    before = build(old, subject=old_subject, **options)
    after = build(new, subject=new_subject, **options)
    diff = diff_resolutions(old, new, from_ref=old_subject or "before", to_ref=new_subject or "after")
    sequence: tuple[str, ...] = ()
    columns: tuple[tuple[str, ...], ...] = ()
    if kind == "money-flow":
        nodes, edges, statuses = _merge_flows(diff, before, after)
        status_rows = _status_legend(_node_statuses(nodes, before, after), nodes=True)
        status_rows += _status_legend(statuses, nodes=False)
    elif kind == "liability":
        nodes, edges, statuses = _merge_liability(diff, before, after)
        status_rows = _status_legend(_node_statuses(nodes, before, after), nodes=True)
        status_rows += _status_legend(statuses, nodes=False)
    else:
        nodes, edges, statuses, sequence = _merge_steps(diff, before, after)
        status_rows = _status_legend(statuses, nodes=True)
        columns = phase_columns(sequence, {n.id: n.cluster for n in nodes})
        column_of = {nid: index for index, column in enumerate(columns) for nid in column}
        edges = [e for e in edges if column_of.get(e.tail) == column_of.get(e.head)]
    catalogs = old.catalog.ref if old.catalog.ref == new.catalog.ref else f"{old.catalog.ref} → {new.catalog.ref}"
    title = [
        f"{kind_title} change: {old_subject or 'before'} → {new_subject or 'after'}",
        f"Selection changes: {_selection_changes(diff)}",
        f"Before: {selection_text(old)}",
        f"After: {selection_text(new)}",
        f"Catalog {catalogs} · verdict {old.verdict} → {new.verdict}",
    ]
    if options.get("include"):
        title.append(f"Reverse flows included: {', '.join(sorted(set(options['include'])))}")
    clusters: dict[str, Cluster] = {c.id: c for c in before.clusters}
    clusters.update({c.id: c for c in after.clusters})
    present = {n.cluster for n in nodes}
    return Figure(
        name=f"{after.name}_change",
        kind=after.kind,
        title=tuple(title),
        nodes=tuple(nodes),
        edges=tuple(edges),
        clusters=tuple(c for cid, c in sorted(clusters.items()) if cid in present),
        legend=(*after.legend, *before.legend, *status_rows),
        graph_attrs=after.graph_attrs,
        sequence=sequence,
        columns=columns,
    )


def change_diagram(
    kind: str,
    old: Resolution,
    new: Resolution,
    *,
    old_subject: str | None = None,
    new_subject: str | None = None,
    **options: Any,
) -> graphviz.Digraph:
    """Draw one diagram of two resolutions: added, removed, changed and unchanged elements.

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
