"""References and names as users type them: pure parsing, no database.

``NAME[@EDITION]`` names a catalog edition, ``NAME[@N|@latest|@TAG]`` a plan version,
``PROPERTY=OPTION`` a choice. Every function raises :class:`~db.errors.StoreError` (or
:class:`~connectplan.errors.AppError` for ``--set``) with one line naming the fix.

>>> parse_plan_ref("acme@2")
PlanRef(name='acme', spec='2')
>>> split_catalog_ref("stripe-connect@2025")
('stripe-connect', '2025')
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from connectplan.db.errors import NotFoundError, StoreError
from connectplan.errors import AppError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from connectplan.db.records import EditionRow
    from connectplan.engine import Catalog

__all__ = [
    "DEFAULT_CATALOG",
    "MAX_AUTHOR",
    "MAX_MESSAGE",
    "MAX_VERSION",
    "PlanRef",
    "check_author",
    "check_message",
    "check_plan_name",
    "check_tag_name",
    "merge_repeats",
    "parse_assignments",
    "parse_plan_ref",
    "pick_edition",
    "split_catalog_ref",
    "split_revision",
]

#: The catalog a bare command uses (at its newest edition).
DEFAULT_CATALOG = "stripe-connect"

_REVISION = re.compile(r"(?P<edition>.+)\.r(?P<revision>[1-9][0-9]{0,8})")
_PLAN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,99}")


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
        raise StoreError(f"the {what} is not valid UTF-8 (at character {bad.start() + 1}); pass UTF-8 text")
    if len(value) > limit:
        raise StoreError(f"the {what} is {len(value)} characters long; the limit is {limit}")
    for match in _CONTROL.finditer(value):
        if multiline and match[0] in "\t\n":
            continue
        raise StoreError(
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
        raise StoreError("the author is empty; pass --author NAME or set $USER")
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
        raise StoreError(
            f"invalid plan name {name!r}; use letters, digits, '.', '_' or '-' "
            "(up to 100, starting with a letter or digit)"
        )
    return name


def check_tag_name(tag: str) -> str:
    """``tag`` if it is a valid tag name (``latest`` is reserved)."""
    if not _TAG_NAME.fullmatch(tag) or tag == "latest":
        raise StoreError(
            f"invalid tag {tag!r}; a tag starts with a letter, uses letters, digits, '.', '_' or '-', "
            "and is not 'latest'"
        )
    return tag


def parse_plan_ref(ref: str) -> PlanRef:
    """``NAME``, ``NAME@N``, ``NAME@latest`` or ``NAME@TAG``."""
    name, sep, spec = ref.partition("@")
    if not name or (sep and not spec) or "@" in spec:
        raise StoreError(f"malformed plan reference {ref!r}; use NAME, NAME@N, NAME@latest or NAME@TAG")
    if spec.isdigit() and spec.isascii() and (len(spec) > len(str(MAX_VERSION)) or int(spec) > MAX_VERSION):
        # the length first: int() of more than 4,300 digits raises (and costs quadratic time below that)
        shown = spec if len(spec) <= 20 else f"{spec[:10]}... ({len(spec)} digits)"
        raise NotFoundError(f"unknown version {name}@{shown}; version numbers stop at {MAX_VERSION}")
    return PlanRef(check_plan_name(name), spec or "latest")


def split_catalog_ref(ref: str | None) -> tuple[str, str | None]:
    """``NAME[@EDITION]`` -> ``(name, edition or None)``; ``None`` means :data:`DEFAULT_CATALOG`."""
    ref = ref or DEFAULT_CATALOG
    name, _, edition = ref.partition("@")
    if not name or ref.count("@") > 1 or ("@" in ref and not edition):
        raise StoreError(f"malformed catalog reference {ref!r}; use NAME or NAME@EDITION, e.g. stripe-connect@2025")
    return name, edition or None


def split_revision(edition: str) -> tuple[str, int | None]:
    """``2025.r2`` -> ``("2025", 2)``; an edition without ``.rN`` -> ``(edition, None)`` (its newest revision).

    >>> split_revision("2025.r1"), split_revision("2025")
    (('2025', 1), ('2025', None))
    """
    m = _REVISION.fullmatch(edition)
    return (m["edition"], int(m["revision"])) if m else (edition, None)


def pick_edition(editions: Sequence[EditionRow], ref: str | None) -> EditionRow:
    """The edition revision ``ref`` names among ``editions`` (sorted by name, edition and revision).

    ``NAME`` means its newest edition, ``NAME@EDITION`` that edition's newest revision and
    ``NAME@EDITION.rN`` exactly revision N.
    """
    name, edition = split_catalog_ref(ref)
    rows = [r for r in editions if r.name == name]
    if not rows:
        known = sorted({r.ref for r in editions})
        raise NotFoundError(
            f"unknown catalog {name!r}; the store has {', '.join(known) or 'none'} "
            "(add one: connectplan catalog import FILE)"
        )
    if edition is None:
        return rows[-1]
    wanted, revision = split_revision(edition)
    same = [r for r in rows if r.edition == wanted] or [r for r in rows if r.edition == edition]
    if not same:
        editions_known = ", ".join(dict.fromkeys(r.edition for r in rows))
        raise NotFoundError(f"unknown edition {edition!r} of {name}; editions: {editions_known}")
    if revision is None or same[0].edition == edition:
        return same[-1]
    for row in same:
        if row.revision == revision:
            return row
    revisions = ", ".join(r.revision_ref for r in same)
    raise NotFoundError(f"unknown revision {revision} of {name}@{wanted}; revisions: {revisions}")


class Repeats(tuple[str, ...]):
    """The values of a property that ``--set`` named more than once (see :func:`merge_repeats`).

    Its own type, so that a tuple given through the Python API is never taken for repeats.
    """

    __slots__ = ()


def parse_assignments(pairs: Iterable[str] | Mapping[str, str]) -> dict[str, Any]:
    """``--set P=O`` values as a mapping; a mapping is passed through.

    A property set more than once maps to its values as :class:`Repeats`, for :func:`merge_repeats`
    (which knows from the catalog whether they add up or the last one wins).

    >>> parse_assignments(["dashboard=full", "monetization=a", "monetization=b"])
    {'dashboard': 'full', 'monetization': ('a', 'b')}
    """
    if isinstance(pairs, dict):
        return dict(pairs)
    if hasattr(pairs, "items"):
        return dict(pairs.items())  # type: ignore[union-attr]
    out: dict[str, Any] = {}
    for pair in pairs:
        prop, sep, opt = pair.partition("=")
        prop, opt = prop.strip(), opt.strip()
        if not sep or not prop or not opt:
            raise AppError(f"malformed --set {pair!r}; use PROPERTY=OPTION, e.g. --set dashboard=express")
        if prop not in out:
            out[prop] = opt
        else:  # a repeat: kept, for merge_repeats
            earlier = out[prop]
            out[prop] = Repeats((*earlier, opt) if isinstance(earlier, Repeats) else (earlier, opt))
    return out


def merge_repeats(catalog: Catalog, assignments: Mapping[str, Any]) -> dict[str, Any]:
    """Resolve repeated ``--set P=...``: a multi-choice property takes the union, any other the last value.

    ``--set monetization=a --set monetization=b`` equals ``--set monetization=a,b``.
    """
    out: dict[str, Any] = {}
    for prop, value in assignments.items():
        if isinstance(value, Repeats):
            found = catalog.property_index.get(prop)
            value = ",".join(value) if found is not None and found.multi else value[-1]
        out[prop] = value
    return out
