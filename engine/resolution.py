"""Resolving a complete selection: verdict, findings, ordered steps, flows, responsibilities.

>>> from engine.catalog import catalog_from_dict
>>> cat = catalog_from_dict({
...     "format": "connectplan-catalog/1", "name": "demo", "edition": "1", "title": "Demo",
...     "properties": [{"id": "size", "title": "Size", "options": [{"id": "s", "title": "S"}, {"id": "l", "title": "L"}]}],
...     "rules": [{"id": "big", "condition": "size.l", "severity": "caution", "message": "Large."}],
...     "steps": [{"id": "go", "order": 1, "phase": "accounts", "condition": "always", "title": "Go"}]})
>>> res = resolve(cat, {"size": "l"})
>>> res.verdict, [f.rule.id for f in res.findings], [s.step.id for s in res.steps]
('caution', ['big'], ['go'])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, product
from typing import TYPE_CHECKING, Any

from engine.catalog import (
    SEVERITY_RANK,
    VERDICT_RANK,
    Assignment,
    Catalog,
    Flow,
    Responsibility,
    Rule,
    Step,
)
from engine.errors import SelectionError
from engine.expression import Expr, Term, compile_expression, format_expression, iter_terms
from engine.graph import step_order

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "ActiveStep",
    "Alternative",
    "Change",
    "Finding",
    "Holder",
    "Resolution",
    "check_selection",
    "minimal_cause",
    "resolve",
    "verdict_of",
]

_VERDICT_BY_RANK = {0: "allowed", 1: "caution", 2: "sales_gated", 3: "blocked", 4: "out_of_scope"}


@dataclass(frozen=True)
class Finding:
    """A rule that fires for the selection; ``because`` is the smallest set of selected terms that makes it true."""

    rule: Rule
    because: tuple[Term, ...]

    @property
    def severity(self) -> str:
        return self.rule.severity


@dataclass(frozen=True)
class ActiveStep:
    """An integration step that applies; ``because`` holds the selected terms that made its condition true."""

    step: Step
    because: tuple[Term, ...]

    @property
    def id(self) -> str:
        """The step's id."""
        return self.step.id


@dataclass(frozen=True)
class Holder:
    """Who holds a responsibility for the selection."""

    responsibility: Responsibility
    assignment: Assignment


@dataclass(frozen=True)
class Change:
    """One property changed by an alternative: ``prop`` goes from ``before`` to ``after``."""

    prop: str
    before: str
    after: str

    def to_dict(self) -> dict[str, str]:
        return {"property": self.prop, "from": self.before, "to": self.after}


@dataclass(frozen=True)
class Alternative:
    """A complete selection with a better verdict, as changes to the selection it replaces.

    ``preset`` is the nearest preset (fewest differing properties) and ``distance`` how many
    properties differ from it (None when the catalog has no presets).
    """

    changes: tuple[Change, ...]
    verdict: str
    selection: tuple[tuple[str, str], ...]
    preset: str | None = None
    distance: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "verdict": self.verdict,
            "selection": dict(self.selection),
            "nearest_preset": self.preset,
            "preset_distance": self.distance,
        }


