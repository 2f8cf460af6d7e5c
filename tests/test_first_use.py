"""First use and store administration under concurrency (issue 10, points 3 and 9).

- Eight processes that start on a new SQLite file at once all succeed: the schema is created
  and the built-in catalogs imported once, under the write lock, and the others wait for it.
- Concurrent ``db upgrade`` runs on one PostgreSQL database queue on an advisory lock.
- ``alembic downgrade base`` works on a used store; ``db current`` then tells the truth and
  ``db upgrade`` works again.
- ``db upgrade`` adds no tables to a database that holds other tables unless
  ``--allow-foreign-tables``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from sqlalchemy import text

import connectplan.db.session
from connectplan import open_workspace
from connectplan.cli import cli
from connectplan.db.errors import SchemaError
from connectplan.db.session import HEAD_REVISION, enable_wal, make_engine
from tests.test_migrations import _tables

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 8
ROUNDS = 2
#: the built-in editions and revisions (2024 r1-r3, 2025 r1-r3, 2026 r1+r2, 2026-12 r1)
BUILTIN_ROWS = 9

# One helper process pays for the imports (the CLI, SQLAlchemy, networkx, Alembic, ...) and for
# parsing the built-in catalog files, and forks one child per command; each child waits on a pipe
# that the helper closes once all of them exist, so they open the store at the same moment rather
# than one after the other as they finish starting up. What the children race on is the store:
# its schema and the import of the catalogs' rows, which each child still does itself.
_TOGETHER = r"""
import json, os, sys, traceback
argvs, out_dir = json.loads(sys.argv[1]), sys.argv[2]
import connectplan.workspace
from connectplan.cli import main
from connectplan.catalog_files import builtin_loaders
import alembic.command, alembic.config, alembic.runtime.migration, alembic.script
for load in builtin_loaders().values():
    load()
