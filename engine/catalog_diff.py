"""Comparing two catalog editions: what was added, removed, renamed and changed, section by section.

Items are matched by id (options as ``property.option``); a property's ``choice``, ``min`` and
``max`` (multi-choice) are compared like its other fields. Two revisions of one edition are
named by their exact references (``name@edition.rN``). The newer edition's ``renames``
block pairs an old option or step id with its new id: such a pair is reported as *renamed*
(with the fields that also changed), not as one removal and one addition, and a step's
prerequisites are compared after mapping old ids through the renames.

>>> from connectplan.engine.loading import catalog_from_dict
>>> def doc(edition, rule):
...     return {"format": "connectplan-catalog/1", "name": "demo", "edition": edition, "title": "Demo",
...             "properties": [{"id": "size", "title": "Size", "options": [{"id": "s", "title": "S"}]}],
...             "rules": [rule], "steps": []}
>>> old = catalog_from_dict(doc("1", {"id": "a", "condition": "size.s", "severity": "info", "message": "A"}))
>>> new = catalog_from_dict(doc("2", {"id": "a", "condition": "size.s", "severity": "caution", "message": "A"}))
>>> d = diff_catalogs(old, new)
>>> [(c.id, c.fields) for c in d.section("rules").changed]
[('a', ('severity',))]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectplan.engine.catalog import Catalog, catalog_to_dict

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SECTIONS", "CatalogDiff", "ItemChange", "Rename", "SectionDiff", "diff_catalogs"]

#: Sections compared, in output order.
SECTIONS = ("properties", "options", "rules", "steps", "flows", "responsibilities", "presets", "parties")


@dataclass(frozen=True)
class ItemChange:
    """An item present in both editions whose listed fields differ."""

    id: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Rename:
    """An id the newer edition declares renamed; ``fields`` lists what else changed."""

    old: str
    new: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SectionDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[Rename, ...] = ()
    changed: tuple[ItemChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.changed)


@dataclass(frozen=True)
class CatalogDiff:
    """The result of :func:`diff_catalogs`; ``sections`` follows :data:`SECTIONS`."""

    from_ref: str
    to_ref: str
    sections: tuple[tuple[str, SectionDiff], ...]

    def section(self, name: str) -> SectionDiff:
        return dict(self.sections)[name]

    @property
    def identical(self) -> bool:
        return all(s.empty for _, s in self.sections)


def _items(doc: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    out["properties"] = {p["id"]: {k: v for k, v in p.items() if k != "options"} for p in doc["properties"]}
    out["options"] = {f"{p['id']}.{o['id']}": o for p in doc["properties"] for o in p["options"]}
    for name in ("rules", "steps", "flows", "responsibilities", "presets", "parties"):
        out[name] = {item["id"]: item for item in doc[name]}
    return out


def _fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    keys = list(dict.fromkeys([*before, *after]))
    return tuple(k for k in keys if k != "id" and before.get(k) != after.get(k))


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    """Compare catalog edition ``old`` with ``new`` (see the module docstring).

    Added ids come in ``new``'s order, removed and changed ones in ``old``'s order.
    """
    a, b = _items(catalog_to_dict(old)), _items(catalog_to_dict(new))
    renames = {"options": dict(new.renames.options), "steps": dict(new.renames.steps)}
    step_map = renames["steps"]
    for step in a["steps"].values():
        if step_map:
            step["prereqs"] = [step_map.get(p, p) for p in step["prereqs"]]
    sections = []
    for name in SECTIONS:
        before, after = a[name], b[name]
        pairs = {
            old_id: new_id
            for old_id, new_id in renames.get(name, {}).items()
            if old_id in before and new_id in after and old_id not in after and new_id not in before
        }
        paired_new = set(pairs.values())
        sections.append(
            (
                name,
                SectionDiff(
                    added=tuple(i for i in after if i not in before and i not in paired_new),
                    removed=tuple(i for i in before if i not in after and i not in pairs),
                    renamed=tuple(
                        Rename(old_id, pairs[old_id], _fields(before[old_id], after[pairs[old_id]]))
                        for old_id in before
                        if old_id in pairs
                    ),
                    changed=tuple(
                        ItemChange(i, fields) for i in before if i in after and (fields := _fields(before[i], after[i]))
                    ),
                ),
            )
        )
    if old.ref == new.ref:  # two revisions of one edition: name them exactly
        return CatalogDiff(old.revision_ref, new.revision_ref, tuple(sections))
    return CatalogDiff(old.ref, new.ref, tuple(sections))
