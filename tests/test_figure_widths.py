"""Every figure of every built-in edition fits a portrait page column (issue 13, points 1 and 6).

Graphviz writes SVG in points: ``width="Wpt"`` and a ``viewBox`` of ``W`` user units, one unit
being one point (1/72 inch). A browser shows the image at 96 px per inch, so one unit is 4/3 px:
the 1,100 px limit is a viewBox width of 825, and the 10 px smallest text is a font size of 7.5
units (after the ``scale()`` of the graph's transform). See docs/diagrams.md.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from connectplan.catalog_files import builtin_catalog_files, load_catalog_file
from connectplan.engine import Catalog, resolve
from connectplan.visualize import catalog_diagram, change_diagram, render_bytes, resolution_diagram

pytestmark = pytest.mark.dot

MAX_WIDTH_PX = 1100
MIN_TEXT_PX = 10
PX_PER_UNIT = 96 / 72
SVG = "{http://www.w3.org/2000/svg}"
#: a long plan reference, as the title of a real plan would show
SUBJECT = "acme-marketplace-europe@12"


def svg_size(svg: bytes) -> tuple[float, float]:
    """(width in px at 96 dpi, smallest text in px) of a Graphviz SVG."""
    root = ET.fromstring(svg)
    width_units = float(root.attrib["viewBox"].split()[2])
    assert root.attrib["width"] == f"{width_units:g}pt" or root.attrib["width"].endswith("pt")
    graph = root.find(f"{SVG}g")
    assert graph is not None
    match = re.search(r"scale\(([\d.]+)(?: ([\d.]+))?\)", graph.attrib.get("transform", ""))
    scale = float(match.group(1)) if match else 1.0
    sizes = [float(t.attrib["font-size"]) for t in root.iter(f"{SVG}text")]
    return width_units * PX_PER_UNIT, min(sizes) * scale * PX_PER_UNIT


def test_svg_size_reads_points_as_css_pixels():
    svg = (
        b'<svg width="825pt" height="10pt" viewBox="0.00 0.00 825.00 10.00" xmlns="http://www.w3.org/2000/svg">'
        b'<g transform="scale(0.5 0.5) rotate(0)"><text font-size="15.00">x</text></g></svg>'
    )
    assert svg_size(svg) == (1100.0, 10.0)


FILES = builtin_catalog_files()


@cache
def edition(name: str) -> Catalog:
    return load_catalog_file(next(p for p in FILES if p.name == name))


def editions() -> tuple[Catalog, ...]:
    return tuple(edition(p.name) for p in FILES)


def selections(cat: Catalog) -> list[tuple[str, dict]]:
    """Every preset with every charge type (the property that changes the figures most)."""
    options = cat.property_index["charge_type"].option_ids if "charge_type" in cat.property_index else ("",)
    out = []
    for preset in cat.presets:
        for opt in options:
            sel = dict(preset.selection)
            if opt:
                sel["charge_type"] = opt
            out.append((f"{preset.id}+{opt}", sel))
    return out


def check(svg: bytes, what: str, problems: list[str]) -> None:
    width, smallest = svg_size(svg)
    if width > MAX_WIDTH_PX:
        problems.append(f"{what}: {width:.0f} px wide")
    if smallest < MIN_TEXT_PX:
        problems.append(f"{what}: text of {smallest:.1f} px")


@pytest.mark.parametrize("name", [p.name for p in FILES])
def test_every_figure_of_every_preset_and_charge_type_fits(name):
    """Every built-in catalog file (each edition and revision shipped in connectplan/catalogs/)."""
    cat = edition(name)
    problems: list[str] = []
    count = 0
    for name, sel in selections(cat):
        res = resolve(cat, sel)
        base = resolve(cat, dict(cat.preset_index[name.split("+")[0]].selection)) if cat.presets else res
        for kind in ("money-flow", "liability", "steps"):
            options = {"include": ("all",)} if kind == "money-flow" else {}
            check(
                render_bytes(resolution_diagram(kind, res, subject=SUBJECT, **options), "svg"),
                f"{kind} {name}",
                problems,
            )
            dot = change_diagram(kind, base, res, old_subject=f"{SUBJECT[:-2]}1", new_subject=SUBJECT, **options)
            check(render_bytes(dot, "svg"), f"change {kind} {name}", problems)
            count += 2
    for res in (None, resolve(cat, dict(cat.presets[0].selection))):
        for prop in (None, *(p.id for p in cat.properties)):
            check(render_bytes(catalog_diagram(cat, res, prop=prop), "svg"), f"catalog {prop or 'overview'}", problems)
            count += 1
    assert count > 20
    assert problems == []


def test_change_figures_across_editions_fit():
    """Each preset of an older edition against the same preset (or the first) of every newer one."""
    cats = sorted(editions(), key=lambda c: c.edition)
    problems: list[str] = []
    for old, new in itertools.pairwise(cats):
        for preset in old.presets:
            target = new.preset_index.get(preset.id) or new.presets[0]
            a, b = resolve(old, dict(preset.selection)), resolve(new, dict(target.selection))
            for kind in ("money-flow", "liability", "steps"):
                dot = change_diagram(kind, a, b, old_subject=f"{SUBJECT[:-2]}1", new_subject=SUBJECT)
                check(render_bytes(dot, "svg"), f"change {kind} {old.ref}/{preset.id} -> {new.ref}", problems)
    assert len(cats) >= 2
    assert problems == []
