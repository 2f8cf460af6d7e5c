"""Selections: the one :class:`Selection` type (parsing and formatting), checking one against a
catalog, and building one from a preset plus explicit choices.

A selection maps property ids to option ids: one id for a single-choice property, a tuple of ids
for a multi-choice one. Every edge parses through :meth:`Selection.parse` (CLI ``--set`` repeats and
comma lists, query strings and forms, JSON and Python mappings) and every output formats through
:func:`format_choice` / :meth:`Selection.format` (option-declaration order; never a tuple's repr).

>>> Selection.parse(["dashboard=full", "monetization=a", "monetization=b"]).format()
'dashboard=full, monetization=a,b'
>>> format_choice(("application_fees",))
'application_fees'

>>> from connectplan.engine.loading import catalog_from_dict
>>> cat = catalog_from_dict({
...     "format": "connectplan-catalog/1", "name": "demo", "edition": "1", "title": "Demo",
...     "properties": [{"id": "size", "title": "Size",
...                     "options": [{"id": "s", "title": "S"}, {"id": "l", "title": "L"}]},
...                    {"id": "tone", "title": "Tone", "options": [{"id": "dark", "title": "Dark"}]}],
...     "rules": [], "steps": [],
...     "presets": [{"id": "small", "title": "Small", "selection": {"size": "s", "tone": "dark"}}]})
>>> build_selection(cat, "small", {"size": "l"})
{'size': 'l', 'tone': 'dark'}
>>> check_selection(cat, {"tone": "dark", "size": "l"})
(('size', 'l'), ('tone', 'dark'))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Union

from connectplan.engine.errors import SelectionError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectplan.engine.catalog import Catalog, Property
    from connectplan.engine.expression import Choice

__all__ = ["Repeats", "Selection", "SelectionInput", "build_selection", "check_selection", "format_choice"]


class Repeats(tuple[str, ...]):
    """The values of a property named more than once (``--set P=a --set P=b``), until a catalog says
    whether they add up (a multi-choice property) or the last one wins (:meth:`Selection.for_catalog`).

    Its own type, so that a tuple given through the Python API is never taken for repeats.
    """

    __slots__ = ()


def format_choice(value: Any, prop: Property | None = None) -> str:
    """A property's choice as text: the option id, or the ids joined with commas (in ``prop``'s
    option-declaration order when it is given); ``""`` for none. The one way a choice is written.

    >>> format_choice("direct"), format_choice(("a", "b")), format_choice(None), format_choice(["x"])
    ('direct', 'a,b', '', 'x')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    ids = [str(v) for v in value]
    if prop is not None:
        order = {o: i for i, o in enumerate(prop.option_ids)}
        ids.sort(key=lambda o: (order.get(o, len(order)), o))
    return ",".join(ids)


class Selection(Mapping[str, "Choice"]):
    """An immutable selection: property id -> option id, or a tuple of option ids (multi-choice).

    Build one with :meth:`parse` (every input shape, in one place); it keeps the order given (after
    :meth:`for_catalog` with a catalog: property order, multi-choice ids in declaration order).
    Equal to any mapping with the same items; hashable.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: dict[str, Choice] = {str(p): v if isinstance(v, (str, Repeats)) else tuple(v) for p, v in pairs}

    @classmethod
    def parse(cls, source: SelectionInput, catalog: Catalog | None = None, *, repeated: str = "merge") -> Selection:
        """The one parser of selections.

        ``source`` is a :class:`Selection` (as it is), a mapping (the Python API, a JSON object: a
        value is an option id, a list of ids or comma-separated ids), CLI ``--set`` strings
        ``PROPERTY=OPTION`` (a property named again: its values add up for a multi-choice property,
        else the last one wins) or query/form pairs ``(name, value)`` (an empty value means not
        chosen). With ``repeated="refuse"`` a single-choice property given twice with different
        values is an error (a query string). With ``catalog`` the repeats and comma lists are
        settled (:meth:`for_catalog`); without one they are kept for it.
        """
        if source is None:
            parsed = cls()
        elif isinstance(source, Selection):
            parsed = source
        elif isinstance(source, Mapping):
            parsed = cls(source.items())
        else:
            parsed = cls._from_pairs(source, repeated)
        return parsed.for_catalog(catalog) if catalog is not None else parsed

    @classmethod
    def _from_pairs(cls, source: Iterable[str] | Iterable[tuple[str, str]], repeated: str) -> Selection:
        out: dict[str, Any] = {}
        for item in source:
            if isinstance(item, str):
                prop, sep, opt = item.partition("=")
                prop, opt = prop.strip(), opt.strip()
                if not sep or not prop or not opt:
                    raise SelectionError(
                        f"malformed choice {item!r}; use PROPERTY=OPTION, e.g. dashboard=express",
                        code="malformed_choice",
                        field="set",
                        value=item,
                    )
            else:
                prop, opt = item[0], item[1].strip()
                if not opt:
                    continue
            if prop not in out:
                out[prop] = opt
                continue
            earlier = out[prop]
            values = (*earlier, opt) if isinstance(earlier, Repeats) else (earlier, opt)
            out[prop] = Repeats(values)
        selection = cls()
        selection._items = out
        return selection

    def for_catalog(self, catalog: Catalog, *, repeated: str = "merge") -> Selection:
        """Repeats and comma lists settled by ``catalog``: a multi-choice property's values add up
        (a tuple in declaration order), any other takes the last one (``repeated="refuse"``: a
        different second value is an error). Unknown properties and options are left for
        :func:`check_selection` to name."""
        out: dict[str, Choice] = {}
        for prop_id, value in self._items.items():
            prop = catalog.property_index.get(prop_id)
            if prop is not None and prop.multi and isinstance(value, (str, tuple)):
                ids = [i.strip() for v in _values(value) if isinstance(v, str) for i in v.split(",") if i.strip()]
                out[prop_id] = tuple(sorted(dict.fromkeys(ids), key=_declared(prop)))
            elif isinstance(value, Repeats):
                if repeated == "refuse" and len(set(value)) > 1:
                    raise SelectionError(f"parameter {prop_id!r} given {len(value)} times; give it once", field=prop_id)
                out[prop_id] = value[-1]
            else:
                out[prop_id] = value
        selection = Selection()
        selection._items = out
        return selection

    def merged(self, other: Mapping[str, Any]) -> Selection:
        """This selection with ``other``'s choices over it."""
        return Selection({**self._items, **Selection.parse(other)._items})

    def format(self, catalog: Catalog | None = None, *, sep: str = ", ") -> str:
        """``p=o, q=a,b``: the one text of a selection (multi-choice ids in declaration order with ``catalog``)."""
        props = catalog.property_index if catalog is not None else {}
        return sep.join(f"{p}={format_choice(v, props.get(p))}" for p, v in self._items.items())

    def query_pairs(self) -> list[tuple[str, str]]:
        """One ``(property, option)`` pair per chosen option: a query string's or a form's."""
        return [(p, o) for p, v in self._items.items() for o in _values(v)]

    def __getitem__(self, key: str) -> Choice:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return dict(self._items) == dict(other) if isinstance(other, Mapping) else NotImplemented

    def __repr__(self) -> str:
        return f"Selection({self.format()!r})"

    def __str__(self) -> str:
        return self.format()


