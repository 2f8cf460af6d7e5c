"""The derived indexes of a catalog, built once: :class:`CompiledCatalog`.

A :class:`~engine.catalog.Catalog` is an immutable record of what the file says. Everything
the algorithms derive from it (compiled conditions, the topological step order, the
dependency graph, the rule indexes of propagation) lives here instead, in one object per
catalog. :func:`compile_catalog` returns it, kept in a small cache keyed by the catalog's
identity (bounded: the least recently used entries are dropped), so repeated resolutions of
one catalog compile it once. Parts only some callers need (the graph, the propagation
indexes) are built on first use.

>>> from connectplan.engine.loading import catalog_from_dict
>>> cat = catalog_from_dict({
...     "format": "connectplan-catalog/1", "name": "demo", "edition": "1", "title": "Demo",
...     "properties": [{"id": "size", "title": "Size",
...                     "options": [{"id": "s", "title": "S"}, {"id": "l", "title": "L"}]}],
...     "rules": [{"id": "big", "condition": "size.l", "severity": "blocked", "message": "Large."}],
...     "steps": []})
>>> compiled = compile_catalog(cat)
>>> compiled is compile_catalog(cat), compiled.catalog is cat
(True, True)
>>> [rule.id for _, rule in compiled.blocking.rules]
['big']
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property
from typing import TYPE_CHECKING

from connectplan.engine.causes import Space, condition_properties, forcing_cause, selection_literals, space_of
from connectplan.engine.expression import Expr, Term, compile_expression
from connectplan.engine.graph import build_graph, step_order

if TYPE_CHECKING:
    from collections.abc import Mapping

    import networkx as nx

    from connectplan.engine.catalog import Assignment, Catalog, Flow, Responsibility, Rule, Step
    from connectplan.engine.expression import Choice, Predicate
    from connectplan.engine.severity import Severity

__all__ = ["CACHE_SIZE", "BlockingRules", "CompiledCatalog", "CompiledCondition", "NeighbourRules", "compile_catalog"]

#: How many catalogs :func:`compile_catalog` keeps compiled (least recently used dropped first).
CACHE_SIZE = 32
#: Bound on the memoised causes kept per condition (a condition over k properties has at most
#: the product of their option counts; only very wide conditions reach this).
CAUSES_PER_CONDITION = 4096


class CompiledCondition:
    """A condition compiled to a closure, with its minimal causes memoised.

    ``causes`` memoises the minimal cause by the options chosen for the properties the
    condition mentions (the only ones that can matter), so a repeated resolution neither walks
    nor hashes the expression tree again. Those properties are found on the first cause asked
    for: most conditions of a large catalog never hold for the selections resolved.
    """

    __slots__ = ("causes", "expr", "fn", "props", "spaces")

    def __init__(self, expr: Expr, spaces: Mapping[str, Space], multi: frozenset[str]) -> None:
        self.expr = expr
        self.fn: Predicate = compile_expression(expr, multi)
        self.spaces = spaces
        self.props: tuple[str, ...] | None = None
        self.causes: dict[tuple[Choice | None, ...], tuple[Term, ...]] = {}

    def cause(self, selection: Mapping[str, Choice]) -> tuple[Term, ...]:
        """The smallest set of the selection's literals that forces the condition (``()`` if it is false)."""
        if self.props is None:
            self.props = condition_properties(self.expr)
        chosen = tuple(selection.get(p) for p in self.props)
        found = self.causes.get(chosen)
        if found is None:
            if len(self.causes) >= CAUSES_PER_CONDITION:
                self.causes.clear()
            literals = selection_literals(self.props, selection, self.spaces)
            found = forcing_cause(self.expr, (), literals, self.spaces, props=self.props) or ()
            self.causes[chosen] = found
        return found


