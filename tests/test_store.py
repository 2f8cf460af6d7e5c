"""connectplan.store on SQLite and PostgreSQL: catalogs, plans, refs, export/import, schema checks (issue 3)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import tiny_doc
from sqlalchemy import text

from connectplan.catalog_files import builtin_loaders, load_builtin
from connectplan.db import schema as store_mod
from connectplan.db.errors import ConflictError, EditionConflictError, NotFoundError, SchemaError, StoreError
from connectplan.db.session import HEAD_REVISION, make_engine
from connectplan.engine import SelectionError, catalog_from_dict, resolve
from connectplan.errors import AppError
from connectplan.exchange import read_export_file
from connectplan.output.documents import to_document
from connectplan.save_policy import SaveOptions
from connectplan.workspace import open_workspace, upgrade_store
from connectplan.workspace import store_status as schema_status

MARKETPLACE_2025 = {
    "onboarding": "embedded",
    "dashboard": "express",
    "charge_type": "destination",
    "fee_payer": "platform",
    "liability": "platform",
}


@pytest.fixture
def store(store_url):
    with open_workspace(store_url) as ws:
        yield ws


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plan_count(store) -> int:
    with store.store.db_engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM plan")).scalar()


def _version_count(store) -> int:
    with store.store.db_engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM plan_version")).scalar()


# -- opening and schema -----------------------------------------------------------------


def test_a_new_sqlite_store_is_created_migrated_and_filled_on_first_use(tmp_path):
    path = tmp_path / "fresh.db"
    with open_workspace(f"sqlite:///{path}") as s:
        assert path.exists()
        assert [e.revision_ref for e in s.catalogs()] == [
            "stripe-connect@2024.r1",
            "stripe-connect@2024.r2",
            "stripe-connect@2024.r3",
            "stripe-connect@2025.r1",
            "stripe-connect@2025.r2",
            "stripe-connect@2025.r3",
            "stripe-connect@2026.r1",
            "stripe-connect@2026.r2",
            "stripe-connect@2026-12.r1",
        ]
    assert schema_status(f"sqlite:///{path}")[0] == "current"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_builtin_editions_are_imported_once(store, store_url):
    with open_workspace(store_url) as again:
        assert [e.revision_ref for e in again.catalogs()] == [
            "stripe-connect@2024.r1",
            "stripe-connect@2024.r2",
            "stripe-connect@2024.r3",
            "stripe-connect@2025.r1",
            "stripe-connect@2025.r2",
            "stripe-connect@2025.r3",
            "stripe-connect@2026.r1",
            "stripe-connect@2026.r2",
            "stripe-connect@2026-12.r1",
        ]
        assert again.store.ensure_builtins(builtin_loaders()) == []


def test_stored_catalogs_equal_the_shipped_files(store):
    for ref in ("stripe-connect@2024", "stripe-connect@2025", "stripe-connect@2026", "stripe-connect@2026-12"):
        from_store = store.catalog(ref)
        from_file = load_builtin(f"{ref}.yaml")
        assert from_store.content_hash == from_file.content_hash
    assert store.catalog(None).ref == "stripe-connect@2026-12"  # bare default: newest edition
    assert store.catalog("stripe-connect").ref == "stripe-connect@2026-12"


def test_unknown_catalog_and_edition(store):
    with pytest.raises(NotFoundError, match=r"unknown catalog 'nope'.*stripe-connect@2024"):
        store.catalog("nope")
    with pytest.raises(NotFoundError, match="unknown edition '1999' of stripe-connect; editions: 2024, 2025, 2026"):
        store.catalog("stripe-connect@1999")


def test_an_empty_postgres_or_foreign_database_asks_for_db_upgrade(empty_db_url, backend):
    if backend == "sqlite":  # a brand-new SQLite file is created instead; an existing non-store file is refused
        path = Path(empty_db_url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE other (x INTEGER)")
        before = _sha(path)
        with pytest.raises(SchemaError, match="not a connectplan store"):
            open_workspace(empty_db_url)
        assert _sha(path) == before
        return
    with pytest.raises(SchemaError, match="run `connectplan db upgrade` first"):
        open_workspace(empty_db_url)
    assert upgrade_store(empty_db_url) == (None, HEAD_REVISION)
    with open_workspace(empty_db_url) as ws:
        assert [e.revision_ref for e in ws.catalogs()] == [
            "stripe-connect@2024.r1",
            "stripe-connect@2024.r2",
            "stripe-connect@2024.r3",
            "stripe-connect@2025.r1",
            "stripe-connect@2025.r2",
            "stripe-connect@2025.r3",
            "stripe-connect@2026.r1",
            "stripe-connect@2026.r2",
            "stripe-connect@2026-12.r1",
        ]


def test_a_store_from_a_newer_schema_is_refused_and_left_alone(store_url, backend):
    db_engine = make_engine(store_url)
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    db_engine.dispose()
    with pytest.raises(SchemaError, match="revision ffffffffffff, newer than this connectplan"):
        open_workspace(store_url)
    with pytest.raises(SchemaError, match="newer than this connectplan"):
        upgrade_store(store_url)
    assert schema_status(store_url)[0] == "ahead"
    db_engine = make_engine(store_url)
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "ffffffffffff"
    db_engine.dispose()


def test_a_store_behind_the_code_says_to_upgrade(store_url, monkeypatch, backend):
    # Pretend this code has one more migration than the store: the store is then "behind".
    monkeypatch.setattr(store_mod, "HEAD_REVISION", "f" * 12)
    monkeypatch.setattr(store_mod, "KNOWN_REVISIONS", (HEAD_REVISION, "f" * 12))
    assert schema_status(store_url)[0] == "behind"
    if backend == "sqlite":
        return  # the embedded store migrates itself: test_an_older_sqlite_store_is_migrated_on_open
    with pytest.raises(SchemaError, match=f"revision {HEAD_REVISION}, behind .*run `connectplan db upgrade`"):
        open_workspace(store_url)


def test_an_older_sqlite_store_is_migrated_on_open(tmp_path):
    from connectplan.db.schema import migrate
    from connectplan.db.session import KNOWN_REVISIONS, make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db_engine = make_engine(url)
    migrate(db_engine, KNOWN_REVISIONS[0])  # the schema of the first release
    db_engine.dispose()
    assert schema_status(url)[0] == "behind"
    with open_workspace(url) as ws:
        assert "stripe-connect@2024.r2" in [e.revision_ref for e in ws.catalogs()]
    assert schema_status(url)[0] == "current"


def test_a_file_that_is_not_a_database_is_not_touched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    before = _sha(path)
    with pytest.raises(SchemaError, match="is not a SQLite database"):
        open_workspace(f"sqlite:///{path}")
    with pytest.raises(SchemaError, match="is not a SQLite database"):
        upgrade_store(f"sqlite:///{path}")
    assert _sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_a_missing_database_directory_is_reported(tmp_path):
    with pytest.raises(SchemaError, match=r"directory .*missing-dir does not exist"):
        open_workspace(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    assert not (tmp_path / "missing-dir").exists()


def test_schema_status_of_a_missing_file_creates_nothing(tmp_path):
    state, rev, _message = schema_status(f"sqlite:///{tmp_path / 'none.db'}")
    assert (state, rev) == ("missing", None)
    assert not (tmp_path / "none.db").exists()


# -- catalogs ------------------------------------------------------------------------------


def test_catalog_import_is_immutable(store, tiny):
    info, created = store.import_catalog(tiny)
    assert created and info.ref == "tiny@1" and info.content_hash == tiny.content_hash
    again, created_again = store.import_catalog(catalog_from_dict(tiny_doc()))
    assert not created_again and again == info
    changed = catalog_from_dict(tiny_doc(title="Changed"))
    with pytest.raises(EditionConflictError) as err:
        store.import_catalog(changed)
    assert tiny.content_hash in str(err.value) and changed.content_hash in str(err.value)
    assert store.catalog("tiny@1").content_hash == tiny.content_hash


# -- plans ----------------------------------------------------------------------------------


def test_new_set_and_load_by_every_ref_form(store, monkeypatch):
    monkeypatch.setenv("USER", "ann")
    v1 = store.new_plan("acme", catalog="stripe-connect@2025", preset="marketplace", message="first cut")
    assert (v1.ref, v1.parent, v1.author, v1.catalog_ref) == ("acme@1", None, "ann", "stripe-connect@2025")
    assert dict(v1.selection) == MARKETPLACE_2025
    v2 = store.set_plan("acme", {"charge_type": "separate"}, message="multi-seller carts", author="bob")
    assert (v2.ref, v2.parent, v2.author, v2.message) == ("acme@2", 1, "bob", "multi-seller carts")
    store.tag("acme@1", "reviewed")
    for ref, number in (("acme", 2), ("acme@latest", 2), ("acme@1", 1), ("acme@2", 2), ("acme@reviewed", 1)):
        record, res = store.plan(ref)
        assert record.version == number, ref
    record, res = store.plan("acme@reviewed")
    assert record.tags == ("reviewed",)
    assert res.selection_dict == MARKETPLACE_2025
    assert res.verdict == resolve(load_builtin("stripe-connect@2025.yaml"), MARKETPLACE_2025).verdict
    assert record.created_at.endswith("Z") and record.created_at[10] == "T"


def test_log_is_newest_first_with_resolutions(store):
    store.new_plan("acme", preset="marketplace")
    store.set_plan("acme", {"charge_type": "separate", "fee_mechanism": "transfer_math"}, message="two")
    store.set_plan("acme", {"liability": "stripe"}, message="three", allow_blocked=True)
    entries = store.log("acme")
    assert [(r.version, r.parent, r.message) for r, _ in entries] == [
        (3, 2, "three"),
        (2, 1, "two"),
        (1, None, "new plan from preset marketplace"),
    ]
    assert dict(entries[0].record.selection)["liability"] == "stripe"
    assert dict(entries[0].record.selection)["charge_type"] == "separate"
    assert [e.verdict for e in entries] == [store.plan(f"acme@{n}").resolution.verdict for n in (3, 2, 1)]


def test_bad_refs_name_the_problem_and_change_nothing(store):
    store.new_plan("acme", preset="marketplace")
    store.tag("acme@1", "good")
    cases = [
        ("nope", NotFoundError, "unknown plan 'nope'; plans: acme"),
        ("acme@7", NotFoundError, "unknown version acme@7; acme has versions 1..1"),
        ("acme@bad", NotFoundError, "unknown version or tag 'bad' of acme; versions 1..1, tags: good"),
        ("acme@", AppError, "malformed plan reference"),  # issue 18: refs parse without the store
        ("bad name", AppError, "invalid plan name"),
    ]
    for ref, exc, message in cases:
        with pytest.raises(exc, match=message.replace(".", r"\.").replace("(", r"\(")):
            store.plan(ref)
    with pytest.raises(NotFoundError):
        store.set_plan("nope", {"liability": "stripe"}, message="x")
    with pytest.raises(NotFoundError):
        store.tag("acme@9", "t")
    assert _version_count(store) == 1


def test_plan_new_refuses_a_taken_name_and_bad_selections(store):
    store.new_plan("acme", preset="marketplace")
    with pytest.raises(ConflictError, match="plan 'acme' already exists"):
        store.new_plan("acme", preset="saas")
    with pytest.raises(SelectionError, match="no option selected"):
        store.new_plan("partial", set={"onboarding": "hosted"})
    with pytest.raises(SelectionError, match="unknown option 'bogus'"):
        store.set_plan("acme", {"charge_type": "bogus"}, message="x")
    with pytest.raises(StoreError, match="nothing changed"):
        store.set_plan("acme", {"charge_type": "destination"}, message="x")
    assert (_plan_count(store), _version_count(store)) == (1, 1)


def test_a_plan_keeps_resolving_against_its_own_edition(store):
    store.new_plan("old", catalog="stripe-connect@2024", preset="marketplace")
    store.set_plan("old", {"liability": "stripe"}, message="x", allow_blocked=True)
    record, res = store.plan("old")
    assert record.catalog_ref == "stripe-connect@2024"
    assert res.catalog.content_hash == load_builtin("stripe-connect@2024.yaml").content_hash
    store.new_plan("new", preset="marketplace")
    assert [p.name for p in store.plans(stale_only=True)] == ["old"]
    assert [(p.name, p.stale) for p in store.plans()] == [("new", False), ("old", True)]
    assert store.plans()[1].newest_edition == "2026-12"


def test_tags_move_only_with_force(store):
    store.new_plan("acme", preset="marketplace")
    store.set_plan("acme", {"liability": "stripe"}, message="x", allow_blocked=True)
    store.tag("acme@1", "reviewed")
    store.tag("acme@1", "reviewed")  # same version again: no-op
    with pytest.raises(ConflictError, match="tag 'reviewed' already names acme@1; pass --force"):
        store.tag("acme@2", "reviewed")
    assert store.tag("acme@2", "reviewed", force=True).version == 2
    assert store.version("acme@reviewed").version == 2
    for bad in ("latest", "12", "-x"):
        with pytest.raises(AppError, match="invalid tag"):
            store.tag("acme", bad)


def test_fork_copies_the_selection_and_edition(store):
    store.new_plan("acme", catalog="stripe-connect@2024", preset="marketplace")
    store.set_plan("acme", {"liability": "stripe"}, message="x", allow_blocked=True)
    fork = store.fork("acme@1", "acme-wl")
    assert (fork.ref, fork.forked_from, fork.message, fork.catalog_ref) == (
        "acme-wl@1",
        "acme@1",
        "forked from acme@1",
        "stripe-connect@2024",
    )
    assert fork.selection == store.version("acme@1").selection
    with pytest.raises(ConflictError):
        store.fork("acme", "acme-wl")


# -- concurrency, simulated deterministically -------------------------------------------------


def _stale_first_read(monkeypatch):
    """Make the first latest-version read of a save return the version before the latest (a lost race)."""
    from connectplan.db import plan_rows

    real = plan_rows.plan_with_latest
    calls = {"n": 0}

    def stale(conn, name):
        calls["n"] += 1
        found = real(conn, name)
        if calls["n"] == 1 and found is not None and found[1].number > 1:
            plan, latest = found
            return plan, plan_rows.version_by_number(conn, plan.id, latest.number - 1)
        return found

    monkeypatch.setattr(plan_rows, "plan_with_latest", stale)
    return calls


def test_a_save_that_loses_the_race_reapplies_a_change_to_other_properties(store, monkeypatch):
    store.new_plan("acme", preset="marketplace")
    store.set_plan("acme", {"liability": "stripe"}, message="got in first", allow_blocked=True)
    calls = _stale_first_read(monkeypatch)
    record = store.set_plan("acme", {"charge_type": "separate"}, message="mine", allow_blocked=True)
    assert calls["n"] >= 2  # it really retried
    assert (record.version, record.parent) == (3, 2)
    assert dict(record.selection)["liability"] == "stripe"
    assert dict(record.selection)["charge_type"] == "separate"


def test_a_save_that_loses_the_race_on_the_same_property_fails_naming_it(store, monkeypatch):
    store.new_plan("acme", preset="marketplace")
    store.set_plan("acme", {"charge_type": "direct"}, message="got in first")
    _stale_first_read(monkeypatch)
    with pytest.raises(ConflictError, match="conflict: charge_type was changed by acme@2, which was saved first"):
        store.set_plan("acme", {"charge_type": "separate"}, message="mine", allow_blocked=True)
    assert _version_count(store) == 2


def test_save_version_refuses_a_stale_base(store):
    store.new_plan("acme", preset="marketplace")
    store.set_plan("acme", {"liability": "stripe"}, message="x", allow_blocked=True)
    with pytest.raises(ConflictError, match="acme@2 was saved after acme@1"):
        store.store.save_version(
            "acme",
            base=1,
            catalog_ref="stripe-connect@2024",
            selection=MARKETPLACE_2025,
            options=SaveOptions(message="up"),
        )
    saved = store.store.save_version(
        "acme",
        base=2,
        catalog_ref="stripe-connect@2024",
        selection=MARKETPLACE_2025,
        options=SaveOptions(message="pin 2024"),
    )
    assert (saved.version, saved.parent, saved.catalog_ref) == (3, 2, "stripe-connect@2024")


# -- export / import ----------------------------------------------------------------------


def _history(store, name):
    return [
        (r.version, r.parent, r.message, r.author, r.created_at, r.tags, r.catalog_ref, r.content_hash, r.selection)
        for r, _ in store.log(name)
    ]


def test_export_import_reproduces_the_history(store):
    store.new_plan("acme", catalog="stripe-connect@2025", preset="marketplace", author="ann")
    store.set_plan("acme", {"charge_type": "separate"}, message="two", author="bob")
    store.tag("acme@2", "reviewed")
    doc = to_document(store.export_plan("acme"))
    assert doc["format"] == "connectplan-plan" and doc["format_version"] == 2
    assert [v["version"] for v in doc["versions"]] == [1, 2]
    assert doc["versions"][1]["catalog"]["content_hash"] == load_builtin("stripe-connect@2025.yaml").content_hash
    assert doc["versions"][1]["tags"] == ["reviewed"]
    store.import_plan(json.loads(json.dumps(doc)), as_name="copy")
    assert _history(store, "copy") == _history(store, "acme")
    partial = to_document(store.export_plan("acme@1"))
    assert [v["version"] for v in partial["versions"]] == [1]


def test_import_refusals_store_nothing(store, tmp_path, tiny):
    store.new_plan("acme", preset="marketplace")
    good = to_document(store.export_plan("acme"))
    before = (_plan_count(store), _version_count(store))

    def variant(**changes):
        doc = json.loads(json.dumps(good))
        for path, value in changes.items():
            target = doc
            keys = path.split("__")
            for key in keys[:-1]:
                target = target[int(key)] if key.isdigit() else target[key]
            target[keys[-1]] = value
        return doc

    with pytest.raises(ConflictError, match="plan 'acme' already exists"):
        store.import_plan(good)
    bad_docs = {
        "format_version": variant(format_version=99),
        "'format'": variant(format="something-else"),
        "versions": variant(versions=[]),
        "versions\\[0\\].version must be 1": variant(versions__0__version=2),
        "selection must be an object": variant(versions__0__selection=["x"]),
        "created_at must be an ISO 8601 time": variant(versions__0__created_at="yesterday"),
    }
    for message, doc in bad_docs.items():
        with pytest.raises(StoreError, match=message):
            store.import_plan(doc, as_name="x")
    with pytest.raises(NotFoundError, match=r"catalog edition stripe-connect@2031 .* is not in this store"):
        store.import_plan(
            variant(versions__0__catalog={**good["versions"][0]["catalog"], "edition": "2031"}), as_name="x"
        )
    with pytest.raises(EditionConflictError, match="sha256:0000"):
        store.import_plan(
            variant(versions__0__catalog={**good["versions"][0]["catalog"], "content_hash": "sha256:0000"}), as_name="x"
        )
    with pytest.raises(StoreError, match="unknown option 'nope'"):
        store.import_plan(variant(versions__0__selection={**MARKETPLACE_2025, "liability": "nope"}), as_name="x")
    assert (_plan_count(store), _version_count(store)) == before


def test_read_export_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(StoreError, match=r"malformed export file .*bad.json: not JSON"):
        read_export_file(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(StoreError, match="expected a JSON object"):
        read_export_file(bad)
    with pytest.raises(StoreError, match="no such export file"):
        read_export_file(tmp_path / "missing.json")
