"""References and names as users type them: pure parsing, no database.

``NAME[@EDITION]`` names a catalog edition, ``NAME[@N|@latest|@TAG]`` a plan version,
``PROPERTY=OPTION`` a choice (parsed by :meth:`engine.Selection.parse`). Every function raises
:class:`~connectplan.errors.AppError` (kind ``invalid_input``, or ``not_found`` for a version number
past the limit) with one line naming the fix; nothing here imports the store.

>>> parse_plan_ref("acme@2")
PlanRef(name='acme', spec='2')
>>> split_catalog_ref("stripe-connect@2025")
('stripe-connect', '2025')
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from connectplan.engine.catalog_ref import CatalogRef
from connectplan.engine.errors import NOT_FOUND
from connectplan.engine.selection import Selection
from connectplan.errors import AppError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from connectplan.engine import Catalog

__all__ = [
    "DEFAULT_CATALOG",
    "MAX_AUTHOR",
    "MAX_MESSAGE",
    "MAX_VERSION",
    "PLAN_NAME_PATTERN",
    "PLAN_NAME_RULE",
    "TAG_NAME_PATTERN",
    "TAG_NAME_RULE",
    "PlanRef",
    "catalog_ref",
    "check_author",
    "check_message",
    "check_plan_name",
    "check_tag_name",
    "merge_repeats",
    "parse_assignments",
    "parse_plan_ref",
    "split_catalog_ref",
    "split_revision",
]

#: The catalog a bare command uses (at its newest edition).
DEFAULT_CATALOG = "stripe-connect"

_REVISION = re.compile(r"(?P<edition>.+)\.r(?P<revision>[1-9][0-9]{0,8})")
#: A plan name, as a regular expression valid in Python and in an HTML ``pattern`` (JavaScript's ``v`` flag:
#: the hyphen escaped): a letter or digit, then up to 99 letters, digits, '.', '_' or '-'.
PLAN_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,99}"
#: A tag: a letter, then up to 99 letters, digits, '.', '_' or '-' (and never ``latest``).
TAG_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9._\-]{0,99}"
#: The plan-name rule in words (the error's and the form's).
PLAN_NAME_RULE = "letters, digits, '.', '_' or '-' (up to 100, starting with a letter or digit)"
#: The tag rule in words.
TAG_NAME_RULE = "a tag starts with a letter, uses letters, digits, '.', '_' or '-', and is not 'latest'"
_PLAN_NAME = re.compile(PLAN_NAME_PATTERN)
_TAG_NAME = re.compile(TAG_NAME_PATTERN)


#: Highest version number (PostgreSQL's INTEGER; checked before any query, so both backends agree).
MAX_VERSION = 2**31 - 1
#: Longest plan message (characters); the same on SQLite and PostgreSQL (a TEXT column on both).
MAX_MESSAGE = 10_000
#: Longest author (characters): the ``author`` column is VARCHAR(200) on both backends.
MAX_AUTHOR = 200
# control characters (tab and newline are allowed in messages only), bidirectional overrides, NUL
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_text(value: str, what: str, limit: int, *, multiline: bool) -> str:
    bad = _SURROGATE.search(value)
    if bad:  # the command line hands undecodable bytes over as lone surrogates
        raise AppError(f"the {what} is not valid UTF-8 (at character {bad.start() + 1}); pass UTF-8 text")
    if len(value) > limit:
        raise AppError(f"the {what} is {len(value)} characters long; the limit is {limit}")
    for match in _CONTROL.finditer(value):
        if multiline and match[0] in "\t\n":
            continue
        raise AppError(
            f"the {what} contains the control character U+{ord(match[0]):04X} "
            f"(at character {match.start() + 1}); remove it"
        )
    return value


def check_message(message: str) -> str:
    """``message`` if it is a storable plan message: UTF-8, at most :data:`MAX_MESSAGE` characters,
    no control characters but newline and tab.

    >>> check_message("multi-seller carts\\nsee ticket 12")
    'multi-seller carts\\nsee ticket 12'
    """
    if "\r" in message:
        message = message.replace("\r\n", "\n")
    return _check_text(message, "message", MAX_MESSAGE, multiline=True)


def check_author(author: str) -> str:
    """``author`` if it is a storable author: one line of UTF-8, at most :data:`MAX_AUTHOR` characters."""
    if not author.strip():
        raise AppError("the author is empty", fix="author", hint="pass --author NAME or set $USER", field="author")
    return _check_text(author, "author", MAX_AUTHOR, multiline=False)


class PlanRef(NamedTuple):
    """A parsed plan reference: the plan's name and ``latest``, a version number or a tag."""

    name: str
    spec: str

    @property
    def number(self) -> int | None:
        """The version number the reference names, if it names one."""
        return int(self.spec) if self.spec.isdigit() and self.spec.isascii() else None


