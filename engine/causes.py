"""The smallest set of chosen terms that forces a condition: shared by resolution and propagation.

A condition is *forced* by some chosen literals when it is true for every valid selection that
keeps them, whatever the other choices become. A literal is a term of the selection: for a
single-choice property ``p.o`` (``p`` is ``o``); for a multi-choice property ``m.o`` (``o`` is
among the chosen) or :class:`~engine.expression.Absent` ``not m.o`` (it is not). Only the
properties the condition mentions can matter, so the search is over them alone: subsets of the
chosen literals by size, then in the order given (:func:`selection_literals`: the chosen terms
in the order their properties first appear in the condition, then the absent options of
multi-choice properties), so the answer is deterministic. Completions respect the count
bounds of multi-choice properties.

>>> from connectplan.engine.expression import parse_expression
>>> doms = {"a": ("x", "y", "z"), "b": ("x", "y")}
>>> cause = lambda text, sel: selection_cause(parse_expression(text), sel, doms)
>>> cause("a.x or b.y", {"a": "x", "b": "y"})
(Term(prop='a', option='x'),)
>>> cause("not a.z and b.y", {"a": "x", "b": "y"})
(Term(prop='a', option='x'), Term(prop='b', option='y'))
>>> forcing_cause(parse_expression("a.x and b.y"), [Term("b", "y")], [Term("a", "x")], doms)
(Term(prop='a', option='x'),)
>>> cause("a.x", {"a": "y"}) is None
True
>>> multi = {"m": Space(("p", "q", "r"), multi=True, low=1, high=3)}
>>> selection_cause(parse_expression("m.p and not m.q"), {"m": ("p", "r")}, multi)
(Term(prop='m', option='p'), Absent(prop='m', option='q'))
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations, product
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from connectplan.engine.expression import Absent, Expr, Term, compile_expression, iter_terms

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from connectplan.engine.catalog import Property
    from connectplan.engine.expression import Choice, Predicate

__all__ = [
    "Space",
    "condition_properties",
    "forcing_cause",
    "selection_cause",
    "selection_literals",
    "space_of",
    "space_values",
]


class Space(NamedTuple):
    """The values a property can take: one of ``options``, or (``multi``) a set of ``low``..``high`` of
    them in which an ``exclusive`` option only ever stands alone."""

    options: tuple[str, ...]
    multi: bool = False
    low: int = 1
    high: int = 1
    exclusive: tuple[str, ...] = ()


#: A property's space, or just its option ids (a single-choice property).
SpaceLike = Union[Space, "Sequence[str]"]


def space_of(prop: Property) -> Space:
    """The :class:`Space` of a catalog property."""
    exclusive = tuple(o.id for o in prop.options if o.exclusive)
    return Space(prop.option_ids, prop.multi, prop.min_options, prop.max_options, exclusive)


def _space(value: SpaceLike) -> Space:
    return value if isinstance(value, Space) else Space(tuple(value))


@lru_cache(maxsize=4096)
def space_values(space: Space) -> tuple[Choice, ...]:
    """Every value of a space: its options, or every valid set of options (by size, then position).

    >>> space_values(Space(("a", "b", "c"), multi=True, low=1, high=2))
    (('a',), ('b',), ('c',), ('a', 'b'), ('a', 'c'), ('b', 'c'))
    >>> space_values(Space(("a", "b", "none"), multi=True, low=1, high=3, exclusive=("none",)))
    (('a',), ('b',), ('none',), ('a', 'b'))
    """
    if not space.multi:
        return space.options
    sets = (combo for size in range(space.low, space.high + 1) for combo in combinations(space.options, size))
    if not space.exclusive:
        return tuple(sets)
    return tuple(c for c in sets if len(c) == 1 or not any(o in space.exclusive for o in c))


def condition_properties(expr: Expr) -> tuple[str, ...]:
    """The properties ``expr`` mentions, in the order they first appear."""
    return tuple(dict.fromkeys(t.prop for t in iter_terms(expr)))


def selection_literals(
    props: Sequence[str], selection: Mapping[str, Choice], spaces: Mapping[str, SpaceLike]
) -> tuple[Term, ...]:
    """The literals of ``selection`` on ``props`` in search order: chosen terms (properties in the
    given order), then the absent options of multi-choice properties."""
    chosen: list[Term] = []
    absent: list[Term] = []
    for p in props:
        value = selection.get(p)
        if value is None:
            continue
        if isinstance(value, str):
            chosen.append(Term(p, value))
            continue
        chosen.extend(Term(p, o) for o in value)
        absent.extend(Absent(p, o) for o in _space(spaces[p]).options if o not in value)
    return (*chosen, *absent)


def selection_cause(
    expr: Expr, selection: Mapping[str, Choice], spaces: Mapping[str, SpaceLike]
) -> tuple[Term, ...] | None:
    """The smallest set of ``selection``'s literals that forces ``expr`` (None when it does not hold)."""
    props = condition_properties(expr)
    return forcing_cause(expr, (), selection_literals(props, selection, spaces), spaces, props=props)


