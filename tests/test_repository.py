"""db.graph_store and db.plan_rows: catalog editions stored as graphs, plan rows, in plain SQL (issues 3, 9)."""

from __future__ import annotations

from datetime import UTC, datetime

import networkx as nx
import pytest
from conftest import tiny_doc
from sqlalchemy import func, select

from connectplan.db import graph_store, models, plan_rows
from connectplan.db.errors import EditionConflictError
from connectplan.db.records import format_time, parse_time
from connectplan.engine import build_graph, catalog_from_dict, catalog_from_graph, content_hash

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["stripe-connect@2024.yaml", "stripe-connect@2025.yaml"])
def builtin(request):
    from connectplan.catalog_files import load_builtin

    return load_builtin(request.param)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_stored_edition_loads_back_as_the_same_graph(db_session, builtin):
    row, created = graph_store.save_catalog(db_session.connection(), builtin, now=NOW)
    assert created
    expected = build_graph(builtin)  # built from the file, independently of the stored rows
    loaded = graph_store.load_graph(db_session.connection(), row)
    assert list(loaded.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(loaded.edges(data=True)) == list(expected.edges(data=True))
    assert loaded.graph == expected.graph
    assert nx.utils.graphs_equal(loaded, expected)


def test_the_catalog_rebuilt_from_the_store_has_the_files_content_hash(db_session, builtin):
    row, _ = graph_store.save_catalog(db_session.connection(), builtin, now=NOW)
    rebuilt = catalog_from_graph(graph_store.load_graph(db_session.connection(), row))
    assert content_hash(rebuilt) == builtin.content_hash == row.content_hash
    assert rebuilt.ref == builtin.ref


def test_nodes_and_edges_are_rows(db_session, tiny):
    graph_store.save_catalog(db_session.connection(), tiny, now=NOW)
    graph = build_graph(tiny)
    assert _count(db_session, models.CatalogNode) == graph.number_of_nodes()
    assert _count(db_session, models.CatalogEdge) == graph.number_of_edges()
    kinds = set(db_session.scalars(select(models.CatalogEdge.kind)))
    assert kinds == {"has_option", "constrains", "references", "requires", "involves", "selects"}


def test_identical_reimport_is_a_no_op(db_session, tiny):
    first, created = graph_store.save_catalog(db_session.connection(), tiny, now=NOW)
    again, created_again = graph_store.save_catalog(db_session.connection(), catalog_from_dict(tiny_doc()), now=NOW)
    assert created and not created_again
    assert again.id == first.id and again.content_hash == first.content_hash
    assert _count(db_session, models.CatalogEdition) == 1
    assert _count(db_session, models.CatalogNode) == build_graph(tiny).number_of_nodes()


def test_different_content_under_the_same_edition_is_refused_naming_both_hashes(db_session, tiny):
    graph_store.save_catalog(db_session.connection(), tiny, now=NOW)
    changed = catalog_from_dict(tiny_doc(title="Tiny, retitled"))
    with pytest.raises(EditionConflictError) as err:
        graph_store.save_catalog(db_session.connection(), changed, now=NOW)
    assert tiny.content_hash in str(err.value) and changed.content_hash in str(err.value)
    assert "tiny@1" in str(err.value)


def test_plan_rows_versions_and_tags(db_session, tiny):
    conn = db_session.connection()
    edition, _ = graph_store.save_catalog(conn, tiny, now=NOW)
    plan = plan_rows.insert_plan(conn, "p", created_at=NOW)
    for n in (1, 2, 3):
        plan_rows.insert_version(
            conn,
            plan_id=plan.id,
            number=n,
            parent=n - 1 or None,
            message=f"v{n}",
            author="ann",
            created_at=NOW,
            edition_id=edition.id,
            selection={"color": "red", "size": "s" if n < 3 else "l"},
        )
    latest = plan_rows.latest_version(conn, plan.id)
    assert latest.number == 3 and latest.parent_number == 2
    second = plan_rows.version_by_number(conn, plan.id, 2)
    plan_rows.set_tag(conn, plan.id, "reviewed", second.id)
    plan_rows.set_tag(conn, plan.id, "approved", second.id)
    assert plan_rows.tags_by_version(conn, plan.id) == {2: ["approved", "reviewed"]}
    plan_rows.set_tag(conn, plan.id, "reviewed", latest.id)  # moving a tag keeps one row
    assert plan_rows.tags_by_version(conn, plan.id) == {2: ["approved"], 3: ["reviewed"]}
    assert _count(db_session, models.PlanTag) == 2
    [(listed, newest, count)] = plan_rows.list_plans(conn)
    assert (listed.name, newest.number, count) == ("p", 3, 3)
    record = latest.record(plan, edition, ("reviewed",))
    assert record.ref == "p@3" and record.catalog_ref == "tiny@1"
    assert record.selection == (("color", "red"), ("size", "l"))
    assert record.created_at == "2025-01-31T12:00:00Z"


def test_plain_sql_rows_read_back_identically_through_the_orm_models(db_session, tiny):
    """The plain queries and the ORM models (the schema's definition) agree on every column's type."""
    conn = db_session.connection()
    edition, _ = graph_store.save_catalog(conn, tiny, now=NOW)
    plan = plan_rows.insert_plan(conn, "p", created_at=NOW, forked_from="q@2")
    version = plan_rows.insert_version(
        conn,
        plan_id=plan.id,
        number=1,
        parent=None,
        message="m",
        author="ann",
        created_at=NOW,
        edition_id=edition.id,
        selection={"color": "red", "size": "s"},
    )
    orm = db_session.get(models.PlanVersion, version.id)
    assert orm is not None
    assert (orm.number, orm.message, orm.author, orm.selection) == (1, "m", "ann", {"color": "red", "size": "s"})
    assert format_time(orm.created_at) == "2025-01-31T12:00:00Z"
    assert orm.plan.forked_from == "q@2" and orm.catalog_edition.content_hash == tiny.content_hash
    found = plan_rows.find_plan(conn, "p")
    assert found is not None and (found.id, found.name, found.forked_from) == (plan.id, "p", "q@2")
    assert format_time(found.created_at) == "2025-01-31T12:00:00Z"


def test_query_functions_never_commit(db_session, tiny):
    graph_store.save_catalog(db_session.connection(), tiny, now=NOW)
    plan_rows.insert_plan(db_session.connection(), "p", created_at=NOW)
    db_session.rollback()
    assert _count(db_session, models.CatalogEdition) == 0
    assert _count(db_session, models.Plan) == 0


def test_times_are_utc_iso_8601():
    assert format_time(datetime(2025, 1, 31, 13, 0, 5, 123, tzinfo=UTC)) == "2025-01-31T13:00:05Z"
    assert format_time(datetime(2025, 1, 31, 13, 0, 5)) == "2025-01-31T13:00:05Z"  # SQLite gives naive UTC
    assert parse_time("2025-01-31T14:00:05+01:00") == datetime(2025, 1, 31, 13, 0, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("2025-01-31T13:00:05")
