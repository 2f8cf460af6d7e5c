"""The ``plan export`` document: typed records, reading, checking and writing it as JSON.

A :class:`PlanExport` is a plan's history up to one version, self-contained except for its
catalog editions, which are named with their content hash (an import needs the same content
in the receiving store). :func:`connectplan.output.documents.export_document` writes its JSON document;
:func:`parse_export` checks a document's structure and returns the record, or raises
:class:`~db.errors.StoreError` naming the first problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectplan.db.errors import EditionConflictError, NotFoundError, StoreError
from connectplan.db.records import format_time, parse_time, selection_pairs  # format_time: the export document's times
from connectplan.engine.catalog_ref import CatalogRef
from connectplan.errors import AppError
from connectplan.refs import check_author, check_message, check_tag_name
from connectplan.store_words import worded

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from connectplan.db.plan_rows import VersionRow
    from connectplan.db.records import EditionRow

__all__ = [
    "EXPORT_FORMAT_VERSION",
    "EXPORT_KIND",
    "ExportedCatalog",
    "ExportedVersion",
    "PlanExport",
    "check_export_limits",
    "format_time",
    "matching_edition",
    "parse_export",
    "read_export_file",
]

EXPORT_KIND = "connectplan-plan"
#: Written by ``plan export``: 2 adds each version's catalog ``revision`` and lists for multi-choice properties.
EXPORT_FORMAT_VERSION = 2
#: Every format version ``plan import`` reads (1: exports written before revisions existed).
READABLE_FORMAT_VERSIONS = (1, 2)


@dataclass(frozen=True)
class ExportedCatalog:
    """The catalog edition a version was saved with."""

    name: str
    edition: str
    content_hash: str
    revision: int = 1

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.edition}"

    @property
    def catalog_id(self) -> CatalogRef:
        """The exact revision as an :class:`engine.CatalogRef` (``str()``: ``NAME@EDITION.rN``)."""
        return CatalogRef(self.name, self.edition, self.revision)


@dataclass(frozen=True)
class ExportedVersion:
    """One version of an exported plan."""

    version: int
    parent: int | None
    created_at: datetime
    author: str
    message: str
    catalog: ExportedCatalog
    selection: tuple[tuple[str, Any], ...]
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: VersionRow, edition: EditionRow, tags: Sequence[str] = ()) -> ExportedVersion:
        """The exported form of a stored version saved with ``edition``."""
        return cls(
            version=row.number,
            parent=row.parent_number,
            created_at=row.created_at,
            author=row.author,
            message=row.message,
            catalog=ExportedCatalog(edition.name, edition.edition, edition.content_hash, edition.revision),
            selection=selection_pairs(row.selection),
            tags=tuple(tags),
        )


@dataclass(frozen=True)
class PlanExport:
    """A plan's history (versions 1..N) as ``plan export`` writes it."""

    name: str
    created_at: datetime
    forked_from: str | None
    versions: tuple[ExportedVersion, ...]


def check_export_limits(export: PlanExport, source: str = "export") -> None:
    """Refuse an export whose messages, authors or tags a save would refuse (the limits of :mod:`connectplan.refs`).

    The same limits as a save, so what one backend took, the other takes.
    """
    for v in export.versions:
        try:
            check_message(v.message)
            check_author(v.author)
            for tag in v.tags:
                check_tag_name(tag)
        except (StoreError, AppError) as exc:
            raise StoreError(f"{source}: version {v.version}: {exc}") from None


def matching_edition(stored: Sequence[EditionRow], catalog: ExportedCatalog, source: str = "export") -> EditionRow:
    """The stored edition an exported version was saved with: same name, edition and content hash.

    Refused when the store lacks that edition (:class:`~db.errors.NotFoundError`) or holds it with
    other content (:class:`~db.errors.EditionConflictError`).
    """
    same = [r for r in stored if (r.name, r.edition) == (catalog.name, catalog.edition)]
    if not same:
        raise NotFoundError(
            f"{source}: catalog edition {catalog.ref} ({catalog.content_hash}) is not in this store",
            fix="import_catalog",
            hint="import it first: connectplan catalog import FILE",
        )
    found = next((r for r in same if r.content_hash == catalog.content_hash), None)
    if found is None:
        raise worded(EditionConflictError(catalog.ref, same[-1].content_hash, catalog.content_hash))
    return found


#: Largest ``plan export`` file ``plan import`` reads.
MAX_EXPORT_BYTES = 32 << 20


