"""The app's words for the store's errors and schema states.

The repository (``db``) raises structured errors, a ``problem`` code and its ``facts``
(:mod:`connectplan.db.errors` lists them), and reports a schema's state as facts
(:class:`~connectplan.db.schema.SchemaStatus`); this module writes the one line the CLI and the
Python API show for each, naming the problem and the way forward. The Workspace and the plan
service fill the words in (:func:`worded`, :func:`store_words`) before an error leaves them, so
``str(exc)`` is always that line; the web writes its own words for what is unavailable
(:func:`unavailable_reason`).

>>> from connectplan.db.errors import DatabaseError
>>> str(worded(DatabaseError.of_failure("sqlite:///x.db", "disk_full", "database or disk is full")))
'store sqlite:///x.db: the disk is full; free some space and retry (nothing was saved)'
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from connectplan.db.errors import DatabaseError, StoreError
from connectplan.errors import path_problem, shorten

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from connectplan.db.schema import SchemaStatus

__all__ = ["FAILURE_WORDS", "StoreStatus", "status_words", "store_words", "unavailable_reason", "worded"]

URL_EXAMPLE = "e.g. --db plans.db, --db sqlite:///plans.db or --db postgresql://user@host/dbname"
ALLOW_FOREIGN = "`connectplan db upgrade --allow-foreign-tables`"

#: a database failure's code (``db.errors.FAILURES``) -> (what happened, what to do)
FAILURE_WORDS: dict[str, tuple[str, str]] = {
    "disk_full": ("the disk is full", "free some space and retry"),
    "locked": ("another process held the write lock past the busy timeout", "retry, or stop the other writer"),
    "table_locked": ("another connection holds a table lock", "retry"),
    "read_only_file": ("the database file or its directory is read-only", "make both writable, or pass another --db"),
    "read_only": ("the database is read-only", "make it writable, or pass another --db"),
    "cannot_open": ("the database file cannot be opened", "check the file and its directory"),
    "io_error": ("the disk reported an I/O error", "check the disk, then run PRAGMA integrity_check"),
    "server_gone": ("the PostgreSQL server went away", "check that it is running and retry"),
    "server_ended": ("the PostgreSQL server ended the connection", "check that it is running and retry"),
    "refused": ("the database server refused the connection", "check that it is running and retry"),
    "unreachable": ("the database server cannot be reached", "check that it is running and retry"),
    "server_starting": ("the PostgreSQL server is starting or shutting down", "retry in a moment"),
    "pool_exhausted": ("every database connection is busy", "retry in a moment, or raise --pool-size"),
    "connection_lost": ("the connection to the database was lost", "retry"),
    "value_too_long": ("a value is longer than the database column allows", "shorten it"),
    "nul_rejected": ("the database rejected a NUL character in a value", "remove it"),
    "permission_denied": ("the database user lacks a permission", "grant it, or pass another --db"),
}


def _some(tables: tuple[str, ...]) -> str:
    """The first five table names, and how many more."""
    return ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")


def _foreign_tables(f: dict[str, Any]) -> str:
    shown = _some(tuple(f["tables"]))
    if f.get("path") is not None:
        return (
            f"{f['path']} is a SQLite database but not a connectplan store (it holds {shown}); pass another --db, "
            f"or add connectplan's tables beside them with {ALLOW_FOREIGN}"
        )
    return (
        f"store {f['url']} has no connectplan schema but holds other tables ({shown}); use an empty "
        f"database, or add connectplan's tables beside them with {ALLOW_FOREIGN}"
    )


def _connect_failed(f: dict[str, Any]) -> str:
    words = FAILURE_WORDS.get(f["failure"])
    if words is None:
        return f"cannot use store {f['url']}: {f['detail']} (check --db or $CONNECTPLAN_DATABASE_URL)"
    return f"cannot use store {f['url']}: {words[0]}; {words[1]}"


def _url_unparsable(f: dict[str, Any]) -> str:
    reason = f" ({f['reason']})" if f.get("reason") else ""
    return f"cannot parse store URL {f['url']!r}{reason}; {URL_EXAMPLE}"


#: problem code -> the one line for its facts
_SCHEMA_WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "url_empty": lambda f: f"the store URL is empty; {URL_EXAMPLE}",
    "url_unparsable": _url_unparsable,
    "url_in_memory": lambda f: (
        f"{f['url']!r} is an in-memory SQLite store, which keeps nothing; name a file, {URL_EXAMPLE}"
    ),
    "url_driver": lambda f: f"cannot use database URL {f['url']!r}: {f['reason']}",
    "url_option": lambda f: (
        f"cannot use database URL {shorten(f['url'])!r}: {f['reason']}; check the options after '?'"
    ),
    "path_refused": lambda f: f"cannot open store {shorten(f['path'])}: {path_problem(f['error'])} (pass another --db)",
    "no_directory": lambda f: (
        f"cannot open store {f['url']}: directory {f['directory']} does not exist; create it or pass another --db"
    ),
    "is_directory": lambda f: f"cannot open store {f['url']}: {f['path']} is a directory; pass a database file",
    "unreadable": lambda f: f"cannot read store {f['path']}: {f['reason']}",
    "not_sqlite": lambda f: f"{f['path']} is not a SQLite database (not a connectplan store); pass another --db",
    "connect_failed": _connect_failed,
    "foreign_tables": _foreign_tables,
    "schema_missing": lambda f: f"store {f['url']} has no connectplan schema yet; run `connectplan db upgrade` first",
    "schema_behind": lambda f: (
        f"store {f['url']} has schema revision {f['revision']}, behind this connectplan ({f['head']}); "
        "run `connectplan db upgrade` (nothing was changed)"
    ),
    "schema_ahead": lambda f: (
        f"store {f['url']} has schema revision {f['revision']}, newer than this connectplan knows ({f['head']}); "
        "upgrade connectplan or use another --db (nothing was changed)"
    ),
    "foreign_key_check": lambda f: "the migration left rows that break a foreign key; nothing was changed",
    "edition_conflict": lambda f: (
        f"catalog edition {f['ref']} is already stored with content {f['stored_hash']}; "
        f"this file has {f['new_hash']}. Editions are immutable: "
        "give the changed catalog a new revision (or edition)"
    ),
}


def _failure(exc: DatabaseError) -> tuple[str, str]:
    """What happened and what to do, for a database failure."""
    words = FAILURE_WORDS.get(exc.failure)
    if words is not None:
        return words
    return f"the database failed ({exc.facts.get('detail', '')})", "retry, or check the database"


def worded(exc: StoreError) -> StoreError:
    """``exc`` with its one line filled in from its problem and facts (an error already worded is left alone)."""
    if exc.problem is None or exc.args:
        return exc
    if isinstance(exc, DatabaseError):
        reason, hint = _failure(exc)
        exc.args = (f"store {exc.facts.get('url')}: {reason}",)
        exc.hint = f"{hint} (nothing was saved)"
        return exc
    words = _SCHEMA_WORDS.get(exc.problem)
    if words is not None:
        exc.args = (words(exc.facts),)
    return exc


@contextmanager
def store_words() -> Iterator[None]:
    """Let a store error leave the block only with its words filled in."""
    try:
        yield
    except StoreError as exc:
        worded(exc)
        raise


def unavailable_reason(exc: BaseException) -> str | None:
    """What happened, in no edge's words, when ``exc`` is a database failure (None otherwise): the web's
    503 page says it without the operator's command-line fix."""
    return _failure(exc)[0] if isinstance(exc, DatabaseError) else None


