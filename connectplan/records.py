"""The store's records for listings: catalog editions, plan summaries and log entries (plain values)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectplan.db.records import VersionRecord

__all__ = ["EditionInfo", "LogEntry", "PlanSummary"]


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
    def revision_ref(self) -> str:
        return f"{self.name}@{self.edition}.r{self.revision}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "edition": self.edition,
            "revision": self.revision,
            "title": self.title,
            "content_hash": self.content_hash,
            "imported_at": self.imported_at,
        }


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latest": self.latest.version,
            "versions": self.versions,
            "catalog": {
                "name": self.latest.catalog_name,
                "edition": self.latest.catalog_edition,
                "revision": self.latest.catalog_revision,
            },
            "verdict": self.verdict,
            "updated_at": self.latest.created_at,
            "stale": self.stale,
            "newest_edition": self.newest_edition,
            "superseded_by": self.latest.superseded_by,
        }


@dataclass(frozen=True)
class LogEntry:
    """One line of ``plan log``: a version and its verdict."""

    record: VersionRecord
    verdict: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.record, self.verdict))