go_r, go_w = os.pipe()
pids = []
for i, argv in enumerate(argvs):
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        for fd, suffix in ((1, "out"), (2, "err")):
            f = os.open(os.path.join(out_dir, f"{i}.{suffix}"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(f, fd)
            os.close(f)
        os.read(go_r, 1)  # end of file once the helper has forked every child and closed its end
        sys.argv = ["connectplan", *argv]
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    pids.append(pid)
os.close(go_r)
os.close(go_w)
print(json.dumps([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]))
"""


def _run_together(argvs: list[list[str]], out_dir: Path) -> list[tuple[int, str, str]]:
    """Run ``connectplan ARGV`` for each of ``argvs`` as separate processes started at the same moment."""
    out_dir.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", _TOGETHER, json.dumps(argvs), str(out_dir)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    codes = json.loads(proc.stdout)
    return [
        (code, (out_dir / f"{i}.out").read_text(), (out_dir / f"{i}.err").read_text()) for i, code in enumerate(codes)
    ]


@dataclass(frozen=True)
class _Run:
    returncode: int
    stdout: str
    stderr: str


def _cli(*argv: str) -> _Run:
    """``connectplan ARGV``, in this process (the concurrency tests above use separate processes)."""
    result = CliRunner().invoke(cli, list(argv), prog_name="connectplan")
    return _Run(result.exit_code, result.stdout, result.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("start", ["missing", "empty file"])
def test_eight_processes_on_a_new_sqlite_file_all_succeed(tmp_path: Path, start: str) -> None:
    for round_ in range(ROUNDS):
        path = tmp_path / f"new-{round_}.db"
        if start == "empty file":
            path.touch()
        url = f"sqlite:///{path}"
        argvs = [["--db", url, "plan", "new", f"p{i}", "--preset", "saas"] for i in range(PROCESSES)]
        results = _run_together(argvs, tmp_path / f"out-{round_}")
        failures = [(code, err.strip()) for code, _, err in results if code != 0]
        assert failures == [], f"round {round_}: {failures}"
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]
            assert conn.execute("SELECT COUNT(*) FROM catalog_edition").fetchone() == (BUILTIN_ROWS,)
            names = sorted(n for (n,) in conn.execute("SELECT name FROM plan"))
        assert names == sorted(f"p{i}" for i in range(PROCESSES))


def _hold_write_lock(path: Path, seconds: float) -> threading.Timer:
    """Another connection takes the file's write lock (rollback journal: RESERVED) and lets go after ``seconds``."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
        other.execute("COMMIT")
        other.close()

    timer = threading.Timer(seconds, release)
    timer.start()
    return timer


def test_the_journal_switch_waits_for_another_process_instead_of_failing(tmp_path: Path) -> None:
    # The race behind the 8-process test, made certain: the switch to WAL reads the file and then
    # needs its exclusive lock; SQLite fails it at once (no busy handler) when another connection
    # holds the write lock, which two first uses switching together do to each other.
    path = tmp_path / "new.db"
    path.touch()
    timer = _hold_write_lock(path, 0.5)
    db_engine = make_engine(f"sqlite:///{path}")
    try:
        began = time.monotonic()
        enable_wal(db_engine)
        assert time.monotonic() - began >= 0.4  # it waited for the lock rather than failing
    finally:
        timer.join()
        db_engine.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_lock_held_past_the_busy_timeout_on_first_use_is_the_projects_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connectplan.db.session, "SQLITE_BUSY_TIMEOUT", 0.2)
    path = tmp_path / "new.db"
    path.touch()
    timer = _hold_write_lock(path, 1.5)
    try:
        with pytest.raises(SchemaError, match="held the write lock past the busy timeout; retry"):
            open_workspace(f"sqlite:///{path}")
    finally:
        timer.join()
    with sqlite3.connect(path) as conn:  # nothing was created, not even the journal mode changed
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    with open_workspace(f"sqlite:///{path}") as ws:  # once the lock is free, first use works
        assert [c.name for c in ws.catalogs()] != []


def test_a_schema_made_by_another_process_between_two_reads_is_not_taken_for_foreign_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``db upgrade`` reads the revision, then the tables, before it takes the schema lock. Another
    process's first use can commit the schema between the two reads: the tables are then connectplan's,
    not foreign (this was a rare failure of the concurrent PostgreSQL upgrade below)."""
    import connectplan.db.schema as schema

    url = f"sqlite:///{tmp_path / 'store.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", url, "db", "upgrade"]).exit_code == 0  # "the other process"
    reads = []
    real = schema._revision

    def first_read_before_the_other_commit(*args: object) -> str | None:
        reads.append(args)
        return None if len(reads) == 1 else real(*args)

    monkeypatch.setattr(schema, "_revision", first_read_before_the_other_commit)
    result = runner.invoke(cli, ["--db", url, "db", "upgrade"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"schema already at head {HEAD_REVISION}\n"
    assert len(reads) == 2


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_db_upgrade_on_postgresql_serialises(pg_url: str, tmp_path: Path) -> None:
    results = _run_together([["--db", pg_url, "db", "upgrade"] for _ in range(PROCESSES)], tmp_path / "out")
    assert [(code, err) for code, _, err in results if code != 0] == []
    outputs = sorted(out for _, out, _ in results)
    assert outputs.count(f"schema upgraded from empty to {HEAD_REVISION} (head)\n") == 1
    assert outputs.count(f"schema already at head {HEAD_REVISION}\n") == PROCESSES - 1
    db_engine = make_engine(pg_url)
    try:
        with db_engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM catalog_edition")).scalar() == BUILTIN_ROWS
    finally:
        db_engine.dispose()


def _alembic(url: str, command_name: str, revision: str) -> _Run:
    """``alembic COMMAND REVISION`` from the repository root on ``url``, in this process (logging left alone).

    The subprocess form, ``alembic upgrade head`` on the CLI's URL, is tests/test_migrations.py's.
    """
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    try:
        getattr(command, command_name)(cfg, revision)
    except Exception as exc:  # the CLI would print it and exit 1
        return _Run(1, "", f"{type(exc).__name__}: {exc}")
    return _Run(0, "", "")


def test_downgrade_base_then_db_current_tells_the_truth_and_db_upgrade_works(empty_db_url: str) -> None:
    url = empty_db_url
    assert _cli("--db", url, "db", "upgrade").returncode == 0
    made = _cli("--db", url, "plan", "new", "acme", "--preset", "saas")
    assert made.returncode == 0, made.stderr
    down = _alembic(url, "downgrade", "base")
    assert down.returncode == 0, down.stderr[-2000:]

    current = _cli("--db", url, "db", "current")
    assert current.returncode == 0, current.stderr
    assert current.stdout == (
        "no connectplan schema (alembic_version is empty: the schema was downgraded to base); "
        "run `connectplan db upgrade`\n"
    )

    up = _cli("--db", url, "db", "upgrade")
    assert (up.returncode, up.stdout, up.stderr) == (0, f"schema upgraded from empty to {HEAD_REVISION} (head)\n", "")
    assert _cli("--db", url, "db", "current").stdout == f"{HEAD_REVISION} (head)\n"
    listed = _cli("--db", url, "plan", "list")
    assert (listed.returncode, listed.stdout) == (0, "no plans\n")
    again = _cli("--db", url, "plan", "new", "acme", "--preset", "saas")
    assert again.returncode == 0, again.stderr


def test_downgrade_one_step_keeps_every_revision_of_an_edition(empty_db_url: str) -> None:
    """The schema before revisions holds one row per edition: later revisions keep theirs as EDITION.rN."""
    url = empty_db_url
    assert _cli("--db", url, "db", "upgrade").returncode == 0
    made = _cli("--db", url, "plan", "new", "old", "--catalog", "stripe-connect@2025.r1", "--preset", "saas")
    assert made.returncode == 0, made.stderr
    assert (
        _cli("--db", url, "plan", "new", "new", "--catalog", "stripe-connect@2025", "--preset", "saas").returncode == 0
    )
    down = _alembic(url, "downgrade", "-1")
    assert down.returncode == 0, down.stderr[-2000:]
    db_engine = make_engine(url)
    try:
        with db_engine.connect() as conn:
            editions = sorted(conn.execute(text("SELECT edition FROM catalog_edition WHERE name = 'stripe-connect'")))
            pinned = dict(
                conn.execute(
                    text(
                        "SELECT p.name, e.edition FROM plan p JOIN plan_version v ON v.plan_id = p.id "
                        "JOIN catalog_edition e ON e.id = v.catalog_edition_id"
                    )
                ).all()
            )
    finally:
        db_engine.dispose()
    assert [e for (e,) in editions] == [
        "2024",
        "2024.r2",
        "2024.r3",
        "2025",
        "2025.r2",
        "2025.r3",
        "2026",
        "2026-12",
        "2026.r2",
    ]
    assert pinned == {"old": "2025", "new": "2025.r3"}


def test_db_upgrade_refuses_a_database_with_other_tables(empty_db_url: str) -> None:
    url = empty_db_url
    db_engine = make_engine(url)
    try:
        with db_engine.begin() as conn:
            conn.execute(text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner VARCHAR(40))"))
            conn.execute(text("INSERT INTO accounts (id, owner) VALUES (1, 'someone else')"))
    finally:
        db_engine.dispose()

    current = _cli("--db", url, "db", "current")
    assert current.returncode == 0
    assert "other tables (accounts)" in current.stdout and "--allow-foreign-tables" in current.stdout

    refused = _cli("--db", url, "db", "upgrade")
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert "accounts" in refused.stderr and "--allow-foreign-tables" in refused.stderr
    assert _tables(url) == {"accounts"}  # nothing added

    plain = _cli("--db", url, "plan", "list")  # first use does not adopt the database either
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert _tables(url) == {"accounts"}

    allowed = _cli("--db", url, "db", "upgrade", "--allow-foreign-tables")
    assert allowed.returncode == 0, allowed.stderr
    assert {"accounts", "alembic_version", "plan", "catalog_edition"} <= _tables(url)
    assert _cli("--db", url, "plan", "new", "acme", "--preset", "saas").returncode == 0
    db_engine = make_engine(url)
    try:
        with db_engine.connect() as conn:
            assert conn.execute(text("SELECT owner FROM accounts")).all() == [("someone else",)]
    finally:
        db_engine.dispose()
