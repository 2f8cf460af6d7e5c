"""Nearest alternatives: the closest complete selections with a better verdict.

An alternative is a complete selection whose verdict ranks better than the given one, described
by its *changes* (property, before, after). Only *minimal* alternatives are kept: no other
selection whose changes are a proper subset of these has the same or a better verdict. They
are ranked by

1. verdict (best first),
2. number of changes (fewest first): a changed single-choice property counts one, and so does
   each option added to or removed from a multi-choice property,
3. closeness to a preset: fewest changes from the nearest preset, then that
   preset's position in the catalog,
4. the changes themselves, by property then option position in the catalog (a total order).

The search is exact and never enumerates the selection space. For each verdict level ``t``
(best first) it asks the solver for selections with verdict at most ``t`` and at most ``k``
changes (a sequential counter over "property changed" literals), for ``k = 1, 2, ...``; each
answer is recorded and its superset blocked with a clause (the clause stays valid at every
later level). Because sizes grow one at a time, every answer is minimal. Properties no
verdict-changing rule mentions are never changed, and no property is changed *to* its pending
("not decided yet") option: that is never a fix (a pending option already chosen may stay).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectplan.engine.expression import iter_terms
from connectplan.engine.resolution import Alternative, Change, check_selection, choice_distance, resolve
from connectplan.engine.sat import Encoding, SolverFactory
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectplan.engine.catalog import Catalog
    from connectplan.engine.expression import Choice

__all__ = ["MAX_GROUP", "nearest_alternatives", "preset_closeness", "rank_key"]

#: Safety cap: most minimal alternatives enumerated for one (verdict, size) group before ranking.
MAX_GROUP = 1000


def preset_closeness(catalog: Catalog, selection: Mapping[str, Choice]) -> tuple[str | None, int | None, int]:
    """(nearest preset id, changes from it, its position); (None, None, 0) without presets."""
    best: tuple[int, int, str] | None = None
    for i, preset in enumerate(catalog.presets):
        distance = sum(choice_distance(selection.get(p), o) for p, o in preset.selection)
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
    changes: list[tuple[int, int]] = []
    for c in alternative.changes:
        ids = catalog.property_index[c.prop].option_ids
        if isinstance(c.after, str):
            changes.append((prop_pos[c.prop], ids.index(c.after)))
        else:  # each option added or removed, in declaration order
            toggled = set(c.before) ^ set(c.after)
            changes.extend((prop_pos[c.prop], i) for i, o in enumerate(ids) if o in toggled)
    size = sum(c.size for c in alternative.changes)
    return (Severity.parse(alternative.verdict), size, distance or 0, position, tuple(changes))


def make_alternative(
    catalog: Catalog, original: Mapping[str, Choice], selection: Mapping[str, Choice], verdict: str
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
    catalog: Catalog, selection: Mapping[str, Any], solver_factory: SolverFactory, *, limit: int = 3
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
    fixed = [lit for p, o in ordered if p not in relevant for lit in enc.choice_literals(p, o)]
    fixed += _no_new_pending(catalog, enc, sel)
    # one literal per possible change: a single-choice property leaves its option, an option of
    # a multi-choice property is added or removed
    changed: list[int] = []
    for p, value in ordered:
        if p not in relevant:
            continue
        if isinstance(value, str):
            changed.append(-enc.option_var[(p, value)])
        else:
            changed.extend(-lit for lit in enc.choice_literals(p, value))
    counter: _AtMost | None = None
    found: list[Alternative] = []
    for level in (rank for rank in Severity if rank < current):
        k = 1
        while k <= len(changed):
            if counter is None or k > counter.cap:
                counter = _AtMost(enc, changed, min(len(changed), max(4, 2 * k)))
            group = 0
            while group < MAX_GROUP:
                model = enc.solve([*fixed, *enc.at_most(level), *counter.bound(k)])
                if model is None:
                    break
                group += 1
                chosen = enc.model_selection(model)
                alt = make_alternative(catalog, sel, chosen, enc.model_rank(model).verdict)
                found.append(alt)
                enc.solver.add_clause([-lit for c in alt.changes for lit in _change_literals(enc, c)])
            if len(found) >= limit:
                return _ranked(catalog, found, limit)
            if enc.solve([*fixed, *enc.at_most(level)]) is None:
                break  # nothing left at this level, whatever the number of changes
            k += 1
    return _ranked(catalog, found, limit)


def _no_new_pending(catalog: Catalog, enc: Encoding, selection: Mapping[str, Choice]) -> list[int]:
    """Assumptions that keep every pending option the selection does not hold unchosen: an
    alternative never changes a property *to* "not decided yet" (keeping it is fine)."""
    out = []
    for prop in catalog.properties:
        pending = prop.pending_option
        if pending is not None and not prop.is_pending(selection[prop.id]):
            out.append(-enc.option_var[(prop.id, pending)])
    return out


def _change_literals(enc: Encoding, change: Change) -> list[int]:
    """Literals true in every selection that makes ``change`` (or a superset of it)."""
    if isinstance(change.after, str):
        return [enc.option_var[(change.prop, change.after)]]
    before = set(change.before)
    return [
        enc.option_var[(change.prop, o)] if o in change.after else -enc.option_var[(change.prop, o)]
        for o in enc.catalog.property_index[change.prop].option_ids
        if (o in before) != (o in change.after)
    ]


def _ranked(catalog: Catalog, found: list[Alternative], limit: int) -> tuple[Alternative, ...]:
    return tuple(sorted(found, key=lambda a: rank_key(catalog, a))[:limit])
