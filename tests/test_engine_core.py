"""The engine's shared vocabulary and derived indexes (issue 9, points 1-6): severities,
the compiled catalog, catalog problem codes, and building a selection from a preset."""

from __future__ import annotations

import gc

import pytest
from conftest import tiny_doc

from connectplan.engine import CatalogError, SelectionError, Severity, build_selection, catalog_from_dict, resolve
from connectplan.engine import compiled as compiled_module
from connectplan.engine.compiled import compile_catalog
from connectplan.engine.lint import lint_problems


class TestSeverity:
    def test_order_is_domain_0_3(self):
        order = [Severity.parse(s) for s in ("info", "caution", "sales_gated", "blocked", "out_of_scope")]
        assert order == sorted(order)
        assert len(set(order)) == 5
        assert Severity.parse("allowed") == Severity.parse("info") == 0
        assert Severity.OUT_OF_SCOPE > Severity.BLOCKED > Severity.SALES_GATED > Severity.CAUTION > Severity.ALLOWED

    def test_texts_round_trip(self):
        for text in ("allowed", "caution", "sales_gated", "blocked", "out_of_scope"):
            assert Severity.parse(text).verdict == text
        assert Severity.parse("info").verdict == "allowed"

    def test_unknown_text_names_the_choices(self):
        with pytest.raises(ValueError, match=r"unknown severity 'fatal'.*out_of_scope"):
            Severity.parse("fatal")

    def test_only_blocked_and_out_of_scope_exclude(self):
        assert [s.verdict for s in Severity if s.excludes] == ["blocked", "out_of_scope"]

    def test_rule_and_resolution_ranks(self, tiny):
        assert [r.rank for r in tiny.rules] == [Severity.BLOCKED, Severity.ALLOWED]
        res = resolve(tiny, {"color": "red", "size": "l"})
        assert res.rank is Severity.BLOCKED and res.verdict == "blocked"
        assert resolve(tiny, {"color": "blue", "size": "s"}).rank is Severity.ALLOWED


class TestCompiledCatalog:
    def test_compiled_once_per_catalog_object(self, tiny):
        first = compile_catalog(tiny)
        assert compile_catalog(tiny) is first
        twin = catalog_from_dict(tiny_doc())  # equal content, another object: its own compiled indexes
        assert twin == tiny and compile_catalog(twin) is not first
        assert "_compiled" not in vars(tiny) and "graph" not in vars(tiny)

    def test_cache_is_bounded(self, monkeypatch):
        monkeypatch.setattr(compiled_module, "CACHE_SIZE", 3)
        cats = [catalog_from_dict(tiny_doc()) for _ in range(5)]
        for cat in cats:
            compile_catalog(cat)
        assert len(compiled_module._CACHE) <= 3
        held = [c.catalog for c in compiled_module._CACHE.values()]
        assert len(held) == 3 and all(a is b for a, b in zip(held, cats[-3:], strict=True))
        del cats, held
        gc.collect()

    def test_seeded_graph_is_kept(self, tiny):
        from connectplan.engine import build_graph

        G = build_graph(tiny)
        fresh = catalog_from_dict(tiny_doc())
        assert compile_catalog(fresh, graph=G).graph is G

    def test_steps_in_topological_order_and_blocking_rules_indexed(self, tiny):
        compiled = compile_catalog(tiny)
        assert [s.id for s, _ in compiled.steps] == ["first", "second"]
        assert [r.id for _, r in compiled.blocking.rules] == ["no_big_red"]
        assert sorted(compiled.blocking.by_prop) == ["color", "size"]


class TestProblemCodes:
    @pytest.mark.parametrize(
        ("mutate", "code", "kind"),
        [
            (lambda d: d["rules"][0].update(condition="color.green"), "unknown_option", "unknown_reference"),
            (lambda d: d["rules"][0].update(condition="shape.x"), "unknown_property", "unknown_reference"),
            (lambda d: d["rules"][0].update(severity="fatal"), "unknown_value", "unknown_reference"),
            (lambda d: d["rules"][0].update(condition="color.red and"), "syntax_error", "invalid"),
            (lambda d: d["steps"][0].update(prereqs=["second"]), "prerequisite_cycle", "cycle"),
            (lambda d: d["steps"][0].update(prereqs=["nope"]), "unknown_step", "unknown_reference"),
            (lambda d: d["presets"][0]["selection"].pop("size"), "incomplete_preset", "invalid"),
            (lambda d: d.update(colour="red"), "unknown_key", "unknown_reference"),
        ],
    )
    def test_each_problem_has_a_code_and_lint_sorts_by_it(self, mutate, code, kind):
        doc = tiny_doc()
        mutate(doc)
        with pytest.raises(CatalogError) as info:
            catalog_from_dict(doc)
        assert code in [p.code for p in info.value.problems]
        report = lint_problems("t.yaml", info.value.problems)
        assert kind in [m.code for m in report.errors]

    def test_lint_ignores_the_words_of_the_message(self):
        from connectplan.engine.errors import Problem

        report = lint_problems("t.yaml", [Problem("t.yaml", "x", "a cycle of unknown things", code="empty")])
        assert [m.code for m in report.errors] == ["invalid"]


class TestBuildSelection:
    def test_preset_then_overrides(self, tiny):
        assert build_selection(tiny, "small_red", {"size": "l"}) == {"color": "red", "size": "l"}
        assert build_selection(tiny, None, {"size": "l"}) == {"size": "l"}

    def test_unknown_preset_lists_the_presets(self, tiny):
        with pytest.raises(SelectionError, match=r"unknown preset 'nope' in tiny@1; presets: small_red"):
            build_selection(tiny, "nope", {})


class _Recording:
    """A stand-in solver that keeps the clauses it is given."""

    def __init__(self) -> None:
        self.clauses: list[list[int]] = []

    def add_clause(self, clause):
        self.clauses.append(list(clause))

    def solve(self, assumptions=()):
        return None

    def core(self):
        return []

    def set_phases(self, literals):
        return None


def test_a_second_encoding_of_a_catalog_replays_the_first_ones_clauses_and_variables():
    from connectplan.catalog_files import load_builtin
    from connectplan.engine.sat import Encoding

    cat = load_builtin("stripe-connect@2026.yaml")
    first, second = _Recording(), _Recording()
    a, b = Encoding(cat, first), Encoding(cat, second)
    assert first.clauses and first.clauses == second.clauses
    assert (a.nvars, a.option_var, a.level, a.rule_lit) == (b.nvars, b.option_var, b.level, b.rule_lit)
    # literals made after the base encoding are each encoding's own
    step = cat.steps[-1].condition
    assert a.literal(step) == b.literal(step)
    assert a.nvars == b.nvars and a._cache is not b._cache
    # a copy of the catalog (another object) is encoded afresh, to the same clauses
    from connectplan.engine import catalog_to_dict

    third = _Recording()
    Encoding(catalog_from_dict(catalog_to_dict(cat)), third)
    assert third.clauses == first.clauses
