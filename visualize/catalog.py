"""Catalog diagrams for catalog authors: a layered overview, and one figure per property.

A whole catalog (every option, rule and step with its condition) is far too wide for a page, so
it is drawn in two layers:

* the **overview** (:func:`catalog_diagram` without ``prop``): one column of properties, each a
  table of its options; one column of rules (id and severity); one column of steps, in order; an
  edge runs from a property to each rule and step whose condition mentions one of its options;
* a **property figure** (``prop=ID``): that property's options, and the rules and steps whose
  condition mentions them, with their conditions; an edge runs from an option to each rule and
  step whose condition mentions it, and from a prerequisite step to the step that needs it.

Drawn from the catalog's dependency graph (:attr:`engine.compiled.CompiledCatalog.graph`). With a resolution, the
chosen options, the rules that fire and the active steps are highlighted and everything else is
greyed.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from connectplan.engine.compiled import compile_catalog
from connectplan.visualize._dot import (
    SEVERITY_COLORS,
    Cluster,
    FigEdge,
    FigNode,
    Figure,
    LegendRow,
    attrs_of,
    box_sample,
    edge_sample,
    ident,
    node_id,
    small,
    text,
    to_digraph,
)
from connectplan.visualize._parts import selection_text

if TYPE_CHECKING:
    import graphviz

    from connectplan.engine import Catalog, Resolution

__all__ = ["catalog_diagram", "catalog_diagrams", "catalog_figure", "catalog_overview_figure"]

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
REQUIRES_EDGE = {"color": "#1f5fa8", "style": "dashed", "arrowsize": "0.6", "constraint": "false"}
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


def _mentions(catalog: Catalog) -> dict[tuple[str, str], set[str]]:
    """``(kind, id)`` of each rule and step -> the ``prop.option`` terms its condition mentions."""
    out: dict[tuple[str, str], set[str]] = {}
    for src, dst, kind in compile_catalog(catalog).graph.edges(data="kind"):
        if kind in ("constrains", "references") and src.kind in ("rule", "step"):
            out.setdefault((src.kind, src.id), set()).add(dst.id)
    return out


def _chosen(res: Resolution | None) -> set[str]:
    from connectplan.engine.diff import option_text

    out: set[str] = set()
    for p, o in res.selection if res else ():
        out.update(f"{p}.{one}" for one in option_text(o).split(","))
    return out


def catalog_figure(catalog: Catalog, res: Resolution | None = None, *, prop: str | None = None) -> Figure:
    """The catalog figure: the overview, or property ``prop``'s figure (see :func:`catalog_diagram`).

    Raises ValueError for an unknown property id.
    """
    if prop is None:
        return catalog_overview_figure(catalog, res)
    if prop not in catalog.property_index:
        raise ValueError(
            f"unknown property {prop!r} in {catalog.ref}; use one of: {', '.join(p.id for p in catalog.properties)}"
        )
    chosen = _chosen(res)
    fired = {f.rule.id for f in res.findings} if res else set()
    active = {s.step.id for s in res.steps} if res else set()
    mentions = _mentions(catalog)
    prefix = prop + "."
    wanted = {key for key, terms in mentions.items() if any(t.startswith(prefix) for t in terms)}
    nodes: list[FigNode] = []
    clusters: list[Cluster] = []
    for pindex, prop_rec in enumerate(p for p in catalog.properties if p.id == prop):
        clusters.append(
            Cluster(
                prop_rec.id,
                f"<B>{text(prop_rec.title)}</B> {small(text(prop_rec.id))}",
                attrs_of(PROPERTY_CLUSTER),
                rank=(0, pindex),
            )
        )
        for oindex, opt in enumerate(prop_rec.options):
            key = f"{prop_rec.id}.{opt.id}"
            attrs = dict(OPTION_ATTRS)
            if res is not None:
                attrs = dict(CHOSEN_ATTRS) if key in chosen else {**OPTION_ATTRS, **DIM}
            nodes.append(
                FigNode(
                    node_id("option", prop_rec.id, opt.id),
                    f"{text(opt.title, width=WIDTH)}<BR/>{small(text(key))}",
                    attrs_of(attrs),
                    cluster=prop_rec.id,
                    rank=(oindex,),
                )
            )
    clusters.append(Cluster("rules", f"<B>{text('Rules')}</B>", attrs_of(GROUP_CLUSTER), rank=(1, 0)))
    for index, rule in enumerate(r for r in catalog.rules if ("rule", r.id) in wanted):
        state = (rule.id in fired) if res is not None else None
        body = (
            f"<B>{ident(rule.id)}</B> {small(text(rule.severity))}<BR/>"
            f"{small(text(rule.condition_text, width=WIDTH + 10))}"
        )
        nodes.append(
            FigNode(
                node_id("rule", rule.id), body, attrs_of(_rule_attrs(rule.severity, fired=state)), "rules", (index,)
            )
        )
    clusters.append(Cluster("steps", f"<B>{text('Steps')}</B>", attrs_of(GROUP_CLUSTER), rank=(2, 0)))
    drawn = [s for s in sorted(catalog.steps, key=lambda s: (s.order, s.id)) if ("step", s.id) in wanted]
    for index, step in enumerate(drawn):
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
    drawn_ids = {s.id for s in drawn}
    for src, dst, kind in sorted(compile_catalog(catalog).graph.edges(data="kind")):
        if kind in ("constrains", "references") and src.kind in ("rule", "step"):
            if not dst.id.startswith(prefix):
                continue
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
        elif kind == "requires" and src.id in drawn_ids and dst.id in drawn_ids:
            edges.append(
                FigEdge(
                    node_id("step", dst.id),
                    node_id("step", src.id),
                    key=f"{dst.id}>requires>{src.id}",
                    attrs=attrs_of(REQUIRES_EDGE),
                    rank=(1,),
                )
            )
    title = [f"Catalog: {catalog.ref} · property {prop}", catalog.title]
    if res is not None:
        title.append(f"Selection: {selection_text(res)} · verdict {res.verdict}")
    return Figure(
        name=f"catalog_{prop}",
        kind="catalog",
        title=tuple(title),
        nodes=tuple(nodes),
        edges=tuple(edges),
        clusters=tuple(clusters),
        legend=_legend(detail=True),
        graph_attrs=attrs_of({"rankdir": "LR", "ranksep": "0.9", "nodesep": "0.12"}),
    )


def _box_row(fill: str, border: str, meaning: str, prefix: str, attr: str, value: str) -> LegendRow:
    """A legend row for the nodes of ``prefix`` (option, rule, step) drawn with ``attr=value``."""
    return LegendRow(
        box_sample(fill, border), text(meaning), target="node", prefix=prefix, match=attrs_of({attr: value})
    )


def _edge_row(edge: dict[str, str], meaning: str) -> LegendRow:
    return LegendRow(edge_sample(edge), text(meaning), target="edge", match=attrs_of({"color": edge["color"]}))


def _legend(*, detail: bool) -> tuple[LegendRow, ...]:
    """Every row a catalog figure may need; :meth:`Figure.present_legend` keeps the ones drawn."""
    option, rule, step = node_id("option", ""), node_id("rule", ""), node_id("step", "")
    chosen = _box_row("#c8ecc8", "#1a8f1a", "chosen option", option, "fillcolor", CHOSEN_ATTRS["fillcolor"])
    if detail:
        rows = [
            _box_row("#ffffff", "#4d4d4d", "option", option, "color", "#4d4d4d"),
            chosen,
            _box_row("#ffffff", DIM["color"], "option not chosen (grey)", option, "color", DIM["color"]),
        ]
    else:
        rows = [LegendRow(text("Property"), text("a property and its options"), target="node", prefix=option), chosen]
    rows += [
        _box_row(SEVERITY_COLORS[sev], "#000000", f"rule, severity {sev}", rule, "fillcolor", SEVERITY_COLORS[sev])
        for sev in SEVERITY_COLORS
    ]
    rows += [
        _box_row(SEVERITY_COLORS["caution"], "#000000", "rule that fires (bold border)", rule, "penwidth", "2.2"),
        _box_row("#f5f5f5", DIM["color"], "rule that does not fire (grey)", rule, "fillcolor", "#f5f5f5"),
        _box_row(
            "#ffffff",
            "#4d4d4d",
            "step (when: its condition)" if detail else "step (order. title)",
            step,
            "color",
            "#4d4d4d",
        ),
        _box_row("#dbe9f6", "#1f5fa8", "active step", step, "fillcolor", ACTIVE_STEP_ATTRS["fillcolor"]),
        _box_row("#ffffff", DIM["color"], "inactive step (grey)", step, "color", DIM["color"]),
        _edge_row(MENTION_EDGE, "option → rule or step whose condition mentions it"),
        _edge_row(HOT_EDGE, "chosen option → rule that fires or active step"),
        _edge_row(REQUIRES_EDGE, "prerequisite → step that needs it"),
    ]
    return tuple(rows)


OVERVIEW_WIDTH = 26


#: Characters a title's last line and the id after it may take together before the id goes to a line of its own.
OVERVIEW_LINE = OVERVIEW_WIDTH + 12


def _with_id(render: Any, title: str, ident_: str) -> str:
    """``title`` (wrapped) and its id in small type: after the title's last line, or below it when both
    would make a line longer than :data:`OVERVIEW_LINE` (a long id of the newer editions)."""
    last = (textwrap.wrap(title, OVERVIEW_WIDTH) or [""])[-1]
    sep = "<BR/>" if len(last) + 1 + len(ident_) > OVERVIEW_LINE else " "
    return f"{render(title, width=OVERVIEW_WIDTH)}{sep}{small(text(ident_))}"


def _table(header: str, rows: list[tuple[str, str, str]], border: str) -> str:
    """An HTML table node body: a header row, then (port, body, background) rows."""
    cells = "".join(
        f'<TR><TD PORT="{port}" ALIGN="LEFT" BALIGN="LEFT" BGCOLOR="{bg}">{body}</TD></TR>' for port, body, bg in rows
    )
    return (
        f'<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" COLOR="{border}">'
        f'<TR><TD ALIGN="LEFT" BGCOLOR="#eeeeee">{header}</TD></TR>{cells}</TABLE>'
    )


def catalog_overview_figure(catalog: Catalog, res: Resolution | None = None) -> Figure:
    """The layered overview: properties (option tables) → rules (by severity) → steps (by phase).

    Every option, rule and step is one row of a table, so the figure stays narrow; an edge runs
    from an option's row to the row of each rule and step whose condition mentions it.
    """
    from connectplan.engine.catalog import PHASES

    chosen = _chosen(res)
    fired = {f.rule.id for f in res.findings} if res else set()
    active = {s.step.id for s in res.steps} if res else set()
    nodes: list[FigNode] = []
    for pindex, prop in enumerate(catalog.properties):
        rows = []
        for opt in prop.options:
            key = f"{prop.id}.{opt.id}"
            bg = CHOSEN_ATTRS["fillcolor"] if key in chosen else "#ffffff"
            rows.append((node_id("o", opt.id), _with_id(text, opt.title, opt.id), bg))
        header = _with_id(lambda value, width: f"<B>{text(value, width=width)}</B>", prop.title, prop.id)
        attrs = {"shape": "plain", "fillcolor": CHOSEN_ATTRS["fillcolor"]} if chosen else {"shape": "plain"}
        nodes.append(
            FigNode(node_id("option", prop.id), _table(header, rows, "#4d4d4d"), attrs_of(attrs), rank=(0, pindex))
        )
    rule_port: dict[str, str] = {}
    for sindex, sev in enumerate(SEVERITY_COLORS):
        rule_members = [r for r in catalog.rules if r.severity == sev]
        if not rule_members:
            continue
        nid = node_id("rule", sev)
        rows = []
        for rule in rule_members:
            on = rule.id in fired
            bg = SEVERITY_COLORS[sev] if res is None or on else "#f5f5f5"
            body = f"<B>{ident(rule.id)}</B>" if on else ident(rule.id)
            rows.append((node_id("r", rule.id), body, bg))
            rule_port[rule.id] = f"{nid}:{node_id('r', rule.id)}"
        attrs = {"shape": "plain", "fillcolor": SEVERITY_COLORS[sev]}
        if res is not None and any(r.id in fired for r in rule_members):
            attrs["penwidth"] = "2.2"
        if res is not None and any(r.id not in fired for r in rule_members):
            attrs["color"] = "#f5f5f5"  # marks the legend row for rules that do not fire
        nodes.append(
            FigNode(nid, _table(f"<B>{text(sev)}</B> rules", rows, "#4d4d4d"), attrs_of(attrs), rank=(1, sindex))
        )
    step_port: dict[str, str] = {}
    steps = sorted(catalog.steps, key=lambda s: (s.order, s.id))
    for phindex, phase in enumerate(dict.fromkeys([*PHASES, *(s.phase for s in steps)])):
        members = [s for s in steps if s.phase == phase]
        if not members:
            continue
        nid = node_id("step", phase)
        rows = []
        for step in members:
            bg = ACTIVE_STEP_ATTRS["fillcolor"] if step.id in active else "#ffffff"
            body = text(f"{step.order}. {step.title}", width=OVERVIEW_WIDTH)
            if res is not None and step.id not in active:
                body = f'<FONT COLOR="{DIM["fontcolor"]}">{body}</FONT>'
            rows.append((node_id("s", step.id), body, bg))
            step_port[step.id] = f"{nid}:{node_id('s', step.id)}"
        attrs = {"shape": "plain", "color": "#4d4d4d"}
        if active & {s.id for s in members}:
            attrs["fillcolor"] = ACTIVE_STEP_ATTRS["fillcolor"]
        if res is not None and any(s.id not in active for s in members):
            attrs["color"] = DIM["color"]
        nodes.append(
            FigNode(nid, _table(f"<B>{text(phase)}</B> steps", rows, "#4d4d4d"), attrs_of(attrs), rank=(2, phindex))
        )
    edges: list[FigEdge] = []
    for (kind, target), terms in sorted(_mentions(catalog).items()):
        head = rule_port.get(target) if kind == "rule" else step_port.get(target)
        if head is None:
            continue
        for term in sorted(terms):
            prop_id, opt_id = term.split(".", 1)
            hot = res is not None and term in chosen and (target in fired or target in active)
            style = dict(HOT_EDGE if hot else MENTION_EDGE)
            if kind == "step":
                style["minlen"] = "2"
            edges.append(
                FigEdge(
                    f"{node_id('option', prop_id)}:{node_id('o', opt_id)}",
                    head,
                    key=f"{term}>{kind}>{target}",
                    attrs=attrs_of(style),
                    rank=(0 if kind == "rule" else 1,),
                )
            )
    title = [f"Catalog: {catalog.ref} · overview", catalog.title]
    if res is not None:
        title.append(f"Selection: {selection_text(res)} · verdict {res.verdict}")
    title.append("One figure per property shows the conditions: connectplan render catalog --property ID")
    rule_nodes = tuple(n.id for n in nodes if n.id.startswith(node_id("rule", "")))
    step_nodes = tuple(n.id for n in nodes if n.id.startswith(node_id("step", "")))
    return Figure(
        name="catalog",
        kind="catalog",
        title=tuple(title),
        nodes=tuple(nodes),
        edges=tuple(edges),
        legend=_legend(detail=False),
        graph_attrs=attrs_of({"rankdir": "LR", "ranksep": "0.55", "nodesep": "0.15", "newrank": "true"}),
        same_rank=tuple(g for g in (rule_nodes, step_nodes) if g),
        # flat invisible edges keep each column in severity and phase order, top to bottom
        sequence=(*rule_nodes, *step_nodes),
    )


def catalog_diagram(catalog: Catalog, res: Resolution | None = None, *, prop: str | None = None) -> graphviz.Digraph:
    """Draw a catalog: the layered overview, or the figure of property ``prop``.

    With ``res`` (a resolution against this catalog) the chosen options, the rules that fire and
    the active steps are highlighted. Raises ValueError for an unknown property.
    """
    return to_digraph(catalog_figure(catalog, res, prop=prop))


def catalog_diagrams(catalog: Catalog, res: Resolution | None = None) -> list[tuple[str, graphviz.Digraph]]:
    """The overview and one figure per property, as ``(name, digraph)``: ``catalog``, ``catalog-PROP``..."""
    out = [("catalog", catalog_diagram(catalog, res))]
    out += [(f"catalog-{p.id}", catalog_diagram(catalog, res, prop=p.id)) for p in catalog.properties]
    return out
