"""Propagation: what a partial selection still allows, option by option, and why.

For every property, each option is judged *given the other properties' choices* (for a
property the selection already sets, its own choice is left out, so the answer says what
switching to that option would do):

``excluded``  every completion is ``blocked`` or ``out_of_scope``;
``forced``    the only option of the property that is not excluded;
``open``      otherwise.

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
from functools import lru_cache
from itertools import combinations, product
from math import comb
from typing import TYPE_CHECKING, Any

from engine.catalog import SEVERITY_RANK, VERDICTS, Catalog, Rule
from engine.expression import Expr, Term, compile_expression, iter_terms
from engine.resolution import Resolution, check_selection, resolve
from engine.sat import Encoding, SolverFactory, satisfiable_literals

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "EXCLUDED",
    "FORCED",
    "OPEN",
    "OptionStatus",
    "Propagation",
    "PropertyStatus",
    "Reason",
    "forcing_cause",
    "propagate",
]

EXCLUDED, FORCED, OPEN = "excluded", "forced", "open"
#: Rank of ``blocked``: an option whose best verdict ranks this high or higher is excluded.
BLOCKED = SEVERITY_RANK["blocked"]
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

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "rules": list(self.rules), "because": [str(t) for t in self.because]}


@dataclass(frozen=True)
class OptionStatus:
    id: str
    status: str
    best_verdict: str
    reason: Reason | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "best_verdict": self.best_verdict,
            "reason": self.reason.to_dict() if self.reason else None,
        }


@dataclass(frozen=True)
class PropertyStatus:
    id: str
    selected: str | None
    options: tuple[OptionStatus, ...]

    def option(self, option_id: str) -> OptionStatus:
        return next(o for o in self.options if o.id == option_id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "selected": self.selected, "options": [o.to_dict() for o in self.options]}


@dataclass(frozen=True)
class Propagation:
    """The result of :func:`propagate`; ``resolution`` is set when the selection is complete."""

    catalog: Catalog
    selection: tuple[tuple[str, str], ...]
    properties: tuple[PropertyStatus, ...]
    resolution: Resolution | None = None

    def property(self, prop_id: str) -> PropertyStatus:
        return next(p for p in self.properties if p.id == prop_id)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "catalog": {"name": self.catalog.name, "edition": self.catalog.edition},
            "selection": dict(self.selection),
            "properties": [p.to_dict() for p in self.properties],
        }
        if self.resolution is not None:
            doc["resolution"] = self.resolution.to_dict()
        return doc


# ---------------------------------------------------------------------------
# Single-rule causes (no solver: a rule's condition mentions few properties)


def forcing_cause(
    expr: Expr, fixed: Mapping[str, str], chosen: Mapping[str, str], domains: Mapping[str, Sequence[str]]
) -> tuple[Term, ...] | None:
    """The smallest subset of ``chosen`` that, with ``fixed``, makes ``expr`` true whatever the rest is.

    Only the properties ``expr`` mentions matter. Subsets are tried by size, then in the order the
    properties first appear in ``expr``. None when even all of ``chosen`` does not force ``expr``.

    >>> from engine.expression import parse_expression
    >>> doms = {"d": ("full", "express", "none"), "f": ("ca", "pl"), "l": ("st", "pl")}
    >>> forcing_cause(parse_expression("d.express and (f.ca or l.st)"), {"l": "st"}, {"d": "express", "f": "pl"}, doms)
    (Term(prop='d', option='express'),)
    """
    return _forcing(expr, tuple(dict.fromkeys(t.prop for t in iter_terms(expr))), fixed, chosen, domains)


def _forcing(
    expr: Expr,
    props: tuple[str, ...],
    fixed: Mapping[str, str],
    chosen: Mapping[str, str],
    domains: Mapping[str, Sequence[str]],
) -> tuple[Term, ...] | None:
    key = (
        expr,
        props,
        tuple(fixed.get(p) for p in props),
        tuple(chosen.get(p) if p not in fixed else None for p in props),
        tuple(tuple(domains[p]) for p in props),
    )
    return _forcing_cause(key)


@lru_cache(maxsize=65536)
def _compiled(expr: Expr) -> Callable[[Mapping[str, str]], bool]:
    return compile_expression(expr)


@lru_cache(maxsize=65536)
def _forcing_cause(key: tuple[Any, ...]) -> tuple[Term, ...] | None:
    expr, props, fixed, chosen, doms = key
    fn = _compiled(expr)
    optional = [i for i, c in enumerate(chosen) if c is not None]
    for size in range(len(optional) + 1):
        for subset in combinations(optional, size):
            base = {props[i]: fixed[i] for i in range(len(props)) if fixed[i] is not None}
            base.update({props[i]: chosen[i] for i in subset})
            free = [i for i in range(len(props)) if props[i] not in base]
            completions = product(*(doms[i] for i in free))
            if all(fn({**base, **{props[i]: v for i, v in zip(free, values, strict=True)}}) for values in completions):
                return tuple(Term(props[i], chosen[i]) for i in subset)
    return None


class _RuleIndex:
    """Per catalog: rules of rank >= blocked, by the properties they mention."""

    def __init__(self, catalog: Catalog) -> None:
        self.blocking: list[tuple[int, Rule]] = [
            (i, r) for i, r in enumerate(catalog.rules) if SEVERITY_RANK[r.severity] >= BLOCKED
        ]
        self.by_prop: dict[str, list[tuple[int, Rule]]] = {}
        self.props_of: dict[str, tuple[str, ...]] = {}
        for i, rule in self.blocking:
            props = tuple(dict.fromkeys(t.prop for t in iter_terms(rule.condition)))
            self.props_of[rule.id] = props
            for p in props:
                self.by_prop.setdefault(p, []).append((i, rule))
        self.domains = {p.id: p.option_ids for p in catalog.properties}
        self.order = {p.id: i for i, p in enumerate(catalog.properties)}
        # rules true for every selection (``always``, ``a.x or not a.x``) exclude whatever is chosen
        self.unconditional = [
            (i, r)
            for i, r in self.blocking
            if _forcing(r.condition, self.props_of[r.id], {}, {}, self.domains) is not None
        ]


def _rule_index(catalog: Catalog) -> _RuleIndex:
    cached = catalog.__dict__.get("_propagation_rule_index")
    if cached is None:
        cached = _RuleIndex(catalog)
        catalog.__dict__["_propagation_rule_index"] = cached
    return cached


class _SingleRuleReasons:
    """Single-rule reasons for every option under one selection, each property judged without its own choice.

    A rule that does not mention property ``p`` is forced under "selection minus ``p``" exactly
    when the whole selection forces it, with the same cause; those are found once, ranked by
    (cause size, catalog position). Only the rules mentioning ``p`` are evaluated per option, so
    the work per option is bounded by the rules that mention its property.
    """

    def __init__(self, catalog: Catalog, selection: Mapping[str, str]) -> None:
        self.catalog = catalog
        self.selection = dict(selection)
        self.index = _rule_index(catalog)
        candidates: dict[int, Rule] = dict(self.index.unconditional)
        for p in self.selection:
            candidates.update(self.index.by_prop.get(p, ()))
        forced = []
        for i in sorted(candidates):
            rule = candidates[i]
            cause = _forcing(rule.condition, self.index.props_of[rule.id], {}, self.selection, self.index.domains)
            if cause is not None:
                forced.append((len(cause), i, rule, cause))
        self.forced = sorted(forced, key=lambda item: (item[0], item[1]))

    def reason(self, prop: str, option: str) -> Reason | None:
        best: tuple[int, int, Rule, tuple[Term, ...]] | None = None
        for i, rule in self.index.by_prop.get(prop, ()):
            # ``prop`` is fixed to ``option``, so its own choice in the selection is never used
            cause = _forcing(
                rule.condition, self.index.props_of[rule.id], {prop: option}, self.selection, self.index.domains
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
        return Reason((best[2].id,), _in_catalog_order(self.catalog, best[3]))


def single_rule_reason(catalog: Catalog, context: Mapping[str, str], prop: str, option: str) -> Reason | None:
    """The rule (rank >= blocked) that alone excludes ``prop.option`` under ``context``, with the
    smallest chosen terms; the smallest cause wins, then catalog order. None if no single rule does."""
    return _SingleRuleReasons(catalog, {p: o for p, o in context.items() if p != prop}).reason(prop, option)


def _in_catalog_order(catalog: Catalog, terms: Sequence[Term]) -> tuple[Term, ...]:
    order = _rule_index(catalog).order
    return tuple(sorted(terms, key=lambda t: order[t.prop]))


# ---------------------------------------------------------------------------
# The solver-backed propagation


def propagate(catalog: Catalog, selection: Mapping[str, str], solver_factory: SolverFactory) -> Propagation:
    """Judge every option of every property under a partial selection (see the module docstring).

    Raises
    ------
    SelectionError
        If the selection names an unknown property or option.
    """
    ordered = check_selection(catalog, selection, complete=False)
    sel = dict(ordered)
    if len(sel) == len(catalog.properties):
        return _propagate_complete(catalog, ordered)
    enc = Encoding(catalog, solver_factory())
    ranks: dict[tuple[str, str], int] = {}
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
            best = min((w.rank_with(prop_id, o) for w in witnesses), default=4)
            while best > 0:
                if context is None:
                    own = enc.option_var[(prop_id, sel[prop_id])]
                    context = [lit for lit in sel_lits if lit != own]
                model = enc.solve([*context, enc.option_var[(prop_id, o)], *enc.at_most(best - 1)])
                if model is None:
                    break
                best = enc.model_rank(model)
            ranks[(prop_id, o)] = best
    singles = _SingleRuleReasons(catalog, sel)
    statuses = []
    for prop in catalog.properties:
        statuses.append(
            _property_status(
                catalog, prop.id, sel.get(prop.id), ranks, lambda o, p=prop.id: _reason(singles, enc, p, o)
            )
        )
    return Propagation(catalog, ordered, tuple(statuses))


def _best_ranks(
    enc: Encoding, options: list[tuple[str, str]], context: Mapping[str, str], models: list[Sequence[int]] | None = None
) -> dict[tuple[str, str], int]:
    """Best verdict rank reachable for each option under ``context``: one coverage pass per level."""
    lits = {enc.option_var[key]: key for key in options}
    assumptions = enc.selection_literals(context)
    remaining = list(lits)
    out: dict[tuple[str, str], int] = {}
    for rank in range(4):
        if not remaining:
            break
        reached = satisfiable_literals(enc, remaining, [*assumptions, *enc.at_most(rank)], models)
        for lit in remaining:
            if lit in reached:
                out[lits[lit]] = rank
        remaining = [lit for lit in remaining if lit not in reached]
    for lit in remaining:  # rules never constrain a selection, so every option has completions
        out[lits[lit]] = 4
    return out


def _property_status(catalog, prop_id, selected, ranks, reason_for) -> PropertyStatus:  # type: ignore[no-untyped-def]
    option_ids = catalog.property_index[prop_id].option_ids
    alive = [o for o in option_ids if ranks[(prop_id, o)] < BLOCKED]
    options = []
    for o in option_ids:
        rank = ranks[(prop_id, o)]
        if rank >= BLOCKED:
            options.append(OptionStatus(o, EXCLUDED, VERDICTS[rank], reason_for(o)))
        else:
            options.append(OptionStatus(o, FORCED if len(alive) == 1 else OPEN, VERDICTS[rank]))
    return PropertyStatus(prop_id, selected, tuple(options))


def _reason(singles: _SingleRuleReasons, enc: Encoding, prop: str, option: str) -> Reason:
    single = singles.reason(prop, option)
    if single is not None:
        return single
    context = {p: o for p, o in singles.selection.items() if p != prop}
    return _joint_reason(singles.catalog, enc, context, prop, option)


def _joint_reason(catalog: Catalog, enc: Encoding, context: Mapping[str, str], prop: str, option: str) -> Reason:
    """Several rules exclude the option together: smallest chosen terms, then a minimal rule set."""
    terms = [Term(p, o) for p, o in context.items()]
    lits = [enc.option_var[(t.prop, t.option)] for t in terms]
    hard = [enc.option_var[(prop, option)], *enc.at_most(BLOCKED - 1)]
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
    for _, r in _rule_index(catalog).blocking:
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

    def __init__(self, catalog: Catalog, selection: Mapping[str, str]) -> None:
        cached = catalog.__dict__.get("_neighbour_rules")
        if cached is None:
            fns = [compile_expression(r.condition) for r in catalog.rules]
            rank_of = [SEVERITY_RANK[r.severity] for r in catalog.rules]
            by_prop: dict[str, list[int]] = {}
            for i, rule in enumerate(catalog.rules):
                for p in dict.fromkeys(t.prop for t in iter_terms(rule.condition)):
                    by_prop.setdefault(p, []).append(i)
            cached = (fns, rank_of, by_prop)
            catalog.__dict__["_neighbour_rules"] = cached
        self.fns, self.rank_of, self.by_prop = cached
        self.selection = dict(selection)
        self.fired = [fn(self.selection) for fn in self.fns]
        self.counts = [0] * 5
        for i, fired in enumerate(self.fired):
            if fired:
                self.counts[self.rank_of[i]] += 1

    def rank_with(self, prop: str, option: str) -> int:
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
        return max((k for k in range(1, 5) if local[k] > 0), default=0)


def _propagate_complete(catalog: Catalog, ordered: tuple[tuple[str, str], ...]) -> Propagation:
    sel = dict(ordered)
    res = resolve(catalog, sel)
    neighbours = _Neighbours(catalog, sel)
    singles = _SingleRuleReasons(catalog, sel)
    statuses = []
    for prop in catalog.properties:
        ranks = {(prop.id, o): neighbours.rank_with(prop.id, o) for o in prop.option_ids}
        statuses.append(
            _property_status(
                catalog, prop.id, sel[prop.id], ranks, lambda o, p=prop.id: _complete_reason(singles, p, o)
            )
        )
    return Propagation(catalog, ordered, tuple(statuses), resolution=res)


def _complete_reason(singles: _SingleRuleReasons, prop: str, option: str) -> Reason:
    reason = singles.reason(prop, option)
    assert reason is not None  # the neighbour is a complete selection: a firing blocking rule is forced
    return reason
