"""Propagation: what a partial selection still allows, option by option, and why.

For every property, each option is judged *given the other properties' choices* (for a
property the selection already sets, its own choice is left out, so the answer says what
switching to that option would do):

``excluded``  every completion is ``blocked`` or ``out_of_scope``;
``forced``    the only option of the property that is not excluded (for an option of a
              multi-choice property: every completion *without* it is excluded, some with it
              is not);
``open``      otherwise.

For a multi-choice property, an option's completions are those where it is among the chosen
(the property's other options free within its ``min``/``max`` bounds).

``best_verdict`` is the best verdict any completion with that option can still reach. An
excluded option carries a :class:`Reason`: the rule that excludes it and the smallest set of
chosen terms that make that rule fire whatever the open properties become. When no single
rule does (different completions are blocked by different rules), the reason lists the rules
that together cover every completion and the smallest set of chosen terms that leaves no
completion below ``blocked``.

The work is done by a SAT solver through :mod:`engine.sat` (no enumeration of the selection
space); :func:`engine.enumeration.explore_exhaustive` is the brute-force reference the tests
compare against.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import combinations
from math import comb
from typing import TYPE_CHECKING, Any

from connectplan.engine.causes import forcing_cause, selection_literals
from connectplan.engine.compiled import compile_catalog
from connectplan.engine.expression import Absent, Term
from connectplan.engine.resolution import Resolution, check_selection, resolve
from connectplan.engine.sat import Encoding, SolverFactory, satisfiable_literals
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectplan.engine.catalog import Catalog, Property, Rule
    from connectplan.engine.expression import Choice

__all__ = [
    "EXCLUDED",
    "FORCED",
    "OPEN",
    "OptionStatus",
    "Propagation",
    "PropertyStatus",
    "Reason",
    "propagate",
    "single_rule_reason",
]

EXCLUDED, FORCED, OPEN = "excluded", "forced", "open"
#: How many solver calls the search for the *smallest* joint cause may spend before it settles
#: for a subset-minimal one (only joint exclusions with many chosen terms ever hit it).
JOINT_CAUSE_BUDGET = 512
#: How many completions of a partial selection bound the verdicts of its selected properties' options.
WITNESSES = 4


@dataclass(frozen=True)
class Reason:
    """Why an option is excluded: ``rules`` (one rule, or several that only together exclude it)
    and ``because``, the smallest set of chosen terms that does it."""

    rules: tuple[str, ...]
    because: tuple[Term, ...]

    @property
    def rule(self) -> str | None:
        """The single rule that excludes the option, or None when it takes several together."""
        return self.rules[0] if len(self.rules) == 1 else None


@dataclass(frozen=True)
class OptionStatus:
    id: str
    status: str
    best_verdict: str
    reason: Reason | None = None


@dataclass(frozen=True)
class PropertyStatus:
    id: str
    selected: Choice | None
    options: tuple[OptionStatus, ...]

    def option(self, option_id: str) -> OptionStatus:
        return next(o for o in self.options if o.id == option_id)


@dataclass(frozen=True)
class Propagation:
    """The result of :func:`propagate`; ``resolution`` is set when the selection is complete."""

    catalog: Catalog
    selection: tuple[tuple[str, Choice], ...]
    properties: tuple[PropertyStatus, ...]
    resolution: Resolution | None = None

    def property(self, prop_id: str) -> PropertyStatus:
        return next(p for p in self.properties if p.id == prop_id)


# ---------------------------------------------------------------------------
# Single-rule causes (no solver: a rule's condition mentions few properties)


class _SingleRuleReasons:
    """Single-rule reasons for every option under one selection, each property judged without its own choice.

    A rule that does not mention property ``p`` is forced under "selection minus ``p``" exactly
    when the whole selection forces it, with the same cause; those are found once, ranked by
    (cause size, catalog position). Only the rules mentioning ``p`` are evaluated per option, so
    the work per option is bounded by the rules that mention its property.
    """

    def __init__(self, catalog: Catalog, selection: Mapping[str, Choice]) -> None:
        self.catalog = catalog
        self.selection = dict(selection)
        compiled = compile_catalog(catalog)
        self.index = compiled.blocking
        self.spaces = compiled.spaces
        self.order = compiled.order
        self._literals: dict[str, tuple[Term, ...]] = {}
        candidates: dict[int, Rule] = dict(self.index.unconditional)
        for p in self.selection:
            candidates.update(self.index.by_prop.get(p, ()))
        forced = []
        for i in sorted(candidates):
            rule = candidates[i]
            props = self.index.props_of[rule.id]
            cause = forcing_cause(rule.condition, (), self.literals(rule), self.spaces, props=props)
            if cause is not None:
                forced.append((len(cause), i, rule, cause))
        self.forced = sorted(forced, key=lambda item: (item[0], item[1]))

    def literals(self, rule: Rule) -> tuple[Term, ...]:
        """The selection's literals on the properties ``rule`` mentions, in search order."""
        found = self._literals.get(rule.id)
        if found is None:
            found = selection_literals(self.index.props_of[rule.id], self.selection, self.spaces)
            self._literals[rule.id] = found
        return found

    def reason(self, prop: str, option: str) -> Reason | None:
        best: tuple[int, int, Rule, tuple[Term, ...]] | None = None
        fixed = (Term(prop, option),)
        for i, rule in self.index.by_prop.get(prop, ()):
            # ``prop`` is fixed to ``option``, so its own choice in the selection is never used
            cause = forcing_cause(
                rule.condition, fixed, self.literals(rule), self.spaces, props=self.index.props_of[rule.id]
            )
            if cause is not None and (best is None or (len(cause), i) < (best[0], best[1])):
                best = (len(cause), i, rule, cause)
        for item in self.forced:
            if prop in self.index.props_of[item[2].id]:
                continue
            if best is None or (item[0], item[1]) < (best[0], best[1]):
                best = item
            break
        if best is None:
            return None
        return Reason((best[2].id,), tuple(sorted(best[3], key=lambda t: self.order[t.prop])))


