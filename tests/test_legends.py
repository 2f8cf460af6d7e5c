"""Legends tell the truth (issue 13, point 2): each lists exactly the styles present in its figure."""

from __future__ import annotations

import pytest

from connectplan.catalog_files import builtin_catalogs
from connectplan.engine import resolve
from connectplan.visualize._dot import FLOW_KIND_TITLES, FLOW_STYLES, text
from connectplan.visualize.catalog import catalog_figure
from connectplan.visualize.change import STATUS_MEANINGS, change_figure
from connectplan.visualize.liability import liability_figure
from connectplan.visualize.money_flow import money_flow_figure
from connectplan.visualize.steps import steps_figure

CATALOGS = builtin_catalogs()  # cached: parsed once per process


def meanings(fig) -> set[str]:
    return {row.meaning for row in fig.present_legend()}


def selections(cat):
    for preset in cat.presets:
        for opt in cat.property_index["charge_type"].option_ids:
            yield {**dict(preset.selection), "charge_type": opt}


@pytest.mark.parametrize("cat", CATALOGS, ids=[c.ref for c in CATALOGS])
def test_resolution_figures_list_exactly_what_they_draw(cat):
    for sel in selections(cat):
        res = resolve(cat, sel)
        for include in ((), ("all",)):
            fig = money_flow_figure(res, include=include)
            kinds = {dict(e.attrs)["color"] for e in fig.edges}
            drawn_kinds = {k for k, title in FLOW_KIND_TITLES.items() if text(title) in meanings(fig)}
            assert {FLOW_STYLES[k]["color"] for k in drawn_kinds} == kinds
            has_mor = any("merchant of record" in n.label for n in fig.nodes)
            assert (text("merchant of record (double border)") in meanings(fig)) == has_mor
        steps = steps_figure(res)
        legend = meanings(steps)
        assert (text("core step (one of the guide's own steps)") in legend) == any(s.step.core for s in res.steps)
        assert (text("other step") in legend) == any(not s.step.core for s in res.steps)
        dashed = any(dict(e.attrs).get("style") == "dashed" for e in steps.edges)
        assert (text("prerequisite through a step inactive here") in legend) == dashed
        assert (text("prerequisite → step that needs it") in legend) == any(
            dict(e.attrs).get("style") != "dashed" for e in steps.edges
        )
        liability = liability_figure(res)
        held = {h.responsibility.id for h in res.responsibilities}
        unheld = any(r.id not in held for r in cat.responsibilities)
        assert (text("held by nobody for this selection") in meanings(liability)) == unheld


@pytest.mark.parametrize("cat", CATALOGS, ids=[c.ref for c in CATALOGS])
def test_catalog_figures_list_only_the_severities_drawn(cat):
    res = resolve(cat, dict(cat.presets[0].selection))
    for prop in cat.properties:
        fig = catalog_figure(cat, prop=prop.id)
        drawn = {r.severity for r in cat.rules if any(n.id == f"rule__{r.id}" for n in fig.nodes)}
        listed = {
            s
            for s in ("out_of_scope", "blocked", "sales_gated", "caution", "info")
            if text(f"rule, severity {s}") in meanings(fig)
        }
        assert listed == drawn, prop.id
        highlighted = catalog_figure(cat, res, prop=prop.id)
        assert text("chosen option") in meanings(highlighted)
        assert text("option → rule or step whose condition mentions it") not in meanings(fig) or fig.edges


def test_change_figures_list_only_the_statuses_they_show(cat2025):
    base = resolve(cat2025, dict(cat2025.presets[0].selection))
    for sel in selections(cat2025):
        res = resolve(cat2025, sel)
        for kind in ("money-flow", "liability", "steps"):
            fig = change_figure(kind, base, res)
            listed = {s for s, m in STATUS_MEANINGS.items() if any(text(m) in x for x in meanings(fig))}
            shown = {c[1] for c in fig.changes()}
            if kind == "liability":
                # a holder gained or lost is an added or removed edge (+ or −), whatever the responsibility's status
                shown = {c[1] for c in fig.changes() if c[0] != "responsibility"}
                shown |= {"removed" for e in fig.edges if e.label.startswith("<B>− </B>")}
                shown |= {"added" for e in fig.edges if e.label.startswith("<B>+ </B>")}
            if kind != "steps":
                # a party drawn on one side only is styled added or removed
                old = {n.id for n in change_figure(kind, base, base).nodes if n.id.startswith("party__")}
                new = {n.id for n in change_figure(kind, res, res).nodes if n.id.startswith("party__")}
                shown |= ({"added"} if new - old else set()) | ({"removed"} if old - new else set())
            assert listed == shown - {"unchanged"}, (kind, sel, listed, shown)
