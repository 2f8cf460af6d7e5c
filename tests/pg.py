"""pytest plugin: a throwaway PostgreSQL cluster, and fixtures that run a test on SQLite and PostgreSQL.

``pg_cluster`` (session scope) runs ``initdb`` in a temporary directory and starts
``postgres`` listening on a Unix socket only (no TCP), with fsync off; it is stopped and the
directory removed at the end of the session. PostgreSQL refuses to run as root, so as root
the server runs as the unprivileged ``postgres`` user the Debian package creates (through
``runuser``). Binaries are taken from ``/usr/lib/postgresql/*/bin`` (newest) or ``PATH``.

When the cluster cannot start, PostgreSQL tests are skipped with the reason, and the
terminal summary prints a loud warning with their number; when ``$CI`` is set they fail
instead, because CI must execute them.

``backend`` is parametrized over ``"sqlite"`` and ``"postgresql"`` (the latter marked
``postgres``). ``empty_db_url`` is an empty database of that backend; ``store_url`` a store
at schema head with the built-in catalogs imported. On PostgreSQL that store is a copy of one
template database the cluster upgrades once (``CREATE DATABASE ... TEMPLATE``: a tenth of a
second instead of the one to two seconds of migrating and importing every time); on SQLite it
is a copy of one template file (:func:`sqlite_store`), for the same reason. Tests of creating a
store start from ``empty_db_url``.

Under pytest-xdist every worker is its own session: it starts its own cluster (in its own
temporary directory, with its own socket) and names its databases after its process id.
"""

from __future__ import annotations

import functools
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

_not_run: list[str] = []
_counter = itertools.count(1)


def _bin_dir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@functools.cache
def _sqlite_template() -> Path:
    """A SQLite store at schema head with the built-in catalogs, made once per process (removed at exit)."""
    import atexit

    from connectplan.workspace import upgrade_store

    directory = Path(tempfile.mkdtemp(prefix="connectplan-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    template = directory / "store.db"
    upgrade_store(f"sqlite:///{template}")  # disposes of its engine: the WAL is checkpointed into the file
    return template


def sqlite_store(path: Path) -> str:
    """A SQLite store at schema head with the built-in catalogs, at ``path``: a copy of the process's template
    file (the copy is a few milliseconds; migrating and importing is 0.2 s)."""
    shutil.copyfile(_sqlite_template(), path)
    return f"sqlite:///{path}"


class PgCluster:
    """A running throwaway cluster; :meth:`new_database` hands out fresh, empty databases."""

    def __init__(self) -> None:
        bindir = _bin_dir()
        if bindir is None:
            raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or PATH")
        self.bindir = bindir
        self.as_user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user to run the server as") from None
            self.as_user = "postgres"
        self.root = Path(tempfile.mkdtemp(prefix="connectplan-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self.as_user:
            entry = pwd.getpwnam(self.as_user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o755)
        self.user = "connectplan"
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        options = (
            f"-c listen_addresses='' -k {self.root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        except RuntimeError as exc:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            self.remove()
            raise RuntimeError(f"{exc}\n{log}") from None
        self._admin_url = self.url("postgres")
        self._store_template: str | None = None

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root)
        if proc.returncode != 0:
            raise RuntimeError(f"{tool} failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-1500:]}")

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{dbname}?host={self.root}"

    def new_database(self, *, template: str | None = None) -> str:
        """Create a database (empty, or a copy of database ``template``); return its SQLAlchemy URL."""
        import psycopg

        name = f"cp_test_{os.getpid()}_{next(_counter)}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(host=str(self.root), user=self.user, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def new_store(self) -> str:
        """A new database at schema head with the built-in catalogs: a copy of this cluster's template store."""
        if self._store_template is None:
            from sqlalchemy.engine import make_url

            from connectplan.workspace import upgrade_store

            url = self.new_database()
            upgrade_store(url)  # disposes of its engine: nothing stays connected to the template
            self._store_template = make_url(url).database
        return self.new_database(template=self._store_template)

    def pause(self) -> None:
        """Stop the server (fast shutdown: every connection is ended), keeping its data; see :meth:`resume`."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def resume(self) -> None:
        """Start the server again after :meth:`pause`."""
        options = (
            f"-c listen_addresses='' -k {self.root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            self.remove()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's throwaway PostgreSQL cluster (skip, or fail under $CI, when it cannot start)."""
    try:
        cluster = PgCluster()
    except (RuntimeError, OSError) as exc:
        reason = f"PostgreSQL could not be started: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(reason)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend a test runs against."""
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of ``backend`` (a SQLite file that does not exist yet, or a new PostgreSQL database)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store at schema head with the built-in catalogs imported."""
    if backend == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        return cluster.new_store()
    return sqlite_store(tmp_path / "store.db")


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A new, empty PostgreSQL database (for tests that need PostgreSQL alongside SQLite)."""
    return pg_cluster.new_database()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "postgres" in report.keywords and report.when in ("setup", "call"):
        _not_run.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _not_run:
        return
    tr = terminalreporter
    tr.write_sep("!", f"{len(_not_run)} PostgreSQL TESTS DID NOT RUN", red=True, bold=True)
    tr.write_line(
        "The store, plan, migration and concurrency tests were NOT checked against PostgreSQL. "
        "Run `make test` as root (it installs Debian's postgresql package) or install PostgreSQL; "
        "with $CI set these tests fail instead of skipping.",
        red=True,
        bold=True,
    )
