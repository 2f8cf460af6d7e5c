"""Selections: checking one against a catalog, and building one from a preset plus explicit choices.

A selection maps property ids to option ids.

>>> from engine.catalog import catalog_from_dict
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

from typing import TYPE_CHECKING

from engine.errors import SelectionError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from engine.catalog import Catalog

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
    catalog: Catalog, selection: Mapping[str, str], *, complete: bool = True
) -> tuple[tuple[str, str], ...]:
    """Validate a selection against the catalog; return it in property order.

    Raises
    ------
    SelectionError
        For an unknown property, an unknown option, or (``complete=True``) a property left out;
        the message lists the valid ids.
    """
    props = catalog.property_index
    for prop_id, opt_id in selection.items():
        prop = props.get(prop_id)
        if prop is None:
            raise SelectionError(f"unknown property {prop_id!r} in {catalog.ref}; properties: {', '.join(props)}")
        if prop.option(opt_id) is None:
            raise SelectionError(
                f"unknown option {opt_id!r} for property {prop_id!r} in {catalog.ref}; "
                f"options: {', '.join(prop.option_ids)}"
            )
    if complete:
        missing = [p for p in props if p not in selection]
        if missing:
            hints = "; ".join(f"{p}={'|'.join(props[p].option_ids)}" for p in missing)
            raise SelectionError(f"no option selected for {', '.join(missing)}; set {hints}")
    return tuple((p, selection[p]) for p in props if p in selection)
