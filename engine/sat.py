"""A catalog as CNF, and the small SAT-solver protocol the exact algorithms are written against.

The engine does not ship a solver: it encodes a catalog into clauses and asks a
:class:`SatSolver` (any incremental CDCL solver with assumptions, adapted in
``connectplan/sat.py``) whether sets of assumptions are satisfiable. Encoding:

* one variable per option; exactly one option per single-choice property (one "at least one"
  clause, pairwise "at most one" clauses, or a sequential counter for properties with many
  options); for a multi-choice property, at least ``min`` and at most ``max`` of its option
  variables true (cardinality constraints: clauses over subsets when they are few, a
  sequential counter otherwise), and an ``exclusive`` option excludes each other option of its
  property (one binary clause per pair). A term is its option's variable, so ``m.o`` means "``o`` is
  among the chosen";
* one literal per condition, equivalent to it (Tseitin: a fresh variable per ``and`` / ``or``
  node, ``not`` is a negated literal, ``always`` a literal fixed true);
* one *level* variable per severity rank ``k`` (1..4), equivalent to "some rule of rank >= k
  fires". Assuming ``-level[k+1]`` says "the verdict is at most rank k".

Nothing here enumerates selections: the clause count is linear in the catalog's size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import combinations
from math import comb
from typing import TYPE_CHECKING, Any, Protocol

from connectplan.engine.expression import Always, And, Expr, Not, Or, Term
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from connectplan.engine.catalog import Catalog
    from connectplan.engine.expression import Choice

__all__ = [
    "Encoding",
    "SatSolver",
    "SolverFactory",
    "is_true",
    "satisfiable_literals",
]

#: Verdict ranks a rule can raise (``info`` ranks with ``allowed`` and never counts).
LEVELS = tuple(rank for rank in Severity if rank > Severity.ALLOWED)


class SatSolver(Protocol):
    """What the engine needs from a SAT solver: incremental clauses and solving under assumptions."""

    def add_clause(self, clause: Sequence[int]) -> None:
        """Add a clause of DIMACS literals (non-zero ints; ``-v`` is the negation of ``v``)."""

    def solve(self, assumptions: Sequence[int] = ()) -> Sequence[int] | None:
        """A model (signed literal per variable, ``model[v - 1]`` for ``v``) or None when unsatisfiable."""

    def core(self) -> Sequence[int]:
        """After an unsatisfiable :meth:`solve`: a subset of its assumptions that is still unsatisfiable."""

    def set_phases(self, literals: Sequence[int]) -> None:
        """A hint: prefer these literals when branching (may be ignored)."""

    # Optional, not part of the protocol: ``add_clauses(clauses)`` adds many clauses in one call;
    # an encoding that replays a catalog's clauses uses it when the solver has it.


SolverFactory = Callable[[], SatSolver]


def is_true(model: Sequence[int], literal: int) -> bool:
    """The literal's value in a model (a variable the solver never saw counts as false)."""
    var = abs(literal)
    value = model[var - 1] > 0 if var <= len(model) else False
    return value if literal > 0 else not value


