"""The fast paths of resolution agree with the plain definitions they replace.

Issue 6 (performance): ``compile_expression`` merges same-property disjunctions into
membership tests, ``parse_expression`` memoises parsed text and reads parenthesis-free
conditions in one pass over their words, ``resolve`` memoises minimal
causes per condition and orders steps from the records instead of the graph. Each must give
exactly what ``evaluate``, a fresh parse, ``minimal_cause`` and ``engine.graph.step_order`` give.
"""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectplan.engine import build_graph, catalog_from_dict, catalog_to_dict, resolve, step_order
from connectplan.engine.errors import ExpressionSyntaxError
from connectplan.engine.expression import (
    ALWAYS,
    And,
    Not,
    Or,
    Term,
    _Parser,
    compile_expression,
    evaluate,
    parse_expression,
)
from connectplan.engine.resolution import minimal_cause
from tests.conftest import all_selections

DOMAINS = {"a": ("x", "y", "z"), "b": ("x", "y"), "c": ("x", "y", "z")}
SELECTIONS = [dict(zip(DOMAINS, combo, strict=True)) for combo in itertools.product(*DOMAINS.values())]

terms = st.sampled_from([Term(p, o) for p, opts in DOMAINS.items() for o in opts] + [Term("missing", "x")])
expressions = st.recursive(
    terms | st.just(ALWAYS),
    lambda inner: (
        st.builds(Not, inner)
        | st.builds(And, st.lists(inner, min_size=2, max_size=5).map(tuple))
        | st.builds(Or, st.lists(inner, min_size=2, max_size=5).map(tuple))
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_compiled_expression_agrees_with_evaluate(expr):
    fn = compile_expression(expr)
    for sel in SELECTIONS:
        assert fn(sel) is evaluate(expr, sel)


def test_same_property_disjunction_and_negated_term():
    fn = compile_expression(Or((Term("a", "x"), Term("b", "y"), Term("a", "z"))))
    assert [
        fn(s) for s in ({"a": "x", "b": "x"}, {"a": "z", "b": "x"}, {"a": "y", "b": "x"}, {"a": "y", "b": "y"})
    ] == [
        True,
        True,
        False,
        True,
    ]
    neg = compile_expression(Not(Term("a", "x")))
    assert neg({"a": "y"}) is True
    assert neg({"a": "x"}) is False
    assert neg({}) is True  # an unselected property is not equal to any option


def test_memoised_causes_equal_minimal_cause(stripe_catalog):
    domains = {p.id: p.option_ids for p in stripe_catalog.properties}
    for _ in range(2):  # the second pass answers from the per-condition memo
        for sel in all_selections(stripe_catalog):
            res = resolve(stripe_catalog, sel)
            for finding in res.findings:
                assert finding.because == minimal_cause(finding.rule.condition, sel, domains)
            for active in res.steps:
                assert active.because == minimal_cause(active.step.condition, sel, domains)


def _order_with_and_without_graph(catalog):
    fresh = catalog_from_dict(catalog_to_dict(catalog))
    from_records = step_order(fresh)
    # the same order from the whole catalog graph's "requires" edges
    G = build_graph(fresh)
    prereq_first = nx.DiGraph()
    prereq_first.add_nodes_from(s.id for s in fresh.steps)
    prereq_first.add_edges_from((dst.id, src.id) for src, dst, kind in G.edges(data="kind") if kind == "requires")
    steps = fresh.step_index
    return from_records, tuple(
        nx.lexicographical_topological_sort(prereq_first, key=lambda sid: (steps[sid].order, sid))
    )


def test_step_order_is_the_same_with_and_without_the_built_graph(stripe_catalog):
    from_records, from_graph = _order_with_and_without_graph(stripe_catalog)
    assert from_records == from_graph


def test_step_order_on_a_large_random_dag():
    from bench.synth import generate

    catalog = catalog_from_dict(generate(60, seed=7).document)
    from_records, from_graph = _order_with_and_without_graph(catalog)
    assert from_records == from_graph
    pos = {sid: i for i, sid in enumerate(from_records)}
    assert all(pos[pre] < pos[s.id] for s in catalog.steps for pre in s.prereqs)


def test_memoised_parse_equals_fresh_parse_and_still_rejects_bad_text():
    text = "a.x and (b.y or not c.z)"
    assert parse_expression(text) == _Parser(text).parse()
    assert parse_expression(text) is parse_expression(text)
    for bad in ("a.x and", "a.x and", "(a.x"):  # repeated bad text raises every time
        with pytest.raises(ExpressionSyntaxError):
            parse_expression(bad)
    with pytest.raises(ExpressionSyntaxError):
        parse_expression(["not", "text"])  # unhashable input still gets the engine's error