@dataclass(frozen=True)
class Resolution:
    """The result of :func:`resolve`. ``selection`` is in catalog property order.

    ``alternatives`` is None unless the caller looked for nearest better selections
    (see :func:`engine.alternatives.nearest_alternatives`).
    """

    catalog: Catalog
    selection: tuple[tuple[str, str], ...]
    verdict: str
    findings: tuple[Finding, ...]
    steps: tuple[ActiveStep, ...]
    flows: tuple[Flow, ...]
    responsibilities: tuple[Holder, ...]
    alternatives: tuple[Alternative, ...] | None = None

    @property
    def selection_dict(self) -> dict[str, str]:
        return dict(self.selection)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the resolution, keys in contract order."""
        return {
            "catalog": {"name": self.catalog.name, "edition": self.catalog.edition},
            "selection": dict(self.selection),
            "verdict": self.verdict,
            "findings": [
                {
                    "rule": f.rule.id,
                    "severity": f.rule.severity,
                    "message": f.rule.message,
                    "alternative": f.rule.alternative or None,
                    "source": f.rule.source or None,
                    "because": [str(t) for t in f.because],
                    "condition": format_expression(f.rule.condition),
                }
                for f in self.findings
            ],
            "steps": [
                {
                    "id": s.step.id,
                    "title": s.step.title,
                    "phase": s.step.phase,
                    "because": [str(t) for t in s.because],
                    "core": s.step.core,
                    "url": s.step.url or None,
                }
                for s in self.steps
            ],
            "money_flows": [
                {"id": f.id, "from": f.from_party, "to": f.to_party, "what": f.what, "kind": f.kind} for f in self.flows
            ],
            "responsibilities": [
                {
                    "id": h.responsibility.id,
                    "title": h.responsibility.title,
                    "party": h.assignment.party,
                    "note": h.assignment.note or None,
                }
                for h in self.responsibilities
            ],
        }


def verdict_of(severities: Iterable[str]) -> str:
    """Combine rule severities into one verdict (``info`` alone is ``allowed``).

    >>> verdict_of(["info", "caution", "blocked"])
    'blocked'
    >>> verdict_of([])
    'allowed'
    """
    return _VERDICT_BY_RANK[max((SEVERITY_RANK[s] for s in severities), default=0)]


def check_selection(
    catalog: Catalog, selection: Mapping[str, str], *, complete: bool = True
) -> tuple[tuple[str, str], ...]:
    """Validate a selection against the catalog; return it in property order.

    Raises
    ------
    SelectionError
        For an unknown property, an unknown option, or (``complete=True``) a property left out;
        the message lists the valid ids.
    """
    props = catalog.property_index
    for prop_id, opt_id in selection.items():
        prop = props.get(prop_id)
        if prop is None:
            raise SelectionError(f"unknown property {prop_id!r} in {catalog.ref}; properties: {', '.join(props)}")
        if prop.option(opt_id) is None:
            raise SelectionError(
                f"unknown option {opt_id!r} for property {prop_id!r} in {catalog.ref}; options: {', '.join(prop.option_ids)}"
            )
    if complete:
        missing = [p for p in props if p not in selection]
        if missing:
            hints = "; ".join(f"{p}={'|'.join(props[p].option_ids)}" for p in missing)
            raise SelectionError(f"no option selected for {', '.join(missing)}; set {hints}")
    return tuple((p, selection[p]) for p in props if p in selection)


class _Condition:
    """A condition compiled once per catalog, with what :func:`minimal_cause` needs precomputed.

    ``causes`` memoises the minimal cause by the options chosen for the properties the
    condition mentions (the only ones that can matter), so a repeated resolution neither walks
    nor hashes the expression tree again. Those properties are found on the first cause asked
    for: most conditions of a large catalog never hold for the selections resolved.
    """

    __slots__ = ("causes", "domains", "doms", "expr", "fn", "props")

    def __init__(self, expr: Expr, domains: Mapping[str, tuple[str, ...]]) -> None:
        self.expr = expr
        self.fn = compile_expression(expr)
        self.domains = domains
        self.props: tuple[str, ...] | None = None
        self.doms: tuple[tuple[str, ...], ...] = ()
        self.causes: dict[tuple[str | None, ...], tuple[Term, ...]] = {}

    def cause(self, selection: Mapping[str, str]) -> tuple[Term, ...]:
        if self.props is None:
            self.props = tuple(dict.fromkeys(t.prop for t in iter_terms(self.expr)))
            self.doms = tuple(self.domains.get(p, ()) for p in self.props)
        chosen = tuple(selection.get(p) for p in self.props)
        found = self.causes.get(chosen)
        if found is None:
            if len(self.causes) >= _CAUSES_PER_CONDITION:
                self.causes.clear()
            found = self.causes[chosen] = _minimal_cause_cached((self.expr, self.props, chosen, self.doms))
        return found


#: Bound on the memoised causes kept per condition (a condition over k properties has at most
#: the product of their option counts; only very wide conditions reach this).
_CAUSES_PER_CONDITION = 4096


class _Compiled:
    """Conditions compiled once per catalog, steps in their topological order."""

    def __init__(self, catalog: Catalog) -> None:
        self.domains = {p.id: p.option_ids for p in catalog.properties}
        domains = self.domains
        self.rules = [(r, _Condition(r.condition, domains)) for r in catalog.rules]
        index = catalog.step_index
        self.steps = [(index[sid], _Condition(index[sid].condition, domains)) for sid in step_order(catalog)]
        self.flows = [(f, compile_expression(f.condition)) for f in catalog.flows]
        self.responsibilities = [
            (r, a, compile_expression(a.condition)) for r in catalog.responsibilities for a in r.assignments
        ]


def _compiled(catalog: Catalog) -> _Compiled:
    cached = catalog.__dict__.get("_compiled")
    if cached is None:
        cached = _Compiled(catalog)
        catalog.__dict__["_compiled"] = cached
    return cached


def resolve(catalog: Catalog, selection: Mapping[str, str]) -> Resolution:
    """Resolve a complete selection (exactly one option for every property).

    Findings are the rules whose condition holds, highest severity first (catalog order within
    a severity); the verdict is the highest severity among them. Steps are those whose condition
    holds, in the catalog's topological step order.

    Raises
    ------
    SelectionError
        If the selection is incomplete or names unknown ids.
    """
    ordered = check_selection(catalog, selection)
    sel = dict(ordered)
    comp = _compiled(catalog)
    fired = [(rule, i, cond) for i, (rule, cond) in enumerate(comp.rules) if cond.fn(sel)]
    fired.sort(key=lambda item: (-SEVERITY_RANK[item[0].severity], item[1]))
    findings = tuple(Finding(rule, cond.cause(sel)) for rule, _, cond in fired)
    steps = tuple(ActiveStep(step, cond.cause(sel)) for step, cond in comp.steps if cond.fn(sel))
    flows = tuple(flow for flow, fn in comp.flows if fn(sel))
    holders = tuple(Holder(r, a) for r, a, fn in comp.responsibilities if fn(sel))
    return Resolution(
        catalog=catalog,
        selection=ordered,
        verdict=verdict_of(f.rule.severity for f in findings),
        findings=findings,
        steps=steps,
        flows=flows,
        responsibilities=holders,
    )


def minimal_cause(expr: Expr, selection: Mapping[str, str], domains: Mapping[str, tuple[str, ...]]) -> tuple[Term, ...]:
    """The smallest set of selected terms that forces ``expr`` true, whatever the other properties are.

    Only the properties ``expr`` mentions can matter. Subsets are tried by size, then in the
    order the properties first appear in the expression, so the answer is deterministic. An
    expression true for every selection (``always``) has the empty cause. Returns ``()`` too when
    ``expr`` is false for ``selection``.

    >>> from engine.expression import parse_expression
    >>> doms = {"a": ("x", "y", "z"), "b": ("x", "y")}
    >>> minimal_cause(parse_expression("a.x or b.y"), {"a": "x", "b": "y"}, doms)
    (Term(prop='a', option='x'),)
    >>> minimal_cause(parse_expression("not a.z and b.y"), {"a": "x", "b": "y"}, doms)
    (Term(prop='a', option='x'), Term(prop='b', option='y'))
    """
    props = tuple(dict.fromkeys(t.prop for t in iter_terms(expr)))
    key = (expr, props, tuple(selection.get(p) for p in props), tuple(domains.get(p, ()) for p in props))
    return _minimal_cause_cached(key)


@lru_cache(maxsize=65536)
def _minimal_cause_cached(key: tuple[Any, ...]) -> tuple[Term, ...]:
    expr, props, chosen, doms = key
    fn: Callable[[Mapping[str, str]], bool] = compile_expression(expr)
    base = dict(zip(props, chosen, strict=False))
    if not fn(base):
        return ()
    for size in range(len(props) + 1):
        for fixed in combinations(range(len(props)), size):
            free = [i for i in range(len(props)) if i not in fixed]
            assignment = dict(base)
            forced = True
            for values in product(*(doms[i] for i in free)):
                for i, value in zip(free, values, strict=False):
                    assignment[props[i]] = value
                if not fn(assignment):
                    forced = False
                    break
            if forced:
                return tuple(Term(props[i], chosen[i]) for i in fixed)
    return tuple(
        Term(p, c) for p, c in zip(props, chosen, strict=False)
    )  # pragma: no cover - size == len(props) always forces


def verdict_rank(verdict: str) -> int:
    return VERDICT_RANK[verdict]
