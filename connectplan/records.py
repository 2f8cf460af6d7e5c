"""The store's records for listings: catalog editions, plan summaries and log entries (plain values)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectplan.db.records import VersionRecord  # the app's record of a plan version (re-exported for the edges)
from connectplan.engine.catalog_ref import CatalogRef

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["EditionInfo", "LogEntry", "PlanSummary", "VersionRecord"]


@dataclass(frozen=True)
class EditionInfo:
    """A stored catalog edition, for ``catalog list``."""

    name: str
    edition: str
    title: str
    content_hash: str
    imported_at: str
    revision: int = 1

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.edition}"

    @property
    def catalog_id(self) -> CatalogRef:
        """The exact revision as an :class:`engine.CatalogRef` (``str()``: ``NAME@EDITION.rN``)."""
        return CatalogRef(self.name, self.edition, self.revision)

    @property
    def revision_ref(self) -> str:
        return f"{self.name}@{self.edition}.r{self.revision}"


@dataclass(frozen=True)
class PlanSummary:
    """One line of ``plan list``: a plan, its latest version and whether it is stale.

    Stale: a newer edition of its catalog is stored, or a newer revision (a correction) of its edition.
    """

    latest: VersionRecord
    versions: int
    verdict: str
    newest_edition: str

    @property
    def name(self) -> str:
        return self.latest.plan

    @property
    def stale(self) -> bool:
        return self.newest_edition != self.latest.catalog_edition or self.latest.superseded_by is not None


@dataclass(frozen=True)
class LogEntry:
    """One line of ``plan log``: a version and its verdict."""

    record: VersionRecord
    verdict: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.record, self.verdict))