class Encoding:
    """The CNF of one catalog, loaded into one solver instance.

    ``option_var[(prop, option)]`` is the option's variable; :meth:`literal` gives the literal of
    any condition (created on first use); ``level[k]`` is true exactly when a rule of rank ``k``
    or higher fires.
    """

    nvars: int
    option_var: dict[tuple[str, str], int]
    var_option: dict[int, tuple[str, str]]
    level: dict[Severity, int]
    rule_lit: dict[str, int]
    _cache: dict[Expr, int]
    _true: int

    def __init__(self, catalog: Catalog, solver: SatSolver) -> None:
        self.catalog = catalog
        self.solver = solver
        base = _base_for(catalog)
        if base is None:
            recorder = _Recorder(solver)
            self.solver = recorder
            self._build(catalog)
            self.solver = solver
            _remember(catalog, self, recorder.clauses)
            return
        # the same clauses as a first encoding, without re-deriving them (in one call where the solver can)
        add_clauses = getattr(solver, "add_clauses", None)
        if add_clauses is not None:
            add_clauses(base.clauses)
        else:
            for clause in base.clauses:
                solver.add_clause(clause)
        self.nvars = base.nvars
        self.option_var = base.option_var  # never changed after the base encoding
        self.var_option = base.var_option
        self._true = base.true
        self.level = base.level
        self._cache = dict(base.cache)  # literals made later (steps, causes) are this encoding's own
        self.rule_lit = dict(base.rule_lit)

    def _build(self, catalog: Catalog) -> None:
        solver = self.solver
        self.nvars = 0
        self.option_var = {}
        self.var_option = {}
        self._cache = {}
        self._true = self.new_var()
        solver.add_clause([self._true])
        for prop in catalog.properties:
            lits = []
            for opt in prop.options:
                v = self.new_var()
                self.option_var[(prop.id, opt.id)] = v
                self.var_option[v] = (prop.id, opt.id)
                lits.append(v)
            if prop.multi:
                self._at_most_k(lits, prop.max_options)
                self._at_most_k([-lit for lit in lits], len(lits) - prop.min_options)
                for opt, lit in zip(prop.options, lits, strict=True):
                    if opt.exclusive:  # chosen alone: it excludes every other option
                        for other in lits:
                            if other != lit:
                                solver.add_clause([-lit, -other])
            else:
                self._exactly_one(lits)
        self.rule_lit = {}
        self.level = {}
        for k in LEVELS:
            self.level[k] = self.new_var()
        by_level: dict[Severity, list[int]] = {k: [] for k in LEVELS}
        for rule in catalog.rules:
            rank = rule.rank
            if rank == Severity.ALLOWED:
                continue
            lit = self.rule_literal(rule.id)
            for k in LEVELS:
                if rank >= k:
                    by_level[k].append(lit)
                    solver.add_clause([-lit, self.level[k]])
        for k in LEVELS:
            solver.add_clause([-self.level[k], *by_level[k]])

    # -- variables and clauses ---------------------------------------------------------

    def new_var(self) -> int:
        self.nvars += 1
        return self.nvars

    def _exactly_one(self, lits: list[int]) -> None:
        self.solver.add_clause(lits)
        if len(lits) <= 6:
            for i, a in enumerate(lits):
                for b in lits[i + 1 :]:
                    self.solver.add_clause([-a, -b])
            return
        # sequential counter (Sinz 2005): s_i means "one of the first i literals is true"
        prev = lits[0]
        for lit in lits[1:-1]:
            s = self.new_var()
            self.solver.add_clause([-prev, s])
            self.solver.add_clause([-lit, s])
            self.solver.add_clause([-prev, -lit])
            prev = s
        self.solver.add_clause([-prev, -lits[-1]])

    def _at_most_k(self, lits: list[int], k: int) -> None:
        """At most ``k`` of ``lits`` true."""
        n = len(lits)
        if k >= n:
            return
        if k == 0 or comb(n, k + 1) <= 64:
            for group in combinations(lits, k + 1):
                self.solver.add_clause([-lit for lit in group])
            return
        # sequential counter (Sinz 2005): s[i][j] means "at least j + 1 of the first i + 1 literals are true"
        s = [[self.new_var() for _ in range(k)] for _ in range(n - 1)]
        add = self.solver.add_clause
        add([-lits[0], s[0][0]])
        for j in range(1, k):
            add([-s[0][j]])
        for i in range(1, n - 1):
            add([-lits[i], s[i][0]])
            add([-s[i - 1][0], s[i][0]])
            for j in range(1, k):
                add([-lits[i], -s[i - 1][j - 1], s[i][j]])
                add([-s[i - 1][j], s[i][j]])
            add([-lits[i], -s[i - 1][k - 1]])
        add([-lits[n - 1], -s[n - 2][k - 1]])

    def literal(self, expr: Expr) -> int:
        """The literal equivalent to ``expr`` (Tseitin; shared sub-expressions share a variable)."""
        cached = self._cache.get(expr)
        if cached is not None:
            return cached
        if isinstance(expr, Term):
            lit = self.option_var[(expr.prop, expr.option)]
        elif isinstance(expr, Always):
            lit = self._true
        elif isinstance(expr, Not):
            lit = -self.literal(expr.operand)
        else:
            ops = [self.literal(op) for op in expr.operands]
            lit = self.new_var()
            if isinstance(expr, And):
                for op in ops:
                    self.solver.add_clause([-lit, op])
                self.solver.add_clause([lit, *(-op for op in ops)])
            else:
                assert isinstance(expr, Or)
                for op in ops:
                    self.solver.add_clause([lit, -op])
                self.solver.add_clause([-lit, *ops])
        self._cache[expr] = lit
        return lit

    def rule_literal(self, rule_id: str) -> int:
        lit = self.rule_lit.get(rule_id)
        if lit is None:
            lit = self.literal(self.catalog.rule_index[rule_id].condition)
            self.rule_lit[rule_id] = lit
        return lit

    def conjunction(self, lits: Sequence[int]) -> int:
        """A fresh literal equivalent to the conjunction of ``lits``."""
        g = self.new_var()
        for lit in lits:
            self.solver.add_clause([-g, lit])
        self.solver.add_clause([g, *(-lit for lit in lits)])
        return g

    # -- assumptions -------------------------------------------------------------------

    def at_most(self, rank: int) -> list[int]:
        """Assumptions meaning "the verdict ranks at most ``rank``" (``Severity.OUT_OF_SCOPE``: any)."""
        return [-self.level[Severity(rank + 1)]] if rank < Severity.OUT_OF_SCOPE else []

    def below(self, rank: Severity) -> list[int]:
        """Assumptions meaning "the verdict ranks below ``rank``" (``rank`` above ``allowed``)."""
        return self.at_most(rank - 1)

    def choice_literals(self, prop: str, value: Choice) -> list[int]:
        """Assumptions fixing ``prop`` to ``value`` (for a multi-choice property: exactly that set)."""
        if isinstance(value, str):
            return [self.option_var[(prop, value)]]
        options = self.catalog.property_index[prop].option_ids
        return [self.option_var[(prop, o)] if o in value else -self.option_var[(prop, o)] for o in options]

    def selection_literals(self, selection: Mapping[str, Any]) -> list[int]:
        return [lit for p, value in selection.items() for lit in self.choice_literals(p, value)]

    def model_selection(self, model: Sequence[int]) -> dict[str, Choice]:
        """The complete selection a model encodes, in catalog property order."""
        out: dict[str, Choice] = {}
        for prop in self.catalog.properties:
            chosen = tuple(o.id for o in prop.options if is_true(model, self.option_var[(prop.id, o.id)]))
            out[prop.id] = chosen if prop.multi else chosen[0]
        return out

    def model_rank(self, model: Sequence[int]) -> Severity:
        """The verdict rank of the selection a model encodes."""
        return max((k for k in LEVELS if is_true(model, self.level[k])), default=Severity.ALLOWED)

    def solve(self, assumptions: Iterable[int]) -> Sequence[int] | None:
        return self.solver.solve(list(assumptions))