def single_rule_reason(catalog: Catalog, context: Mapping[str, Choice], prop: str, option: str) -> Reason | None:
    """The rule (rank >= blocked) that alone excludes ``prop.option`` under ``context``, with the
    smallest chosen terms; the smallest cause wins, then catalog order. None if no single rule does."""
    return _SingleRuleReasons(catalog, {p: o for p, o in context.items() if p != prop}).reason(prop, option)


def _in_catalog_order(catalog: Catalog, terms: Sequence[Term]) -> tuple[Term, ...]:
    order = compile_catalog(catalog).order
    return tuple(sorted(terms, key=lambda t: order[t.prop]))


# ---------------------------------------------------------------------------
# The solver-backed propagation


def propagate(catalog: Catalog, selection: Mapping[str, Any], solver_factory: SolverFactory) -> Propagation:
    """Judge every option of every property under a partial selection (see the module docstring).

    Raises
    ------
    SelectionError
        If the selection names an unknown property or option.
    """
    ordered = check_selection(catalog, selection, complete=False)
    sel = dict(ordered)
    if compile_catalog(catalog).multi:
        return _propagate_by_property(catalog, ordered, Encoding(catalog, solver_factory()))
    if len(sel) == len(catalog.properties):
        return _propagate_complete(catalog, ordered)
    enc = Encoding(catalog, solver_factory())
    ranks: dict[tuple[str, str], Severity] = {}
    open_props = [p for p in catalog.properties if p.id not in sel]
    models: list[Sequence[int]] = []
    ranks.update(_best_ranks(enc, [(p.id, o) for p in open_props for o in p.option_ids], sel, models))
    # A selected property is judged without its own choice. Completions of the whole selection
    # (the models just found, best levels first) with that one property switched give an upper
    # bound on each option's best verdict; the solver only has to improve on bounds above allowed.
    witnesses = [_Neighbours(catalog, enc.model_selection(m)) for m in models[:WITNESSES]]
    sel_lits = enc.selection_literals(sel)
    for prop_id in sel:
        context: list[int] | None = None  # built only when the solver is needed
        for o in catalog.property_index[prop_id].option_ids:
            best = min((w.rank_with(prop_id, o) for w in witnesses), default=Severity.OUT_OF_SCOPE)
            while best > Severity.ALLOWED:
                if context is None:
                    own = set(enc.choice_literals(prop_id, sel[prop_id]))
                    context = [lit for lit in sel_lits if lit not in own]
                model = enc.solve([*context, enc.option_var[(prop_id, o)], *enc.at_most(best - 1)])
                if model is None:
                    break
                best = enc.model_rank(model)
            ranks[(prop_id, o)] = best
    singles = _SingleRuleReasons(catalog, sel)
    statuses = []
    for prop in catalog.properties:
        statuses.append(
            _property_status(catalog, prop.id, sel.get(prop.id), ranks, partial(_reason, singles, enc, prop.id))
        )
    return Propagation(catalog, ordered, tuple(statuses))


def _best_ranks(
    enc: Encoding,
    options: list[tuple[str, str]],
    context: Mapping[str, Choice],
    models: list[Sequence[int]] | None = None,
) -> dict[tuple[str, str], Severity]:
    """Best verdict rank reachable for each option under ``context``: one coverage pass per level."""
    ranks = _best_literal_ranks(enc, [enc.option_var[key] for key in options], enc.selection_literals(context), models)
    return {key: ranks[enc.option_var[key]] for key in options}


