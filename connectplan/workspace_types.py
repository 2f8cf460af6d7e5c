"""The workspace's value types: how a method names a catalog, a stored plan version with its
resolution, and the subject of a diagram, document or prompt. Import them from
:mod:`connectplan.workspace` or :mod:`connectplan`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectplan.engine import Catalog, CatalogRef

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectplan.db.records import VersionRecord
    from connectplan.engine import Resolution

__all__ = ["CatalogArg", "PlanView", "Subject"]

#: How a method names a catalog: a loaded :class:`~engine.Catalog` (used as it is, its exact revision when
#: saved), a :class:`~engine.CatalogRef`, its text (``NAME``, ``NAME@EDITION``, ``NAME@EDITION.rN``) or None
#: (the newest ``stripe-connect``).
CatalogArg = Catalog | CatalogRef | str | None


@dataclass(frozen=True)
class PlanView:
    """A stored plan version and its resolution (with nearest alternatives when worse than caution)."""

    record: VersionRecord
    resolution: Resolution

    def __iter__(self) -> Iterator[Any]:
        """``record, resolution = ws.plan(ref)``."""
        return iter((self.record, self.resolution))


@dataclass(frozen=True)
class Subject:
    """What a diagram, document or prompt is about: a resolution, and a plan version's metadata if it is one."""

    resolution: Resolution
    record: VersionRecord | None = None
    previous: PlanView | None = None

    @property
    def label(self) -> str | None:
        return self.record.ref if self.record else None
