"""Database URL, engine and session set-up, and the cheap schema-version check.

One function, :func:`database_url`, decides which database is used, for the CLI and for
Alembic's ``env.py`` alike. :func:`make_engine` configures SQLite for a multi-process store:
foreign keys on, a busy timeout, and real transactions (the driver's implicit transaction
handling is switched off and ``BEGIN`` is emitted by SQLAlchemy; write transactions say
``BEGIN IMMEDIATE`` so two writers queue instead of failing midway). :func:`enable_wal`
switches a store to the WAL journal when it is created or migrated.

The schema version is read with one query of Alembic's ``alembic_version`` table and compared
with :data:`HEAD_REVISION`; Alembic itself is imported only to create or upgrade a schema
(``tests/test_migrations.py`` proves the constant equals the migration scripts' head).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "DEFAULT_URL",
    "HEAD_REVISION",
    "KNOWN_REVISIONS",
    "SQLITE_BUSY_TIMEOUT",
    "PoolOptions",
    "database_url",
    "enable_wal",
    "make_engine",
    "make_session_factory",
    "read_schema_revision",
    "schema_transaction",
    "write_engine",
]

DEFAULT_URL = "sqlite:///connectplan.db"
ENV_VAR = "CONNECTPLAN_DATABASE_URL"

#: The newest migration revision this code knows (``migrations/versions``).
HEAD_REVISION = "8b1f04c2e6d9"
#: Every revision this code knows, oldest first; a store at one of them but not the head is "behind".
KNOWN_REVISIONS: tuple[str, ...] = ("5d2c9e41a7b3", HEAD_REVISION)

#: Connections every worker of a server may open together (PostgreSQL's default max_connections is 100).
CONNECTION_BUDGET = 80

#: Seconds a SQLite connection waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT = 60.0

_IMMEDIATE = "connectplan_immediate"

#: PostgreSQL advisory-lock key that serialises schema changes ("connplan" in ASCII, a signed 64-bit number)
SCHEMA_LOCK_KEY = 0x636F6E6E706C616E


def database_url() -> str:
    """The store URL: ``$CONNECTPLAN_DATABASE_URL`` or ``sqlite:///connectplan.db`` in the working directory."""
    return os.environ.get(ENV_VAR) or DEFAULT_URL


