"""Typed SQLAlchemy models of the store: catalog editions as graphs, and versioned plans.

Catalog editions are stored as the graph :func:`engine.build_graph` makes: one
``catalog_node`` row per node (kind, key, declaration position, the record as JSON) and one
``catalog_edge`` row per edge. Plans are a ``plan`` row with immutable, numbered
``plan_version`` rows (the database enforces one row per plan and number) and named
``plan_tag`` pointers to versions.

Only portable column types are used (Integer, String, Text, DateTime, JSON), so one
migration history serves SQLite and PostgreSQL. Constraint names come from the metadata's
naming convention, never written by hand.
"""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - SQLAlchemy resolves Mapped[datetime] at runtime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "CatalogEdge", "CatalogEdition", "CatalogNode", "Plan", "PlanTag", "PlanVersion"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CatalogEdition(Base):
    """One immutable catalog edition (``name@edition``), identified by its content hash."""

    __tablename__ = "catalog_edition"
    __table_args__ = (UniqueConstraint("name", "edition", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    edition: Mapped[str] = mapped_column(String(50))
    #: corrections of an edition are new revisions stored beside the old (plans stay pinned to theirs)
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    title: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(80))
    #: graph-level attributes of the catalog graph: format, description, renames
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    nodes: Mapped[list[CatalogNode]] = relationship(back_populates="edition", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<CatalogEdition {self.name}@{self.edition} {self.content_hash[:15]}>"


class CatalogNode(Base):
    """A node of a catalog graph: ``(kind, key)`` with its declaration position and record."""

    __tablename__ = "catalog_node"
    __table_args__ = (UniqueConstraint("edition_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("catalog_edition.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    edition: Mapped[CatalogEdition] = relationship(back_populates="nodes")

    def __repr__(self) -> str:
        return f"<CatalogNode {self.kind}:{self.key}>"


class CatalogEdge(Base):
    """A typed edge between two nodes of the same catalog edition."""

    __tablename__ = "catalog_edge"
    __table_args__ = (UniqueConstraint("src_id", "dst_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("catalog_edition.id", ondelete="CASCADE"), index=True)
    src_id: Mapped[int] = mapped_column(ForeignKey("catalog_node.id", ondelete="CASCADE"))
    dst_id: Mapped[int] = mapped_column(ForeignKey("catalog_node.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<CatalogEdge {self.src_id}->{self.dst_id} {self.kind}>"


class Plan(Base):
    """A named plan; its history is the list of :class:`PlanVersion` rows."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: ``name@N`` of the version this plan was forked from, if any (kept as text: it may live in another store)
    forked_from: Mapped[str | None] = mapped_column(String(120))

    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanVersion.number"
    )

    def __repr__(self) -> str:
        return f"<Plan {self.name}>"


class PlanVersion(Base):
    """One immutable version of a plan: a selection against one exact catalog edition."""

    __tablename__ = "plan_version"
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("parent_number IS NULL OR parent_number < number", name="parent_before_child"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    parent_number: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    catalog_edition_id: Mapped[int] = mapped_column(ForeignKey("catalog_edition.id"), index=True)
    #: property id -> option id, in catalog property order
    selection: Mapped[dict[str, str]] = mapped_column(JSON)

    plan: Mapped[Plan] = relationship(back_populates="versions")
    catalog_edition: Mapped[CatalogEdition] = relationship()

    def __repr__(self) -> str:
        return f"<PlanVersion plan={self.plan_id} #{self.number}>"


class PlanTag(Base):
    """A name for one version of a plan (``NAME@TAG``); unique per plan."""

    __tablename__ = "plan_tag"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"), index=True)

    def __repr__(self) -> str:
        return f"<PlanTag {self.name} -> {self.version_id}>"
