"""db.repository and db.graph_store: catalog editions stored as graphs, plan rows (issue 3)."""

from __future__ import annotations

from datetime import UTC, datetime

import networkx as nx
import pytest
from conftest import tiny_doc
from sqlalchemy import func, select

from db import graph_store, models, repository
from db.errors import EditionConflictError
from engine import build_graph, catalog_from_dict, catalog_from_graph, content_hash

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["stripe-connect@2024.yaml", "stripe-connect@2025.yaml"])
def builtin(request):
    from connectplan.catalog_files import load_builtin

    return load_builtin(request.param)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_stored_edition_loads_back_as_the_same_graph(db_session, builtin):
    row, created = repository.save_catalog(db_session, builtin, now=NOW)
    assert created
    expected = build_graph(builtin)  # built from the file, independently of the stored rows
    loaded = graph_store.load_graph(db_session.connection(), repository.edition_row(row))
    assert list(loaded.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(loaded.edges(data=True)) == list(expected.edges(data=True))
    assert loaded.graph == expected.graph
    assert nx.utils.graphs_equal(loaded, expected)


def test_the_catalog_rebuilt_from_the_store_has_the_files_content_hash(db_session, builtin):
    row, _ = repository.save_catalog(db_session, builtin, now=NOW)
    rebuilt = catalog_from_graph(graph_store.load_graph(db_session.connection(), repository.edition_row(row)))
    assert content_hash(rebuilt) == builtin.content_hash == row.content_hash
    assert rebuilt.ref == builtin.ref


def test_nodes_and_edges_are_rows(db_session, tiny):
    repository.save_catalog(db_session, tiny, now=NOW)
    graph = build_graph(tiny)
    assert _count(db_session, models.CatalogNode) == graph.number_of_nodes()
    assert _count(db_session, models.CatalogEdge) == graph.number_of_edges()
    kinds = set(db_session.scalars(select(models.CatalogEdge.kind)))
    assert kinds == {"has_option", "constrains", "references", "requires", "involves", "selects"}


def test_identical_reimport_is_a_no_op(db_session, tiny):
    first, created = repository.save_catalog(db_session, tiny, now=NOW)
    again, created_again = repository.save_catalog(db_session, catalog_from_dict(tiny_doc()), now=NOW)
    assert created and not created_again
    assert again.id == first.id
    assert _count(db_session, models.CatalogEdition) == 1
    assert _count(db_session, models.CatalogNode) == build_graph(tiny).number_of_nodes()


def test_different_content_under_the_same_edition_is_refused_naming_both_hashes(db_session, tiny):
    repository.save_catalog(db_session, tiny, now=NOW)
    changed = catalog_from_dict(tiny_doc(title="Tiny, retitled"))
    with pytest.raises(EditionConflictError) as err:
        repository.save_catalog(db_session, changed, now=NOW)
    assert tiny.content_hash in str(err.value) and changed.content_hash in str(err.value)
    assert "tiny@1" in str(err.value)


def test_plan_rows_versions_and_tags(db_session, tiny):
    edition, _ = repository.save_catalog(db_session, tiny, now=NOW)
    plan = repository.add_plan(db_session, "p", now=NOW)
    for n in (1, 2, 3):
        repository.add_version(
            db_session,
            plan,
            number=n,
            parent=n - 1 or None,
            message=f"v{n}",
            author="ann",
            created_at=NOW,
            edition=edition,
            selection={"color": "red", "size": "s" if n < 3 else "l"},
        )
    latest = repository.latest_version(db_session, plan)
    assert latest.number == 3 and latest.parent_number == 2
    repository.set_tag(db_session, plan, "reviewed", repository.get_version(db_session, plan, 2))
    repository.set_tag(db_session, plan, "approved", repository.get_version(db_session, plan, 2))
    assert repository.tags_by_version(db_session, plan) == {2: ["approved", "reviewed"]}
    repository.set_tag(db_session, plan, "reviewed", latest)  # moving a tag keeps one row
    assert repository.tags_by_version(db_session, plan) == {2: ["approved"], 3: ["reviewed"]}
    [(listed, newest, count)] = repository.list_plans(db_session)
    assert (listed.name, newest.number, count) == ("p", 3, 3)
    record = repository.version_record(plan, latest, ["reviewed"])
    assert record.ref == "p@3" and record.catalog_ref == "tiny@1"
    assert record.selection == (("color", "red"), ("size", "l"))
    assert record.created_at == "2025-01-31T12:00:00Z"


def test_repository_functions_never_commit(db_session, tiny):
    repository.save_catalog(db_session, tiny, now=NOW)
    repository.add_plan(db_session, "p", now=NOW)
    db_session.rollback()
    assert _count(db_session, models.CatalogEdition) == 0
    assert _count(db_session, models.Plan) == 0


def test_times_are_utc_iso_8601():
    assert repository.format_time(datetime(2025, 1, 31, 13, 0, 5, 123, tzinfo=UTC)) == "2025-01-31T13:00:05Z"
    assert repository.format_time(datetime(2025, 1, 31, 13, 0, 5)) == "2025-01-31T13:00:05Z"  # SQLite gives naive UTC
    assert repository.parse_time("2025-01-31T14:00:05+01:00") == datetime(2025, 1, 31, 13, 0, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        repository.parse_time("2025-01-31T13:00:05")