@dataclass(frozen=True)
class PoolOptions:
    """The connection pool of one engine: ``size`` kept open, ``max_overflow`` more under load, and
    ``timeout`` seconds a request waits for a free connection before it fails (the web answers 503).

    Every pooled connection is pinged when checked out (``pool_pre_ping``), so connections a database
    restart killed are replaced instead of failing the first requests afterwards.

    >>> PoolOptions.for_workers(1), PoolOptions.for_workers(7).connections * 7
    (PoolOptions(size=5, max_overflow=10, timeout=10.0), 77)
    """

    size: int = 5
    max_overflow: int = 10
    timeout: float = 10.0

    @property
    def connections(self) -> int:
        """The most connections the pool opens."""
        return self.size + self.max_overflow

    @classmethod
    def for_workers(cls, workers: int, *, budget: int = CONNECTION_BUDGET) -> PoolOptions:
        """Defaults for ``workers`` processes sharing ``budget`` connections (PostgreSQL's default
        ``max_connections`` is 100; 20 are left for administration, migrations and the CLI)."""
        share = max(2, budget // max(1, workers))
        size = min(5, max(1, share // 2))
        return cls(size=size, max_overflow=min(10, share - size))


def make_engine(url: str | None = None, pool: PoolOptions | None = None) -> Engine:
    """An engine for ``url`` (default :func:`database_url`).

    SQLite: foreign keys on, :data:`SQLITE_BUSY_TIMEOUT`, SQLAlchemy-managed ``BEGIN`` (WAL is
    switched on once, by :func:`enable_wal`, when a store is created or migrated).
    Connections are pooled (SQLAlchemy's default pool for each backend, sized by ``pool``, each
    connection pinged on checkout); whoever makes the engine disposes of it (a
    :class:`~connectplan.workspace.Workspace` does on ``close()``),
    which closes every pooled connection.
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url or database_url())
    kwargs: dict[str, Any] = {}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    memory = is_sqlite and parsed.database in (None, "", ":memory:")
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    if memory:
        # one connection for the whole engine, or every checkout would see another empty database
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "check_same_thread": False}
    else:
        pool = pool or PoolOptions()
        kwargs.update(pool_size=pool.size, max_overflow=pool.max_overflow, pool_timeout=pool.timeout)
    db_engine = create_engine(parsed, pool_pre_ping=True, **kwargs)
    if is_sqlite:
        event.listen(db_engine, "connect", _sqlite_on_connect)
        event.listen(db_engine, "begin", _sqlite_on_begin)
    return db_engine


def write_engine(db_engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock up front (``BEGIN IMMEDIATE`` on SQLite)."""
    return db_engine.execution_options(**{_IMMEDIATE: True})


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin) instead of pysqlite's
    # "begin before the first DML" guesswork, which breaks read-then-write transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
    finally:
        cursor.close()


def enable_wal(db_engine: Engine) -> None:
    """Switch a SQLite database to the WAL journal (persistent in the file; a no-op elsewhere).

    Done when a store is created or migrated, never on a plain connect, so opening a database
    that is not a connectplan store does not change it.
    """
    if db_engine.dialect.name != "sqlite":
        return
    raw = db_engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        _retry_while_busy(lambda: driver.execute("PRAGMA journal_mode=WAL").fetchall())
    finally:
        raw.close()


def _retry_while_busy(statement: Callable[[], object]) -> None:
    """Run ``statement`` again while SQLite reports the database locked, up to :data:`SQLITE_BUSY_TIMEOUT`.

    Switching the journal mode reads the file, then needs its exclusive lock. When two processes
    do it at once (eight first uses of one new file, say), each holds the shared lock the other
    waits for; SQLite breaks that deadlock by failing one of them at once, without calling the
    busy handler. The loser's statement has ended and released its lock, so it may simply try
    again, after a short, growing, jittered pause; a lock still held at the deadline is raised.
    """
    import random
    import sqlite3
    import time

    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    pause = 0.002
    while True:
        try:
            statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause * (0.5 + random.random()))  # jittered, so the losers do not retry in step
        pause = min(pause * 2, 0.1)


def _sqlite_on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_IMMEDIATE) else "BEGIN")


@contextmanager
def schema_transaction(db_engine: Engine) -> Iterator[Connection]:
    """One transaction that holds the store's schema lock, for creating or migrating a schema.

    Whoever gets the lock first migrates; every other process waits for it (the same busy
    timeout as any writer), then finds the schema already there. SQLite: the file is switched
    to WAL first, then ``BEGIN IMMEDIATE`` takes the write lock before anything is read, and
    foreign keys are off while the transaction runs (batch migrations recreate tables that
    others reference, as Alembic's batch documentation advises); ``PRAGMA foreign_key_check``
    must find nothing before it commits. PostgreSQL: ``pg_advisory_xact_lock``, released when
    the transaction ends. Used by :func:`db.schema.migrate` and by Alembic's ``env.py``.
    """
    from connectplan.db.errors import SchemaError

    enable_wal(db_engine)
    sqlite = db_engine.dialect.name == "sqlite"
    with write_engine(db_engine).connect() as conn:
        if sqlite:  # outside any transaction, where the pragma takes effect
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                if db_engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                yield conn
                if sqlite and conn.execute(text("PRAGMA foreign_key_check")).first() is not None:
                    raise SchemaError.of("foreign_key_check")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def make_session_factory(db_engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own transactions (``with factory.begin() as session:``).

    The ORM is imported here, not with the module: the store's queries are plain SQL, so the
    command line never loads it.
    """
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(db_engine, expire_on_commit=False)


def read_schema_revision(conn: Connection) -> str | None:
    """The revision in ``alembic_version``, or ``None`` when the table does not exist (no schema yet).

    One query. Raises the driver's error (wrapped by SQLAlchemy) for anything other than a
    missing table, e.g. a server that cannot be reached. On PostgreSQL a missing table aborts
    the connection's transaction, so use a fresh connection after ``None``.
    """
    try:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError as exc:
        if _is_missing_table(exc):
            return None
        raise
    return None if row is None else str(row[0])


def _is_missing_table(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return "no such table" in message or ("does not exist" in message and "relation" in message)
