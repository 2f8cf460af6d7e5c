"""The condition language: parsing, canonical printing, evaluation, errors."""

from __future__ import annotations

from typing import ClassVar

import pytest

from connectplan.engine.errors import ExpressionSyntaxError
from connectplan.engine.expression import (
    Always,
    And,
    Not,
    Or,
    Term,
    compile_expression,
    evaluate,
    format_expression,
    parse_expression,
    references,
)


class TestParse:
    def test_precedence_not_and_or(self):
        expr = parse_expression("not a.x and b.y or c.z")
        assert expr == Or((And((Not(Term("a", "x")), Term("b", "y"))), Term("c", "z")))

    def test_parentheses_override_precedence(self):
        expr = parse_expression("a.x and (b.y or c.z)")
        assert expr == And((Term("a", "x"), Or((Term("b", "y"), Term("c", "z")))))

    def test_always(self):
        assert parse_expression("  always ") == Always()

    def test_chains_are_flat(self):
        assert parse_expression("a.x or b.y or c.z") == Or((Term("a", "x"), Term("b", "y"), Term("c", "z")))

    def test_double_negation_kept(self):
        assert parse_expression("not not a.x") == Not(Not(Term("a", "x")))

    @pytest.mark.parametrize(
        ("text", "position", "fragment"),
        [
            ("", 0, "empty expression"),
            ("a.x and", 7, "unexpected end"),
            ("(a.x or b.y", 11, "missing ')'"),
            ("a.x b.y", 4, "unexpected 'b.y'"),
            ("a.x )", 4, "unexpected ')'"),
            ("and a.x", 0, "expected a term"),
            ("onboarding", 0, "expected property.option"),
            ("a.x & b.y", 4, "unexpected character '&'"),
            ("a.x or not", 10, "unexpected end"),
        ],
    )
    def test_syntax_errors_name_the_position(self, text, position, fragment):
        with pytest.raises(ExpressionSyntaxError) as info:
            parse_expression(text)
        assert info.value.position == position
        assert fragment in str(info.value)
        assert f"position {position}" in str(info.value)


class TestFormat:
    @pytest.mark.parametrize(
        "text",
        [
            "a.x",
            "always",
            "not a.x",
            "a.x and b.y",
            "a.x or b.y and c.z",
            "(a.x or b.y) and c.z",
            "not (a.x or b.y)",
            "a.x and (b.y or not (c.z and d.w))",
        ],
    )
    def test_canonical_text_round_trips(self, text):
        expr = parse_expression(text)
        assert format_expression(expr) == text
        assert parse_expression(format_expression(expr)) == expr

    def test_redundant_parentheses_and_spacing_removed(self):
        assert format_expression(parse_expression("((a.x))   and ( not b.y )")) == "a.x and not b.y"

    def test_nested_same_operator_keeps_tree(self):
        expr = parse_expression("a.x and (b.y and c.z)")
        assert parse_expression(format_expression(expr)) == expr


class TestEvaluate:
    SEL: ClassVar[dict[str, str]] = {"a": "x", "b": "y", "c": "q"}

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a.x", True),
            ("a.z", False),
            ("not a.z", True),
            ("a.x and b.y", True),
            ("a.x and c.z", False),
            ("a.z or c.q", True),
            ("always", True),
            ("not (a.x and b.y)", False),
            ("missing.opt", False),
        ],
    )
    def test_truth_values(self, text, expected):
        expr = parse_expression(text)
        assert evaluate(expr, self.SEL) is expected
        assert compile_expression(expr)(self.SEL) is expected

    def test_references(self):
        assert references(parse_expression("a.x and (not b.y or a.x)")) == {Term("a", "x"), Term("b", "y")}

    def test_no_eval_of_python(self):
        with pytest.raises(ExpressionSyntaxError):
            parse_expression("__import__('os').system('true')")