def _best_literal_ranks(
    enc: Encoding, literals: Sequence[int], assumptions: Sequence[int], models: list[Sequence[int]] | None = None
) -> dict[int, Severity]:
    """Best verdict rank reachable with each literal true under ``assumptions``: one coverage pass per level."""
    lits = {lit: lit for lit in literals}
    remaining = list(lits)
    out: dict[int, Severity] = {}
    for rank in Severity:
        if rank is Severity.OUT_OF_SCOPE:
            break
        if not remaining:
            break
        reached = satisfiable_literals(enc, remaining, [*assumptions, *enc.at_most(rank)], models)
        for lit in remaining:
            if lit in reached:
                out[lits[lit]] = rank
        remaining = [lit for lit in remaining if lit not in reached]
    for lit in remaining:  # rules never constrain a selection, so every option has completions
        out[lits[lit]] = Severity.OUT_OF_SCOPE
    return out


def _property_status(
    catalog: Catalog,
    prop_id: str,
    selected: Choice | None,
    ranks: Mapping[tuple[str, str], Severity],
    reason_for: Callable[[str], Reason],
    without: Mapping[str, Severity] | None = None,
) -> PropertyStatus:
    """Statuses of one property's options; ``without`` (multi-choice properties) holds, per option,
    the best rank of the completions that leave it out."""
    option_ids = catalog.property_index[prop_id].option_ids
    alive = [o for o in option_ids if not ranks[(prop_id, o)].excludes]
    options = []
    for o in option_ids:
        rank = ranks[(prop_id, o)]
        if rank.excludes:
            options.append(OptionStatus(o, EXCLUDED, rank.verdict, reason_for(o)))
        elif without is not None:
            options.append(OptionStatus(o, FORCED if without[o].excludes else OPEN, rank.verdict))
        else:
            options.append(OptionStatus(o, FORCED if len(alive) == 1 else OPEN, rank.verdict))
    return PropertyStatus(prop_id, selected, tuple(options))


def _propagate_by_property(catalog: Catalog, ordered: tuple[tuple[str, Choice], ...], enc: Encoding) -> Propagation:
    """Every property judged with the solver under the rest of the selection (catalogs with
    multi-choice properties, whose neighbours are sets of options rather than one switch).

    The properties the selection leaves open share one context, the whole selection, so they are
    judged together in one coverage pass per level; a chosen property is judged under the
    selection without its own choice, one property at a time."""
    sel = dict(ordered)
    singles = _SingleRuleReasons(catalog, sel)

    def literals(prop: Property) -> tuple[list[int], list[int]]:
        with_lits = [enc.option_var[(prop.id, o)] for o in prop.option_ids]
        return with_lits, ([*with_lits, *(-lit for lit in with_lits)] if prop.multi else with_lits)

    open_found: dict[int, Severity] = {}
    open_props = [p for p in catalog.properties if p.id not in sel]
    if open_props:
        asked = [lit for p in open_props for lit in literals(p)[1]]
        open_found = _best_literal_ranks(enc, asked, enc.selection_literals(sel))
    statuses = []
    for prop in catalog.properties:
        with_lits, asked = literals(prop)
        if prop.id in sel:
            context = enc.selection_literals({p: v for p, v in sel.items() if p != prop.id})
            found = _best_literal_ranks(enc, asked, context)
        else:
            found = open_found
        ranks = {(prop.id, o): found[lit] for o, lit in zip(prop.option_ids, with_lits, strict=True)}
        without = {o: found[-lit] for o, lit in zip(prop.option_ids, with_lits, strict=True)} if prop.multi else None
        statuses.append(
            _property_status(
                catalog, prop.id, sel.get(prop.id), ranks, partial(_reason, singles, enc, prop.id), without
            )
        )
    resolution = resolve(catalog, sel) if len(sel) == len(catalog.properties) else None
    return Propagation(catalog, ordered, tuple(statuses), resolution=resolution)


def _reason(singles: _SingleRuleReasons, enc: Encoding, prop: str, option: str) -> Reason:
    single = singles.reason(prop, option)
    if single is not None:
        return single
    context = {p: o for p, o in singles.selection.items() if p != prop}
    return _joint_reason(singles.catalog, enc, context, prop, option)