def read_export_file(path: str | Path) -> PlanExport:
    """Read and check a ``plan export`` file.

    Only a regular file (not a FIFO or a device such as ``/dev/zero``) of at most
    :data:`MAX_EXPORT_BYTES`, nested at most ``connectplan.infile.MAX_DEPTH`` levels, is read.
    """
    from connectplan.infile import MAX_DEPTH, InputFileError, check_nesting, read_text_file

    try:
        text = read_text_file(path, limit=MAX_EXPORT_BYTES, what="export file")
    except InputFileError as exc:
        raise StoreError(str(exc)) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"malformed export file {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise StoreError(f"malformed export file {path}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # json raises it for a number of more than 4,300 digits
        raise StoreError(
            f"malformed export file {path}: a number has more than 4,300 digits (versions stop at 2147483647)"
        ) from None
    try:
        check_nesting(doc, source=str(path), max_values=None)
    except InputFileError as exc:
        raise StoreError(f"malformed export file {path}: {exc.reason}") from None
    return parse_export(doc, str(path))


def parse_export(doc: Any, source: str = "export") -> PlanExport:
    """Check an export document's structure; the record with times parsed."""

    def bad(why: str) -> StoreError:
        return StoreError(f"malformed export file {source}: {why}")

    if not isinstance(doc, dict):
        raise bad("expected a JSON object")
    if doc.get("format") != EXPORT_KIND:
        raise bad(f"'format' must be {EXPORT_KIND!r} (is this a `connectplan plan export` file?)")
    if doc.get("format_version") not in READABLE_FORMAT_VERSIONS or isinstance(doc.get("format_version"), bool):
        raise bad(
            f"unsupported format_version {doc.get('format_version')!r}; this connectplan reads "
            f"{' and '.join(map(str, READABLE_FORMAT_VERSIONS))}"
        )
    plan = doc.get("plan")
    if not isinstance(plan, dict) or not isinstance(plan.get("name"), str):
        raise bad("'plan' must be an object with a 'name'")

    def time(value: Any, where: str) -> datetime:
        try:
            return parse_time(value)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            raise bad(
                f"{where} is out of range; use a time from year 1 to 9999 in UTC, e.g. 2025-01-31T12:00:00Z"
            ) from None
        except (TypeError, ValueError, AttributeError):
            raise bad(f"{where} must be an ISO 8601 time with a UTC offset, e.g. 2025-01-31T12:00:00Z") from None

    forked = plan.get("forked_from")
    if forked is not None and not isinstance(forked, str):
        raise bad("plan.forked_from must be a string or null")
    versions = doc.get("versions")
    if not isinstance(versions, list) or not versions:
        raise bad("'versions' must be a non-empty list")
    out = []
    for i, v in enumerate(versions, 1):
        out.append(_version(v, i, bad, time))
    all_tags = [t for v in out for t in v.tags]
    if len(all_tags) != len(set(all_tags)):
        raise bad("a tag names more than one version")
    return PlanExport(
        name=plan["name"],
        created_at=time(plan.get("created_at"), "plan.created_at"),
        forked_from=forked,
        versions=tuple(out),
    )


def _version(v: Any, i: int, bad: Any, time: Any) -> ExportedVersion:
    where = f"versions[{i - 1}]"
    if not isinstance(v, dict):
        raise bad(f"{where} must be an object")
    if v.get("version") != i or isinstance(v.get("version"), bool):
        raise bad(f"{where}.version must be {i} (versions are numbered 1..N in order)")
    parent = v.get("parent")
    if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool) or not 1 <= parent < i):
        raise bad(f"{where}.parent must be null or an earlier version number")
    for key in ("author", "message"):
        if not isinstance(v.get(key), str):
            raise bad(f"{where}.{key} must be a string")
    cat = v.get("catalog")
    if not isinstance(cat, dict) or not all(isinstance(cat.get(k), str) for k in ("name", "edition", "content_hash")):
        raise bad(f"{where}.catalog must be an object with string name, edition and content_hash")
    sel = v.get("selection")
    if not isinstance(sel, dict) or not all(isinstance(k, str) and _is_choice(o) for k, o in sel.items()):
        raise bad(f"{where}.selection must be an object of property -> option strings (a list for a multi-choice one)")
    tags = v.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise bad(f"{where}.tags must be a list of strings")
    for tag in tags:
        try:
            check_tag_name(tag)
        except (StoreError, AppError) as exc:
            raise bad(f"{where}.tags: {exc}") from None
    return ExportedVersion(
        version=i,
        parent=parent,
        created_at=time(v.get("created_at"), f"{where}.created_at"),
        author=v["author"],
        message=v["message"],
        catalog=ExportedCatalog(cat["name"], cat["edition"], cat["content_hash"], _revision(cat.get("revision", 1))),
        selection=selection_pairs(sel),
        tags=tuple(tags),
    )


def _revision(value: Any) -> int:
    # informational (the content hash identifies the revision); a bad value falls back to 1
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1 else 1


def _is_choice(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(o, str) for o in value))


def as_export(source: PlanExport | Mapping[str, Any] | str | Path) -> tuple[PlanExport, str]:
    """An export record from a record, a document or a file path; and the source name for messages."""
    if isinstance(source, PlanExport):
        return source, "export"
    if isinstance(source, (str, Path)):
        return read_export_file(source), str(source)
    return parse_export(dict(source)), "export"
