"""Shared DOT building blocks: style data, node ids, escaped HTML-like labels, and the figure model.

Every diagram is first built as a :class:`Figure` (plain, immutable data: nodes, edges, clusters,
legend rows) and then emitted by :func:`to_digraph` as a ``graphviz.Digraph``. Keeping the figure
separate from DOT lets :mod:`visualize.change` compare two figures of the same kind node by node and
edge by edge, and makes the emission order a single, sorted place.

Safety rules, kept here and nowhere else:

* DOT ids come only from :func:`node_id`: ``kind__id`` with characters outside ``[A-Za-z0-9_]``
  encoded, so an id never holds ``:`` (which DOT reads as a port) or quotes.
* Every label is an HTML-like label built from :func:`text` (``html.escape`` plus ``<BR/>`` for
  newlines). User and catalog text can therefore never close the label, start a tag or add an
  attribute; it shows literally.
* Attribute values other than labels are constants from this module, never user text.
"""

from __future__ import annotations

import html
import itertools
import re
import textwrap
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import graphviz

__all__ = [
    "EDGE_ATTRS",
    "FLOW_STYLES",
    "GRAPH_ATTRS",
    "NODE_ATTRS",
    "SEVERITY_COLORS",
    "Cluster",
    "FigEdge",
    "FigNode",
    "Figure",
    "LegendRow",
    "bold",
    "html_label",
    "ident",
    "new_digraph",
    "node_id",
    "small",
    "text",
    "title_label",
    "to_digraph",
]

FONT = "Helvetica"
#: Characters per title line (12 pt Helvetica: about 6 pt a character, so titles stay well inside a page column).
TITLE_WIDTH = 80

#: Graph-wide defaults (the package sorts plain dicts, so the DOT text does not depend on this order).
GRAPH_ATTRS: dict[str, str] = {
    "fontname": FONT,
    "fontsize": "12",
    "labelloc": "t",
    "labeljust": "l",
    "nodesep": "0.45",
    "ranksep": "0.7",
    "pad": "0.3",
}
NODE_ATTRS: dict[str, str] = {
    "fontname": FONT,
    "fontsize": "10",
    "shape": "box",
    "style": "rounded",
    "margin": "0.14,0.07",
}
EDGE_ATTRS: dict[str, str] = {"fontname": FONT, "fontsize": "9", "arrowsize": "0.7"}

#: Edge style per catalog flow kind; reverse flows (refund, dispute, recovery) are dashed.
FLOW_STYLES: dict[str, dict[str, str]] = {
    "charge": {"color": "#1f5fa8", "fontcolor": "#1f5fa8", "penwidth": "2"},
    "stripe_fee": {"color": "#6a3d9a", "fontcolor": "#6a3d9a", "penwidth": "1.4"},
    "application_fee": {"color": "#c15a00", "fontcolor": "#c15a00", "penwidth": "1.4"},
    "transfer": {"color": "#2a7f2a", "fontcolor": "#2a7f2a", "penwidth": "1.6"},
    "payout": {"color": "#11707f", "fontcolor": "#11707f", "penwidth": "1.4"},
    "refund": {"color": "#b22222", "fontcolor": "#b22222", "style": "dashed"},
    "dispute": {"color": "#a0307a", "fontcolor": "#a0307a", "style": "dashed"},
    "recovery": {"color": "#555555", "fontcolor": "#555555", "style": "dashed"},
}
FLOW_KIND_TITLES: dict[str, str] = {
    "charge": "charge (customer pays)",
    "stripe_fee": "Stripe fee",
    "application_fee": "application fee",
    "transfer": "transfer",
    "payout": "payout",
    "refund": "refund (reverse flow)",
    "dispute": "dispute (reverse flow)",
    "recovery": "recovery: reversal or debit (reverse flow)",
}
UNKNOWN_FLOW_STYLE: dict[str, str] = {"color": "#000000", "fontcolor": "#000000"}

