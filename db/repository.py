"""Rows <-> engine records: the only module that maps between the ORM and the engine.

Every function takes a :class:`~sqlalchemy.orm.Session` and never commits: callers own the
transaction (``with factory.begin() as session:``). Catalog editions are saved as the graph
:func:`engine.build_graph` makes and loaded back with two queries (nodes, edges) into the
same ``networkx`` graph, from which :func:`engine.catalog_from_graph` rebuilds the catalog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select

from db import graph_store, models
from db.errors import EditionConflictError
from db.records import EditionRow, VersionRecord, edition_sort_key, format_time, parse_time, utc_now
from engine import build_graph

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from sqlalchemy.orm import Session

    from engine import Catalog

__all__ = [
    "VersionRecord",
    "add_plan",
    "add_version",
    "edition_row",
    "edition_sort_key",
    "find_edition",
    "find_tag",
    "format_time",
    "get_plan",
    "get_version",
    "latest_version",
    "list_plans",
    "load_catalog",
    "parse_time",
    "plan_versions",
    "save_catalog",
    "set_tag",
    "tags_by_version",
    "utc_now",
    "version_record",
]

# ---------------------------------------------------------------------------
# Catalog editions


def find_edition(session: Session, name: str, edition: str) -> models.CatalogEdition | None:
    stmt = select(models.CatalogEdition).where(
        models.CatalogEdition.name == name, models.CatalogEdition.edition == edition
    )
    return session.scalars(stmt).first()


def save_catalog(
    session: Session, catalog: Catalog, *, now: datetime | None = None
) -> tuple[models.CatalogEdition, bool]:
    """Store ``catalog`` as its graph; return ``(edition row, created)``.

    Identical content already stored under the same name@edition is a no-op (``created`` is
    False). Different content raises :class:`~db.errors.EditionConflictError` naming both hashes.
    The rows are flushed, so a concurrent insert of the same edition surfaces here as
    ``IntegrityError``.
    """
    digest = catalog.content_hash
    existing = find_edition(session, catalog.name, catalog.edition)
    if existing is not None:
        if existing.content_hash != digest:
            raise EditionConflictError(catalog.ref, existing.content_hash, digest)
        return existing, False
    G = build_graph(catalog)
    row = models.CatalogEdition(
        name=catalog.name,
        edition=catalog.edition,
        title=catalog.title,
        content_hash=digest,
        meta={k: G.graph[k] for k in ("format", "description", "renames") if k in G.graph},
        imported_at=now or utc_now(),
    )
    session.add(row)
    session.flush()
    # Bulk inserts (one executemany per table) instead of one ORM object per node and edge.
    session.execute(
        insert(models.CatalogNode),
        [
            {"edition_id": row.id, "kind": key.kind, "key": key.id, "position": attrs["index"], "data": attrs["data"]}
            for key, attrs in G.nodes(data=True)
        ],
    )
    node_ids = {
        (kind, key): node_id
        for node_id, kind, key in session.execute(
            select(models.CatalogNode.id, models.CatalogNode.kind, models.CatalogNode.key).where(
                models.CatalogNode.edition_id == row.id
            )
        )
    }
    edges = [
        {
            "edition_id": row.id,
            "src_id": node_ids[(src.kind, src.id)],
            "dst_id": node_ids[(dst.kind, dst.id)],
            "kind": kind,
        }
        for src, dst, kind in G.edges(data="kind")
    ]
    if edges:
        session.execute(insert(models.CatalogEdge), edges)
    return row, True


def edition_row(edition: models.CatalogEdition) -> EditionRow:
    """The plain record of an edition row."""
    return EditionRow(
        edition.id,
        edition.name,
        edition.edition,
        edition.title,
        edition.content_hash,
        edition.meta,
        edition.imported_at,
    )


def load_catalog(
    session: Session, edition: models.CatalogEdition | EditionRow, cache: graph_store.CatalogCache | None = None
) -> Catalog:
    """The :class:`~engine.Catalog` of a stored edition (rebuilt from its graph unless ``cache`` has it)."""
    row = edition if isinstance(edition, EditionRow) else edition_row(edition)
    return graph_store.load_catalog(session.connection(), row, cache)


# ---------------------------------------------------------------------------
# Plans


def version_record(plan: models.Plan, version: models.PlanVersion, tags: Iterable[str] = ()) -> VersionRecord:
    edition = version.catalog_edition
    return VersionRecord(
        plan=plan.name,
        version=version.number,
        parent=version.parent_number,
        message=version.message,
        author=version.author,
        created_at=format_time(version.created_at),
        tags=tuple(sorted(tags)),
        catalog_name=edition.name,
        catalog_edition=edition.edition,
        content_hash=edition.content_hash,
        selection=tuple(version.selection.items()),
        forked_from=plan.forked_from,
    )


def get_plan(session: Session, name: str) -> models.Plan | None:
    return session.scalars(select(models.Plan).where(models.Plan.name == name)).first()


def add_plan(session: Session, name: str, *, now: datetime, forked_from: str | None = None) -> models.Plan:
    """Insert a plan row (flushed: a name taken concurrently raises ``IntegrityError`` here)."""
    plan = models.Plan(name=name, created_at=now, forked_from=forked_from)
    session.add(plan)
    session.flush()
    return plan


def get_version(session: Session, plan: models.Plan, number: int) -> models.PlanVersion | None:
    stmt = select(models.PlanVersion).where(models.PlanVersion.plan_id == plan.id, models.PlanVersion.number == number)
    return session.scalars(stmt).first()


def latest_version(session: Session, plan: models.Plan) -> models.PlanVersion | None:
    stmt = (
        select(models.PlanVersion)
        .where(models.PlanVersion.plan_id == plan.id)
        .order_by(models.PlanVersion.number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def plan_versions(session: Session, plan: models.Plan, *, newest_first: bool = False) -> list[models.PlanVersion]:
    order = models.PlanVersion.number.desc() if newest_first else models.PlanVersion.number
    stmt = select(models.PlanVersion).where(models.PlanVersion.plan_id == plan.id).order_by(order)
    return list(session.scalars(stmt))


def add_version(
    session: Session,
    plan: models.Plan,
    *,
    number: int,
    parent: int | None,
    message: str,
    author: str,
    created_at: datetime,
    edition: models.CatalogEdition,
    selection: Mapping[str, str],
) -> models.PlanVersion:
    """Insert a version row and flush it, so a number taken concurrently raises ``IntegrityError`` here."""
    row = models.PlanVersion(
        plan_id=plan.id,
        number=number,
        parent_number=parent,
        message=message,
        author=author,
        created_at=created_at,
        catalog_edition_id=edition.id,
        selection=dict(selection),
    )
    row.catalog_edition = edition
    session.add(row)
    session.flush()
    return row


def tags_by_version(session: Session, plan: models.Plan) -> dict[int, list[str]]:
    """Version number -> tag names (sorted)."""
    stmt = (
        select(models.PlanVersion.number, models.PlanTag.name)
        .join(models.PlanVersion, models.PlanTag.version_id == models.PlanVersion.id)
        .where(models.PlanTag.plan_id == plan.id)
        .order_by(models.PlanTag.name)
    )
    out: dict[int, list[str]] = {}
    for number, name in session.execute(stmt):
        out.setdefault(number, []).append(name)
    return out


def find_tag(session: Session, plan: models.Plan, name: str) -> models.PlanTag | None:
    stmt = select(models.PlanTag).where(models.PlanTag.plan_id == plan.id, models.PlanTag.name == name)
    return session.scalars(stmt).first()


def set_tag(session: Session, plan: models.Plan, name: str, version: models.PlanVersion) -> models.PlanTag:
    """Point tag ``name`` of ``plan`` at ``version`` (creating or moving it); flushed."""
    tag = find_tag(session, plan, name)
    if tag is None:
        tag = models.PlanTag(plan_id=plan.id, name=name, version_id=version.id)
        session.add(tag)
    else:
        tag.version_id = version.id
    session.flush()
    return tag


def list_plans(session: Session) -> list[tuple[models.Plan, models.PlanVersion, int]]:
    """Every plan with its latest version and its number of versions, sorted by name."""
    latest = (
        select(models.PlanVersion.plan_id, func.max(models.PlanVersion.number).label("latest"), func.count().label("n"))
        .group_by(models.PlanVersion.plan_id)
        .subquery()
    )
    stmt = (
        select(models.Plan, models.PlanVersion, latest.c.n)
        .join(latest, latest.c.plan_id == models.Plan.id)
        .join(
            models.PlanVersion,
            (models.PlanVersion.plan_id == models.Plan.id) & (models.PlanVersion.number == latest.c.latest),
        )
        .order_by(models.Plan.name)
    )
    return [(plan, version, int(n)) for plan, version, n in session.execute(stmt)]
