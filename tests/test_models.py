"""The ORM models: constraints the database enforces, naming convention, portable types (issue 3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, DateTime, Integer, String, Text, inspect
from sqlalchemy.exc import IntegrityError

from connectplan.db import models

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


def _edition(session, name="cat", edition="1"):
    row = models.CatalogEdition(
        name=name, edition=edition, title="T", content_hash="sha256:x", meta={}, imported_at=NOW
    )
    session.add(row)
    session.flush()
    return row


def _plan(session, name="p"):
    plan = models.Plan(name=name, created_at=NOW)
    session.add(plan)
    session.flush()
    return plan


def _version(session, plan, edition, number, parent=None):
    row = models.PlanVersion(
        plan_id=plan.id,
        number=number,
        parent_number=parent,
        message="m",
        author="a",
        created_at=NOW,
        catalog_edition_id=edition.id,
        selection={"x": "y"},
    )
    session.add(row)
    session.flush()
    return row


def test_one_row_per_plan_and_version_number(db_session):
    ed, plan = _edition(db_session), _plan(db_session)
    _version(db_session, plan, ed, 1)
    with pytest.raises(IntegrityError):
        _version(db_session, plan, ed, 1)


def test_version_numbers_start_at_one_and_parents_come_first(db_session):
    ed, plan = _edition(db_session), _plan(db_session)
    with db_session.begin_nested(), pytest.raises(IntegrityError):
        _version(db_session, plan, ed, 0)
    with db_session.begin_nested(), pytest.raises(IntegrityError):
        _version(db_session, plan, ed, 2, parent=2)
    assert _version(db_session, plan, ed, 2, parent=1).parent_number == 1


def test_foreign_keys_are_enforced_on_sqlite(db_session):
    plan = _plan(db_session)
    with pytest.raises(IntegrityError):
        _version(db_session, plan, models.CatalogEdition(id=999), 1)


def test_plan_names_and_edition_refs_are_unique(db_session):
    _plan(db_session, "same")
    with db_session.begin_nested(), pytest.raises(IntegrityError):
        _plan(db_session, "same")
    _edition(db_session, "c", "1")
    with db_session.begin_nested(), pytest.raises(IntegrityError):
        _edition(db_session, "c", "1")


def test_tag_names_are_unique_per_plan(db_session):
    ed, plan, other = _edition(db_session), _plan(db_session, "p"), _plan(db_session, "q")
    v1 = _version(db_session, plan, ed, 1)
    w1 = _version(db_session, other, ed, 1)
    db_session.add_all([models.PlanTag(plan_id=plan.id, name="ok", version_id=v1.id)])
    db_session.add_all([models.PlanTag(plan_id=other.id, name="ok", version_id=w1.id)])  # same name, other plan
    db_session.flush()
    with pytest.raises(IntegrityError):
        db_session.add(models.PlanTag(plan_id=plan.id, name="ok", version_id=v1.id))
        db_session.flush()


def test_constraint_names_come_from_the_naming_convention(db_session):
    insp = inspect(db_session.get_bind())
    uniques = {u["name"] for u in insp.get_unique_constraints("plan_version")}
    assert "uq_plan_version_plan_id_number" in uniques
    fks = {f["name"] for f in insp.get_foreign_keys("plan_version")}
    assert fks == {"fk_plan_version_plan_id_plan", "fk_plan_version_catalog_edition_id_catalog_edition"}
    assert insp.get_pk_constraint("plan")["name"] == "pk_plan"


def test_only_portable_column_types():
    portable = (Integer, String, Text, DateTime, JSON)
    for table in models.Base.metadata.sorted_tables:
        for col in table.columns:
            assert isinstance(col.type, portable), f"{table.name}.{col.name}: {col.type!r}"
            assert type(col.type).__module__.startswith("sqlalchemy.sql"), (
                f"dialect-specific type on {table.name}.{col.name}"
            )
