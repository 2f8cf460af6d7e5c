"""Pieces shared by the resolution diagrams: titles, party nodes and the merchant of record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectplan.visualize._dot import FigNode, LegendRow, attrs_of, box_sample, node_id, small, text

if TYPE_CHECKING:
    from connectplan.engine import Catalog, Resolution

#: The responsibility id that marks the merchant of record (see docs/catalog-format.md).
MERCHANT_OF_RECORD = "merchant_of_record"
#: Characters per line of a party name (narrow nodes keep left-to-right figures inside a page column).
PARTY_WIDTH = 14

PARTY_ATTRS = {"shape": "box", "style": "rounded,filled", "fillcolor": "#f2f2f2", "penwidth": "1.2"}
MOR_ATTRS = {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff4c2", "peripheries": "2", "penwidth": "1.6"}
MOR_LEGEND = LegendRow(
    box_sample("#fff4c2", double=True),
    text("merchant of record (double border)"),
    target="node",
    match=attrs_of({"fillcolor": "#fff4c2"}),
)
PARTY_LEGEND = LegendRow(box_sample("#f2f2f2"), text("party"), target="node", match=attrs_of({"fillcolor": "#f2f2f2"}))


def selection_text(res: Resolution) -> str:
    """``onboarding=hosted, dashboard=full, ...`` in catalog property order."""
    from connectplan.engine.diff import option_text

    return ", ".join(f"{prop}={option_text(opt)}" for prop, opt in res.selection)


def title_lines(kind_title: str, res: Resolution, subject: str | None) -> tuple[str, ...]:
    """Title: what is drawn and for which plan (or selection), then the selection and the catalog."""
    head = f"{kind_title}: {subject}" if subject else f"{kind_title}: selection"
    return (
        head,
        f"Selection: {selection_text(res)}",
        f"Catalog {res.catalog.ref} · verdict {res.verdict}",
    )


def merchants_of_record(res: Resolution) -> frozenset[str]:
    """Party ids that hold the ``merchant_of_record`` responsibility for this selection."""
    return frozenset(h.assignment.party for h in res.responsibilities if h.responsibility.id == MERCHANT_OF_RECORD)


def party_rank(catalog: Catalog, party_id: str) -> tuple[int, str]:
    ids = [p.id for p in catalog.parties]
    return (ids.index(party_id) if party_id in ids else len(ids), party_id)


def party_node(catalog: Catalog, party_id: str, *, mor: bool) -> FigNode:
    """A party node; the merchant of record gets a double border and a note."""
    title = text(catalog.party_title(party_id), width=PARTY_WIDTH)
    body = f"<B>{title}</B>"
    if mor:
        body += "<BR/>" + small(text("merchant of record"), color="#7a5c00")
    return FigNode(
        id=node_id("party", party_id),
        label=body,
        attrs=attrs_of(MOR_ATTRS if mor else PARTY_ATTRS),
        rank=(0, *party_rank(catalog, party_id)),
    )