def forcing_cause(
    expr: Expr,
    fixed: Iterable[Term],
    chosen: Sequence[Term],
    spaces: Mapping[str, SpaceLike],
    *,
    props: tuple[str, ...] | None = None,
) -> tuple[Term, ...] | None:
    """The smallest subset of ``chosen`` that, with ``fixed``, makes ``expr`` true whatever the rest is.

    ``fixed`` holds literals taken as given (never part of the answer; ``chosen`` literals of a
    property ``fixed`` mentions are left out); ``spaces`` gives each property's options (or its
    :class:`Space`); ``props`` may pass :func:`condition_properties` of ``expr``. Returns None when
    even all of ``chosen`` does not force ``expr``; ``()`` when ``fixed`` alone does.
    """
    if props is None:
        props = condition_properties(expr)
    relevant = set(props)
    fixed_here = tuple(lit for lit in fixed if lit.prop in relevant)
    fixed_props = {lit.prop for lit in fixed_here}
    chosen_here = tuple(lit for lit in chosen if lit.prop in relevant and lit.prop not in fixed_props)
    key = (expr, props, fixed_here, chosen_here, tuple(_space(spaces[p]) if p in spaces else Space(()) for p in props))
    return _forcing_cause(key)


@lru_cache(maxsize=65536)
def _compiled(expr: Expr, multi: frozenset[str]) -> Predicate:
    return compile_expression(expr, multi)


def _allowed(space: Space, prop: str, literals: Iterable[Term]) -> list[Choice]:
    values: Iterable[Choice] = space_values(space)
    for lit in literals:
        if lit.prop != prop:
            continue
        negated = isinstance(lit, Absent)
        if space.multi:
            values = [v for v in values if (lit.option in v) != negated]
        else:
            values = [v for v in values if (v == lit.option) != negated]
    return list(values)


@lru_cache(maxsize=65536)
def _forcing_cause(key: tuple[Any, ...]) -> tuple[Term, ...] | None:
    expr, props, fixed, chosen, spaces = key
    fn = _compiled(expr, frozenset(p for p, s in zip(props, spaces, strict=True) if s.multi))
    base = [_allowed(space, p, fixed) for p, space in zip(props, spaces, strict=True)]
    for size in range(len(chosen) + 1):
        for subset in combinations(chosen, size):
            domains = base
            if subset:
                touched = {lit.prop for lit in subset}
                domains = [
                    _allowed(space, p, [*fixed, *subset]) if p in touched else base[i]
                    for i, (p, space) in enumerate(zip(props, spaces, strict=True))
                ]
            assignment: dict[str, Choice] = {}
            forced = True
            for values in product(*domains):
                for p, value in zip(props, values, strict=True):
                    assignment[p] = value
                if not fn(assignment):
                    forced = False
                    break
            if forced:
                return subset
    return None
