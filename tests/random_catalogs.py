"""Hypothesis strategies: small random catalogs (and selections) for exactness tests against brute force."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from engine import Catalog, catalog_from_dict

SEVERITIES = ("out_of_scope", "blocked", "sales_gated", "caution", "info")


@st.composite
def conditions(draw: st.DrawFn, terms: list[str], depth: int = 2) -> str:
    """A random condition over ``terms`` using not / and / or (as text)."""
    if depth == 0 or draw(st.booleans()):
        term = draw(st.sampled_from(terms))
        return f"not {term}" if draw(st.integers(0, 4)) == 0 else term
    op = draw(st.sampled_from(["and", "or"]))
    parts = draw(st.lists(conditions(terms, depth - 1), min_size=2, max_size=3))
    text = f" {op} ".join(f"({p})" for p in parts)
    return f"not ({text})" if draw(st.integers(0, 5)) == 0 else text


@st.composite
def catalog_docs(draw: st.DrawFn, max_props: int = 4, max_rules: int = 5, presets: bool = True) -> dict[str, Any]:
    nprops = draw(st.integers(1, max_props))
    properties = []
    terms = []
    for i in range(nprops):
        nopts = draw(st.integers(2, 3))
        opts = [f"o{j}" for j in range(nopts)]
        properties.append({"id": f"p{i}", "title": f"P{i}", "options": [{"id": o, "title": o} for o in opts]})
        terms.extend(f"p{i}.{o}" for o in opts)
    rules = [
        {
            "id": f"r{k}",
            "condition": draw(conditions(terms)),
            "severity": draw(st.sampled_from(SEVERITIES)),
            "message": "m",
        }
        for k in range(draw(st.integers(0, max_rules)))
    ]
    doc: dict[str, Any] = {
        "format": "connectplan-catalog/1",
        "name": "random",
        "edition": "1",
        "title": "Random",
        "properties": properties,
        "rules": rules,
        "steps": [],
    }
    if presets:
        doc["presets"] = [
            {
                "id": f"preset{k}",
                "title": f"Preset {k}",
                "selection": {p["id"]: draw(st.sampled_from([o["id"] for o in p["options"]])) for p in properties},
            }
            for k in range(draw(st.integers(0, 2)))
        ]
    return doc


@st.composite
def catalogs(draw: st.DrawFn, **kwargs: Any) -> Catalog:
    return catalog_from_dict(draw(catalog_docs(**kwargs)))


@st.composite
def partial_selections(draw: st.DrawFn, catalog: Catalog) -> dict[str, str]:
    sel = {}
    for prop in catalog.properties:
        if draw(st.booleans()):
            sel[prop.id] = draw(st.sampled_from(prop.option_ids))
    return sel


@st.composite
def complete_selections(draw: st.DrawFn, catalog: Catalog) -> dict[str, str]:
    return {p.id: draw(st.sampled_from(p.option_ids)) for p in catalog.properties}
