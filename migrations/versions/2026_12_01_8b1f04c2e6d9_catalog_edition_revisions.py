"""Catalog editions carry a revision: corrected content is stored beside the old.

Revision ID: 8b1f04c2e6d9
Revises: 5d2c9e41a7b3
Create Date: 2026-12-01 11:20:00.000000+00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "8b1f04c2e6d9"
down_revision: str | Sequence[str] | None = "5d2c9e41a7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _edition_table(*, revision: bool) -> sa.Table:
    """``catalog_edition`` as it is before (``revision=False``) or after this migration.

    Passed to SQLite's batch mode as ``copy_from`` so that offline SQL (``alembic upgrade --sql``)
    needs no live database to reflect the table.
    """
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("edition", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    ]
    unique: tuple[str, ...] = ("name", "edition")
    if revision:
        columns.append(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        unique = ("name", "edition", "revision")
    name = "uq_catalog_edition_" + "_".join(unique)
    return sa.Table(
        "catalog_edition",
        sa.MetaData(),
        *columns,
        sa.PrimaryKeyConstraint("id", name="pk_catalog_edition"),
        sa.UniqueConstraint(*unique, name=name),
    )


def upgrade() -> None:
    """Add ``catalog_edition.revision`` (existing rows are revision 1); one row per name, edition and revision."""
    with op.batch_alter_table("catalog_edition", copy_from=_edition_table(revision=False)) as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint("uq_catalog_edition_name_edition", type_="unique")
        batch.create_unique_constraint("uq_catalog_edition_name_edition_revision", ["name", "edition", "revision"])


def downgrade() -> None:
    """Undo: drop the revision column.

    A schema without revisions holds one row per name and edition, so every later revision
    keeps its rows (and the plan versions pinned to it) under the edition ``EDITION.rN``
    (``2025`` revision 2 becomes edition ``2025.r2``): nothing is lost and the unique
    constraint holds.
    """
    edition = sa.table("catalog_edition", sa.column("edition", sa.String()), sa.column("revision", sa.Integer()))
    op.execute(
        edition.update()
        .where(edition.c.revision > 1)
        .values(edition=edition.c.edition + ".r" + sa.cast(edition.c.revision, sa.String()))
    )
    with op.batch_alter_table("catalog_edition", copy_from=_edition_table(revision=True)) as batch:
        batch.drop_constraint("uq_catalog_edition_name_edition_revision", type_="unique")
        batch.create_unique_constraint("uq_catalog_edition_name_edition", ["name", "edition"])
        batch.drop_column("revision")
