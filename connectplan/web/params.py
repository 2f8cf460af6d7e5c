"""Query strings and forms <-> a selection: the URL holds the state of the configurator.

Selection parameters are named after property ids (``?catalog=stripe-connect@2024&dashboard=express``);
``preset=`` starts from a preset. A single-choice property takes one value; a multi-choice
property (``choice: many``) repeats its parameter or takes a comma list. An empty value means
"not chosen". Bad input raises :class:`BadRequest` (one line; the app answers 400).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from connectplan.engine.errors import SelectionError
from connectplan.engine.selection import Selection as EngineSelection
from connectplan.errors import AppError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from connectplan.engine import Catalog

__all__ = [
    "RESERVED",
    "BadRequest",
    "Selection",
    "catalog_link",
    "catalog_of",
    "choice_of",
    "field_at_fault",
    "parse_selection",
    "query_string",
    "selection_values",
]

#: parameter names that are not property ids
RESERVED = frozenset(
    {"catalog", "preset", "plan", "base", "a", "b", "ref", "against", "include", "download", "reverse", "csrf_token"}
    | {"name", "message", "author", "tag", "force", "new_name", "to", "dry_run", "allow_blocked", "kind", "format"}
    | {"section", "prev", "go"}
)


class BadRequest(AppError):
    """A malformed query or form; ``param`` names the parameter at fault."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message, field=param)
        self.param = param


Value = str | tuple[str, ...]


def choice_of(prop: object) -> str:
    """``"many"`` for a multi-choice property, else ``"one"`` (catalogs before multi-choice have none)."""
    return str(getattr(prop, "choice", "one"))


@dataclass(frozen=True)
class Selection:
    """What a request asks for: a catalog reference, a preset and explicit choices (in query order)."""

    catalog: str | None = None
    preset: str | None = None
    values: tuple[tuple[str, Value], ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def mapping(self) -> EngineSelection:
        """The explicit choices as the Workspace's ``set=`` (an :class:`engine.Selection`)."""
        return EngineSelection(self.values)

    def get(self, name: str) -> str | None:
        return dict(self.extra).get(name)


def _one(items: list[str], name: str) -> str:
    if len(set(items)) > 1:
        raise BadRequest(f"parameter {name!r} given {len(items)} times; give it once", name)
    return items[0]


def catalog_of(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The ``catalog=`` of query or form pairs (read before the catalog says which properties repeat).

    >>> catalog_of([("monetization", "a"), ("monetization", "b"), ("catalog", "stripe-connect@2026")])
    'stripe-connect@2026'
    """
    return parse_selection([(k, v) for k, v in pairs if k == "catalog"]).catalog


def parse_selection(
    pairs: Iterable[tuple[str, str]], catalog: Catalog | None = None, *, keep: Iterable[str] = ()
) -> Selection:
    """Split query or form pairs into catalog, preset and property choices.

    With ``catalog``, a multi-choice property's values are collected (repeated or comma
    separated); a single-choice property given twice with different values is an error.
    Reserved names other than ``catalog`` and ``preset`` are dropped unless listed in ``keep``.

    >>> s = parse_selection([("catalog", "stripe-connect@2024"), ("dashboard", "express"), ("liability", "")])
    >>> s.catalog, s.values
    ('stripe-connect@2024', (('dashboard', 'express'),))
    >>> parse_selection([("dashboard", "full"), ("dashboard", "none")])
    Traceback (most recent call last):
    ...
    connectplan.web.params.BadRequest: parameter 'dashboard' given 2 times; give it once
    """
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value.strip())
    keep = frozenset(keep)
    catalog_ref = _one(grouped.pop("catalog"), "catalog") if "catalog" in grouped else None
    preset = _one(grouped.pop("preset"), "preset") if "preset" in grouped else None
    extra = tuple((k, _one(v, k)) for k, v in grouped.items() if k in keep)
    choices = [(name, item) for name, items in grouped.items() if name not in RESERVED for item in items]
    try:  # the engine's one parser: repeats of a multi-choice property add up, others must agree
        parsed = EngineSelection.parse(choices)
        if catalog is not None:
            parsed = parsed.for_catalog(catalog, repeated="refuse")
        else:
            parsed = EngineSelection((p, _one(list(v), p) if isinstance(v, tuple) else v) for p, v in parsed.items())
    except SelectionError as exc:
        raise BadRequest(exc.message, exc.field or field_at_fault(choices, catalog)) from None
    values = tuple((p, v) for p, v in parsed.items() if v)
    return Selection(catalog=catalog_ref or None, preset=preset or None, values=values, extra=extra)


def field_at_fault(choices: list[tuple[str, str]], catalog: Catalog | None) -> str | None:
    """The first parameter naming an unknown property or option (an error page then links back to the
    selection without it)."""
    if catalog is None:
        return None
    for name, item in choices:
        prop = catalog.property_index.get(name)
        if prop is None or any(i.strip() and prop.option(i.strip()) is None for i in item.split(",")):
            return name
    return None


def selection_values(selection: Mapping[str, object]) -> list[tuple[str, str]]:
    """A selection as query pairs: one pair per value, multi-choice values repeated
    (:meth:`engine.Selection.query_pairs`)."""
    return [(p, o) for p, o in EngineSelection.parse(selection).query_pairs() if o]


def query_string(catalog: str | None, selection: Mapping[str, object], **extra: object) -> str:
    """The canonical query for a catalog and selection (catalog first, then properties, then extras).

    >>> query_string("stripe-connect@2024", {"dashboard": "express", "fees": ("a", "b")}, plan="acme")
    'catalog=stripe-connect%402024&dashboard=express&fees=a&fees=b&plan=acme'
    """
    pairs: list[tuple[str, str]] = [("catalog", catalog)] if catalog else []
    pairs += selection_values(selection)
    pairs += [(k, str(v)) for k, v in extra.items() if v not in (None, "", False)]
    return urlencode(pairs)


def catalog_link(catalog: Catalog, asked: str | None = None) -> str:
    """How the web's URLs and forms name ``catalog``: ``NAME@EDITION.rN`` when the request named a
    revision (a correction's older revision stays on it), else ``NAME@EDITION`` (its newest revision).

    >>> from types import SimpleNamespace as NS
    >>> cat = NS(ref="stripe-connect@2024", revision_ref="stripe-connect@2024.r1")
    >>> catalog_link(cat, "stripe-connect@2024.r1"), catalog_link(cat, "stripe-connect@2024")
    ('stripe-connect@2024.r1', 'stripe-connect@2024')
    """
    from connectplan.engine.catalog_ref import CatalogRef

    exact = asked is not None and CatalogRef.parse(asked).exact
    return catalog.revision_ref if exact else catalog.ref
