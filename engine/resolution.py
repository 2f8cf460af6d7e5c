"""Resolving a complete selection: verdict, findings, ordered steps, flows, responsibilities.

>>> from engine.catalog import catalog_from_dict
>>> cat = catalog_from_dict({
...     "format": "connectplan-catalog/1", "name": "demo", "edition": "1", "title": "Demo",
...     "properties": [{"id": "size", "title": "Size",
...                     "options": [{"id": "s", "title": "S"}, {"id": "l", "title": "L"}]}],
...     "rules": [{"id": "big", "condition": "size.l", "severity": "caution", "message": "Large."}],
...     "steps": [{"id": "go", "order": 1, "phase": "accounts", "condition": "always", "title": "Go"}]})
>>> res = resolve(cat, {"size": "l"})
>>> res.verdict, [f.rule.id for f in res.findings], [s.step.id for s in res.steps]
('caution', ['big'], ['go'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.causes import forcing_cause
from engine.compiled import compile_catalog
from engine.expression import Expr, Term, format_expression
from engine.selection import check_selection
from engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from engine.catalog import Assignment, Catalog, Flow, Responsibility, Rule, Step

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


@dataclass(frozen=True)
class Finding:
    """A rule that fires for the selection; ``because`` is the smallest set of selected terms that makes it true."""

    rule: Rule
    because: tuple[Term, ...]

    @property
    def severity(self) -> str:
        return self.rule.severity

    @property
    def rank(self) -> Severity:
        return self.rule.rank


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

    @property
    def rank(self) -> Severity:
        """The verdict on the severity scale."""
        return Severity.parse(self.verdict)

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
    return max((Severity.parse(s) for s in severities), default=Severity.ALLOWED).verdict


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
    comp = compile_catalog(catalog)
    fired = [(rule, rank, i, cond) for i, (rule, rank, cond) in enumerate(comp.rules) if cond.fn(sel)]
    fired.sort(key=lambda item: (-item[1], item[2]))
    findings = tuple(Finding(rule, cond.cause(sel)) for rule, _, _, cond in fired)
    steps = tuple(ActiveStep(step, cond.cause(sel)) for step, cond in comp.steps if cond.fn(sel))
    flows = tuple(flow for flow, fn in comp.flows if fn(sel))
    holders = tuple(Holder(r, a) for r, a, fn in comp.responsibilities if fn(sel))
    return Resolution(
        catalog=catalog,
        selection=ordered,
        verdict=max((item[1] for item in fired), default=Severity.ALLOWED).verdict,
        findings=findings,
        steps=steps,
        flows=flows,
        responsibilities=holders,
    )


def minimal_cause(expr: Expr, selection: Mapping[str, str], domains: Mapping[str, tuple[str, ...]]) -> tuple[Term, ...]:
    """The smallest set of selected terms that forces ``expr`` true, whatever the other properties are.

    Only the properties ``expr`` mentions can matter. Subsets are tried by size, then in the
    order the properties first appear in the expression, so the answer is deterministic (see
    :func:`engine.causes.forcing_cause`, the search this shares with propagation). An expression
    true for every selection (``always``) has the empty cause. Returns ``()`` too when ``expr``
    is false for ``selection``.

    >>> from engine.expression import parse_expression
    >>> doms = {"a": ("x", "y", "z"), "b": ("x", "y")}
    >>> minimal_cause(parse_expression("a.x or b.y"), {"a": "x", "b": "y"}, doms)
    (Term(prop='a', option='x'),)
    >>> minimal_cause(parse_expression("not a.z and b.y"), {"a": "x", "b": "y"}, doms)
    (Term(prop='a', option='x'), Term(prop='b', option='y'))
    """
    return forcing_cause(expr, {}, selection, domains) or ()