def satisfiable_literals(
    enc: Encoding,
    candidates: Sequence[int],
    assumptions: Sequence[int],
    models: list[Sequence[int]] | None = None,
    seeds: Sequence[Sequence[int]] = (),
) -> set[int]:
    """Which of ``candidates`` can each be true together with ``assumptions`` (exact).

    Instead of one call per literal, each call asks for a model that makes *at least one*
    still-uncovered literal true (a clause guarded by a fresh activation literal), with the
    solver's phases pointing at the uncovered ones, and every literal true in that model is
    covered at once. An unsatisfiable call proves that no remaining literal can be true.
    The models found are appended to ``models`` when given. ``seeds`` are models already known
    to satisfy ``assumptions``: literals true in one of them are covered without a call.
    """
    remaining = list(dict.fromkeys(candidates))
    found: set[int] = set()
    for seed in seeds:
        found.update(lit for lit in remaining if is_true(seed, lit))
    remaining = [lit for lit in remaining if lit not in found]
    while remaining:
        act = enc.new_var()
        enc.solver.add_clause([-act, *remaining])
        enc.solver.set_phases([*remaining, *(-lit for lit in found)])
        model = enc.solver.solve([*assumptions, act])
        enc.solver.add_clause([-act])
        if model is None:
            break
        if models is not None:
            models.append(model)
        true = set(model)  # a literal is true when it is in the model (a variable never seen is false)
        newly = {lit for lit in remaining if lit in true or (lit < 0 and -lit not in true)}
        found |= newly
        remaining = [lit for lit in remaining if lit not in newly]
    return found


# -- the base encoding of a catalog, derived once -------------------------------------------


class _Base:
    """What :class:`Encoding` derives from a catalog before any question is asked: its clauses and
    variables. A catalog is immutable, so later encodings of the same catalog object replay them."""

    __slots__ = ("cache", "clauses", "level", "nvars", "option_var", "rule_lit", "true", "var_option")

    def __init__(self, enc: Encoding, clauses: list[list[int]]) -> None:
        self.clauses = clauses
        self.nvars = enc.nvars
        self.option_var = enc.option_var
        self.var_option = enc.var_option
        self.true = enc._true
        self.level = enc.level
        self.cache = dict(enc._cache)
        self.rule_lit = dict(enc.rule_lit)


class _Recorder:
    """Passes clauses on to a solver and keeps a copy (while the base encoding is derived)."""

    def __init__(self, solver: SatSolver) -> None:
        self.solver = solver
        self.clauses: list[list[int]] = []

    def add_clause(self, clause: Sequence[int]) -> None:
        self.clauses.append(list(clause))
        self.solver.add_clause(clause)

    def solve(self, assumptions: Sequence[int] = ()) -> Sequence[int] | None:
        return self.solver.solve(assumptions)

    def core(self) -> Sequence[int]:
        return self.solver.core()

    def set_phases(self, literals: Sequence[int]) -> None:
        self.solver.set_phases(literals)


#: Base encodings of the most recently encoded catalogs, by identity (``id`` is checked against the object).
_BASES: OrderedDict[int, tuple[Catalog, _Base]] = OrderedDict()
_BASES_SIZE = 32
_BASES_LOCK = threading.Lock()


def _base_for(catalog: Catalog) -> _Base | None:
    with _BASES_LOCK:
        found = _BASES.get(id(catalog))
        if found is None or found[0] is not catalog:
            return None
        _BASES.move_to_end(id(catalog))
        return found[1]


def _remember(catalog: Catalog, enc: Encoding, clauses: list[list[int]]) -> None:
    with _BASES_LOCK:
        _BASES[id(catalog)] = (catalog, _Base(enc, clauses))
        while len(_BASES) > _BASES_SIZE:
            _BASES.popitem(last=False)
