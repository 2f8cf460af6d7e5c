"""Brute-force reference implementations over every complete selection (small catalogs only).

The solver-backed algorithms (:mod:`engine.propagation`, :mod:`engine.alternatives`,
:mod:`engine.lint`) are tested against these on small random catalogs. This is the tests'
oracle, not part of the engine: it evaluates conditions with :func:`engine.evaluate` and lists
the sets of options of a multi-choice property itself.

A *literal* constrains one property: ``Term(p, o)`` (``p`` is ``o``, or for a multi-choice
property ``o`` is among the chosen) or ``Absent(p, o)`` (``o`` is not among the chosen).
"""

from __future__ import annotations

from itertools import combinations, product
from typing import TYPE_CHECKING, Any

from connectplan.engine.alternatives import make_alternative, rank_key
from connectplan.engine.expression import Absent, Term, evaluate, holds
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from connectplan.engine.catalog import Catalog, Property
    from connectplan.engine.resolution import Alternative

__all__ = [
    "alternatives_exhaustive",
    "best_ranks_exhaustive",
    "count_verdicts",
    "excluded_by",
    "iter_selections",
    "literals_of",
    "smallest_excluding_size",
    "space_size",
    "values_of",
    "verdict_rank",
]


def values_of(prop: Property) -> list[Any]:
    """Every value of a property: an option id, or (multi-choice) a tuple of ``min``..``max`` option ids
    in which an exclusive option only ever stands alone."""
    if not prop.multi:
        return list(prop.option_ids)
    alone = {o.id for o in prop.options if o.exclusive}
    return [
        combo
        for size in range(prop.min_options, prop.max_options + 1)
        for combo in combinations(prop.option_ids, size)
        if size == 1 or not alone.intersection(combo)
    ]


def space_size(catalog: Catalog) -> int:
    """How many complete selections the catalog has."""
    size = 1
    for prop in catalog.properties:
        size *= len(values_of(prop))
    return size


def iter_selections(
    catalog: Catalog, fixed: Mapping[str, Any] | None = None, literals: Iterable[Term] = ()
) -> Iterator[dict[str, Any]]:
    """Every complete selection that agrees with ``fixed`` (exact values) and ``literals``, in catalog order."""
    fixed = fixed or {}
    literals = list(literals)
    ids = [p.id for p in catalog.properties]
    domains = []
    for p in catalog.properties:
        values = [fixed[p.id]] if p.id in fixed else values_of(p)
        domains.append([v for v in values if all(holds(t, {p.id: v}) for t in literals if t.prop == p.id)])
    for combo in product(*domains):
        yield dict(zip(ids, combo, strict=True))


def literals_of(catalog: Catalog, selection: Mapping[str, Any]) -> list[Term]:
    """The literals of a (partial) selection: chosen terms, and the absent options of multi-choice properties."""
    out: list[Term] = []
    for prop in catalog.properties:
        value = selection.get(prop.id)
        if value is None:
            continue
        if isinstance(value, str):
            out.append(Term(prop.id, value))
        else:
            out.extend(Term(prop.id, o) if o in value else Absent(prop.id, o) for o in prop.option_ids)
    return out


def verdict_rank(catalog: Catalog, selection: Mapping[str, Any]) -> Severity:
    """The verdict of a complete selection on the severity scale."""
    return max((r.rank for r in catalog.rules if evaluate(r.condition, selection)), default=Severity.ALLOWED)


def count_verdicts(catalog: Catalog) -> dict[str, int]:
    """How many complete selections get each verdict (enumerates the whole space)."""
    counts = {rank.verdict: 0 for rank in Severity}
    for sel in iter_selections(catalog):
        counts[verdict_rank(catalog, sel).verdict] += 1
    return counts


def best_ranks_exhaustive(
    catalog: Catalog, selection: Mapping[str, Any], *, without: bool = False
) -> dict[tuple[str, str], Severity]:
    """For each option: best verdict rank over completions of the selection without its own property
    that include the option (``without=True``: that leave it out; multi-choice properties only)."""
    out: dict[tuple[str, str], Severity] = {}
    for prop in catalog.properties:
        if without and not prop.multi:
            continue
        context = {p: o for p, o in selection.items() if p != prop.id}
        for opt in prop.option_ids:
            literal = Absent(prop.id, opt) if without else Term(prop.id, opt)
            out[(prop.id, opt)] = min(
                (verdict_rank(catalog, s) for s in iter_selections(catalog, context, [literal])),
                default=Severity.OUT_OF_SCOPE,
            )
    return out


def excluded_by(
    catalog: Catalog,
    fixed: Mapping[str, Any] | None = None,
    rule_ids: set[str] | None = None,
    literals: Iterable[Term] = (),
) -> bool:
    """True when every completion of ``fixed`` and ``literals`` fires a rule of rank >= blocked
    (among ``rule_ids`` if given)."""
    rules = [r for r in catalog.rules if r.rank.excludes and (rule_ids is None or r.id in rule_ids)]
    return all(any(evaluate(r.condition, s) for r in rules) for s in iter_selections(catalog, fixed or {}, literals))


def smallest_excluding_size(catalog: Catalog, context: Mapping[str, Any], prop: str, option: str) -> int | None:
    """Size of the smallest subset of ``context``'s literals that, with ``prop.option``, excludes it."""
    items = literals_of(catalog, context)
    for size in range(len(items) + 1):
        for subset in combinations(items, size):
            if excluded_by(catalog, literals=[*subset, Term(prop, option)]):
                return size
    return None


def _toggles(catalog: Catalog, before: Mapping[str, Any], after: Mapping[str, Any]) -> frozenset[tuple[Any, ...]]:
    """The changes from ``before`` to ``after``: (property, new option) or (property, option, added?)."""
    out: set[tuple[Any, ...]] = set()
    for prop in catalog.properties:
        a, b = before[prop.id], after[prop.id]
        if isinstance(a, str):
            if a != b:
                out.add((prop.id, b))
        else:
            out.update((prop.id, o, o in b) for o in prop.option_ids if (o in a) != (o in b))
    return frozenset(out)


def _newly_pending(prop: Property, before: Any, after: Any) -> bool:
    """True when ``after`` holds the property's pending option and ``before`` does not."""
    pending = [o.id for o in prop.options if o.pending]
    if not pending:
        return False
    as_set = lambda v: {v} if isinstance(v, str) else set(v)  # noqa: E731
    return pending[0] in as_set(after) and pending[0] not in as_set(before)


def alternatives_exhaustive(
    catalog: Catalog, selection: Mapping[str, Any], *, limit: int = 3
) -> tuple[Alternative, ...]:
    """The ranked minimal alternatives of :func:`engine.alternatives.nearest_alternatives`, by enumeration."""
    current = verdict_rank(catalog, selection)
    better = []
    for sel in iter_selections(catalog):
        if any(_newly_pending(p, selection[p.id], sel[p.id]) for p in catalog.properties):
            continue  # a change *to* "not decided yet" is never a fix
        rank = verdict_rank(catalog, sel)
        if rank < current:
            better.append((_toggles(catalog, selection, sel), rank, sel))
    minimal = [
        (changes, rank, sel)
        for changes, rank, sel in better
        if not any(other < changes and other_rank <= rank for other, other_rank, _ in better)
    ]
    alts = [make_alternative(catalog, selection, sel, rank.verdict) for _, rank, sel in minimal]
    return tuple(sorted(alts, key=lambda a: rank_key(catalog, a))[:limit])
