"""The `plan`, `db` and `catalog import/list` commands on SQLite and PostgreSQL (issue 3)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
import yaml
from conftest import tiny_doc
from sqlalchemy import text

from connectplan.cli import cli
from connectplan.db.session import HEAD_REVISION, make_engine


@pytest.fixture
def cp(runner, store_url):
    """Run `connectplan --db <store> ARGS...`."""

    def run(*args: str, db: str | None = None):
        return runner.invoke(cli, ["--db", db or store_url, *args])

    return run


def _ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def _fails_with_one_line(result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _user_flow(cp, tmp_path):
    _ok(
        cp(
            "plan",
            "new",
            "acme-marketplace",
            "--catalog",
            "stripe-connect@2025",
            "--preset",
            "marketplace",
            "-m",
            "first cut",
            "--author",
            "ann",
        )
    )
    _ok(
        cp(
            "plan",
            "set",
            "acme-marketplace",
            "--set",
            "charge_type=separate",
            "-m",
            "multi-seller carts",
            "--author",
            "bob",
        )
    )
    _ok(cp("plan", "tag", "acme-marketplace@2", "reviewed"))


def test_the_issue_walkthrough(cp, tmp_path):
    out = _ok(cp("plan", "new", "acme-marketplace", "--preset", "marketplace", "-m", "first cut", "--author", "ann"))
    # the newest edition is the default; the saved version's verdict is printed (issue 10 point 8)
    assert out == "saved acme-marketplace@1 (stripe-connect@2026-12)\nverdict: caution\n"
    # separate charges take their commission by transfer math (the Platform Pricing Tool can't price them)
    out = _ok(
        cp(
            "plan",
            "set",
            "acme-marketplace",
            "--set",
            "charge_type=separate",
            "--set",
            "fee_mechanism=transfer_math",
            "-m",
            "multi-seller carts",
        )
    )
    assert out == "saved acme-marketplace@2 (parent 1)\nverdict: caution (unchanged)\n"

    log = _ok(cp("plan", "log", "acme-marketplace")).splitlines()
    assert [line.split()[0] for line in log] == ["acme-marketplace@2", "acme-marketplace@1"]
    assert log[0].endswith("multi-seller carts") and log[1].endswith("first cut")

    diff = _ok(cp("plan", "diff", "acme-marketplace@1", "acme-marketplace@2"))
    assert (
        diff.splitlines()[0]
        == "acme-marketplace@1 (stripe-connect@2026-12) -> acme-marketplace@2 (stripe-connect@2026-12)"
    )
    assert "  charge_type: destination -> separate" in diff
    assert "  + separate_charges_and_transfers:" in diff
    assert "  - destination_charges:" in diff

    assert _ok(cp("plan", "tag", "acme-marketplace@2", "reviewed")) == "tagged acme-marketplace@2 as reviewed\n"
    doc = json.loads(_ok(cp("plan", "show", "acme-marketplace@reviewed", "--format", "json")))
    assert list(doc) == [
        "plan",
        "catalog",
        "selection",
        "verdict",
        "findings",
        "steps",
        "money_flows",
        "responsibilities",
        "open_decisions",
    ]
    assert doc["open_decisions"] == []  # the marketplace preset decides everything
    assert {k: doc["plan"][k] for k in ("name", "version", "parent", "message", "tags")} == {
        "name": "acme-marketplace",
        "version": 2,
        "parent": 1,
        "message": "multi-seller carts",
        "tags": ["reviewed"],
    }
    assert doc["selection"]["charge_type"] == "separate"

    assert (
        _ok(cp("plan", "fork", "acme-marketplace", "acme-whitelabel"))
        == "saved acme-whitelabel@1 (forked from acme-marketplace@2)\nverdict: caution (as acme-marketplace@2)\n"
    )
    export = tmp_path / "acme.json"
    _ok(cp("plan", "export", "acme-marketplace", "-o", str(export)))
    assert json.loads(export.read_text())["format_version"] == 2
    imported = _ok(cp("plan", "import", str(export), "--as", "acme-copy"))
    assert imported == "imported acme-copy (2 versions)\nverdict: caution\n"
    listing = _ok(cp("plan", "list")).splitlines()
    assert [line.split()[0] for line in listing] == ["acme-copy@2", "acme-marketplace@2", "acme-whitelabel@1"]


def test_plan_show_matches_resolve_for_the_same_selection(cp):
    _ok(cp("plan", "new", "acme", "--preset", "marketplace"))
    shown = json.loads(_ok(cp("plan", "show", "acme", "--format", "json")))
    resolved = json.loads(_ok(cp("resolve", "--preset", "marketplace", "--format", "json")))
    del shown["plan"]
    assert shown == resolved
    text_out = _ok(cp("plan", "show", "acme@1"))
    assert text_out.startswith("Plan:     acme@1\n")
    assert _ok(cp("resolve", "--preset", "marketplace")) in text_out
    md = _ok(cp("plan", "show", "acme", "--format", "markdown"))
    assert md.startswith("# Plan acme@1\n")


def test_plan_log_json(cp, tmp_path):
    _user_flow(cp, tmp_path)
    doc = json.loads(_ok(cp("plan", "log", "acme-marketplace", "--format", "json")))
    assert doc["plan"] == "acme-marketplace"
    assert [v["version"] for v in doc["versions"]] == [2, 1]
    assert list(doc["versions"][0]) == [
        "version",
        "parent",
        "created_at",
        "author",
        "catalog",
        "verdict",
        "message",
        "tags",
    ]
    assert (doc["versions"][0]["author"], doc["versions"][0]["tags"]) == ("bob", ["reviewed"])
    assert doc["versions"][1]["catalog"] == {"name": "stripe-connect", "edition": "2025", "revision": 3}


def test_plan_diff_json_and_identical(cp, tmp_path):
    _user_flow(cp, tmp_path)
    doc = json.loads(_ok(cp("plan", "diff", "acme-marketplace@1", "acme-marketplace@reviewed", "--format", "json")))
    assert list(doc)[:9] == [
        "from",
        "to",
        "selection",
        "renamed",
        "verdict",
        "findings",
        "steps",
        "money_flows",
        "responsibilities",
    ]
    catalog = {"name": "stripe-connect", "edition": "2025", "revision": 3}
    assert doc["from"] == {"ref": "acme-marketplace@1", "catalog": catalog}
    assert doc["to"]["ref"] == "acme-marketplace@2"
    assert doc["selection"] == {"charge_type": ["destination", "separate"]}
    same = _ok(cp("plan", "diff", "acme-marketplace@2", "acme-marketplace@reviewed"))
    assert "identical" in same
    md = _ok(cp("plan", "diff", "acme-marketplace@1", "acme-marketplace@2", "--format", "markdown"))
    assert "| `charge_type` | `destination` | `separate` |" in md


def test_plan_diff_lists_the_customer_charge_as_unchanged_when_only_the_charge_type_changed(cp, tmp_path):
    """Issue 13 acceptance: destination -> separate keeps the customer-to-platform charge (another flow id)."""
    _user_flow(cp, tmp_path)
    doc = json.loads(_ok(cp("plan", "diff", "acme-marketplace@1", "acme-marketplace@2", "--format", "json")))
    assert doc["selection"] == {"charge_type": ["destination", "separate"]}
    flows = doc["money_flows"]
    charge = [f for f in flows["unchanged"] if (f["from"], f["to"], f["kind"]) == ("customer", "platform", "charge")]
    assert charge == [
        {
            "from": "customer",
            "to": "platform",
            "kind": "charge",
            "ids": ["destination_charge", "separate_charge"],
            "what": ["Charge amount (A)", "Charge amount (A)"],
        }
    ]
    moved = {(f["from"], f["to"], f["kind"]) for status in ("added", "removed", "changed") for f in flows[status]}
    assert ("customer", "platform", "charge") not in moved
    text = _ok(cp("plan", "diff", "acme-marketplace@1", "acme-marketplace@2"))
    assert (
        "  = customer -> platform (charge): Charge amount (A) [id destination_charge -> separate_charge] (unchanged)"
        in text
    )
    assert "+ separate_charge:" not in text and "- destination_charge:" not in text


def test_same_input_same_bytes(cp, tmp_path):
    _user_flow(cp, tmp_path)
    for args in (
        ("plan", "show", "acme-marketplace", "--format", "json"),
        ("plan", "log", "acme-marketplace"),
        ("plan", "diff", "acme-marketplace@1", "acme-marketplace@2", "--format", "markdown"),
    ):
        assert cp(*args).stdout_bytes == cp(*args).stdout_bytes


def test_bad_input_exits_2_with_one_line_and_changes_nothing(cp, tmp_path, store_url):
    _user_flow(cp, tmp_path)
    before = _ok(cp("plan", "log", "acme-marketplace", "--format", "json"))
    _fails_with_one_line(cp("plan", "show", "nope"), "unknown plan 'nope'")
    _fails_with_one_line(cp("plan", "show", "acme-marketplace@9"), "unknown version acme-marketplace@9")
    _fails_with_one_line(cp("plan", "show", "acme-marketplace@nope"), "unknown version or tag 'nope'", "reviewed")
    _fails_with_one_line(
        cp("plan", "set", "acme-marketplace", "--set", "charge_type=zzz", "-m", "x"), "unknown option 'zzz'"
    )
    _fails_with_one_line(cp("plan", "set", "acme-marketplace", "--set", "charge_type", "-m", "x"), "malformed --set")
    _fails_with_one_line(cp("plan", "new", "acme-marketplace", "--preset", "saas"), "already exists")
    _fails_with_one_line(cp("plan", "tag", "acme-marketplace@1", "reviewed"), "already names acme-marketplace@2")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "connectplan-plan", "format_version": 1, "plan": {"name": "x"}}')
    _fails_with_one_line(cp("plan", "import", str(bad)), "malformed export file", "bad.json")
    bad.write_text("not json at all")
    _fails_with_one_line(cp("plan", "import", str(bad)), "not JSON")
    assert _ok(cp("plan", "log", "acme-marketplace", "--format", "json")) == before
    assert [line.split()[0] for line in _ok(cp("plan", "list")).splitlines()] == ["acme-marketplace@2"]


def test_unusable_databases_exit_2_with_one_line(runner, tmp_path, store_url):
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text\n")
    digest = hashlib.sha256(notes.read_bytes()).hexdigest()
    r = runner.invoke(cli, ["--db", f"sqlite:///{notes}", "plan", "list"])
    _fails_with_one_line(r, "is not a SQLite database")
    assert hashlib.sha256(notes.read_bytes()).hexdigest() == digest
    r = runner.invoke(cli, ["--db", f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", "resolve", "--preset", "saas"])
    _fails_with_one_line(r, "does not exist")
    r = runner.invoke(cli, ["--db", "nosuchdialect://x", "plan", "list"])
    _fails_with_one_line(r, "cannot use database URL")

    db_engine = make_engine(store_url)
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'abcdefabcdef'"))
    db_engine.dispose()
    for args in (("plan", "list"), ("resolve", "--preset", "saas"), ("db", "upgrade")):
        _fails_with_one_line(
            runner.invoke(cli, ["--db", store_url, *args]), "abcdefabcdef", "newer than this connectplan"
        )
    assert "unknown to this connectplan" in _ok(runner.invoke(cli, ["--db", store_url, "db", "current"]))


def test_db_upgrade_and_current(runner, empty_db_url, backend):
    current = _ok(runner.invoke(cli, ["--db", empty_db_url, "db", "current"]))
    assert "no " in current and "connectplan db upgrade" in current
    out = _ok(runner.invoke(cli, ["--db", empty_db_url, "db", "upgrade"]))
    assert out == f"schema upgraded from empty to {HEAD_REVISION} (head)\n"
    assert (
        _ok(runner.invoke(cli, ["--db", empty_db_url, "db", "upgrade"])) == f"schema already at head {HEAD_REVISION}\n"
    )
    assert _ok(runner.invoke(cli, ["--db", empty_db_url, "db", "current"])) == f"{HEAD_REVISION} (head)\n"


def test_catalog_import_and_list(cp, tmp_path):
    listing = _ok(cp("catalog", "list")).splitlines()
    assert [line.split()[0] for line in listing] == [
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
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_doc()))
    out = _ok(cp("catalog", "import", str(path)))
    assert out.startswith("tiny@1: imported: sha256:")
    assert "nothing changed" in _ok(cp("catalog", "import", str(path)))
    old_hash = out.strip().rsplit(" ", 1)[1]
    path.write_text(yaml.safe_dump(tiny_doc(title="Tiny v2 content")))
    line = _fails_with_one_line(cp("catalog", "import", str(path)), "tiny@1", old_hash, "immutable")
    assert line.count("sha256:") == 2
    doc = json.loads(_ok(cp("catalog", "list", "--format", "json")))
    assert [(c["name"], c["edition"], c["revision"]) for c in doc["catalogs"]] == [
        ("stripe-connect", "2024", 1),
        ("stripe-connect", "2024", 2),
        ("stripe-connect", "2024", 3),
        ("stripe-connect", "2025", 1),
        ("stripe-connect", "2025", 2),
        ("stripe-connect", "2025", 3),
        ("stripe-connect", "2026", 1),
        ("stripe-connect", "2026", 2),
        ("stripe-connect", "2026-12", 1),
        ("tiny", "1", 1),
    ]
    assert json.loads(_ok(cp("catalog", "show", "tiny@1", "--format", "json")))["title"] == "Tiny"


def test_resolve_and_plans_read_the_catalog_from_the_store(cp, tmp_path):
    _ok(cp("plan", "new", "acme", "--catalog", "stripe-connect@2026", "--preset", "marketplace"))
    # A newer edition imported into the store becomes the default for `resolve` and makes `acme` stale.
    doc = json.loads(_ok(cp("catalog", "show", "stripe-connect@2026", "--format", "json")))
    doc["edition"] = "2027"
    newer = tmp_path / "stripe-connect@2027.json"
    newer.write_text(json.dumps(doc))
    _ok(cp("catalog", "import", str(newer)))
    assert json.loads(_ok(cp("resolve", "--preset", "marketplace", "--format", "json")))["catalog"]["edition"] == "2027"
    stale = _ok(cp("plan", "list", "--stale"))
    assert stale.startswith("acme@1  stripe-connect@2026") and "stale: stripe-connect@2027 is newer" in stale
    assert json.loads(_ok(cp("plan", "show", "acme", "--format", "json")))["catalog"]["edition"] == "2026"
    _ok(cp("plan", "new", "fresh", "--preset", "marketplace"))
    assert [line.split()[0] for line in _ok(cp("plan", "list", "--stale")).splitlines()] == ["acme@1"]


@pytest.mark.postgres
def test_export_from_sqlite_import_into_postgres_and_back(runner, tmp_path, pg_cluster):
    sqlite_a = f"sqlite:///{tmp_path / 'a.db'}"
    sqlite_b = f"sqlite:///{tmp_path / 'b.db'}"
    pg_url = pg_cluster.new_store()  # at schema head with the built-in catalogs

    def run(db, *args):
        return _ok(runner.invoke(cli, ["--db", db, *args]))

    run(sqlite_a, "plan", "new", "acme", "--preset", "marketplace", "-m", "first cut", "--author", "ann")
    run(
        sqlite_a,
        "plan",
        "set",
        "acme",
        "--set",
        "charge_type=separate",
        "--set",
        "fee_mechanism=transfer_math",
        "-m",
        "multi-seller carts",
        "--author",
        "bob",
    )
    run(sqlite_a, "plan", "set", "acme", "--set", "liability=stripe", "-m", "let Stripe carry it", "--allow-blocked")
    run(sqlite_a, "plan", "tag", "acme@2", "reviewed")
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    run(sqlite_a, "plan", "export", "acme", "-o", str(one))
    run(pg_url, "plan", "import", str(one), "--allow-blocked")
    run(pg_url, "plan", "export", "acme", "-o", str(two))
    run(sqlite_b, "plan", "import", str(two), "--allow-blocked")
    assert one.read_text() == two.read_text()
    views = [
        ("plan", "log", "acme"),
        ("plan", "log", "acme", "--format", "json"),
        ("plan", "show", "acme"),
        ("plan", "show", "acme@reviewed", "--format", "json"),
        ("plan", "show", "acme@1", "--format", "markdown"),
        ("plan", "diff", "acme@1", "acme@3", "--format", "json"),
    ]
    for args in views:
        a, pg, b = run(sqlite_a, *args), run(pg_url, *args), run(sqlite_b, *args)
        assert a == pg == b, args


def test_sqlite_store_is_wal_with_foreign_keys(runner, tmp_path):
    path = tmp_path / "w.db"
    _ok(runner.invoke(cli, ["--db", f"sqlite:///{path}", "plan", "list"]))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"plan", "plan_version", "plan_tag", "catalog_edition", "catalog_node", "catalog_edge"} <= names
