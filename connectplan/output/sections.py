"""Properties grouped by lifecycle section, and open decisions, as every output lists them.

A catalog whose properties name a ``section`` lists them grouped in Stripe's lifecycle order
(:data:`engine.catalog.SECTIONS`), keeping declaration order inside a section; properties without
a section come last. A catalog without sections is one group, in declaration order, so it prints
as before. An *open decision* is a property whose chosen option is pending ("not decided yet").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectplan.engine.catalog import SECTIONS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from connectplan.engine import Catalog, Property
    from connectplan.engine.expression import Choice

__all__ = [
    "has_sections",
    "open_properties",
    "ordered_properties",
    "property_fields",
    "section_groups",
    "section_title",
]

#: The heading of the properties a sectioned catalog leaves without a section.
OTHER = "other"


def has_sections(catalog: Catalog) -> bool:
    """True when some property of ``catalog`` names a section."""
    return any(p.section for p in catalog.properties)


def section_title(section: str) -> str:
    """A section's heading: ``payouts`` -> ``Payouts`` (no section: ``Other``).

    >>> section_title("payouts"), section_title("")
    ('Payouts', 'Other')
    """
    return (section or OTHER).replace("_", " ").capitalize()


def section_groups(catalog: Catalog, properties: Iterable[Property] | None = None) -> list[tuple[str, list[Property]]]:
    """``properties`` (default: the catalog's) as ``(section, properties)`` groups in lifecycle order.

    Declaration order is kept inside a group; a catalog without sections gives one group ``""``.
    """
    props = list(catalog.properties if properties is None else properties)
    if not has_sections(catalog):
        return [("", props)] if props else []
    order = {name: i for i, name in enumerate(SECTIONS)}
    names = sorted({p.section for p in props}, key=lambda s: (s == "", order.get(s, len(order)), s))
    return [(name, [p for p in props if p.section == name]) for name in names]


def ordered_properties(catalog: Catalog) -> list[Property]:
    """The catalog's properties in listing order (grouped by section when the catalog has sections)."""
    return [p for _, group in section_groups(catalog) for p in group]


def property_fields(prop: Property) -> dict[str, Any]:
    """The keys every JSON property object carries besides its own: ``section`` (null when unset), ``required``."""
    return {"section": prop.section or None, "required": prop.required}


def open_properties(catalog: Catalog, selection: Mapping[str, Choice]) -> list[str]:
    """The ids of the properties ``selection`` leaves pending (not decided yet), in catalog order."""
    return [p.id for p in catalog.properties if p.id in selection and selection[p.id] and p.is_pending(selection[p.id])]
