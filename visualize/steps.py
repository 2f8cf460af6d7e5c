"""Steps diagram: the ordered integration steps, one cluster per phase, with prerequisite edges.

Nodes are the active steps, numbered in the resolution's order; the guide's core steps are filled
and bold. An edge runs from a prerequisite to the step that needs it. When a step's prerequisite is
inactive for this selection, the edge goes to the nearest active steps behind it, dashed.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from connectplan.engine.catalog import PHASES
from connectplan.visualize._dot import (
    Cluster,
    FigEdge,
    FigNode,
    Figure,
    LegendRow,
    attrs_of,
    box_sample,
    edge_sample,
    html_label,
    node_id,
    small,
    text,
    to_digraph,
)
from connectplan.visualize._parts import title_lines

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import graphviz

    from connectplan.engine import Catalog, Resolution

__all__ = ["phase_columns", "steps_diagram", "steps_figure"]

TITLE_WIDTH = 30
CORE_ATTRS = {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#dbe9f6", "color": "#1f5fa8"}
STEP_ATTRS = {"shape": "box", "style": "rounded", "color": "#4d4d4d"}
DIRECT_EDGE = {"color": "#4d4d4d"}
INDIRECT_EDGE = {"color": "#8c8c8c", "style": "dashed"}
CLUSTER_ATTRS = {"style": "rounded,dashed", "color": "#b0b0b0", "fontcolor": "#555555"}


#: Most columns side by side (three step boxes fill a page column), and the steps one column holds at most.
MAX_COLUMNS = 3
COLUMN_STEPS = 6
#: What a phase frame's heading costs in a column, counted in steps.
FRAME_COST = 1


def phase_columns(order: Sequence[str], frame_of: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """Cut the ordered node ids into columns read left to right, never splitting a phase frame.

    As many columns as the steps need (up to :data:`MAX_COLUMNS`), cut where the tallest column
    is shortest, so the figure is about as tall as it is wide instead of one long chain.

    >>> phase_columns([], {})
    ()
    >>> phase_columns(["a", "b", "c", "d"], {"a": "x", "b": "x", "c": "y", "d": "y"})
    (('a', 'b', 'c', 'd'),)
    >>> [len(c) for c in phase_columns([str(i) for i in range(12)], {str(i): str(i // 3) for i in range(12)})]
    [6, 6]
    """
    frames: list[list[str]] = []
    for nid in order:
        if not frames or frame_of[frames[-1][-1]] != frame_of[nid]:
            frames.append([])
        frames[-1].append(nid)
    if not frames:
        return ()
    cost = [len(f) + FRAME_COST for f in frames]
    count = min(MAX_COLUMNS, len(frames), max(1, -(-len(order) // COLUMN_STEPS)))
    best: tuple[int, tuple[int, ...]] | None = None
    for cuts in itertools.combinations(range(1, len(frames)), count - 1):
        bounds = (0, *cuts, len(frames))
        tallest = max(sum(cost[a:b]) for a, b in itertools.pairwise(bounds))
        if best is None or tallest < best[0]:
            best = (tallest, bounds)
    bounds = best[1] if best else (0, len(frames))
    return tuple(tuple(nid for f in frames[a:b] for nid in f) for a, b in itertools.pairwise(bounds))


def _phase_rank(phase: str) -> int:
    return PHASES.index(phase) if phase in PHASES else len(PHASES)


def nearest_active_prereqs(catalog: Catalog, step_id: str, active: set[str]) -> dict[str, bool]:
    """Active steps ``step_id`` waits for: ``{id: direct}``; ``direct`` is False through inactive steps."""
    found: dict[str, bool] = {}
    index = catalog.step_index
    stack = [(pre, True) for pre in index[step_id].prereqs]
    seen: set[str] = set()
    while stack:
        pre, direct = stack.pop()
        if pre in active:
            found[pre] = found.get(pre, False) or direct
            continue
        if pre in seen or pre not in index:
            continue
        seen.add(pre)
        stack.extend((p, False) for p in index[pre].prereqs)
    return found


def _reduced(needs: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    """Drop each prerequisite edge that another path of prerequisites already implies (transitive reduction).

    >>> _reduced({"a": {}, "b": {"a": True}, "c": {"a": True, "b": True}})
    {'a': {}, 'b': {'a': True}, 'c': {'b': True}}
    """
    cache: dict[str, set[str]] = {}

    def ancestors(step: str) -> set[str]:
        if step not in cache:
            cache[step] = set()  # guards against a cycle (validated catalogs have none)
            found: set[str] = set()
            for pre in needs.get(step, {}):
                found |= {pre} | ancestors(pre)
            cache[step] = found
        return cache[step]

    out: dict[str, dict[str, bool]] = {}
    for step, pres in needs.items():
        implied = set().union(*(ancestors(p) for p in pres)) if pres else set()
        out[step] = {p: direct for p, direct in pres.items() if p not in implied}
    return out


def steps_figure(res: Resolution, *, subject: str | None = None) -> Figure:
    """The step figure of a resolution (see :func:`steps_diagram`)."""
    catalog = res.catalog
    active = {s.step.id for s in res.steps}
    nodes: list[FigNode] = []
    edges: list[FigEdge] = []
    needs = _reduced({s.step.id: nearest_active_prereqs(catalog, s.step.id, active) for s in res.steps})
    # one frame per run of consecutive steps in one phase, so the frames follow the numbers down the page
    runs: list[tuple[str, str, int]] = []  # (cluster id, phase, first number)
    frame_of: dict[str, str] = {}
    for number, active_step in enumerate(res.steps, 1):
        phase = active_step.step.phase
        if not runs or runs[-1][1] != phase:
            seen_before = sum(1 for _, p, _ in runs if p == phase)
            runs.append((phase if not seen_before else f"{phase}~{seen_before + 1}", phase, number))
        frame_of[node_id("step", active_step.step.id)] = runs[-1][0]
    columns = phase_columns(list(frame_of), frame_of)
    column_of = {nid: index for index, column in enumerate(columns) for nid in column}
    number_of = {s.step.id: number for number, s in enumerate(res.steps, 1)}
    for number, active_step in enumerate(res.steps, 1):
        step = active_step.step
        sid = node_id("step", step.id)
        why = ", ".join(str(t) for t in active_step.because) or "always"
        detail = small(text(f"{step.id} · why: {why}", width=TITLE_WIDTH + 10))
        core = small(text("core step"), color="#1f5fa8") if step.core else ""
        heading = text(step.title, width=TITLE_WIDTH)
        # a prerequisite in another column is named by its number: an edge across columns would cross the figure
        elsewhere = sorted(number_of[p] for p in needs[step.id] if column_of[node_id("step", p)] != column_of[sid])
        after = small(text("after " + ", ".join(f"{n}." for n in elsewhere))) if elsewhere else ""
        body = html_label(f"<B>{number}.</B> {heading}", detail, after, core)
        nodes.append(
            FigNode(
                id=sid,
                label=body,
                attrs=attrs_of(CORE_ATTRS if step.core else STEP_ATTRS),
                cluster=frame_of[sid],
                rank=(number,),
                # numbers shift when steps come and go; a change diagram compares the rest
                compare=f"{heading}|{detail}|{core}",
            )
        )
        for pre, direct in sorted(needs[step.id].items()):
            if column_of[node_id("step", pre)] != column_of[sid]:
                continue
            edges.append(
                FigEdge(
                    node_id("step", pre),
                    sid,
                    key=f"{pre}>{step.id}>{'direct' if direct else 'indirect'}",
                    attrs=attrs_of({**(DIRECT_EDGE if direct else INDIRECT_EDGE), "constraint": "false"}),
                    rank=(number,),
                )
            )
    clusters = tuple(
        Cluster(cid, f"<B>{text(phase)}</B>", attrs_of(CLUSTER_ATTRS), rank=(first, _phase_rank(phase)))
        for cid, phase, first in runs
    )
    legend = [
        LegendRow(
            box_sample("#dbe9f6", "#1f5fa8"),
            text("core step (one of the guide's own steps)"),
            target="node",
            match=attrs_of({"color": CORE_ATTRS["color"]}),
        ),
        LegendRow(
            box_sample("#ffffff", "#4d4d4d"), text("other step"), target="node", match=attrs_of({"color": "#4d4d4d"})
        ),
        LegendRow(
            edge_sample(DIRECT_EDGE),
            text("prerequisite → step that needs it"),
            target="edge",
            match=attrs_of({"color": DIRECT_EDGE["color"]}),
        ),
        LegendRow(
            edge_sample(INDIRECT_EDGE),
            text("prerequisite through a step inactive here"),
            target="edge",
            match=attrs_of({"color": INDIRECT_EDGE["color"]}),
        ),
        LegendRow(
            text("n."),
            text("position in the ordered step list, read down each column; dashed frames are phases", width=40),
            target="node",
            match=(),
        ),
    ]
    if any("after " in n.label for n in nodes):
        legend.append(LegendRow(small(text("after n.")), text("a prerequisite in another column"), target="", match=()))
    return Figure(
        name="steps",
        kind="steps",
        title=title_lines("Integration steps", res, subject),
        nodes=tuple(nodes),
        edges=tuple(edges),
        clusters=clusters,
        legend=tuple(legend),
        graph_attrs=attrs_of(
            {"rankdir": "TB", "ranksep": "0.15", "nodesep": "0.18", "newrank": "true", "concentrate": "true"}
        ),
        sequence=tuple(n.id for n in nodes),
        columns=columns,
    )


def steps_diagram(res: Resolution, *, subject: str | None = None) -> graphviz.Digraph:
    """Draw the ordered integration steps with phases as clusters and prerequisite edges.

    ``subject`` names the plan in the title (``plan@version``); the selection is named when omitted.
    """
    return to_digraph(steps_figure(res, subject=subject))
