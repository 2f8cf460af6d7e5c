"""Rows <-> engine records: the only module that maps between the ORM and the engine.

Every function takes a :class:`~sqlalchemy.orm.Session` and never commits: callers own the
transaction (``with factory.begin() as session:``). Catalog editions are saved as the graph
:func:`engine.build_graph` makes and loaded back with two queries (nodes, edges) into the
same ``networkx`` graph, from which :func:`engine.catalog_from_graph` rebuilds the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import models
from db.errors import EditionConflictError
from engine import Catalog, NodeKey, catalog_from_graph

__all__ = [
    "VersionRecord",
    "add_plan",
    "add_version",
    "edition_sort_key",
    "find_edition",
    "find_tag",
    "format_time",
    "get_plan",
    "get_version",
    "latest_version",
    "list_editions",
    "list_plans",
    "load_catalog",
    "load_graph",
    "parse_time",
    "plan_versions",
    "save_catalog",
    "set_tag",
    "tags_by_version",
    "utc_now",
    "version_record",
]

#: catalogs rebuilt from the store, by content hash (editions are immutable, so the hash is the identity)
_CATALOG_CACHE: dict[str, Catalog] = {}


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

    Raises ``ValueError`` for anything else.
    """
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return value.astimezone(UTC).replace(microsecond=0)


def edition_sort_key(edition: str) -> tuple[int, int | str]:
    """Numeric editions by value, others after them by text (the app's edition order)."""
    return (0, int(edition)) if edition.isdigit() else (1, edition)


# ---------------------------------------------------------------------------
# Catalog editions


def list_editions(session: Session, name: str | None = None) -> list[models.CatalogEdition]:
    """Stored editions (of ``name``, or all), sorted by name then edition."""
    stmt = select(models.CatalogEdition)
    if name is not None:
        stmt = stmt.where(models.CatalogEdition.name == name)
    rows = session.scalars(stmt).all()
    return sorted(rows, key=lambda r: (r.name, edition_sort_key(r.edition)))


def find_edition(session: Session, name: str, edition: str) -> models.CatalogEdition | None:
    stmt = select(models.CatalogEdition).where(
        models.CatalogEdition.name == name, models.CatalogEdition.edition == edition
    )
    return session.scalars(stmt).first()


def save_catalog(session: Session, catalog: Catalog, *, now: datetime | None = None) -> tuple[models.CatalogEdition, bool]:
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
    G = catalog.graph
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
    nodes = {
        key: models.CatalogNode(edition_id=row.id, kind=key.kind, key=key.id, position=attrs["index"], data=attrs["data"])
        for key, attrs in G.nodes(data=True)
    }
    session.add_all(nodes.values())
    session.flush()
    session.add_all(
        models.CatalogEdge(edition_id=row.id, src_id=nodes[src].id, dst_id=nodes[dst].id, kind=kind)
        for src, dst, kind in G.edges(data="kind")
    )
    session.flush()
    _CATALOG_CACHE.setdefault(digest, catalog)
    return row, True


def load_graph(session: Session, edition: models.CatalogEdition) -> nx.DiGraph:
    """The edition's graph, as :func:`engine.build_graph` made it (same nodes, edges, attributes and order)."""
    G = nx.DiGraph()
    G.graph.update(format=edition.meta.get("format"), name=edition.name, edition=edition.edition, title=edition.title)
    G.graph["description"] = edition.meta.get("description", "")
    G.graph["renames"] = edition.meta.get("renames", {"options": {}, "steps": {}})
    keys: dict[int, NodeKey] = {}
    node_rows = session.execute(
        select(models.CatalogNode.id, models.CatalogNode.kind, models.CatalogNode.key, models.CatalogNode.position, models.CatalogNode.data)
        .where(models.CatalogNode.edition_id == edition.id)
        .order_by(models.CatalogNode.id)
    )
    for node_id, kind, key, position, data in node_rows:
        nk = NodeKey(kind, key)
        keys[node_id] = nk
        G.add_node(nk, kind=kind, index=position, data=data)
    edge_rows = session.execute(
        select(models.CatalogEdge.src_id, models.CatalogEdge.dst_id, models.CatalogEdge.kind)
        .where(models.CatalogEdge.edition_id == edition.id)
        .order_by(models.CatalogEdge.id)
    )
    G.add_edges_from((keys[src], keys[dst], {"kind": kind}) for src, dst, kind in edge_rows)
    return G


def load_catalog(session: Session, edition: models.CatalogEdition) -> Catalog:
    """The :class:`~engine.Catalog` of a stored edition (rebuilt from its graph once per process)."""
    cached = _CATALOG_CACHE.get(edition.content_hash)
    if cached is None:
        cached = catalog_from_graph(load_graph(session, edition), source=f"store:{edition.name}@{edition.edition}")
        _CATALOG_CACHE[edition.content_hash] = cached
    return cached


# ---------------------------------------------------------------------------
# Plans


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
    selection: tuple[tuple[str, str], ...]
    forked_from: str | None = None

    @property
    def ref(self) -> str:
        """``name@N``."""
        return f"{self.plan}@{self.version}"

    @property
    def catalog_ref(self) -> str:
        """``catalog-name@edition``."""
        return f"{self.catalog_name}@{self.catalog_edition}"

    def to_dict(self) -> dict[str, Any]:
        """The ``plan`` key of ``plan show --format json``."""
        return {
            "name": self.plan,
            "version": self.version,
            "parent": self.parent,
            "message": self.message,
            "author": self.author,
            "created_at": self.created_at,
            "tags": list(self.tags),
            "forked_from": self.forked_from,
        }


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