class StoreStatus(NamedTuple):
    """A store's schema state: ``state`` (``current``, ``behind``, ``ahead``, ``empty`` or ``missing``),
    ``revision`` and ``message``, the one line ``connectplan db current`` prints."""

    state: str
    revision: str | None
    message: str


def status_words(status: SchemaStatus) -> StoreStatus:
    """``status`` with its one line (:class:`StoreStatus`)."""
    state, rev, head = status.state, status.revision, status.head
    if state == "missing":
        text = f"no store at {status.path} yet (it is created on first use, or by `connectplan db upgrade`)"
    elif state == "empty" and status.new:
        text = "no connectplan schema yet; run `connectplan db upgrade`"
    elif state == "empty":
        why = "no connectplan schema"
        if status.versioned:
            why += " (alembic_version is empty: the schema was downgraded to base)"
        if status.foreign:
            text = f"{why}, but other tables ({_some(status.foreign)}); {ALLOW_FOREIGN} adds connectplan's beside them"
        else:
            text = f"{why}; run `connectplan db upgrade`"
    elif state == "current":
        text = f"{rev} (head)"
    elif state == "behind":
        text = f"{rev} (behind head {head}; run `connectplan db upgrade`)"
    else:
        text = f"{rev} (unknown to this connectplan, whose head is {head}; upgrade connectplan)"
    return StoreStatus(state, rev, text)
