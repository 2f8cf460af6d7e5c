"""Selections: checking one against a catalog, and building one from a preset plus explicit choices.

A selection maps property ids to option ids.

>>> from connectplan.engine.loading import catalog_from_dict
>>> cat = catalog_from_dict({
...     "format": "connectplan-catalog/1", "name": "demo", "edition": "1", "title": "Demo",
...     "properties": [{"id": "size", "title": "Size",
...                     "options": [{"id": "s", "title": "S"}, {"id": "l", "title": "L"}]},
...                    {"id": "tone", "title": "Tone", "options": [{"id": "dark", "title": "Dark"}]}],
...     "rules": [], "steps": [],
...     "presets": [{"id": "small", "title": "Small", "selection": {"size": "s", "tone": "dark"}}]})
>>> build_selection(cat, "small", {"size": "l"})
{'size': 'l', 'tone': 'dark'}
>>> check_selection(cat, {"tone": "dark", "size": "l"})
(('size', 'l'), ('tone', 'dark'))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectplan.engine.errors import SelectionError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectplan.engine.catalog import Catalog, Property
    from connectplan.engine.expression import Choice

__all__ = ["build_selection", "check_selection"]


def build_selection(
    catalog: Catalog, preset: str | None, assignments: Mapping[str, str | Sequence[str]]
) -> dict[str, str | Sequence[str]]:
    """A preset's selection (if any) overridden by explicit assignments (not yet checked).

    Raises
    ------
    SelectionError
        When ``preset`` is not a preset of the catalog (the message lists the presets).
    """
    selection: dict[str, str | Sequence[str]] = {}
    if preset:
        found = catalog.preset_index.get(preset)
        if found is None:
            known = ", ".join(catalog.preset_index) or "none"
            raise SelectionError(f"unknown preset {preset!r} in {catalog.ref}; presets: {known}")
        selection.update(found.selection)
    selection.update(assignments)
    return selection


def check_selection(
    catalog: Catalog, selection: Mapping[str, Any], *, complete: bool = True
) -> tuple[tuple[str, Choice], ...]:
    """Validate a selection against the catalog; return it normalised, in property order.

    A single-choice property takes an option id; a multi-choice property a list, tuple or
    comma-separated text of option ids, returned as a tuple in option-declaration order (a
    repeated id counts once).

    Raises
    ------
    SelectionError
        For an unknown property, an unknown option, several options for a single-choice property,
        a count of options outside a multi-choice property's bounds, an exclusive option chosen
        with others (code ``exclusive_option``), or (``complete=True``) a property left out; the
        message lists the valid ids. A pending ("not decided yet") option is a valid choice.
    """
    props = catalog.property_index
    chosen: dict[str, Choice] = {}
    for prop_id, value in selection.items():
        prop = props.get(prop_id)
        if prop is None:
            raise SelectionError(
                f"unknown property {prop_id!r} in {catalog.ref}; properties: {', '.join(props)}",
                code="unknown_property",
            )
        chosen[prop_id] = prop.choose(value, where=catalog.ref)
    if complete:
        missing = [p for p in props if p not in chosen]
        if missing:
            hints = "; ".join(_hint(props[p]) for p in missing)
            raise SelectionError(f"no option selected for {', '.join(missing)}; set {hints}", code="incomplete")
    return tuple((p, chosen[p]) for p in props if p in chosen)


def _hint(prop: Property) -> str:
    if prop.multi:
        return f"{prop.id}=A,B,... ({prop.min_options} to {prop.max_options} of {'|'.join(prop.option_ids)})"
    return f"{prop.id}={'|'.join(prop.option_ids)}"
