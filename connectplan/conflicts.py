"""The conflict rule of concurrent saves, as a pure function.

``plan set`` computes its change from the latest version it read (the *base*). When another
save got in first, the change is re-applied on top of the newer versions unless one of them
touched a property this change sets, or moved the plan to another catalog edition.

>>> base = Snapshot(1, "stripe-connect@2025", {"charge_type": "direct", "liability": "stripe"})
>>> later = [Snapshot(2, "stripe-connect@2025", {"charge_type": "direct", "liability": "platform"})]
>>> find_conflict("acme", base, later, {"charge_type"}) is None
True
>>> conflict = find_conflict("acme", base, later, {"liability"})
>>> (conflict.version, conflict.prop)
(2, 'liability')
>>> str(conflict).startswith("conflict: liability was changed by acme@2, which was saved first")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["Conflict", "Snapshot", "find_conflict"]


@dataclass(frozen=True)
class Snapshot:
    """One version as the rule sees it: number, catalog edition (any identity) and selection."""

    number: int
    edition: Any
    selection: Mapping[str, Any]


@dataclass(frozen=True)
class Conflict:
    """Why a change computed from an older version cannot be re-applied."""

    plan: str
    version: int
    prop: str | None  # None: the version moved the plan to another edition
    edition_ref: str | None = None

    def __str__(self) -> str:
        again = f"your change was not saved. Re-run it against {self.plan}@latest"
        if self.prop is None:
            return f"conflict: {self.plan}@{self.version} moved the plan to catalog {self.edition_ref} first; {again}"
        return f"conflict: {self.prop} was changed by {self.plan}@{self.version}, which was saved first; {again}"


def find_conflict(
    plan: str,
    base: Snapshot,
    later: Iterable[Snapshot],
    touched: Iterable[str],
    *,
    edition_ref: Any = str,
) -> Conflict | None:
    """The first of the ``later`` versions (ascending) that the change to ``touched`` conflicts with, or None.

    ``edition_ref(edition)`` names an edition in the message (default ``str``).
    """
    props = sorted(set(touched))
    before, edition = base.selection, base.edition
    for version in later:
        if version.number <= base.number:
            continue
        if version.edition != edition:
            return Conflict(plan, version.number, None, edition_ref(version.edition))
        for prop in props:
            if version.selection.get(prop) != before.get(prop):
                return Conflict(plan, version.number, prop)
        before, edition = version.selection, version.edition
    return None
