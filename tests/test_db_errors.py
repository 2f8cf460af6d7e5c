"""Database failures after the store is open (issue 10, point 2), and the no-traceback rule.

Each failure is one line naming the store and what to do, exit 2; the Python API raises
:class:`db.errors.DatabaseError` (a :class:`db.errors.StoreError`), never a driver's exception.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from connectplan.cli import cli
from connectplan.db.errors import DatabaseError, StoreError
from connectplan.errors import USER_ERRORS
from connectplan.store_words import worded
from connectplan.workspace import open_workspace

IS_ROOT = os.geteuid() == 0
ROOT = Path(__file__).resolve().parent.parent


def _one_line(result, *needles, code=3):
    """One line on stderr and exit ``code``: 3 for a store that is unavailable (issue 18's exit-code table)."""
    assert result.exit_code == code, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _new_store(path: Path) -> str:
    url = f"sqlite:///{path}"
    with open_workspace(url) as ws:
        ws.new_plan("acme", preset="saas", message="first")
    return url


def _mount_tmpfs(directory: Path, options: str) -> None:
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


def test_database_error_is_a_store_error_and_a_user_error():
    assert issubclass(DatabaseError, StoreError)
    assert issubclass(DatabaseError, USER_ERRORS)
    err = DatabaseError.of_failure("sqlite:///x.db", "disk_full", "database or disk is full", "set_plan")
    # the repository's error holds facts, no words; the app writes them
    assert err.problem == "database_failed" and err.failure == "disk_full" and err.facts["operation"] == "set_plan"
    assert "free some space" not in str(err)
    assert str(worded(err)) == "store sqlite:///x.db: the disk is full; free some space and retry (nothing was saved)"


def test_write_lock_held_past_the_busy_timeout(runner, tmp_path, monkeypatch):
    url = _new_store(tmp_path / "plans.db")
    import connectplan.db.session

    monkeypatch.setattr(connectplan.db.session, "SQLITE_BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(tmp_path / "plans.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # the save reads and checks its policy before it asks for the write lock (WAL lets it read), so
        # a save the policy would refuse never waits for the lock: this one is allowed
        args = ["--db", url, "plan", "set", "acme", "--set", "liability=platform", "-m", "x", "--allow-blocked"]
        result = runner.invoke(cli, args)
        _one_line(result, "plans.db", "write lock", "busy timeout", "retry")
        with open_workspace(url) as ws, pytest.raises(DatabaseError, match="write lock"):
            ws.set_plan("acme", {"liability": "platform"}, message="x", allow_blocked=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with open_workspace(url) as ws:
        assert [e.record.version for e in ws.log("acme")] == [1]


def test_disk_full_during_a_save(runner, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    _mount_tmpfs(small, "size=2m")
    try:
        url = _new_store(small / "plans.db")
        filler = small / "filler"
        with filler.open("wb") as handle:  # take every free block
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        result = None
        for i in range(50):  # the first saves may fit in pages SQLite already has
            result = runner.invoke(
                cli,
                [
                    "--db",
                    url,
                    "plan",
                    "set",
                    "acme",
                    "--set",
                    f"liability={'stripe' if i % 2 else 'platform'}",  # the saas preset has stripe
                    "--allow-blocked",  # the saas preset's pricing with platform liability is blocked
                    "-m",
                    "x" * 2000,
                ],
            )
            if result.exit_code != 0:
                break
        _one_line(result, "plans.db", "the disk is full", "free some space")
        filler.unlink()
        check = sqlite3.connect(small / "plans.db")
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        check.close()
        assert runner.invoke(cli, ["--db", url, "plan", "log", "acme"]).exit_code == 0
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_read_only_database(runner, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    _mount_tmpfs(ro, "size=8m")
    try:
        url = _new_store(ro / "plans.db")
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        result = runner.invoke(cli, ["--db", url, "plan", "set", "acme", "--set", "liability=platform", "-m", "x"])
        line = _one_line(result, "plans.db")
        assert "read-only" in line or "cannot be opened" in line or "cannot use store" in line, line
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)


def test_a_server_gone_mid_command_is_one_line(runner, tmp_path, monkeypatch):
    """A driver error after the store opened (here: every new connection fails) becomes DatabaseError."""
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import OperationalError

    import connectplan.workspace

    url = _new_store(tmp_path / "plans.db")

    def gone(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    real_open = connectplan.workspace.open_workspace

    def open_then_lose_the_server(*args, **kwargs):
        ws = real_open(*args, **kwargs)
        ws.store.db_engine.dispose()
        monkeypatch.setattr(Engine, "connect", gone)
        return ws

    api = real_open(url)
    monkeypatch.setattr(connectplan.workspace, "open_workspace", open_then_lose_the_server)
    result = runner.invoke(cli, ["--db", url, "plan", "show", "acme"])
    _one_line(result, "plans.db", "PostgreSQL server went away", "retry")
    api.store.db_engine.dispose()
    with pytest.raises(DatabaseError, match="went away"):
        api.plan("acme")
    api.close()


# ---------------------------------------------------------------------------
# no traceback unless asked


def _boom(*args, **kwargs):
    raise RuntimeError("unexpected")


def test_an_unexpected_error_is_one_line_exit_2(runner, monkeypatch):
    import connectplan.workspace

    monkeypatch.setattr(connectplan.workspace.Workspace, "resolve", _boom)
    result = runner.invoke(cli, ["resolve", "--preset", "saas"])
    line = _one_line(result, "internal error: RuntimeError: unexpected", "--debug", "CONNECTPLAN_DEBUG=1", code=2)
    assert line.startswith("Error: internal error")


def test_debug_flag_lets_the_exception_through(runner, monkeypatch):
    import connectplan.workspace

    monkeypatch.setattr(connectplan.workspace.Workspace, "resolve", _boom)
    result = runner.invoke(cli, ["--debug", "resolve", "--preset", "saas"])
    assert isinstance(result.exception, RuntimeError)


def test_connectplan_debug_prints_the_traceback(tmp_path):
    code = (
        "import connectplan.workspace as w, sys\n"
        "def boom(*a, **k): raise RuntimeError('unexpected')\n"
        "w.Workspace.resolve = boom\n"
        "from connectplan.cli import main\n"
        "sys.argv = ['connectplan', '--db', sys.argv[1], 'resolve', '--preset', 'saas']\n"
        "main()\n"
    )
    url = f"sqlite:///{tmp_path / 'p.db'}"
    quiet = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, cwd=ROOT)
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    loud = subprocess.run(
        [sys.executable, "-c", code, url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "CONNECTPLAN_DEBUG": "1"},
    )
    assert "Traceback" in loud.stderr and "RuntimeError: unexpected" in loud.stderr


def test_the_repository_raises_facts_and_the_workspace_writes_the_words(tmp_path):
    """Issue 18, point 8: ``db`` says what went wrong as a problem code and facts; the app words it."""
    from connectplan.db.errors import SchemaError
    from connectplan.db.schema import open_database, store_url

    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n", encoding="utf-8")
    with pytest.raises(SchemaError) as raw:
        open_database(f"sqlite:///{notes}")
    assert raw.value.problem == "not_sqlite" and raw.value.facts == {"path": str(notes)}
    assert "--db" not in str(raw.value)  # no edge's words in the repository
    with pytest.raises(SchemaError) as through:
        open_workspace(f"sqlite:///{notes}")
    assert str(through.value) == f"{notes} is not a SQLite database (not a connectplan store); pass another --db"
    with pytest.raises(SchemaError) as raw_url:
        store_url("")
    assert raw_url.value.problem == "url_empty" and raw_url.value.kind == "invalid_input"
    with pytest.raises(SchemaError) as driver:
        open_workspace("nosuchdb://host/plans")
    assert driver.value.problem == "url_driver" and driver.value.facts["driver"] == "nosuchdb"
    assert str(driver.value).startswith("cannot use database URL 'nosuchdb://host/plans': ")