class BlockingRules:
    """The rules that exclude (rank ``blocked`` or higher), indexed by the properties they mention."""

    def __init__(self, catalog: Catalog, spaces: Mapping[str, Space]) -> None:
        self.rules: list[tuple[int, Rule]] = [(i, r) for i, r in enumerate(catalog.rules) if r.rank.excludes]
        self.by_prop: dict[str, list[tuple[int, Rule]]] = {}
        self.props_of: dict[str, tuple[str, ...]] = {}
        for i, rule in self.rules:
            props = condition_properties(rule.condition)
            self.props_of[rule.id] = props
            for p in props:
                self.by_prop.setdefault(p, []).append((i, rule))
        # rules true for every selection (``always``, ``a.x or not a.x``) exclude whatever is chosen
        self.unconditional = [
            (i, r)
            for i, r in self.rules
            if forcing_cause(r.condition, (), (), spaces, props=self.props_of[r.id]) is not None
        ]


class NeighbourRules:
    """Every rule as a closure with its rank, and the rules that mention each property."""

    def __init__(self, catalog: Catalog, multi: frozenset[str]) -> None:
        self.fns = [compile_expression(r.condition, multi) for r in catalog.rules]
        self.ranks = [r.rank for r in catalog.rules]
        self.by_prop: dict[str, list[int]] = {}
        for i, rule in enumerate(catalog.rules):
            for p in condition_properties(rule.condition):
                self.by_prop.setdefault(p, []).append(i)


class CompiledCatalog:
    """What the algorithms derive from one catalog (see the module docstring).

    ``graph`` may be passed when the caller already has the catalog's graph (a catalog rebuilt
    from a stored graph): it must be the graph :func:`engine.graph.build_graph` makes of it.
    """

    def __init__(self, catalog: Catalog, graph: nx.DiGraph | None = None) -> None:
        self.catalog = catalog
        self.spaces: dict[str, Space] = {p.id: space_of(p) for p in catalog.properties}
        #: the multi-choice properties (their selection values are tuples of option ids)
        self.multi: frozenset[str] = frozenset(p.id for p in catalog.properties if p.multi)
        self.order: dict[str, int] = {p.id: i for i, p in enumerate(catalog.properties)}
        #: (property, its pending option) for each property that has one, in catalog order
        self.pending: tuple[tuple[str, str], ...] = tuple(
            (p.id, p.pending_option) for p in catalog.properties if p.pending_option is not None
        )
        spaces, multi = self.spaces, self.multi
        self.rules: list[tuple[Rule, Severity, CompiledCondition]] = [
            (r, r.rank, CompiledCondition(r.condition, spaces, multi)) for r in catalog.rules
        ]
        index = catalog.step_index
        self.steps: list[tuple[Step, CompiledCondition]] = [
            (index[sid], CompiledCondition(index[sid].condition, spaces, multi)) for sid in step_order(catalog)
        ]
        self.flows: list[tuple[Flow, Predicate]] = [(f, compile_expression(f.condition, multi)) for f in catalog.flows]
        self.responsibilities: list[tuple[Responsibility, Assignment, Predicate]] = [
            (r, a, compile_expression(a.condition, multi)) for r in catalog.responsibilities for a in r.assignments
        ]
        self._graph = graph

    @property
    def graph(self) -> nx.DiGraph:
        """The catalog's dependency graph (:func:`engine.graph.build_graph`, built on first use)."""
        if self._graph is None:
            self._graph = build_graph(self.catalog)
        return self._graph

    @cached_property
    def blocking(self) -> BlockingRules:
        """The excluding rules by property (propagation, lint)."""
        return BlockingRules(self.catalog, self.spaces)

    @cached_property
    def neighbours(self) -> NeighbourRules:
        """All rules by property, for re-judging a selection with one property switched."""
        return NeighbourRules(self.catalog, self.multi)


_CACHE: OrderedDict[int, CompiledCatalog] = OrderedDict()
_LOCK = threading.Lock()


def compile_catalog(catalog: Catalog, *, graph: nx.DiGraph | None = None) -> CompiledCatalog:
    """The :class:`CompiledCatalog` of ``catalog``, built on the first call for that object.

    The cache holds the :data:`CACHE_SIZE` most recently used catalogs (by identity, not by
    content). ``graph`` seeds the compiled graph when the catalog is compiled by this call.
    """
    key = id(catalog)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None and found.catalog is catalog:
            _CACHE.move_to_end(key)
            if graph is not None and found._graph is None:
                found._graph = graph
            return found
    compiled = CompiledCatalog(catalog, graph)
    with _LOCK:
        _CACHE[key] = compiled
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return compiled
