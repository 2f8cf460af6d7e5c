"""The store's schema lifecycle: open, inspect, create and migrate a database.

Everything that decides whether a database can be used as a connectplan store lives here:
the SQLite header check (a foreign file is never touched), the mapping of connection errors
to one line, the cheap schema-revision check of every command, and the Alembic calls that
create or upgrade a schema. Alembic itself is imported only to create or upgrade.

``open_database(url) -> (Engine, list[EditionRow] | None)``
    An engine on a store at schema head (a new SQLite file is created and migrated), and the
    edition list read with the schema check when the store already existed.
``schema_status(url)`` / ``upgrade_database(url)``
    What ``connectplan db current`` and ``connectplan db upgrade`` run.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy.exc import DBAPIError

from connectplan.db import graph_store
from connectplan.db.errors import DatabaseError, SchemaError, classify_failure, failure_kind
from connectplan.db.session import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    PoolOptions,
    make_engine,
    read_schema_revision,
    schema_transaction,
)
from connectplan.engine.errors import UNAVAILABLE

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from connectplan.db.records import EditionRow

__all__ = [
    "MIGRATIONS_DIR",
    "SchemaStatus",
    "current_revision",
    "database_error",
    "display_url",
    "foreign_tables",
    "migrate",
    "open_database",
    "schema_status",
    "store_url",
    "upgrade_database",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def store_url(value: str) -> str:
    """The database URL for what a user typed: a plain path means that SQLite file.

    ``--db plans.db`` and ``--db ./plans.db`` are ``sqlite:///plans.db`` (as sqlite-utils and
    Datasette take a path); a URL is kept. Refused with one line and an example: an empty value,
    a SQLite URL with no file (an in-memory store keeps nothing), and a URL that cannot be parsed
    (:class:`~db.errors.SchemaError` ``url_empty``, ``url_in_memory``, ``url_unparsable``).

    >>> store_url("plans.db"), store_url("/tmp/p.db"), store_url("sqlite:///x.db")
    ('sqlite:///plans.db', 'sqlite:////tmp/p.db', 'sqlite:///x.db')
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not value.strip():
        raise SchemaError.of("url_empty")
    if "://" not in value:
        if ":" in value.split("/", 1)[0] and not value.startswith(("./", "/")):
            raise SchemaError.of("url_unparsable", url=value, reason=None)
        return f"sqlite:///{value}"
    try:
        parsed = make_url(value)
    except (ArgumentError, ValueError) as exc:
        raise SchemaError.of("url_unparsable", url=display_url(value), reason=str(exc)) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise SchemaError.of("url_in_memory", url=display_url(value))
    return value


def display_url(url: str) -> str:
    """``url`` with any password hidden (as given when it cannot be parsed)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the caller; show it as given
        return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for in-memory or non-SQLite URLs)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def check_sqlite_file(url: str, path: Path) -> bool:
    """Refuse a missing directory or a file that is not SQLite (without touching it); True if the file is new.

    A path the file system refuses (a name too long, a NUL byte) is ``path_refused`` with its error.
    """
    try:
        return _check_sqlite_file(url, path)
    except (OSError, ValueError) as exc:
        raise SchemaError.of("path_refused", path=str(path), error=exc) from None


def _exists(url: str, path: Path) -> bool:
    """Whether the store file exists; a path the file system refuses (too long, a NUL) is ``path_refused``."""
    try:
        if "\0" in str(path):
            raise ValueError("embedded null byte")
        path.stat()
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as exc:
        raise SchemaError.of("path_refused", path=str(path), error=exc) from None
    return True


def _check_sqlite_file(url: str, path: Path) -> bool:
    if "\0" in str(path):
        raise ValueError("embedded null byte")
    if not path.parent.is_dir():
        raise SchemaError.of("no_directory", url=display_url(url), directory=str(path.parent))
    if path.is_dir():
        raise SchemaError.of("is_directory", url=display_url(url), path=str(path))
    if not path.exists() or path.stat().st_size == 0:
        return True
    try:
        with path.open("rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise SchemaError.of("unreadable", path=str(path), reason=exc.strerror or str(exc)) from None
    if header != b"SQLite format 3\x00":
        raise SchemaError.of("not_sqlite", path=str(path))
    return False


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def connect_error(url: str, exc: Exception) -> SchemaError:
    """``connect_failed`` for a database that cannot be reached or used: its failure code and the driver's line."""
    first = _first_line(exc)
    failure = classify_failure(first, disk_full=_disk_full(url))
    kind = failure_kind(failure) if failure != "unknown" else UNAVAILABLE
    return SchemaError.of("connect_failed", kind=kind, url=display_url(url), failure=failure, detail=first)