#: Fill colours of rule nodes by severity (catalog diagram) and of findings.
SEVERITY_COLORS: dict[str, str] = {
    "out_of_scope": "#d9d9d9",
    "blocked": "#f4b6b6",
    "sales_gated": "#d9c9ef",
    "caution": "#fde0b0",
    "info": "#d6e8f7",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


# ---------------------------------------------------------------------------
# ids and labels


def node_id(kind: str, *parts: str) -> str:
    """A stable DOT node id, ``kind__part1__part2``: letters, digits and ``_`` only, so it is never quoted.

    Catalog ids are snake_case already. Any other character (``.``, ``:``, quotes, spaces) is
    written as ``_u<hex>_``, so an id can never carry ``:`` (a port in DOT) or close a string.

    >>> node_id("party", "connected_account")
    'party__connected_account'
    >>> node_id("option", "charge_type", "direct")
    'option__charge_type__direct'
    >>> node_id("x", 'a:b "c"')
    'x__a_u3a_b_u20__u22_c_u22_'
    """
    safe = [_ID_UNSAFE.sub(lambda m: f"_u{ord(m.group()):x}_", part) for part in (kind, *parts)]
    return "__".join(safe)


def text(value: str, *, width: int | None = None) -> str:
    r"""Escape text for an HTML-like label; newlines become ``<BR/>``.

    ``width`` wraps long paragraphs at word boundaries first. Control characters are dropped
    (Graphviz rejects them); everything else, including non-ASCII letters, stays as it is.

    >>> text('a <b> & "c"\n{d}')
    'a &lt;b&gt; &amp; &quot;c&quot;<BR/>{d}'
    >>> print(text(r"\N"))
    \\N
    """
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    lines = value.split("\n")
    if width:
        wrapped: list[str] = []
        for line in lines:
            for part in textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]:
                # a word longer than twice the width (a URL, an id) is cut; shorter ones stay whole
                wrapped.extend(part[i : i + 2 * width] for i in range(0, len(part), 2 * width))
        lines = wrapped
    # Graphviz reads backslash escapes (\N = node name, \\ = one backslash) even in HTML-like
    # labels, after entities are decoded; doubling every backslash keeps them literal everywhere.
    return "<BR/>".join(html.escape(line, quote=True).replace("\\", "\\\\") for line in lines)


#: Characters per line of an identifier (a rule id) in a label: longer ones wrap after an underscore.
#: 58 is the longest rule id of the editions before 2026-12, so their figures are unchanged.
ID_WIDTH = 58


