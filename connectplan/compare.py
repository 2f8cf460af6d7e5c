"""Compare anything with anything: a plan version, a preset or a selection, each on an edition.

A :class:`Side` names what one side of a comparison is; :func:`compare` resolves both sides and
diffs them with the engine's :func:`~engine.diff.diff_resolutions`, labelling each side in plain
words. A side may be carried over to another edition of its catalog (``on``), the way
``plan upgrade`` carries a plan: option renames applied, new properties filled from the edition's
defaults. So "two editions of the same selection" is one side carried over and the other not.

>>> Side(ref="acme@1").kind, Side(preset="saas", catalog="stripe-connect@2026").kind
('version', 'preset')
>>> Side(set={"dashboard": "full"}, catalog="stripe-connect@2024").kind
'selection'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectplan.errors import AppError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectplan.engine import Catalog, Resolution
    from connectplan.engine.diff import ResolutionDiff

__all__ = ["Comparison", "Side", "compare", "resolve_side"]


@dataclass(frozen=True)
class Side:
    """One side: a plan version (``ref``), else a ``preset`` and/or a selection (``set``) on ``catalog``;
    ``on`` carries it over to another edition of the same catalog (None: where it is)."""

    ref: str | None = None
    catalog: str | None = None
    preset: str | None = None
    set: Mapping[str, Any] | None = field(default=None, hash=False)
    on: str | None = None

    @property
    def kind(self) -> str:
        """``version``, ``preset`` (a preset, perhaps with changes) or ``selection``."""
        if self.ref:
            return "version"
        return "preset" if self.preset and not self.set else "selection"


@dataclass(frozen=True)
class Comparison:
    """Two resolved sides and their diff (``diff.from_ref`` and ``diff.to_ref`` are the sides' labels)."""

    diff: ResolutionDiff
    before: Resolution
    after: Resolution
    sides: tuple[Side, Side]


def resolve_side(ws: Any, side: Side) -> tuple[str, Resolution]:
    """A side's label and its resolution (carried over to ``side.on`` when that is another edition);
    ``ws`` is the :class:`~connectplan.workspace.Workspace` (its store, ``resolve`` and ``catalog``)."""
    if side.ref:
        record, res = ws.store.load(side.ref)
        label = record.ref
    elif side.preset or side.set:
        res = ws.resolve(catalog=side.catalog, preset=side.preset, set=side.set, alternatives=False)
        label = _selection_label(side, res.catalog)
    else:
        raise AppError("each side of a comparison is a plan version, a preset or a selection", field="a")
    if side.on:
        target = ws.catalog(side.on)
        if target.content_hash != res.catalog.content_hash:
            res = _carried(res, target)
            label = f"{label} carried over to {target.ref}"
    return label, res


def compare(ws: Any, a: Side, b: Side) -> Comparison:
    """Resolve ``a`` and ``b`` and diff them (``a`` before, ``b`` after)."""
    from connectplan.engine.diff import diff_resolutions

    label_a, before = resolve_side(ws, a)
    label_b, after = resolve_side(ws, b)
    if label_a == label_b and before.catalog.content_hash == after.catalog.content_hash:
        label_a, label_b = f"{label_a} (before)", f"{label_b} (after)"
    return Comparison(diff_resolutions(before, after, from_ref=label_a, to_ref=label_b), before, after, (a, b))


def _selection_label(side: Side, catalog: Catalog) -> str:
    if side.preset and not side.set:
        preset = next((p for p in catalog.presets if p.id == side.preset), None)
        return f"preset “{preset.title if preset else side.preset}” on {catalog.ref}"
    if side.preset:
        return f"preset “{side.preset}” with changes on {catalog.ref}"
    return f"the selection on {catalog.ref}"


def _carried(res: Resolution, target: Catalog) -> Resolution:
    """``res``'s selection carried over to ``target`` (an edition of the same catalog) and resolved there."""
    from connectplan.engine import resolve
    from connectplan.engine.upgrade import carry_over

    if target.name != res.catalog.name:
        raise AppError(
            f"a selection is carried over between editions of one catalog; {res.catalog.ref} is not "
            f"an edition of {target.name}",
            field="on",
        )
    mapped, _, _ = carry_over(res.catalog, target, res.selection_dict)
    return resolve(target, mapped)
