"""Hand-written baselines: the least code that does the same work as the measured operation.

:class:`HandResolver` resolves a complete selection the way a programmer would without any
framework: every condition is turned into the source of a plain Python function and compiled
once (``lambda s: s["dashboard"] == "express" and ...``), then a call evaluates the rules, takes
the highest severity, keeps the steps whose condition holds and sorts them with a
lexicographic topological sort (Kahn's algorithm on a heap keyed by ``(order, id)``).
It skips what the engine adds on top (input checking, minimal causes, result records), so the
ratio to it is the price of those.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from connectplan.engine.expression import Always, And, Expr, Not, Or, Term
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectplan.engine.catalog import Catalog

__all__ = ["BareClauses", "HandResolver", "bare_best_ranks", "python_source"]

_VERDICTS = ("allowed", "caution", "sales_gated", "blocked", "out_of_scope")


def python_source(expr: Expr, multi: frozenset[str] = frozenset()) -> str:
    """A Python expression over the selection dict ``s`` equivalent to ``expr``; a term of a
    multi-choice property (named in ``multi``) tests membership in the chosen tuple."""
    if isinstance(expr, Term):
        if expr.prop in multi:
            return f"{expr.option!r} in s[{expr.prop!r}]"
        return f"s[{expr.prop!r}] == {expr.option!r}"
    if isinstance(expr, Always):
        return "True"
    if isinstance(expr, Not):
        return f"not ({python_source(expr.operand, multi)})"
    joiner = " and " if isinstance(expr, And) else " or "
    assert isinstance(expr, (And, Or))
    return joiner.join(f"({python_source(op, multi)})" for op in expr.operands)


def _function(expr: Expr, multi: frozenset[str] = frozenset()) -> Callable[[Mapping[str, Any]], bool]:
    code = compile(f"lambda s: {python_source(expr, multi)}", "<condition>", "eval")
    return eval(code, {"__builtins__": {}})  # our own generated source, no user text


class HandResolver:
    """Resolution by hand for one catalog (see the module docstring)."""

    def __init__(self, catalog: Catalog) -> None:
        multi = frozenset(p.id for p in catalog.properties if p.multi)
        self.rules = [(i, int(r.rank), r.id, _function(r.condition, multi)) for i, r in enumerate(catalog.rules)]
        self.steps = [(s.id, (s.order, s.id), s.prereqs, _function(s.condition, multi)) for s in catalog.steps]
        self.flows = [(f.id, _function(f.condition, multi)) for f in catalog.flows]
        self.holders = [
            (r.id, a.party, _function(a.condition, multi)) for r in catalog.responsibilities for a in r.assignments
        ]

    def resolve(self, selection: Mapping[str, Any]) -> dict[str, Any]:
        """``selection``: an option id per single-choice property, a tuple of ids per multi-choice one."""
        fired = [(-rank, i, rid) for i, rank, rid, fn in self.rules if fn(selection)]
        fired.sort()
        verdict = _VERDICTS[max((-neg for neg, _, _ in fired), default=0) if fired else 0]
        active = {sid: (key, prereqs) for sid, key, prereqs, fn in self.steps if fn(selection)}
        return {
            "verdict": verdict,
            "findings": [rid for _, _, rid in fired],
            "steps": _lexicographic_topological_sort(active),
            "money_flows": [fid for fid, fn in self.flows if fn(selection)],
            "responsibilities": [(rid, party) for rid, party, fn in self.holders if fn(selection)],
        }


def _lexicographic_topological_sort(steps: Mapping[str, tuple[tuple[int, str], tuple[str, ...]]]) -> list[str]:
    """Kahn's algorithm over ``steps`` (prerequisites outside ``steps`` are ignored), smallest key first."""
    waiting: dict[str, int] = {}
    dependants: dict[str, list[str]] = {}
    for sid, (_, prereqs) in steps.items():
        count = 0
        for pre in prereqs:
            if pre in steps:
                count += 1
                dependants.setdefault(pre, []).append(sid)
        waiting[sid] = count
    heap = [(key, sid) for sid, (key, _) in steps.items() if waiting[sid] == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, sid = heapq.heappop(heap)
        order.append(sid)
        for nxt in dependants.get(sid, ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(heap, (steps[nxt][0], nxt))
    return order


# ---------------------------------------------------------------------------
# Propagation by a bare SAT solver


class _ClauseRecorder:
    """Stands in for a solver while :class:`engine.sat.Encoding` writes its clauses."""

    def __init__(self) -> None:
        self.clauses: list[list[int]] = []

    def add_clause(self, clause: Sequence[int]) -> None:
        self.clauses.append(list(clause))

    def solve(self, assumptions: Sequence[int] = ()) -> Sequence[int] | None:
        raise RuntimeError("the recorder only records clauses")

    def core(self) -> Sequence[int]:
        return []

    def set_phases(self, literals: Sequence[int]) -> None:
        return None


class BareClauses:
    """The clauses connectplan's encoding produces for a catalog, kept as plain lists.

    ``option_var`` and ``level`` are the encoding's variables for options and for "some rule of
    rank >= k fires" (see :mod:`engine.sat`).
    """

    def __init__(self, catalog: Catalog) -> None:
        from connectplan.engine.sat import Encoding

        recorder = _ClauseRecorder()
        enc = Encoding(catalog, recorder)
        self.clauses = recorder.clauses
        self.option_var = dict(enc.option_var)
        self.level = dict(enc.level)
        self.nvars = enc.nvars
        self.properties = [(p.id, p.option_ids) for p in catalog.properties]


def bare_best_ranks(
    bare: BareClauses, partial: Mapping[str, str], phases: dict[str, float] | None = None
) -> dict[tuple[str, str], int]:
    """Best reachable verdict rank of every option of every property, as ``engine.propagate``
    judges them, by a bare incremental MiniSat 2.2 (python-sat) and the obvious loops.

    Options of the open properties share one context, the partial selection. For rank 0, 1, 2,
    3 in turn, the solver is asked for a completion with "verdict at most rank" that makes *at
    least one* option not yet placed true (a clause guarded by a fresh activation literal, the
    solver's phases pointing at those options); every such option true in the model is placed
    at that rank, and an unsatisfiable answer proves that no remaining option reaches it (the
    standard coverage method, which is also what connectplan's encoding layer does). Options of a fixed property are
    judged under the partial selection without that property, one question per option and
    rank. Rank 4 is left for options no rank admits. One solver holds the clauses for every
    question (incremental, assumptions only). ``phases``, when given, receives the seconds
    spent on the open properties (``open_s``) and on the fixed ones (``fixed_s``).
    """
    from time import perf_counter

    from pysat.solvers import Minisat22

    started = perf_counter()

    at_most = [[-bare.level[Severity(rank + 1)]] for rank in range(4)]
    whole = [bare.option_var[(p, o)] for p, o in partial.items()]
    out: dict[tuple[str, str], int] = {}
    with Minisat22(bootstrap_with=bare.clauses) as solver:
        remaining = {
            bare.option_var[(p, o)]: (p, o) for p, options in bare.properties if p not in partial for o in options
        }
        next_var = bare.nvars
        for rank in range(4):
            while remaining:
                next_var += 1
                act = next_var
                solver.add_clause([-act, *remaining])
                solver.set_phases(literals=list(remaining))
                found = solver.solve(assumptions=[*whole, *at_most[rank], act])
                model = solver.get_model() if found else None
                solver.add_clause([-act])
                if model is None:
                    break
                for v in [v for v in remaining if model[v - 1] > 0]:
                    out[remaining.pop(v)] = rank
        for key in remaining.values():
            out[key] = 4
        open_done = perf_counter()
        for prop, options in bare.properties:
            if prop not in partial:
                continue
            context = [bare.option_var[(p, o)] for p, o in partial.items() if p != prop]
            for option in options:
                fixed = [*context, bare.option_var[(prop, option)]]
                best = 4
                for rank in range(4):
                    if solver.solve(assumptions=fixed + at_most[rank]):
                        best = rank
                        break
                out[(prop, option)] = best
    if phases is not None:
        phases["open_s"] = open_done - started
        phases["fixed_s"] = perf_counter() - open_done
    return dict(sorted(out.items()))
