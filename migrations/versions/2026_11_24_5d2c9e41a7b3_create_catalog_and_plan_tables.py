"""Create catalog and plan tables.

Revision ID: 5d2c9e41a7b3
Revises:
Create Date: 2026-11-24 00:01:19.854391+00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "5d2c9e41a7b3"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the catalog graph tables (edition, node, edge) and the plan tables (plan, version, tag)."""
    op.create_table(
        "catalog_edition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("edition", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_edition")),
        sa.UniqueConstraint("name", "edition", name=op.f("uq_catalog_edition_name_edition")),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forked_from", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("name", name=op.f("uq_plan_name")),
    )
    op.create_table(
        "catalog_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["catalog_edition.id"],
            name=op.f("fk_catalog_node_edition_id_catalog_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_node")),
        sa.UniqueConstraint("edition_id", "kind", "key", name=op.f("uq_catalog_node_edition_id_kind_key")),
    )
    with op.batch_alter_table("catalog_node", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_node_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("parent_number", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("catalog_edition_id", sa.Integer(), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_plan_version_number_positive")),
        sa.CheckConstraint(
            "parent_number IS NULL OR parent_number < number", name=op.f("ck_plan_version_parent_before_child")
        ),
        sa.ForeignKeyConstraint(
            ["catalog_edition_id"],
            ["catalog_edition.id"],
            name=op.f("fk_plan_version_catalog_edition_id_catalog_edition"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_version_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_plan_version_plan_id_number")),
    )
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_version_catalog_edition_id"), ["catalog_edition_id"], unique=False)

    op.create_table(
        "catalog_edge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("src_id", sa.Integer(), nullable=False),
        sa.Column("dst_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["dst_id"], ["catalog_node.id"], name=op.f("fk_catalog_edge_dst_id_catalog_node"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["catalog_edition.id"],
            name=op.f("fk_catalog_edge_edition_id_catalog_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["src_id"], ["catalog_node.id"], name=op.f("fk_catalog_edge_src_id_catalog_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_edge")),
        sa.UniqueConstraint("src_id", "dst_id", name=op.f("uq_catalog_edge_src_id_dst_id")),
    )
    with op.batch_alter_table("catalog_edge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_edge_dst_id"), ["dst_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_edge_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "plan_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_tag_plan_id_plan"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["version_id"], ["plan_version.id"], name=op.f("fk_plan_tag_version_id_plan_version"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_tag")),
        sa.UniqueConstraint("plan_id", "name", name=op.f("uq_plan_tag_plan_id_name")),
    )
    with op.batch_alter_table("plan_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_tag_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    """Drop every table this revision created, children first."""
    with op.batch_alter_table("plan_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_tag_version_id"))

    op.drop_table("plan_tag")
    with op.batch_alter_table("catalog_edge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_edge_edition_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_edge_dst_id"))

    op.drop_table("catalog_edge")
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_version_catalog_edition_id"))

    op.drop_table("plan_version")
    with op.batch_alter_table("catalog_node", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_node_edition_id"))

    op.drop_table("catalog_node")
    op.drop_table("plan")
    op.drop_table("catalog_edition")
