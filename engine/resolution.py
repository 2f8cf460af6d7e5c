"""Resolving a complete selection: verdict, findings, ordered steps, flows, responsibilities.

>>> from connectplan.engine.loading import catalog_from_dict
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

from connectplan.engine.causes import selection_cause, space_values
from connectplan.engine.compiled import compile_catalog
from connectplan.engine.selection import check_selection
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from connectplan.engine.catalog import Assignment, Catalog, Flow, Responsibility, Rule, Step
    from connectplan.engine.causes import SpaceLike
    from connectplan.engine.expression import Choice, Expr, Term

__all__ = [
    "ActiveStep",
    "Alternative",
    "Change",
    "Finding",
    "Holder",
    "OpenDecision",
    "Resolution",
    "check_selection",
    "choice_distance",
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
    """One property changed by an alternative: ``prop`` goes from ``before`` to ``after`` (for a
    multi-choice property, tuples of option ids; each option added or removed is one change)."""

    prop: str
    before: Choice
    after: Choice

    @property
    def size(self) -> int:
        """How many changes this counts as: 1, or the options added plus removed."""
        return choice_distance(self.before, self.after)


def choice_distance(a: Choice | None, b: Choice | None) -> int:
    """How many changes turn choice ``a`` into ``b``: 0 or 1 for a single choice, the size of the
    symmetric difference for sets of options.

    >>> choice_distance("x", "y"), choice_distance(("a", "b"), ("b", "c")), choice_distance(("a",), ("a",))
    (1, 2, 0)
    """
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(set(a) ^ set(b))
    return int(a != b)


@dataclass(frozen=True)
class Alternative:
    """A complete selection with a better verdict, as changes to the selection it replaces.

    ``preset`` is the nearest preset (fewest differing properties) and ``distance`` how many
    properties differ from it (None when the catalog has no presets).
    """

    changes: tuple[Change, ...]
    verdict: str
    selection: tuple[tuple[str, Choice], ...]
    preset: str | None = None
    distance: int | None = None


@dataclass(frozen=True)
class OpenDecision:
    """A property the selection leaves pending ("not decided yet"), with its ``question`` and
    ``section``, and for each real option the best verdict choosing it would reach, every other
    choice unchanged (``options``: ``(option id, verdict)`` in declaration order; for a
    multi-choice property, the best verdict over the valid sets without the pending option that
    hold it)."""

    property: str
    question: str
    section: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Resolution:
    """The result of :func:`resolve`. ``selection`` is in catalog property order.

    ``alternatives`` is None unless the caller looked for nearest better selections
    (see :func:`engine.alternatives.nearest_alternatives`). ``open_decisions`` lists the
    properties left pending, in catalog order (empty when every property is decided).
    """

    catalog: Catalog
    selection: tuple[tuple[str, Choice], ...]
    verdict: str
    findings: tuple[Finding, ...]
    steps: tuple[ActiveStep, ...]
    flows: tuple[Flow, ...]
    responsibilities: tuple[Holder, ...]
    alternatives: tuple[Alternative, ...] | None = None
    open_decisions: tuple[OpenDecision, ...] = ()

    @property
    def selection_dict(self) -> dict[str, Choice]:
        return dict(self.selection)

    @property
    def rank(self) -> Severity:
        """The verdict on the severity scale."""
        return Severity.parse(self.verdict)


def verdict_of(severities: Iterable[str]) -> str:
    """Combine rule severities into one verdict (``info`` alone is ``allowed``).

    >>> verdict_of(["info", "caution", "blocked"])
    'blocked'
    >>> verdict_of([])
    'allowed'
    """
    return max((Severity.parse(s) for s in severities), default=Severity.ALLOWED).verdict


def resolve(catalog: Catalog, selection: Mapping[str, Any]) -> Resolution:
    """Resolve a complete selection (an option for every property; a set of options for a multi-choice one).

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
    opened = [p for p, pending in comp.pending if _holds_pending(sel[p], pending)]
    return Resolution(
        catalog=catalog,
        selection=ordered,
        verdict=max((item[1] for item in fired), default=Severity.ALLOWED).verdict,
        findings=findings,
        steps=steps,
        flows=flows,
        responsibilities=holders,
        open_decisions=_open_decisions(catalog, sel, opened) if opened else (),
    )


def _holds_pending(value: Choice, pending: str) -> bool:
    return value == pending if isinstance(value, str) else pending in value


def _open_decisions(catalog: Catalog, selection: Mapping[str, Choice], opened: list[str]) -> tuple[OpenDecision, ...]:
    """The :class:`OpenDecision` of each property in ``opened`` (computed only when one is pending).

    Switching one property re-evaluates only the rules that mention it: the others keep what they
    gave for the whole selection. A multi-choice property's valid sets without its pending option
    are each judged once (a property has few options, so these stay few).
    """
    comp = compile_catalog(catalog)
    rules = comp.neighbours
    sel = dict(selection)
    fired = [fn(sel) for fn in rules.fns]
    out = []
    for prop_id in opened:
        prop = catalog.property_index[prop_id]
        pending = prop.pending_option
        own = set(rules.by_prop.get(prop_id, ()))
        floor = max((rules.ranks[i] for i, hit in enumerate(fired) if hit and i not in own), default=Severity.ALLOWED)
        best: dict[str, Severity] = {}
        values = space_values(comp.spaces[prop_id])
        for value in values:
            members = (value,) if isinstance(value, str) else value
            if pending in members:
                continue
            sel[prop_id] = value
            rank = max((rules.ranks[i] for i in own if rules.fns[i](sel)), default=floor)
            rank = max(rank, floor)
            for o in members:
                if o not in best or rank < best[o]:
                    best[o] = rank
        sel[prop_id] = selection[prop_id]
        options = tuple((o.id, best[o.id].verdict) for o in prop.options if o.id in best)
        out.append(OpenDecision(prop_id, prop.question, prop.section, options))
    return tuple(out)


def minimal_cause(expr: Expr, selection: Mapping[str, Choice], domains: Mapping[str, SpaceLike]) -> tuple[Term, ...]:
    """The smallest set of selected terms that forces ``expr`` true, whatever the other properties are.

    Only the properties ``expr`` mentions can matter. Subsets are tried by size, then in the
    order the properties first appear in the expression, so the answer is deterministic (see
    :func:`engine.causes.forcing_cause`, the search this shares with propagation). An expression
    true for every selection (``always``) has the empty cause. Returns ``()`` too when ``expr``
    is false for ``selection``.

    >>> from connectplan.engine.expression import parse_expression
    >>> doms = {"a": ("x", "y", "z"), "b": ("x", "y")}
    >>> minimal_cause(parse_expression("a.x or b.y"), {"a": "x", "b": "y"}, doms)
    (Term(prop='a', option='x'),)
    >>> minimal_cause(parse_expression("not a.z and b.y"), {"a": "x", "b": "y"}, doms)
    (Term(prop='a', option='x'), Term(prop='b', option='y'))
    """
    return selection_cause(expr, selection, domains) or ()
