"""Plan rows in plain SQL: plans, versions and tags, read and written.

Like :mod:`db.graph_store`, these functions take a ``Connection``, use :func:`sqlalchemy.text`
with bound, typed parameters (JSON and time values go through SQLAlchemy's type processing,
so SQLite and PostgreSQL store exactly what the ORM would) and never commit. They load no ORM
model, so no command pays for the mapper set-up, and a save costs two statements. The ORM
models (:mod:`db.models`) are the schema's definition: Alembic's migrations are checked against
them (``alembic check``), and the tests check these queries against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, bindparam, column, text

from connectplan.db.records import VersionRecord, format_time, selection_pairs

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from sqlalchemy.engine import Connection

    from connectplan.db.records import EditionRow

__all__ = [
    "PlanRow",
    "VersionRow",
    "find_plan",
    "find_tag_version",
    "insert_plan",
    "insert_tag",
    "insert_version",
    "latest_version",
    "list_plans",
    "plan_names",
    "plan_with_latest",
    "set_tag",
    "tags_by_version",
    "version_by_number",
    "versions",
]

_VERSION_COLUMNS = (
    column("id", Integer),
    column("number", Integer),
    column("parent_number", Integer),
    column("message", Text),
    column("author", String),
    column("created_at", DateTime(timezone=True)),
    column("catalog_edition_id", Integer),
    column("selection", JSON),
)
_SELECT_VERSION = (
    "SELECT id, number, parent_number, message, author, created_at, catalog_edition_id, selection FROM plan_version"
)

_FIND_PLAN = text("SELECT id, name, created_at, forked_from FROM plan WHERE name = :name").columns(
    column("id", Integer),
    column("name", String),
    column("created_at", DateTime(timezone=True)),
    column("forked_from", String),
)
_PLAN_NAMES = text("SELECT name FROM plan ORDER BY name")
_PLAN_WITH_LATEST = text(
    "SELECT p.id, p.name, p.created_at, p.forked_from, v.id, v.number, v.parent_number, v.message, v.author, "
    "v.created_at, v.catalog_edition_id, v.selection FROM plan p JOIN plan_version v ON v.plan_id = p.id "
    "AND v.number = (SELECT MAX(number) FROM plan_version WHERE plan_id = p.id) WHERE p.name = :name"
).columns(
    column("plan_id", Integer),
    column("name", String),
    column("plan_created_at", DateTime(timezone=True)),
    column("forked_from", String),
    *_VERSION_COLUMNS,
)
_LATEST = text(f"{_SELECT_VERSION} WHERE plan_id = :plan_id ORDER BY number DESC LIMIT 1").columns(*_VERSION_COLUMNS)
_BY_NUMBER = text(f"{_SELECT_VERSION} WHERE plan_id = :plan_id AND number = :number").columns(*_VERSION_COLUMNS)
_BY_ID = text(f"{_SELECT_VERSION} WHERE id = :id").columns(*_VERSION_COLUMNS)
_NEWEST_FIRST = text(f"{_SELECT_VERSION} WHERE plan_id = :plan_id ORDER BY number DESC").columns(*_VERSION_COLUMNS)
_OLDEST_FIRST = text(f"{_SELECT_VERSION} WHERE plan_id = :plan_id ORDER BY number").columns(*_VERSION_COLUMNS)
_TAG = text("SELECT version_id FROM plan_tag WHERE plan_id = :plan_id AND name = :name")
_INSERT_PLAN = text(
    "INSERT INTO plan (name, created_at, forked_from) VALUES (:name, :created_at, :forked_from) RETURNING id"
).bindparams(bindparam("created_at", type_=DateTime(timezone=True)))
_INSERT_TAG = text("INSERT INTO plan_tag (plan_id, name, version_id) VALUES (:plan_id, :name, :version_id)")
_MOVE_TAG = text("UPDATE plan_tag SET version_id = :version_id WHERE plan_id = :plan_id AND name = :name")
_PLANS = text(
    "SELECT p.id, p.name, p.created_at, p.forked_from, v.id, v.number, v.parent_number, v.message, v.author, "
    "v.created_at, v.catalog_edition_id, v.selection, c.n FROM plan p "
    "JOIN (SELECT plan_id, MAX(number) AS latest, COUNT(*) AS n FROM plan_version GROUP BY plan_id) c "
    "ON c.plan_id = p.id JOIN plan_version v ON v.plan_id = p.id AND v.number = c.latest ORDER BY p.name"
).columns(
    column("plan_id", Integer),
    column("name", String),
    column("plan_created_at", DateTime(timezone=True)),
    column("forked_from", String),
    *_VERSION_COLUMNS,
    column("n", Integer),
)
_TAGS = text(
    "SELECT v.number, t.name FROM plan_tag t JOIN plan_version v ON v.id = t.version_id "
    "WHERE t.plan_id = :plan_id ORDER BY t.name"
)
_INSERT_VERSION = text(
    "INSERT INTO plan_version (plan_id, number, parent_number, message, author, created_at, catalog_edition_id, "
    "selection) VALUES (:plan_id, :number, :parent_number, :message, :author, :created_at, :catalog_edition_id, "
    ":selection) RETURNING id"
).bindparams(
    bindparam("created_at", type_=DateTime(timezone=True)),
    bindparam("selection", type_=JSON),
)


@dataclass(frozen=True)
class PlanRow:
    """A ``plan`` row."""

    id: int
    name: str
    created_at: datetime
    forked_from: str | None


@dataclass(frozen=True)
class VersionRow:
    """A ``plan_version`` row."""

    id: int
    number: int
    parent_number: int | None
    message: str
    author: str
    created_at: datetime
    catalog_edition_id: int
    selection: dict[str, Any]

    def record(
        self, plan: PlanRow, edition: EditionRow, tags: tuple[str, ...] = (), newest: int | None = None
    ) -> VersionRecord:
        """The plain record the store hands out (``newest``: the edition's newest stored revision)."""
        return VersionRecord(
            plan=plan.name,
            version=self.number,
            parent=self.parent_number,
            message=self.message,
            author=self.author,
            created_at=format_time(self.created_at),
            tags=tuple(sorted(tags)),
            catalog_name=edition.name,
            catalog_edition=edition.edition,
            content_hash=edition.content_hash,
            selection=selection_pairs(self.selection),
            forked_from=plan.forked_from,
            catalog_revision=edition.revision,
            superseded_by=newest if newest is not None and newest > edition.revision else None,
        )


def find_plan(conn: Connection, name: str) -> PlanRow | None:
    row = conn.execute(_FIND_PLAN, {"name": name}).first()
    return PlanRow(*row) if row is not None else None


def plan_with_latest(conn: Connection, name: str) -> tuple[PlanRow, VersionRow] | None:
    """A plan and its latest version in one query (the first read of every save)."""
    row = conn.execute(_PLAN_WITH_LATEST, {"name": name}).first()
    if row is None:
        return None
    return PlanRow(*row[:4]), VersionRow(*row[4:])


def plan_names(conn: Connection) -> list[str]:
    return [name for (name,) in conn.execute(_PLAN_NAMES)]


def latest_version(conn: Connection, plan_id: int) -> VersionRow | None:
    row = conn.execute(_LATEST, {"plan_id": plan_id}).first()
    return VersionRow(*row) if row is not None else None


def version_by_number(conn: Connection, plan_id: int, number: int) -> VersionRow | None:
    row = conn.execute(_BY_NUMBER, {"plan_id": plan_id, "number": number}).first()
    return VersionRow(*row) if row is not None else None


def find_tag_version(conn: Connection, plan_id: int, tag: str) -> VersionRow | None:
    found = conn.execute(_TAG, {"plan_id": plan_id, "name": tag}).first()
    if found is None:
        return None
    row = conn.execute(_BY_ID, {"id": found[0]}).first()
    return VersionRow(*row) if row is not None else None


def versions(conn: Connection, plan_id: int, *, newest_first: bool = False) -> list[VersionRow]:
    return [
        VersionRow(*row) for row in conn.execute(_NEWEST_FIRST if newest_first else _OLDEST_FIRST, {"plan_id": plan_id})
    ]


def tags_by_version(conn: Connection, plan_id: int) -> dict[int, list[str]]:
    """Version number -> tag names (sorted)."""
    out: dict[int, list[str]] = {}
    for number, name in conn.execute(_TAGS, {"plan_id": plan_id}):
        out.setdefault(number, []).append(name)
    return out


def insert_plan(conn: Connection, name: str, *, created_at: datetime, forked_from: str | None = None) -> PlanRow:
    """Insert a plan row (a name taken concurrently raises ``IntegrityError`` here)."""
    plan_id = conn.execute(
        _INSERT_PLAN, {"name": name, "created_at": created_at, "forked_from": forked_from}
    ).scalar_one()
    return PlanRow(plan_id, name, created_at, forked_from)


def insert_tag(conn: Connection, plan_id: int, name: str, version_id: int) -> None:
    """Add tag ``name`` of a plan (one insert: the plan must not have it yet)."""
    conn.execute(_INSERT_TAG, {"plan_id": plan_id, "name": name, "version_id": version_id})


def set_tag(conn: Connection, plan_id: int, name: str, version_id: int) -> None:
    """Point tag ``name`` of a plan at a version, creating or moving it."""
    params = {"plan_id": plan_id, "name": name, "version_id": version_id}
    if conn.execute(_TAG, params).first() is None:
        conn.execute(_INSERT_TAG, params)
    else:
        conn.execute(_MOVE_TAG, params)


def list_plans(conn: Connection) -> list[tuple[PlanRow, VersionRow, int]]:
    """Every plan with its latest version and its number of versions, sorted by name."""
    return [(PlanRow(*row[:4]), VersionRow(*row[4:12]), int(row[12])) for row in conn.execute(_PLANS)]


def insert_version(
    conn: Connection,
    *,
    plan_id: int,
    number: int,
    parent: int | None,
    message: str,
    author: str,
    created_at: datetime,
    edition_id: int,
    selection: Mapping[str, Any],
) -> VersionRow:
    """Insert one version row (a number taken concurrently raises ``IntegrityError`` here)."""
    stored = {k: list(v) if isinstance(v, tuple) else v for k, v in selection.items()}
    values = {
        "plan_id": plan_id,
        "number": number,
        "parent_number": parent,
        "message": message,
        "author": author,
        "created_at": created_at,
        "catalog_edition_id": edition_id,
        "selection": stored,
    }
    version_id = conn.execute(_INSERT_VERSION, values).scalar_one()
    return VersionRow(
        id=version_id,
        number=number,
        parent_number=parent,
        message=message,
        author=author,
        created_at=created_at,
        catalog_edition_id=edition_id,
        selection=stored,
    )