def database_error(url: str, exc: BaseException, operation: str | None = None) -> DatabaseError:
    """:class:`~db.errors.DatabaseError` for a driver or SQLAlchemy failure after the store was opened."""
    first = _first_line(exc)
    failure = classify_failure(first, disk_full=_disk_full(url))
    return DatabaseError.of_failure(display_url(url), failure, first[:200], operation)


def _disk_full(url: str) -> bool:
    """True when the SQLite file's file system has no free block left (SQLite may call that an I/O error)."""
    import os

    try:
        path = sqlite_path(url)
        if path is None:
            return False
        info = os.statvfs(path.parent)
    except (OSError, ValueError, AttributeError):
        return False
    return info.f_bavail * info.f_frsize < 64 * 1024


def _engine(url: str, pool: PoolOptions | None = None) -> Engine:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        return make_engine(url, pool)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        driver = url.partition("://")[0]
        raise SchemaError.of("url_driver", url=display_url(url), driver=driver, reason=str(exc)) from None
    except (ValueError, TypeError) as exc:  # a query option of the wrong type: ?timeout=abc
        raise SchemaError.of("url_option", url=display_url(url), reason=str(exc)) from None


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate(db_engine: Engine, revision: str = "head", *, allow_foreign_tables: bool = False) -> str | None:
    """Run Alembic's upgrade to ``revision`` under the schema lock; return the revision found before.

    The lock (:func:`db.session.schema_transaction`) makes concurrent first uses and concurrent
    ``db upgrade`` runs queue: the revision is read again once the lock is held, so a process
    that waited finds the schema another one just made and changes nothing. A database with no
    connectplan schema but tables of its own is refused unless ``allow_foreign_tables``; a
    revision this code does not know (a newer connectplan's) is refused.
    """
    from alembic import command

    url = db_engine.url.render_as_string(hide_password=False)
    with schema_transaction(db_engine) as conn:
        before = current_revision(conn)
        if before is None and not allow_foreign_tables:
            foreign = foreign_tables(conn)
            if foreign:
                raise _foreign_tables_problem(url, foreign)
        if before is not None and before not in KNOWN_REVISIONS:
            raise _schema_problem(url, before)
        if revision == "head" and before == HEAD_REVISION:
            return before
        command.upgrade(_alembic_config(conn), revision)
    return before


def current_revision(conn: Connection) -> str | None:
    """The schema revision, or ``None`` when there is none (no ``alembic_version`` table, or an empty one).

    Safe inside a transaction on PostgreSQL (a missing table is looked up, not queried).
    """
    from sqlalchemy import inspect

    if not inspect(conn).has_table("alembic_version"):
        return None
    return read_schema_revision(conn)


def foreign_tables(conn: Connection) -> list[str]:
    """The tables of the database's default schema other than Alembic's ``alembic_version``, sorted."""
    from sqlalchemy import inspect

    return sorted(t for t in inspect(conn).get_table_names() if t != "alembic_version")


def _foreign_tables_problem(url: str, tables: list[str]) -> SchemaError:
    path = sqlite_path(url)
    where = str(path) if path is not None else None
    return SchemaError.of("foreign_tables", url=display_url(url), path=where, tables=tuple(tables))


def _migrate(url: str, db_engine: Engine, *, allow_foreign_tables: bool = False) -> str | None:
    """:func:`migrate` to head, with a driver failure (a lock held past the busy timeout, say) as one line.

    ``sqlite3.Error`` too: the journal-mode switch and the foreign-key pragmas run on the raw
    driver connection, outside SQLAlchemy's wrapping.
    """
    try:
        return migrate(db_engine, allow_foreign_tables=allow_foreign_tables)
    except (DBAPIError, sqlite3.Error) as exc:
        raise connect_error(url, exc) from None


def _foreign_tables(url: str, db_engine: Engine) -> list[str]:
    try:
        with db_engine.connect() as conn:
            return foreign_tables(conn)
    except DBAPIError as exc:
        raise connect_error(url, exc) from None


def _revision(url: str, db_engine: Engine) -> str | None:
    try:
        with db_engine.connect() as conn:
            return read_schema_revision(conn)
    except DBAPIError as exc:
        raise connect_error(url, exc) from None


class SchemaStatus(NamedTuple):
    """The answer of :func:`schema_status` (facts; ``connectplan db current`` words them).

    ``state`` is ``current``, ``behind``, ``ahead``, ``empty`` (no schema yet) or ``missing``
    (no SQLite file); ``revision`` the store's, ``head`` the code's; ``path`` the SQLite file (None
    for a server); ``versioned`` when an ``alembic_version`` table exists (empty: downgraded to
    base); ``foreign`` the other tables of a store with no schema; ``new`` for a SQLite file that does
    not hold a database yet (empty), read no further.
    """

    state: str
    revision: str | None
    head: str = HEAD_REVISION
    path: str | None = None
    versioned: bool = False
    foreign: tuple[str, ...] = ()
    new: bool = False