def ident(value: str, *, width: int = ID_WIDTH) -> str:
    """An identifier for a label (escaped as :func:`text`), wrapped after underscores when longer than ``width``.

    >>> ident("a_b_c", width=4)
    'a_<BR/>b_c'
    >>> ident("issuing_and_financial_accounts_need_platform_controlled_accounts")
    'issuing_and_financial_accounts_<BR/>need_platform_controlled_accounts'
    """
    if len(value) <= width:
        return text(value)
    # as few lines as the width needs, each cut after the underscore nearest an even share
    count = -(-len(value) // width)
    after = [i + 1 for i, ch in enumerate(value) if ch == "_"]
    cuts: list[int] = []
    for k in range(1, count):
        ideal = k * len(value) / count
        left = [p for p in after if p > (cuts[-1] if cuts else 0)]
        if left:
            cuts.append(min(left, key=lambda p: (abs(p - ideal), p)))
    lines = [value[a:b] for a, b in zip([0, *cuts], [*cuts, len(value)], strict=True)]
    return "<BR/>".join(text(piece) for piece in lines)


def bold(body: str) -> str:
    """Wrap an already escaped label body in bold."""
    return f"<B>{body}</B>" if body else body


def small(body: str, *, color: str = "#444444") -> str:
    """Wrap an already escaped label body in a smaller, grey font."""
    return f'<FONT POINT-SIZE="8" COLOR="{color}">{body}</FONT>' if body else body


def html_label(*parts: str) -> str:
    """Join already escaped label bodies with line breaks (empty parts are skipped)."""
    return "<BR/>".join(p for p in parts if p)


def title_label(lines: Iterable[str], *, width: int = TITLE_WIDTH) -> str:
    """The diagram title: first line bold and larger, the others plain, each wrapped at ``width`` (escaped here)."""
    items = list(lines)
    if not items:
        return ""
    head = f'<FONT POINT-SIZE="15"><B>{text(items[0], width=width)}</B></FONT>'
    rest = [text(line, width=width) for line in items[1:]]
    return '<BR ALIGN="LEFT"/>'.join([head, *rest]).replace("<BR/>", '<BR ALIGN="LEFT"/>') + '<BR ALIGN="LEFT"/>'


def _wrap(body: str) -> str:
    return f"<{body}>"


# ---------------------------------------------------------------------------
# the figure model


Attrs = tuple[tuple[str, str], ...]


def attrs_of(mapping: Mapping[str, str]) -> Attrs:
    return tuple(sorted(mapping.items()))


@dataclass(frozen=True)
class FigNode:
    """A node: ``label`` is an escaped HTML body; ``compare`` is what change diagrams compare."""

    id: str
    label: str
    attrs: Attrs = ()
    cluster: str = ""
    rank: tuple[int | str, ...] = ()
    compare: str | None = None
    #: in a change figure: the change this node shows, as in :meth:`engine.diff.ResolutionDiff.changes`
    change: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        return self.label if self.compare is None else self.compare


@dataclass(frozen=True)
class FigEdge:
    """An edge; ``key`` identifies it within the figure (and across the two sides of a change)."""

    tail: str
    head: str
    key: str
    label: str = ""
    attrs: Attrs = ()
    rank: tuple[int | str, ...] = ()
    #: in a change figure: the change this edge shows, as in :meth:`engine.diff.ResolutionDiff.changes`
    change: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cluster:
    id: str
    label: str
    attrs: Attrs = ()
    rank: tuple[int | str, ...] = ()


@dataclass(frozen=True)
class LegendRow:
    """One legend line: a sample (escaped HTML, e.g. a coloured arrow) and its meaning.

    ``target`` (``node`` or ``edge``) and ``match`` say which elements the row describes: the row is
    shown only when some element of that kind has all the ``match`` attributes (a ``style`` value
    matches when all its comma-separated parts are among the element's). A row without a target
    is always shown. So a legend lists exactly the styles its figure uses.
    """

    sample: str
    meaning: str
    target: str = ""
    match: Attrs = ()
    #: only elements whose id (a node's id, an edge's tail) starts with this count
    prefix: str = ""

    def describes(self, attrs: Attrs) -> bool:
        have = dict(attrs)
        for key, value in self.match:
            if key == "style":
                parts = set(have.get("style", "").split(","))
                if not set(value.split(",")) <= parts:
                    return False
            elif have.get(key) != value:
                return False
        return True


@dataclass(frozen=True)
class Figure:
    """A diagram as plain data; :func:`to_digraph` turns it into DOT."""

    name: str
    title: tuple[str, ...]
    nodes: tuple[FigNode, ...]
    edges: tuple[FigEdge, ...]
    clusters: tuple[Cluster, ...] = ()
    legend: tuple[LegendRow, ...] = ()
    graph_attrs: Attrs = ()
    kind: str = field(default="")
    #: node ids to stack in this order (joined by invisible edges, so a step list reads down the page)
    sequence: tuple[str, ...] = ()
    #: groups of node ids drawn on one rank (one column of a left-to-right figure)
    same_rank: tuple[tuple[str, ...], ...] = ()
    #: the sequence cut into columns drawn side by side, each read down the page (replaces one long column)
    columns: tuple[tuple[str, ...], ...] = ()

    def with_title(self, title: Iterable[str]) -> Figure:
        return replace(self, title=tuple(title))

    def present_legend(self) -> tuple[LegendRow, ...]:
        """The legend rows that describe something drawn (see :class:`LegendRow`), duplicates dropped."""
        out: list[LegendRow] = []
        for row in self.legend:
            if row.target == "node":
                found = any(n.id.startswith(row.prefix) and row.describes(n.attrs) for n in self.nodes)
            elif row.target == "edge":
                found = any(e.tail.startswith(row.prefix) and row.describes(e.attrs) for e in self.edges)
            else:
                found = True
            if not found:
                continue
            if all((row.sample, row.meaning) != (r.sample, r.meaning) for r in out):
                out.append(row)
        return tuple(out)

    def changes(self) -> frozenset[tuple[str, ...]]:
        """The changes a change figure shows (empty for a figure of one resolution)."""
        return frozenset(n.change for n in self.nodes if n.change) | frozenset(e.change for e in self.edges if e.change)


def edge_sample(style: Mapping[str, str], glyph: str | None = None) -> str:
    """A coloured arrow for the legend, drawn with text (dashed styles get a dashed glyph)."""
    color = style.get("color", "#000000")
    if glyph is None:
        glyph = "╌╌╌╌▶" if style.get("style") == "dashed" else "━━━━▶"
    return f'<FONT COLOR="{color}">{glyph}</FONT>'


def box_sample(
    fill: str, border: str = "#000000", *, double: bool = False, dashed: bool = False, dotted: bool = False
) -> str:
    """A small coloured box for the legend (a nested one-cell table)."""
    extra = ' STYLE="dashed"' if dashed else ' STYLE="dotted"' if dotted else ""
    inner = (
        f'<TABLE BORDER="1" CELLBORDER="0" COLOR="{border}" BGCOLOR="{fill}"{extra}>'
        '<TR><TD WIDTH="28"> </TD></TR></TABLE>'
    )
    if double:
        inner = f'<TABLE BORDER="1" CELLBORDER="0" COLOR="{border}" CELLPADDING="1"><TR><TD>{inner}</TD></TR></TABLE>'
    return inner


# ---------------------------------------------------------------------------
# emission


def new_digraph(
    name: str,
    title: Iterable[str],
    graph_attrs: Mapping[str, str] | None = None,
    legend: Iterable[LegendRow] = (),
) -> graphviz.Digraph:
    """A ``graphviz.Digraph`` with the house style and an escaped title label at the top.

    The legend, when given, sits under the title in the same label: it then adds height, not
    width (a legend beside the drawing would add a whole column to a left-to-right layout).
    """
    import graphviz

    attrs = dict(GRAPH_ATTRS)
    attrs.update(graph_attrs or {})
    label = title_label(title)
    rows = tuple(legend)
    if rows:
        label = (
            '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
            f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{label}</TD></TR>'
            f'<TR><TD ALIGN="LEFT" CELLPADDING="4">{_legend_label(rows)}</TD></TR></TABLE>'
        )
    if label:
        attrs["label"] = _wrap(label)
    return graphviz.Digraph(
        node_id("diagram", name),
        graph_attr=attrs,
        node_attr=dict(NODE_ATTRS),
        edge_attr=dict(EDGE_ATTRS),
    )


#: Legend entries per legend row: two side by side keep the legend about as wide as the title above it.
LEGEND_COLUMNS = 2


def _legend_label(rows: Iterable[LegendRow]) -> str:
    items = list(rows)
    cells: list[str] = []
    for start in range(0, len(items), LEGEND_COLUMNS):
        chunk = items[start : start + LEGEND_COLUMNS]
        row = "".join(
            f'<TD ALIGN="CENTER">{item.sample}</TD><TD ALIGN="LEFT" BALIGN="LEFT">{item.meaning}</TD>' for item in chunk
        )
        row += '<TD COLSPAN="2"> </TD>' * (LEGEND_COLUMNS - len(chunk))
        cells.append(f"<TR>{row}</TR>")
    return (
        '<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3" COLOR="#999999" BGCOLOR="#fafafa">'
        f'<TR><TD COLSPAN="{2 * LEGEND_COLUMNS}" ALIGN="LEFT"><B>Legend</B></TD></TR>{"".join(cells)}</TABLE>'
    )


def _node_kwargs(node: FigNode) -> dict[str, str]:
    kwargs = dict(node.attrs)
    kwargs["label"] = _wrap(node.label)
    return kwargs


def to_digraph(figure: Figure) -> graphviz.Digraph:
    """Emit a figure as DOT: clusters, then nodes, then edges, each sorted by (rank, id)."""
    dot = new_digraph(figure.name, figure.title, dict(figure.graph_attrs), figure.present_legend())
    by_cluster: dict[str, list[FigNode]] = {}
    for node in figure.nodes:
        by_cluster.setdefault(node.cluster, []).append(node)
    for cluster in sorted(figure.clusters, key=lambda c: (c.rank, c.id)):
        members = sorted(by_cluster.pop(cluster.id, []), key=lambda n: (n.rank, n.id))
        if not members:
            continue
        with dot.subgraph(name="cluster_" + node_id("c", cluster.id)) as sub:
            sub.attr(label=_wrap(cluster.label), **dict(cluster.attrs))
            for node in members:
                sub.node(node.id, **_node_kwargs(node))
    loose = sorted((n for members in by_cluster.values() for n in members), key=lambda n: (n.rank, n.id))
    for node in loose:
        dot.node(node.id, **_node_kwargs(node))
    for edge in sorted(figure.edges, key=lambda e: (e.rank, e.tail, e.head, e.key)):
        kwargs = dict(edge.attrs)
        if edge.label:
            kwargs["label"] = _wrap(edge.label)
        dot.edge(edge.tail, edge.head, **kwargs)
    for column in figure.columns or (figure.sequence,):
        for upper, lower in itertools.pairwise(column):
            dot.edge(upper, lower, style="invis", weight="20")
    tops = tuple(column[0] for column in figure.columns if column)
    for group in (*figure.same_rank, *((tops,) if len(tops) > 1 else ())):
        with dot.subgraph() as sub:
            sub.attr(rank="same")
            for nid in group:
                sub.node(nid)
    return dot