def _joint_reason(catalog: Catalog, enc: Encoding, context: Mapping[str, Choice], prop: str, option: str) -> Reason:
    """Several rules exclude the option together: smallest chosen terms, then a minimal rule set."""
    compiled = compile_catalog(catalog)
    terms = list(selection_literals(list(context), context, compiled.spaces))
    lits = [
        -enc.option_var[(t.prop, t.option)] if isinstance(t, Absent) else enc.option_var[(t.prop, t.option)]
        for t in terms
    ]
    hard = [enc.option_var[(prop, option)], *enc.below(Severity.BLOCKED)]
    chosen: list[int] | None = None
    if enc.solve(hard) is None:
        chosen = []
    else:
        # a subset-minimal cause from cores, then smaller subsets by size while the budget allows
        chosen = _shrink(enc, hard, lits)
        calls = 0
        for size in range(1, len(chosen)):
            calls += comb(len(lits), size)
            if calls > JOINT_CAUSE_BUDGET:
                break
            found = next((list(sub) for sub in combinations(lits, size) if enc.solve([*hard, *sub]) is None), None)
            if found is not None:
                chosen = found
                break
    first_rule: dict[int, str] = {}  # rules with the same condition share a literal: name the first
    for _, r in compile_catalog(catalog).blocking.rules:
        first_rule.setdefault(enc.rule_literal(r.id), r.id)
    fixed = [enc.option_var[(prop, option)], *chosen]
    kept = {-lit for lit in _shrink(enc, fixed, [-lit for lit in first_rule])}
    rules = tuple(rid for lit, rid in first_rule.items() if lit in kept)
    by_lit = {lit: t for lit, t in zip(lits, terms, strict=True)}
    return Reason(rules, _in_catalog_order(catalog, [by_lit[lit] for lit in chosen]))


def _shrink(enc: Encoding, fixed: Sequence[int], items: Sequence[int]) -> list[int]:
    """A subset-minimal part of ``items`` that keeps ``fixed + items`` unsatisfiable (cores, then deletion)."""
    if enc.solve([*fixed, *items]) is not None:
        raise AssertionError("_shrink needs an unsatisfiable start")  # pragma: no cover - callers guarantee it
    core = set(enc.solver.core())
    todo = [lit for lit in items if lit in core]
    needed: list[int] = []
    while todo:
        lit = todo.pop(0)
        if enc.solve([*fixed, *needed, *todo]) is None:
            core = set(enc.solver.core())
            todo = [x for x in todo if x in core]
        else:
            needed.append(lit)
    order = {lit: i for i, lit in enumerate(items)}
    return sorted(needed, key=order.__getitem__)


# ---------------------------------------------------------------------------
# Complete selections: every neighbour is one resolution, no solver needed


class _Neighbours:
    """Verdict ranks of a complete selection with one property switched, from per-rule bookkeeping.

    Switching ``p`` only re-evaluates the rules that mention ``p``, so each query costs the
    number of those rules, not the size of the catalog.
    """

    def __init__(self, catalog: Catalog, selection: Mapping[str, Choice]) -> None:
        rules = compile_catalog(catalog).neighbours
        self.fns, self.rank_of, self.by_prop = rules.fns, rules.ranks, rules.by_prop
        self.selection = dict(selection)
        self.fired = [fn(self.selection) for fn in self.fns]
        self.counts = [0] * len(Severity)
        for i, fired in enumerate(self.fired):
            if fired:
                self.counts[self.rank_of[i]] += 1

    def rank_with(self, prop: str, option: str) -> Severity:
        local = list(self.counts)
        own = self.selection[prop]
        self.selection[prop] = option  # switched in place and back: no copy of the selection
        try:
            for i in self.by_prop.get(prop, ()):
                if self.fired[i]:
                    local[self.rank_of[i]] -= 1
                if self.fns[i](self.selection):
                    local[self.rank_of[i]] += 1
        finally:
            self.selection[prop] = own
        return max((k for k in Severity if k and local[k] > 0), default=Severity.ALLOWED)


def _propagate_complete(catalog: Catalog, ordered: tuple[tuple[str, Choice], ...]) -> Propagation:
    sel = dict(ordered)
    res = resolve(catalog, sel)
    neighbours = _Neighbours(catalog, sel)
    singles = _SingleRuleReasons(catalog, sel)
    statuses = []
    for prop in catalog.properties:
        ranks = {(prop.id, o): neighbours.rank_with(prop.id, o) for o in prop.option_ids}
        statuses.append(
            _property_status(catalog, prop.id, sel[prop.id], ranks, partial(_complete_reason, singles, prop.id))
        )
    return Propagation(catalog, ordered, tuple(statuses), resolution=res)


def _complete_reason(singles: _SingleRuleReasons, prop: str, option: str) -> Reason:
    reason = singles.reason(prop, option)
    assert reason is not None  # the neighbour is a complete selection: a firing blocking rule is forced
    return reason
