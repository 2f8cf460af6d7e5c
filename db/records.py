"""Plain records and time helpers the store hands to the app (standard library only, cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectplan.engine.catalog_ref import CatalogRef

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "EditionRow",
    "VersionRecord",
    "edition_sort_key",
    "format_time",
    "parse_time",
    "selection_pairs",
    "utc_now",
]


def utc_now() -> datetime:
    """Now in UTC, to the second (what the store records)."""
    return datetime.now(UTC).replace(microsecond=0)


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix; naive values (SQLite) are UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def parse_time(text: str) -> datetime:
    """Parse :func:`format_time` output (or any ISO 8601 time with an offset) to an aware UTC datetime.

    Raises ``ValueError`` (or ``TypeError`` for a non-string) for anything else.
    """
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return value.astimezone(UTC).replace(microsecond=0)


def selection_pairs(selection: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A selection as stored in JSON (a multi-choice property's options as a list) as hashable pairs.

    >>> selection_pairs({"onboarding": "hosted", "revenue": ["fees", "markup"]})
    (('onboarding', 'hosted'), ('revenue', ('fees', 'markup')))
    """
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in selection.items())


def edition_sort_key(edition: str) -> tuple[int, tuple[tuple[int, str], ...], str]:
    """Dated editions by value, others after them by text (the app's edition order).

    A dated edition is one or more dash-separated numbers (``2026``, ``2026-12``), compared part by
    part, so ``2026`` < ``2026-12`` < ``2027``. A number is compared by its length, then its digits,
    never converted (a 5,000-digit edition is past ``int()``'s limit); equal values keep their text order.

    >>> sorted(["2027", "2026-12", "beta", "2026", "2025", "9", "0010", "10"], key=edition_sort_key)
    ['9', '0010', '10', '2025', '2026', '2026-12', '2027', 'beta']
    """
    parts = edition.split("-")
    if all(p.isascii() and p.isdigit() for p in parts):
        numbers = tuple((len(d), d) for d in (p.lstrip("0") or "0" for p in parts))
        return (0, numbers, edition)
    return (1, (), edition)


@dataclass(frozen=True)
class EditionRow:
    """A stored catalog edition's row (without its graph)."""

    id: int
    name: str
    edition: str
    title: str
    content_hash: str
    meta: dict[str, Any]
    imported_at: datetime
    revision: int = 1

    @property
    def ref(self) -> str:
        """``name@edition`` (its newest revision, when looked up)."""
        return f"{self.name}@{self.edition}"

    @property
    def revision_ref(self) -> str:
        """``name@edition.rN``: exactly this revision."""
        return f"{self.name}@{self.edition}.r{self.revision}"

    @property
    def catalog_id(self) -> CatalogRef:
        """The exact revision as an :class:`engine.CatalogRef` (``str()``: ``NAME@EDITION.rN``)."""
        return CatalogRef(self.name, self.edition, self.revision)


@dataclass(frozen=True)
class VersionRecord:
    """One stored plan version as plain values (what the store hands to the app)."""

    plan: str
    version: int
    parent: int | None
    message: str
    author: str
    created_at: str
    tags: tuple[str, ...]
    catalog_name: str
    catalog_edition: str
    content_hash: str
    #: (property, option) pairs in catalog order; a multi-choice property holds a tuple of options
    selection: tuple[tuple[str, Any], ...]
    forked_from: str | None = None
    catalog_revision: int = 1
    #: the newest revision of the same edition in the store, when it is newer than ``catalog_revision``
    superseded_by: int | None = None
    #: the saved version's verdict, filled by the store's saving methods only (not in :meth:`to_dict`)
    verdict: str | None = None
    #: the verdict of the version it was made from (``plan set``, ``plan upgrade``), saving methods only
    parent_verdict: str | None = None

    @property
    def ref(self) -> str:
        """``name@N``."""
        return f"{self.plan}@{self.version}"

    @property
    def catalog_ref(self) -> str:
        """``catalog-name@edition``."""
        return f"{self.catalog_name}@{self.catalog_edition}"

    @property
    def catalog_revision_ref(self) -> str:
        """``name@edition.rN``: the exact revision this version is pinned to."""
        return f"{self.catalog_name}@{self.catalog_edition}.r{self.catalog_revision}"

    @property
    def catalog_id(self) -> CatalogRef:
        """The exact revision as an :class:`engine.CatalogRef` (``str()``: ``NAME@EDITION.rN``)."""
        return CatalogRef(self.catalog_name, self.catalog_edition, self.catalog_revision)
