"""The store's exceptions: one base class, one line of text each, payloads kept as attributes.

The CLI maps every :class:`StoreError` to one line on stderr and exit code 2
(see ``connectplan.cli.to_input_error``). Nothing is stored when one is raised: the
transaction that raised it is rolled back by its ``with factory.begin()`` block.
"""

from __future__ import annotations

from connectplan.engine.errors import ConnectplanError

__all__ = [
    "ConflictError",
    "DatabaseError",
    "EditionConflictError",
    "NotFoundError",
    "SchemaError",
    "StoreError",
    "path_problem",
    "shorten",
]


class StoreError(ConnectplanError):
    """Base class of every error the store raises for bad input or an unusable database."""

    exit_code = 2


class SchemaError(StoreError):
    """The database cannot be used as it is: missing, not a database, or a schema behind or ahead of the code."""


class DatabaseError(StoreError):
    """The database failed after the store was opened: disk full, write lock held past the busy
    timeout, server gone, read-only file, a value the database rejected. ``store`` is the URL (no
    password), ``reason`` what happened, ``hint`` what to do; the transaction was rolled back."""

    def __init__(self, store: str, reason: str, hint: str) -> None:
        super().__init__(store, reason, hint)
        self.store = store
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return f"store {self.store}: {self.reason}; {self.hint} (nothing was saved)"


class NotFoundError(StoreError):
    """An unknown plan, version, tag or catalog edition."""


class EditionConflictError(StoreError):
    """A catalog edition already stored under the same name@edition with different content."""

    def __init__(self, ref: str, stored_hash: str, new_hash: str) -> None:
        super().__init__(ref, stored_hash, new_hash)
        self.ref = ref
        self.stored_hash = stored_hash
        self.new_hash = new_hash

    def __str__(self) -> str:
        return (
            f"catalog edition {self.ref} is already stored with content {self.stored_hash}; "
            f"this file has {self.new_hash}. Editions are immutable: "
            "give the changed catalog a new revision (or edition)"
        )


class ConflictError(StoreError):
    """A save lost a race: another version changed the same property first (or the plan name is taken)."""


def shorten(text: str, limit: int = 240) -> str:
    """``text`` cut past ``limit`` characters (its start kept: a path's directory), with its length.

    >>> shorten("a" * 300, 30)
    'aaaaaaaaaaaaaaaaaaaa…aaaaaaaaa (300 characters)'
    """
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]}…{text[-(limit - head - 1) :]} ({len(text)} characters)"


def path_problem(exc: BaseException) -> str:
    """What is wrong with a path, from the error the file system (or Python) gave for it."""
    import errno

    if isinstance(exc, ValueError):
        return "the path contains a NUL character" if "null" in str(exc) else str(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long for the file system; use a shorter one"
    return getattr(exc, "strerror", None) or str(exc)
