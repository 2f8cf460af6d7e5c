"""The store's exceptions: a kind, a problem code and its facts; no words for users.

The repository says *what* went wrong, structured: ``problem`` (a code, below) and ``facts`` (the
URL, path, driver, operation, revisions, tables ... involved) and a ``kind``
(``engine.errors.KINDS``). The application writes the one line each edge shows
(:mod:`connectplan.store_words`; the Workspace fills it in before an error leaves it). Until then
``str(exc)`` is the code and its facts. Nothing is stored when one is raised: the transaction
that raised it is rolled back by its ``with ... begin()`` block.

:class:`NotFoundError` and :class:`ConflictError` are raised by the application's plan service
with its own words; the classes live here so every store error has one root, :class:`StoreError`.

Problem codes (``SchemaError`` unless noted):

``url_empty``, ``url_unparsable`` (``url``, ``reason``), ``url_in_memory`` (``url``),
``url_driver`` (``url``, ``driver``, ``reason``: no such dialect or driver, or not installed),
``url_option`` (``url``, ``reason``: a query option after ``?`` of the wrong type),
``path_refused`` (``path``, ``error``: the OSError or ValueError the file system gave),
``no_directory`` (``url``, ``directory``), ``is_directory`` (``url``, ``path``),
``unreadable`` (``path``, ``reason``), ``not_sqlite`` (``path``),
``connect_failed`` (``url``, ``failure``, ``detail``), ``foreign_tables`` (``url``, ``path``, ``tables``),
``schema_missing`` (``url``), ``schema_behind`` / ``schema_ahead`` (``url``, ``revision``, ``head``),
``foreign_key_check`` (a migration left rows that break a foreign key);
:class:`DatabaseError`: ``database_failed`` (``url``, ``failure``, ``detail``, ``operation``);
:class:`EditionConflictError`: ``edition_conflict`` (``ref``, ``stored_hash``, ``new_hash``).

``failure`` is one of :data:`FAILURES` (what the driver's message says happened), or ``unknown``
with the driver's first line in ``detail``.
"""

from __future__ import annotations

from typing import Any, Self

from connectplan.engine.errors import CONFLICT, INVALID, NOT_FOUND, UNAVAILABLE, ConnectplanError

__all__ = [
    "FAILURES",
    "ConflictError",
    "DatabaseError",
    "EditionConflictError",
    "NotFoundError",
    "SchemaError",
    "StoreError",
    "classify_failure",
    "failure_kind",
]


class StoreError(ConnectplanError):
    """Base class of every error the store raises for bad input or an unusable database.

    ``problem`` (a code) and ``facts`` say what went wrong when the repository raised it; an error
    the application raised carries its own words instead (``problem`` None).
    """

    problem: str | None = None

    def __init__(
        self, *args: object, problem: str | None = None, facts: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        if problem is not None:
            self.problem = problem
        self.facts: dict[str, Any] = dict(facts or {})

    @classmethod
    def of(cls, problem: str, *, kind: str | None = None, **facts: Any) -> Self:
        """The error for ``problem`` with its ``facts`` (no words: the application writes them)."""
        return cls(problem=problem, facts=facts, kind=kind)

    @property
    def message(self) -> str:
        if not self.args and self.problem is not None:  # not worded (yet): the code and its facts
            shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self.facts.items()))
            return f"{self.problem} ({shown})" if shown else self.problem
        return super().message


class SchemaError(StoreError):
    """The database cannot be used as it is: a bad URL or path, not a database, unreachable, or a
    schema behind or ahead of the code (``kind=UNAVAILABLE`` when the server cannot be reached)."""


class DatabaseError(StoreError):
    """The database failed after the store was opened: disk full, write lock held past the busy
    timeout, server gone, read-only file, a value the database rejected. Facts: ``url`` (no
    password), ``failure`` (:data:`FAILURES`, or ``unknown``), ``detail`` (the driver's first
    line), ``operation`` (the store method that failed). Its kind is ``unavailable`` (exit 3,
    HTTP 503), ``invalid_input`` for a value the database rejected; the transaction was rolled back."""

    kind = UNAVAILABLE
    problem = "database_failed"

    @classmethod
    def of_failure(cls, url: str, failure: str, detail: str, operation: str | None = None) -> DatabaseError:
        return cls(
            problem="database_failed",
            facts={"url": url, "failure": failure, "detail": detail, "operation": operation},
            kind=failure_kind(failure),
        )

    @property
    def failure(self) -> str:
        return str(self.facts.get("failure", "unknown"))


class NotFoundError(StoreError):
    """An unknown plan, version, tag or catalog edition."""

    kind = NOT_FOUND


class EditionConflictError(StoreError):
    """A catalog edition already stored under the same ``ref`` (``name@edition.rN``) with different content."""

    kind = CONFLICT
    problem = "edition_conflict"

    def __init__(self, ref: str, stored_hash: str, new_hash: str) -> None:
        facts = {"ref": ref, "stored_hash": stored_hash, "new_hash": new_hash}
        super().__init__(problem="edition_conflict", facts=facts)
        self.ref = ref
        self.stored_hash = stored_hash
        self.new_hash = new_hash


class ConflictError(StoreError):
    """A save lost a race: another version changed the same property first (or the plan name is taken)."""

    kind = CONFLICT


#: (text found in the driver's message, failure code), first match wins
_NEEDLES = (
    ("disk is full", "disk_full"),
    ("no space left", "disk_full"),
    ("could not extend file", "disk_full"),
    ("database is locked", "locked"),
    ("database table is locked", "table_locked"),
    ("readonly database", "read_only_file"),
    ("read-only", "read_only"),
    ("unable to open database", "cannot_open"),
    ("disk i/o error", "io_error"),
    ("server closed the connection", "server_gone"),
    ("terminating connection", "server_ended"),
    ("connection refused", "refused"),
    ("connection failed", "unreachable"),
    ("database system is", "server_starting"),
    ("queuepool limit", "pool_exhausted"),
    ("could not connect", "unreachable"),
    ("connection already closed", "connection_lost"),
    ("ssl connection has been closed", "connection_lost"),
    ("value too long", "value_too_long"),
    ("cannot contain nul", "nul_rejected"),
    ("permission denied", "permission_denied"),
)

#: every failure code :func:`classify_failure` gives (``unknown`` aside)
FAILURES = tuple(dict.fromkeys(code for _, code in _NEEDLES))
#: failures that are the value's fault, not the database's: bad input, not unavailable
REJECTED_VALUES = frozenset({"value_too_long", "nul_rejected"})


def classify_failure(first_line: str, *, disk_full: bool = False) -> str:
    """The failure code of a driver's message (its first line); ``disk_full`` when the caller saw no free
    space (SQLite may call a full disk an I/O error); ``unknown`` when nothing matches.

    >>> classify_failure("database is locked"), classify_failure("disk I/O error", disk_full=True)
    ('locked', 'disk_full')
    """
    lowered = first_line.lower()
    if disk_full and ("i/o error" in lowered or "disk is full" in lowered):
        return "disk_full"
    for needle, code in _NEEDLES:
        if needle in lowered:
            return code
    return "unknown"


def failure_kind(failure: str) -> str:
    """The kind of a failure: a value the database rejected is bad input; anything else, unavailable."""
    return INVALID if failure in REJECTED_VALUES else UNAVAILABLE
