"""Brute-force reference implementations over every complete selection (small catalogs only).

The solver-backed algorithms (:mod:`engine.propagation`, :mod:`engine.alternatives`,
:mod:`engine.lint`) are tested against these on small random catalogs. This is the tests'
oracle, not part of the engine.
"""

from __future__ import annotations

from itertools import combinations, product
from typing import TYPE_CHECKING

from engine.alternatives import make_alternative, rank_key
from engine.expression import compile_expression
from engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from engine.catalog import Catalog
    from engine.resolution import Alternative

__all__ = [
    "alternatives_exhaustive",
    "best_ranks_exhaustive",
    "count_verdicts",
    "iter_selections",
    "space_size",
    "verdict_rank",
]


def space_size(catalog: Catalog) -> int:
    """How many complete selections the catalog has."""
    size = 1
    for prop in catalog.properties:
        size *= len(prop.options)
    return size


def iter_selections(catalog: Catalog, fixed: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Every complete selection that agrees with ``fixed``, in catalog order."""
    fixed = fixed or {}
    ids = [p.id for p in catalog.properties]
    domains = [(fixed[p.id],) if p.id in fixed else p.option_ids for p in catalog.properties]
    for combo in product(*domains):
        yield dict(zip(ids, combo, strict=True))


def _compiled_rules(catalog: Catalog) -> list[tuple[Severity, Callable[[Mapping[str, str]], bool]]]:
    return [(r.rank, compile_expression(r.condition)) for r in catalog.rules]


def verdict_rank(catalog: Catalog, selection: Mapping[str, str]) -> Severity:
    """The verdict of a complete selection on the severity scale."""
    return max((rank for rank, fn in _compiled_rules(catalog) if fn(selection)), default=Severity.ALLOWED)


def count_verdicts(catalog: Catalog) -> dict[str, int]:
    """How many complete selections get each verdict (enumerates the whole space)."""
    rules = _compiled_rules(catalog)
    counts = {rank.verdict: 0 for rank in Severity}
    for sel in iter_selections(catalog):
        counts[max((rank for rank, fn in rules if fn(sel)), default=Severity.ALLOWED).verdict] += 1
    return counts


def best_ranks_exhaustive(catalog: Catalog, selection: Mapping[str, str]) -> dict[tuple[str, str], int]:
    """For each option: best verdict rank over completions of the selection without its own property."""
    out: dict[tuple[str, str], int] = {}
    for prop in catalog.properties:
        context = {p: o for p, o in selection.items() if p != prop.id}
        for opt in prop.option_ids:
            out[(prop.id, opt)] = min(
                verdict_rank(catalog, s) for s in iter_selections(catalog, {**context, prop.id: opt})
            )
    return out


def excluded_by(catalog: Catalog, fixed: Mapping[str, str], rule_ids: set[str] | None = None) -> bool:
    """True when every completion of ``fixed`` fires a rule of rank >= blocked (among ``rule_ids`` if given)."""
    rules = [
        compile_expression(r.condition)
        for r in catalog.rules
        if r.rank.excludes and (rule_ids is None or r.id in rule_ids)
    ]
    return all(any(fn(s) for fn in rules) for s in iter_selections(catalog, fixed))


def smallest_excluding_size(catalog: Catalog, context: Mapping[str, str], prop: str, option: str) -> int | None:
    """Size of the smallest subset of ``context`` that, with ``prop.option``, excludes it."""
    items = list(context.items())
    for size in range(len(items) + 1):
        for subset in combinations(items, size):
            if excluded_by(catalog, {**dict(subset), prop: option}):
                return size
    return None


def alternatives_exhaustive(
    catalog: Catalog, selection: Mapping[str, str], *, limit: int = 3
) -> tuple[Alternative, ...]:
    """The ranked minimal alternatives of :func:`engine.alternatives.nearest_alternatives`, by enumeration."""
    current = verdict_rank(catalog, selection)
    better = []
    for sel in iter_selections(catalog):
        rank = verdict_rank(catalog, sel)
        if rank < current:
            better.append((frozenset((p, o) for p, o in sel.items() if selection[p] != o), rank, sel))
    minimal = [
        (changes, rank, sel)
        for changes, rank, sel in better
        if not any(other < changes and other_rank <= rank for other, other_rank, _ in better)
    ]
    alts = [make_alternative(catalog, selection, sel, rank.verdict) for _, rank, sel in minimal]
    return tuple(sorted(alts, key=lambda a: rank_key(catalog, a))[:limit])
