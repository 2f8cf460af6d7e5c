"""Diagrams of catalogs and resolutions, built as ``graphviz.Digraph`` objects, and one render edge.

Every builder is pure: it takes engine records and returns a ``graphviz.Digraph`` whose DOT text
is byte-identical for the same input. Only :func:`visualize.render.render` (and
:func:`~visualize.render.render_bytes`) runs the Graphviz binary.
"""

from connectplan.visualize.catalog import catalog_diagram
from connectplan.visualize.change import CHANGE_KINDS, change_diagram, resolution_diagram
from connectplan.visualize.liability import liability_diagram
from connectplan.visualize.money_flow import INCLUDE_CHOICES, money_flow_diagram, parse_include
from connectplan.visualize.render import FORMATS, RenderError, render, render_bytes
from connectplan.visualize.steps import steps_diagram

#: Diagram kinds of ``connectplan render`` that draw a resolution.
RESOLUTION_KINDS = tuple(CHANGE_KINDS)

__all__ = [
    "CHANGE_KINDS",
    "FORMATS",
    "INCLUDE_CHOICES",
    "RESOLUTION_KINDS",
    "RenderError",
    "catalog_diagram",
    "change_diagram",
    "liability_diagram",
    "money_flow_diagram",
    "parse_include",
    "render",
    "render_bytes",
    "resolution_diagram",
    "steps_diagram",
]
