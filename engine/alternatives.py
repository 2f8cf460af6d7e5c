"""Nearest alternatives: the closest complete selections with a better verdict.

An alternative is a complete selection whose verdict ranks better than the given one, described
by its *changes* (property, before, after). Only *minimal* alternatives are kept: no other
selection whose changes are a proper subset of these has the same or a better verdict. They
are ranked by

1. verdict (best first),
2. number of changed properties (fewest first),
3. closeness to a preset: fewest properties differing from the nearest preset, then that
   preset's position in the catalog,
4. the changes themselves, by property then option position in the catalog (a total order).

The search is exact and never enumerates the selection space. For each verdict level ``t``
(best first) it asks the solver for selections with verdict at most ``t`` and at most ``k``
changes (a sequential counter over "property changed" literals), for ``k = 1, 2, ...``; each
answer is recorded and its superset blocked with a clause (the clause stays valid at every
later level). Because sizes grow one at a time, every answer is minimal. Properties no
verdict-changing rule mentions are never changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.expression import iter_terms
from engine.resolution import Alternative, Change, check_selection, resolve
from engine.sat import Encoding, SolverFactory
from engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from engine.catalog import Catalog

__all__ = ["MAX_GROUP", "nearest_alternatives", "preset_closeness", "rank_key"]

#: Safety cap: most minimal alternatives enumerated for one (verdict, size) group before ranking.
MAX_GROUP = 1000


def preset_closeness(catalog: Catalog, selection: Mapping[str, str]) -> tuple[str | None, int | None, int]:
    """(nearest preset id, properties differing from it, its position); (None, None, 0) without presets."""
    best: tuple[int, int, str] | None = None
    for i, preset in enumerate(catalog.presets):
        distance = sum(1 for p, o in preset.selection if selection.get(p) != o)
        if best is None or (distance, i) < (best[0], best[1]):
            best = (distance, i, preset.id)
    if best is None:
        return None, None, 0
    return best[2], best[0], best[1]


def rank_key(catalog: Catalog, alternative: Alternative) -> tuple[int, int, int, int, tuple[tuple[int, int], ...]]:
    """The ranking order of alternatives (see the module docstring)."""
    sel = dict(alternative.selection)
    _, distance, position = preset_closeness(catalog, sel)
    prop_pos = {p.id: i for i, p in enumerate(catalog.properties)}
    changes = tuple(
        (prop_pos[c.prop], catalog.property_index[c.prop].option_ids.index(c.after)) for c in alternative.changes
    )
    return (Severity.parse(alternative.verdict), len(alternative.changes), distance or 0, position, changes)


def make_alternative(
    catalog: Catalog, original: Mapping[str, str], selection: Mapping[str, str], verdict: str
) -> Alternative:
    changes = tuple(
        Change(p.id, original[p.id], selection[p.id]) for p in catalog.properties if selection[p.id] != original[p.id]
    )
    preset, distance, _ = preset_closeness(catalog, selection)
    ordered = tuple((p.id, selection[p.id]) for p in catalog.properties)
    return Alternative(changes, verdict, ordered, preset, distance)


class _AtMost:
    """Sequential counter (Sinz 2005) over ``lits`` with registers up to ``cap + 1``.

    Only upward implications are encoded, so assuming ``-register[k + 1]`` bounds the number of
    true literals by ``k`` without constraining anything when it is not assumed.
    """

    def __init__(self, enc: Encoding, lits: Sequence[int], cap: int) -> None:
        self.cap = cap
        self.last: list[int] = []
        prev: list[int] = []
        for lit in lits:
            row = [enc.new_var() for _ in range(cap + 1)]
            enc.solver.add_clause([-lit, row[0]])
            for j in range(cap + 1):
                if prev:
                    enc.solver.add_clause([-prev[j], row[j]])
                    if j > 0:
                        enc.solver.add_clause([-lit, -prev[j - 1], row[j]])
            prev = row
        self.last = prev

    def bound(self, k: int) -> list[int]:
        return [-self.last[k]] if self.last and k < len(self.last) else []


def nearest_alternatives(
    catalog: Catalog, selection: Mapping[str, str], solver_factory: SolverFactory, *, limit: int = 3
) -> tuple[Alternative, ...]:
    """Up to ``limit`` minimal alternatives with a better verdict than ``selection``'s, ranked.

    Raises
    ------
    SelectionError
        If the selection is incomplete or names unknown ids.
    """
    ordered = check_selection(catalog, selection)
    sel = dict(ordered)
    current = resolve(catalog, sel).rank
    if current == Severity.ALLOWED or limit <= 0:
        return ()
    relevant = {t.prop for r in catalog.rules if r.rank > Severity.ALLOWED for t in iter_terms(r.condition)}
    enc = Encoding(catalog, solver_factory())
    fixed = [enc.option_var[(p, o)] for p, o in ordered if p not in relevant]
    movable = [p for p, _ in ordered if p in relevant]
    changed = [-enc.option_var[(p, sel[p])] for p in movable]
    counter: _AtMost | None = None
    found: list[Alternative] = []
    for level in (rank for rank in Severity if rank < current):
        k = 1
        while k <= len(movable):
            if counter is None or k > counter.cap:
                counter = _AtMost(enc, changed, min(len(movable), max(4, 2 * k)))
            group = 0
            while group < MAX_GROUP:
                model = enc.solve([*fixed, *enc.at_most(level), *counter.bound(k)])
                if model is None:
                    break
                group += 1
                chosen = enc.model_selection(model)
                alt = make_alternative(catalog, sel, chosen, enc.model_rank(model).verdict)
                found.append(alt)
                enc.solver.add_clause([-enc.option_var[(c.prop, c.after)] for c in alt.changes])
            if len(found) >= limit:
                return _ranked(catalog, found, limit)
            if enc.solve([*fixed, *enc.at_most(level)]) is None:
                break  # nothing left at this level, whatever the number of changes
            k += 1
    return _ranked(catalog, found, limit)


def _ranked(catalog: Catalog, found: list[Alternative], limit: int) -> tuple[Alternative, ...]:
    return tuple(sorted(found, key=lambda a: rank_key(catalog, a))[:limit])
