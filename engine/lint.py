"""Catalog lint: structural errors, dead parts, and how the selection space splits by verdict.

Errors (a catalog with any is broken):

``cycle`` / ``unknown_reference`` / ``invalid``
    problems the loader found (:class:`~engine.errors.CatalogError`), sorted into kinds;
``unreachable_prerequisite``
    a step that can be active requires a step that is never active in the same selection,
    so the ordering it declares can never apply.

Warnings:

``dead_option``        no completion with the option ranks below ``blocked``;
``step_never_active``  no selection below ``blocked`` activates the step;
``rule_never_fires`` / ``rule_always_fires``   the condition is false / true for every selection;
``missing_source``     a rule without ``source``, or a step without ``url`` or ``source``;
``missing_basis``      a step without ``basis`` (a rule's basis defaults to ``stated``);
``preset_blocked``     the preset's own selection is ``blocked`` (or ``out_of_scope``).

Pending ("not decided yet") options and API settings have their own checks
(``pending_raises_verdict`` and ``pending_misuse`` errors; ``preset_pending``,
``api_not_structured`` and options without ``docs`` under ``missing_source`` warnings): see
:mod:`engine.lint_decisions`.

For a multi-choice property, ``dead_option`` means every selection that includes the option
is blocked or out of scope, and the counts below count each valid set of options once.

Every check is a SAT question over :class:`engine.sat.Encoding` (each answered with the
coverage method of :func:`engine.sat.satisfiable_literals`), so nothing enumerates the
selection space. The summary counts complete selections by verdict exactly when that is
cheap: the properties are split into independent groups (linked by verdict-changing rules),
each group small enough is enumerated, and the counts combine as a product (the verdict is
the highest rank over the groups).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING

from connectplan.engine.causes import space_values
from connectplan.engine.compiled import compile_catalog
from connectplan.engine.expression import compile_expression, iter_terms
from connectplan.engine.lint_decisions import decision_errors, decision_warnings
from connectplan.engine.propagation import single_rule_reason
from connectplan.engine.resolution import resolve
from connectplan.engine.sat import Encoding, SolverFactory, is_true, satisfiable_literals
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectplan.engine.catalog import Catalog
    from connectplan.engine.errors import Problem

__all__ = [
    "COUNT_LIMIT",
    "LintMessage",
    "LintReport",
    "VerdictSummary",
    "count_by_verdict",
    "lint_catalog",
    "lint_problems",
]

#: Largest number of partial selections the verdict summary enumerates (over all groups).
COUNT_LIMIT = 200_000
#: The lint error kind of each loader problem code (:class:`~engine.errors.Problem`); others are ``invalid``.
PROBLEM_KINDS = {
    "prerequisite_cycle": "cycle",
    "unknown_key": "unknown_reference",
    "unknown_property": "unknown_reference",
    "unknown_option": "unknown_reference",
    "unknown_value": "unknown_reference",
    "unknown_step": "unknown_reference",
    "unknown_party": "unknown_reference",
}


@dataclass(frozen=True)
class LintMessage:
    level: str
    code: str
    subject: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.level}: {self.code}: {self.subject}: {self.message}"
            if self.subject
            else f"{self.level}: {self.code}: {self.message}"
        )


@dataclass(frozen=True)
class VerdictSummary:
    """How many complete selections the catalog has, and (``counted``) how many get each verdict."""

    selections: int
    counted: bool
    by_verdict: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class LintReport:
    source: str
    catalog: str | None
    errors: tuple[LintMessage, ...]
    warnings: tuple[LintMessage, ...]
    summary: VerdictSummary | None

    @property
    def ok(self) -> bool:
        return not self.errors


def lint_problems(source: str, problems: Sequence[Problem]) -> LintReport:
    """The report for a catalog the loader rejected: each problem becomes an error."""
    errors = []
    for problem in problems:
        code = PROBLEM_KINDS.get(problem.code, "invalid")
        where = f"line {problem.line}: " if problem.line is not None else ""
        errors.append(LintMessage("error", code, problem.path, where + problem.message))
    return LintReport(source, None, tuple(errors), (), None)


def lint_catalog(catalog: Catalog, solver_factory: SolverFactory, *, source: str | None = None) -> LintReport:
    """Lint a loaded catalog (see the module docstring)."""
    enc = Encoding(catalog, solver_factory())
    below_blocked = enc.below(Severity.BLOCKED)
    errors: list[LintMessage] = []
    warnings: list[LintMessage] = []

    # every literal the checks ask about exists before the first call, so each model found
    # answers the later questions too (models found under "below blocked" seed those passes)
    option_lits = [enc.option_var[(p.id, o)] for p in catalog.properties for o in p.option_ids]
    step_lits = {s.id: enc.literal(s.condition) for s in catalog.steps}
    rule_lits = {r.id: enc.rule_literal(r.id) for r in catalog.rules}
    ok_models: list[Sequence[int]] = []
    all_models: list[Sequence[int]] = []

    # dead options
    alive = satisfiable_literals(enc, option_lits, below_blocked, ok_models)
    for prop in catalog.properties:
        for o in prop.option_ids:
            if enc.option_var[(prop.id, o)] not in alive:
                reason = single_rule_reason(catalog, {}, prop.id, o)
                why = f" (rule {reason.rule})" if reason and reason.rule else ""
                warnings.append(
                    LintMessage(
                        "warning",
                        "dead_option",
                        f"{prop.id}.{o}",
                        f"every selection with it is blocked or out of scope{why}",
                    )
                )

    # steps: ever active (any verdict / below blocked), and prerequisites that can apply
    active_ok = satisfiable_literals(enc, list(step_lits.values()), below_blocked, ok_models, seeds=ok_models)
    all_models.extend(ok_models)
    active_any = satisfiable_literals(enc, list(step_lits.values()), [], all_models, seeds=list(all_models))
    for step in catalog.steps:
        lit = step_lits[step.id]
        if lit not in active_ok:
            detail = (
                "its condition is never true"
                if lit not in active_any
                else "it is active only in blocked or out-of-scope selections"
            )
            warnings.append(LintMessage("warning", "step_never_active", step.id, f"step can never be active: {detail}"))
    pairs = [(s.id, pre) for s in catalog.steps if step_lits[s.id] in active_any for pre in s.prereqs]
    pair_lits = {pair: enc.conjunction([step_lits[pair[0]], step_lits[pair[1]]]) for pair in pairs}
    # a pair literal is a fresh variable: read it off a seed model through its two step literals
    together = {
        lit
        for (sid, pre), lit in pair_lits.items()
        if any(is_true(m, step_lits[sid]) and is_true(m, step_lits[pre]) for m in all_models)
    }
    together |= satisfiable_literals(enc, [lit for lit in pair_lits.values() if lit not in together], [], all_models)
    for (sid, pre), lit in pair_lits.items():
        if lit not in together:
            errors.append(
                LintMessage(
                    "error",
                    "unreachable_prerequisite",
                    sid,
                    f"requires step {pre!r}, which is never active in a selection where {sid!r} is",
                )
            )

    # rules that never or always fire
    can_fire = satisfiable_literals(enc, list(rule_lits.values()), [], all_models, seeds=list(all_models))
    can_miss = satisfiable_literals(enc, [-lit for lit in rule_lits.values()], [], None, seeds=list(all_models))
    for rule in catalog.rules:
        lit = rule_lits[rule.id]
        if lit not in can_fire:
            warnings.append(
                LintMessage(
                    "warning",
                    "rule_never_fires",
                    rule.id,
                    f"condition is false for every selection: {rule.condition_text}",
                )
            )
        elif -lit not in can_miss:
            warnings.append(
                LintMessage(
                    "warning",
                    "rule_always_fires",
                    rule.id,
                    f"condition is true for every selection: {rule.condition_text}",
                )
            )

    # decisions that can wait (pending options) and API settings: see engine.lint_decisions
    errors.extend(LintMessage("error", *found) for found in decision_errors(catalog, enc))
    warnings.extend(LintMessage("warning", *found) for found in decision_warnings(catalog))

    # sources: every rule and step says where its facts come from, and (steps) how firmly
    for rule in catalog.rules:
        if not rule.source:
            warnings.append(LintMessage("warning", "missing_source", rule.id, "rule has no source URL"))
    for step in catalog.steps:
        if not (step.source or step.url):
            warnings.append(LintMessage("warning", "missing_source", step.id, "step has no source URL (url or source)"))
        if not step.basis:
            warnings.append(
                LintMessage("warning", "missing_basis", step.id, "step has no basis (stated, implied or inference)")
            )

    # presets
    for preset in catalog.presets:
        res = resolve(catalog, dict(preset.selection))
        if res.rank.excludes:
            warnings.append(
                LintMessage("warning", "preset_blocked", preset.id, f"the preset's own selection is {res.verdict}")
            )

    return LintReport(source or catalog.ref, catalog.ref, tuple(errors), tuple(warnings), count_by_verdict(catalog))


def count_by_verdict(catalog: Catalog, *, limit: int = COUNT_LIMIT) -> VerdictSummary:
    """Complete selections by verdict, counted exactly by independent groups of properties.

    ``counted`` is False when the groups together would need more than ``limit`` partial
    selections enumerated; ``selections`` (the size of the space) is always exact.
    """
    compiled = compile_catalog(catalog)
    values = {p.id: space_values(compiled.spaces[p.id]) for p in catalog.properties}
    domains = {p: len(v) for p, v in values.items()}
    total = 1
    for size in domains.values():
        total *= size
    rules = [r for r in catalog.rules if r.rank > Severity.ALLOWED]
    parent = {p: p for p in domains}

    def find(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    rule_props = []
    for rule in rules:
        props = list(dict.fromkeys(t.prop for t in iter_terms(rule.condition)))
        rule_props.append(props)
        for other in props[1:]:
            parent[find(other)] = find(props[0])
    groups: dict[str, list[str]] = {}
    for p in domains:
        groups.setdefault(find(p), []).append(p)
    group_rules: dict[str, list[int]] = {}
    constant: list[int] = []  # rules mentioning no property (``always``)
    for i, props in enumerate(rule_props):
        if props:
            group_rules.setdefault(find(props[0]), []).append(i)
        else:
            constant.append(i)
    work = 0
    for root, props in groups.items():
        if root in group_rules:
            size = 1
            for p in props:
                size *= domains[p]
            work += size
            if work > limit:
                return VerdictSummary(total, False)
    floor = max((rules[i].rank for i in constant), default=Severity.ALLOWED)
    cumulative = [1] * len(Severity)  # selections with verdict rank <= k, as a product over groups
    for root, props in groups.items():
        idx = group_rules.get(root)
        if not idx:
            for k in Severity:
                cumulative[k] *= domains[props[0]] if len(props) == 1 else _size(props, domains)
            continue
        fns = [(rules[i].rank, compile_expression(rules[i].condition, compiled.multi)) for i in idx]
        per_rank = [0] * len(Severity)
        for combo in product(*(values[p] for p in props)):
            sel = dict(zip(props, combo, strict=True))
            per_rank[max((rank for rank, fn in fns if fn(sel)), default=Severity.ALLOWED)] += 1
        running = 0
        for k in Severity:
            running += per_rank[k]
            cumulative[k] *= running
    counts = []
    previous = 0
    for k in Severity:
        at_most = cumulative[k] if k >= floor else 0
        counts.append((k.verdict, at_most - previous))
        previous = at_most
    return VerdictSummary(total, True, tuple(counts))


def _size(props: list[str], domains: dict[str, int]) -> int:
    size = 1
    for p in props:
        size *= domains[p]
    return size
