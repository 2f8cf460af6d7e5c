"""Hypothesis strategies: small random catalogs (and selections) for exactness tests against brute force.

About one property in three is multi-choice (``choice: many``) with random ``min``/``max`` bounds,
so every comparison against brute force covers sets of options too; about one in three has a
pending ("not decided yet") last option (``flags``), exclusive in a multi-choice property, and some
multi-choice properties with ``min: 1`` have an exclusive first option.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from connectplan.engine import Catalog, catalog_from_dict
from tests.enumeration import values_of

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
def catalog_docs(
    draw: st.DrawFn,
    max_props: int = 4,
    max_rules: int = 5,
    presets: bool = True,
    multi: bool = True,
    flags: bool = True,
) -> dict[str, Any]:
    nprops = draw(st.integers(1, max_props))
    properties = []
    terms = []
    for i in range(nprops):
        nopts = draw(st.integers(2, 3))
        opts = [f"o{j}" for j in range(nopts)]
        options: list[dict[str, Any]] = [{"id": o, "title": o} for o in opts]
        prop: dict[str, Any] = {"id": f"p{i}", "title": f"P{i}", "options": options}
        pending = flags and draw(st.integers(0, 2)) == 0
        if pending:  # the last option is "not decided yet"
            options[-1]["pending"] = True
        if multi and draw(st.integers(0, 2)) == 0:
            # a pending option of a multi-choice property is exclusive, and an exclusive one needs min 1
            low = 1 if pending else draw(st.integers(1, nopts))
            if pending:
                options[-1]["exclusive"] = True
            if flags and low == 1 and draw(st.integers(0, 2)) == 0:
                options[0]["exclusive"] = True
            prop.update(choice="many", min=low, max=draw(st.integers(low, nopts)))
        properties.append(prop)
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
                "selection": {p.id: _plain(draw(st.sampled_from(values_of(p)))) for p in _props(properties)},
            }
            for k in range(draw(st.integers(0, 2)))
        ]
    return doc


def _props(properties: list[dict[str, Any]]) -> list[Any]:
    """The property records of raw property documents (to list their valid values)."""
    doc = {"format": "connectplan-catalog/1", "name": "p", "edition": "1", "title": "P"}
    return list(catalog_from_dict({**doc, "properties": properties, "rules": [], "steps": []}).properties)


def _plain(value: Any) -> Any:
    return value if isinstance(value, str) else list(value)


@st.composite
def catalogs(draw: st.DrawFn, **kwargs: Any) -> Catalog:
    return catalog_from_dict(draw(catalog_docs(**kwargs)))


@st.composite
def partial_selections(draw: st.DrawFn, catalog: Catalog) -> dict[str, Any]:
    sel = {}
    for prop in catalog.properties:
        if draw(st.booleans()):
            sel[prop.id] = draw(st.sampled_from(values_of(prop)))
    return sel


@st.composite
def complete_selections(draw: st.DrawFn, catalog: Catalog) -> dict[str, Any]:
    return {p.id: draw(st.sampled_from(values_of(p))) for p in catalog.properties}
