"""The SAT solver behind exploration, alternatives and lint: python-sat's MiniSat 2.2, adapted to
:class:`engine.sat.SatSolver`.

``pysat`` is imported when a solver is made, never when this module is imported, so
``connectplan --help`` and resolving an allowed selection do not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["PySatSolver", "make_solver"]

#: python-sat solver name: MiniSat 2.2 (incremental, assumptions, unsat cores, user phases).
SOLVER_NAME = "m22"


class PySatSolver:
    """One incremental pysat solver; satisfies the engine's ``SatSolver`` protocol."""

    def __init__(self, name: str = SOLVER_NAME) -> None:
        from pysat.solvers import Solver

        self._solver: Any = Solver(name=name)

    def add_clause(self, clause: Sequence[int]) -> None:
        self._solver.add_clause(list(clause))

    def add_clauses(self, clauses: Sequence[Sequence[int]]) -> None:
        """Many clauses in one call, straight to the underlying MiniSat (an encoding replays a
        catalog's clauses with it; the per-clause wrappers cost as much as the solver's own work)."""
        self._solver.solver.append_formula(clauses)

    def solve(self, assumptions: Sequence[int] = ()) -> Sequence[int] | None:
        if self._solver.solve(assumptions=list(assumptions)):
            return self._solver.get_model()
        return None

    def core(self) -> Sequence[int]:
        return self._solver.get_core() or []

    def set_phases(self, literals: Sequence[int]) -> None:
        self._solver.set_phases(literals=list(literals))

    def __del__(self) -> None:  # release the C solver with the Python object
        solver = getattr(self, "_solver", None)
        if solver is not None:
            solver.delete()
            self._solver = None


def make_solver() -> PySatSolver:
    """A fresh solver (the engine calls this once per exploration, alternatives search or lint)."""
    return PySatSolver()