def check_plan_name(name: str) -> str:
    """``name`` if it is a valid plan name."""
    if not _PLAN_NAME.fullmatch(name):
        raise AppError(f"invalid plan name {name!r}; use {PLAN_NAME_RULE}")
    return name


def check_tag_name(tag: str) -> str:
    """``tag`` if it is a valid tag name (``latest`` is reserved)."""
    if not _TAG_NAME.fullmatch(tag) or tag == "latest":
        raise AppError(f"invalid tag {tag!r}; {TAG_NAME_RULE}")
    return tag


def parse_plan_ref(ref: str) -> PlanRef:
    """``NAME``, ``NAME@N``, ``NAME@latest`` or ``NAME@TAG``."""
    name, sep, spec = ref.partition("@")
    if not name or (sep and not spec) or "@" in spec:
        raise AppError(f"malformed plan reference {ref!r}; use NAME, NAME@N, NAME@latest or NAME@TAG")
    if spec.isdigit() and spec.isascii() and (len(spec) > len(str(MAX_VERSION)) or int(spec) > MAX_VERSION):
        # the length first: int() of more than 4,300 digits raises (and costs quadratic time below that)
        shown = spec if len(spec) <= 20 else f"{spec[:10]}... ({len(spec)} digits)"
        raise AppError(f"unknown version {name}@{shown}; version numbers stop at {MAX_VERSION}", kind=NOT_FOUND)
    return PlanRef(check_plan_name(name), spec or "latest")


def split_catalog_ref(ref: str | CatalogRef | None) -> tuple[str, str | None]:
    """``NAME[@EDITION[.rN]]`` -> ``(name, edition or None)``, the revision kept in the edition text;
    ``None`` means :data:`DEFAULT_CATALOG`. Prefer :meth:`engine.CatalogRef.parse`."""
    parsed = catalog_ref(ref)
    edition = None if parsed.edition is None else str(parsed).partition("@")[2]
    return parsed.name, edition


def catalog_ref(ref: str | CatalogRef | None) -> CatalogRef:
    """``ref`` as a :class:`~engine.CatalogRef`; ``None`` (or empty) means :data:`DEFAULT_CATALOG`."""
    return CatalogRef.parse(ref or DEFAULT_CATALOG)


def split_revision(edition: str) -> tuple[str, int | None]:
    """``2025.r2`` -> ``("2025", 2)``; an edition without ``.rN`` -> ``(edition, None)`` (its newest revision).

    >>> split_revision("2025.r1"), split_revision("2025")
    (('2025', 1), ('2025', None))
    """
    m = _REVISION.fullmatch(edition)
    return (m["edition"], int(m["revision"])) if m else (edition, None)


def parse_assignments(pairs: Iterable[str] | Mapping[str, Any] | None) -> Selection:
    """``--set P=O`` values (or a mapping) as a :class:`~engine.Selection` (:meth:`engine.Selection.parse`).

    A property set more than once keeps its values as :class:`~engine.selection.Repeats` until a
    catalog settles them (:func:`merge_repeats`).

    >>> parse_assignments(["dashboard=full", "monetization=a", "monetization=b"]).format()
    'dashboard=full, monetization=a,b'
    """
    return Selection.parse(pairs)


def merge_repeats(catalog: Catalog, assignments: Mapping[str, Any]) -> Selection:
    """Settle repeated ``--set P=...`` with ``catalog``: a multi-choice property takes the union,
    any other the last value (``--set monetization=a --set monetization=b`` equals
    ``--set monetization=a,b``)."""
    return Selection.parse(assignments, catalog)