def schema_status(url: str) -> SchemaStatus:
    """The schema state of the store at ``url``, without changing anything."""
    path = sqlite_path(url)
    where = str(path) if path is not None else None
    if path is not None and not _exists(url, path):
        return SchemaStatus("missing", None, path=where)
    if path is not None and check_sqlite_file(url, path):
        return SchemaStatus("empty", None, path=where, new=True)
    db_engine = _engine(url)
    try:
        with db_engine.connect() as conn:
            versioned = conn.dialect.has_table(conn, "alembic_version")  # looked up once, reported below
            rev = read_schema_revision(conn) if versioned else None
            foreign = foreign_tables(conn) if rev is None else []
    except DBAPIError as exc:
        raise connect_error(url, exc) from None
    finally:
        db_engine.dispose()
    if rev is None:
        return SchemaStatus("empty", None, path=where, versioned=versioned, foreign=tuple(foreign))
    state = "current" if rev == HEAD_REVISION else "behind" if rev in KNOWN_REVISIONS else "ahead"
    return SchemaStatus(state, rev, path=where, versioned=versioned)


def _schema_problem(url: str, rev: str) -> SchemaError:
    problem = "schema_behind" if rev in KNOWN_REVISIONS else "schema_ahead"
    return SchemaError.of(problem, url=display_url(url), revision=rev, head=HEAD_REVISION)


def upgrade_database(url: str, *, allow_foreign_tables: bool = False) -> tuple[str | None, str, Engine]:
    """Create or upgrade the schema at ``url`` to head; ``(before, after, engine)``.

    Concurrent runs queue on the schema lock (the second finds the schema at head). A store whose
    revision this code does not know (written by a newer connectplan) is refused; so is a
    database that holds other tables and no connectplan schema, unless ``allow_foreign_tables``.
    The caller owns (and disposes) the returned engine.
    """
    path = sqlite_path(url)
    if path is not None:
        check_sqlite_file(url, path)
    db_engine = _engine(url)
    try:
        before = _revision(url, db_engine)
        if before is not None and before not in KNOWN_REVISIONS:
            raise _schema_problem(url, before)
        if before is None and not allow_foreign_tables:
            # refused here, on a plain read, before the schema lock switches a SQLite file to WAL;
            # the revision is read again after the tables: another process's first use may have
            # committed the schema (its tables and its revision at once) between the two reads
            foreign = _foreign_tables(url, db_engine)
            if foreign and _revision(url, db_engine) is None:
                raise _foreign_tables_problem(url, foreign)
        if before != HEAD_REVISION:
            before = _migrate(url, db_engine, allow_foreign_tables=allow_foreign_tables)
    except BaseException:
        db_engine.dispose()
        raise
    return before, HEAD_REVISION, db_engine


def open_database(url: str, pool: PoolOptions | None = None) -> tuple[Engine, list[EditionRow] | None]:
    """An engine on the store at ``url``, at schema head, and its editions when they were read on the way.

    The embedded SQLite store follows the code: a file that does not exist yet, is empty or has
    no schema yet is created and migrated, and a known older schema is migrated (concurrent
    first uses queue on the schema lock, see :func:`migrate`). Any other store must be at the
    code's schema head, else :class:`~db.errors.SchemaError` says what to run (and nothing is
    changed). ``pool`` sizes the engine's connection pool. The caller owns (and disposes) the engine.
    """
    path = sqlite_path(url)
    new = check_sqlite_file(url, path) if path is not None else False
    db_engine = _engine(url, pool)
    try:
        memory = path is None and db_engine.dialect.name == "sqlite"
        if new or memory:
            _migrate(url, db_engine)
            return db_engine, None
        try:
            # one read transaction (one snapshot): the schema check, then the editions or the tables
            with db_engine.connect() as conn:
                rev = read_schema_revision(conn)
                editions = graph_store.read_editions(conn) if rev == HEAD_REVISION else None
                foreign = foreign_tables(conn) if rev is None and path is not None else []
        except DBAPIError as exc:
            raise connect_error(url, exc) from None
        if rev == HEAD_REVISION:
            return db_engine, editions
        if path is None:  # a shared store is created and upgraded deliberately, with `connectplan db upgrade`
            if rev is None:
                raise SchemaError.of("schema_missing", url=display_url(url))
            raise _schema_problem(url, rev)
        if foreign:  # refused before anything (even the journal mode) is changed
            raise _foreign_tables_problem(url, foreign)
        if rev is not None and rev not in KNOWN_REVISIONS:
            raise _schema_problem(url, rev)
        _migrate(url, db_engine)
    except BaseException:
        db_engine.dispose()
        raise
    return db_engine, None