#: What a selection argument accepts: see :meth:`Selection.parse`.
SelectionInput = Union[Selection, Mapping[str, Any], Iterable[str], Iterable[tuple[str, str]], None]


def _choice(value: Any) -> Any:
    """A choice as stored: text, or a tuple of ids (any other value is kept for the check to refuse)."""
    if isinstance(value, (str, Repeats, tuple)):
        return value
    if isinstance(value, (list, set, frozenset)) and all(isinstance(v, str) for v in value):
        return tuple(sorted(value)) if isinstance(value, (set, frozenset)) else tuple(value)
    return value


def _values(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _declared(prop: Property) -> Any:
    order = {o: i for i, o in enumerate(prop.option_ids)}
    return lambda o: (order.get(o, len(order)), o)


def build_selection(
    catalog: Catalog, preset: str | None, assignments: Mapping[str, str | Sequence[str]]
) -> dict[str, str | Sequence[str]]:
    """A preset's selection (if any) overridden by explicit assignments (not yet checked).

    Raises
    ------
    SelectionError
        When ``preset`` is not a preset of the catalog (the message lists the presets).
    """
    selection: dict[str, str | Sequence[str]] = {}
    if preset:
        found = catalog.preset_index.get(preset)
        if found is None:
            known = ", ".join(catalog.preset_index) or "none"
            raise SelectionError(f"unknown preset {preset!r} in {catalog.ref}; presets: {known}")
        selection.update(found.selection)
    selection.update(assignments)
    return selection


def check_selection(
    catalog: Catalog, selection: Mapping[str, Any], *, complete: bool = True
) -> tuple[tuple[str, Choice], ...]:
    """Validate a selection against the catalog; return it normalised, in property order.

    A single-choice property takes an option id; a multi-choice property a list, tuple or
    comma-separated text of option ids, returned as a tuple in option-declaration order (a
    repeated id counts once).

    Raises
    ------
    SelectionError
        For an unknown property, an unknown option, several options for a single-choice property,
        a count of options outside a multi-choice property's bounds, an exclusive option chosen
        with others (code ``exclusive_option``), or (``complete=True``) a property left out; the
        message lists the valid ids. A pending ("not decided yet") option is a valid choice.
    """
    props = catalog.property_index
    chosen: dict[str, Choice] = {}
    for prop_id, value in selection.items():
        prop = props.get(prop_id)
        if prop is None:
            raise SelectionError(
                f"unknown property {prop_id!r} in {catalog.ref}; properties: {', '.join(props)}",
                code="unknown_property",
            )
        chosen[prop_id] = prop.choose(value, where=catalog.ref)
    if complete:
        missing = [p for p in props if p not in chosen]
        if missing:
            hints = "; ".join(_hint(props[p]) for p in missing)
            raise SelectionError(f"no option selected for {', '.join(missing)}; set {hints}", code="incomplete")
    return tuple((p, chosen[p]) for p in props if p in chosen)


def _hint(prop: Property) -> str:
    if prop.multi:
        return f"{prop.id}=A,B,... ({prop.min_options} to {prop.max_options} of {'|'.join(prop.option_ids)})"
    return f"{prop.id}={'|'.join(prop.option_ids)}"
