"""Condition expressions: ``property.option`` terms combined with ``not``, ``and``, ``or``.

Grammar (``not`` binds tighter than ``and``, which binds tighter than ``or``)::

    expr   := or
    or     := and ("or" and)*
    and    := unary ("and" unary)*
    unary  := "not" unary | atom
    atom   := TERM | "always" | "(" expr ")"
    TERM   := IDENT "." IDENT           IDENT := [A-Za-z_][A-Za-z0-9_]*

Parentheses and ``not`` nest at most :data:`MAX_NESTING` deep; deeper text is a syntax error.

A condition is parsed once into an immutable AST, evaluated without ``eval`` and printed
back canonically (minimal parentheses, single spaces):

>>> expr = parse_expression("onboarding.api and (liability.stripe or not dashboard.none)")
>>> format_expression(expr)
'onboarding.api and (liability.stripe or not dashboard.none)'
>>> evaluate(expr, {"onboarding": "api", "liability": "platform", "dashboard": "full"})
True
>>> sorted(str(t) for t in references(expr))
['dashboard.none', 'liability.stripe', 'onboarding.api']

A selection maps each property to its option id, or, for a multi-choice property, to the
tuple of option ids chosen; a term of a multi-choice property is true when its option is
among them:

>>> evaluate(parse_expression("fees.app and not fees.saas"), {"fees": ("app", "markup")})
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Union

from connectplan.engine.errors import ExpressionSyntaxError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "Absent",
    "Always",
    "And",
    "Choice",
    "Expr",
    "Not",
    "Or",
    "Predicate",
    "Term",
    "compile_expression",
    "evaluate",
    "format_expression",
    "holds",
    "iter_terms",
    "parse_expression",
    "references",
]


@dataclass(frozen=True, order=True)
class Term:
    """``property.option``: true when that option is selected."""

    prop: str
    option: str

    def __str__(self) -> str:
        return f"{self.prop}.{self.option}"


@dataclass(frozen=True, order=True)
class Absent(Term):
    """A literal of a cause, never of a condition: ``option`` is *not* among the chosen options of
    the multi-choice property ``prop`` (printed ``not prop.option``)."""

    def __str__(self) -> str:
        return f"not {self.prop}.{self.option}"


#: What a selection maps a property to: an option id, or the chosen option ids of a multi-choice property.
Choice = Union[str, tuple[str, ...]]
#: A compiled condition: true or false for a selection.
Predicate = Callable[[Mapping[str, Any]], bool]


def holds(term: Term, selection: Mapping[str, Choice]) -> bool:
    """Whether ``term`` is true for ``selection`` (an :class:`Absent` literal: whether it is false).

    >>> holds(Term("fees", "app"), {"fees": ("app",)}), holds(Term("size", "s"), {"size": "l"})
    (True, False)
    """
    value = selection.get(term.prop)
    found = value == term.option if isinstance(value, str) else value is not None and term.option in value
    return not found if isinstance(term, Absent) else found


@dataclass(frozen=True)
class Always:
    """The literal ``always``: true for every selection."""


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Union[Term, Always, Not, And, Or]

ALWAYS = Always()
#: Deepest nesting of parentheses and ``not`` a condition may use (keeps parsing and printing off the recursion limit).
MAX_NESTING = 100

_TOKEN = re.compile(
    r"\s*(?:(?P<lpar>\()|(?P<rpar>\))|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)|(?P<bad>\S))"
)
_KEYWORDS = {"and", "or", "not", "always"}


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while True:
        match = _TOKEN.match(text, pos)
        if match is None:  # only trailing white space is left
            break
        kind = match.lastgroup or "bad"
        value = match.group(kind)
        start = match.start(kind)
        if kind == "bad":
            raise ExpressionSyntaxError(text, start, f"unexpected character {value!r}")
        tokens.append((kind, value, start))
        pos = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def nest(self, tok: tuple[str, str, int]) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nested deeper than {MAX_NESTING} levels of parentheses and 'not'", tok)

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, reason: str, tok: tuple[str, str, int]) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(self.text, tok[2], reason)

    def parse(self) -> Expr:
        if self.peek()[0] == "end":
            raise self.error("empty expression", self.peek())
        expr = self.parse_or()
        tok = self.peek()
        if tok[0] != "end":
            raise self.error(f"unexpected {tok[1]!r}", tok)
        return expr

    def _is_word(self, word: str) -> bool:
        kind, value, _ = self.peek()
        return kind == "word" and value == word

    def parse_or(self) -> Expr:
        operands = [self.parse_and()]
        while self._is_word("or"):
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Expr:
        operands = [self.parse_unary()]
        while self._is_word("and"):
            self.take()
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Expr:
        if self._is_word("not"):
            self.nest(self.take())
            operand = self.parse_unary()
            self.depth -= 1
            return Not(operand)
        return self.parse_atom()

    def parse_atom(self) -> Expr:
        tok = self.take()
        kind, value, _ = tok
        if kind == "lpar":
            self.nest(tok)
            expr = self.parse_or()
            self.depth -= 1
            close = self.take()
            if close[0] != "rpar":
                raise self.error("expected ')'" if close[0] != "end" else "missing ')'", close)
            return expr
        if kind == "word":
            if value == "always":
                return ALWAYS
            if value in _KEYWORDS:
                raise self.error(f"expected a term, found {value!r}", tok)
            if "." not in value:
                raise self.error(f"expected property.option, found {value!r}", tok)
            prop, option = value.split(".", 1)
            return Term(prop, option)
        if kind == "end":
            raise self.error("unexpected end of expression", tok)
        raise self.error(f"unexpected {value!r}", tok)


def parse_expression(text: str) -> Expr:
    """Parse a condition string into an AST.

    Raises
    ------
    ExpressionSyntaxError
        With the 0-based position of the offending token.

    >>> parse_expression("not dashboard.none")
    Not(operand=Term(prop='dashboard', option='none'))
    """
    if not isinstance(text, str):
        raise ExpressionSyntaxError(repr(text), 0, "a condition must be a string")
    return _parse_cached(text)


@lru_cache(maxsize=1 << 17)
def _parse_cached(text: str) -> Expr:
    # The AST is immutable, so one parse serves every reader of the same text: loading a
    # catalog and building its graph both parse each condition, and catalogs repeat conditions.
    return _Parser(text).parse()


_PRECEDENCE = {Or: 1, And: 2, Not: 3, Term: 4, Always: 4}


def format_expression(expr: Expr, *, term: Callable[[Term], str] = str) -> str:
    """Print an expression canonically, with the fewest parentheses that keep its meaning.

    ``term`` prints each term (default ``property.option``); callers use it to annotate terms,
    e.g. with their value for a selection:

    >>> format_expression(parse_expression("a.x and not (b.y or c.z)"), term=lambda t: t.prop.upper())
    'A and not (B or C)'
    """

    def fmt(node: Expr, parent: int) -> str:
        prec = _PRECEDENCE[type(node)]
        if isinstance(node, Term):
            text = term(node)
        elif isinstance(node, Always):
            text = "always"
        elif isinstance(node, Not):
            text = "not " + fmt(node.operand, prec)
        else:
            joiner = " and " if isinstance(node, And) else " or "
            # a nested operator of the same kind keeps its parentheses to round-trip the tree
            text = joiner.join(fmt(op, prec + (type(op) is type(node))) for op in node.operands)
        return f"({text})" if prec < parent else text

    return fmt(expr, 0)


def evaluate(expr: Expr, selection: Mapping[str, Choice]) -> bool:
    """Evaluate ``expr`` for a selection mapping property id to option id (or ids, see the module docstring)."""
    if isinstance(expr, Term):
        return holds(expr, selection)
    if isinstance(expr, Always):
        return True
    if isinstance(expr, Not):
        return not evaluate(expr.operand, selection)
    if isinstance(expr, And):
        return all(evaluate(op, selection) for op in expr.operands)
    return any(evaluate(op, selection) for op in expr.operands)


def compile_expression(expr: Expr, multi: frozenset[str] = frozenset()) -> Predicate:
    """Turn an expression into a plain Python closure (no ``eval``) for repeated evaluation.

    Terms of one property joined by ``or`` become a single membership test
    (``charge_type.direct or charge_type.destination`` reads the selection once), and n-ary
    operators become short-circuiting loops; the closure is true exactly when
    :func:`evaluate` is. ``multi`` names the multi-choice properties: the selection maps them
    to tuples (or sets) of option ids.

    >>> fn = compile_expression(parse_expression("(a.x or a.y) and not b.z"))
    >>> fn({"a": "y", "b": "w"}), fn({"a": "y", "b": "z"}), fn({"a": "q", "b": "w"})
    (True, False, False)
    >>> fn = compile_expression(parse_expression("m.x and not m.y"), frozenset({"m"}))
    >>> fn({"m": ("x", "z")}), fn({"m": ("x", "y")})
    (True, False)
    """
    if multi and any(t.prop in multi for t in iter_terms(expr)):
        return _compile_multi(expr, multi)
    return _compile(expr)


def _compile_multi(expr: Expr, multi: frozenset[str]) -> Predicate:
    if isinstance(expr, Term):
        prop, option = expr.prop, expr.option
        if prop in multi:
            return lambda sel: option in sel.get(prop, ())
        return lambda sel: sel.get(prop) == option
    if isinstance(expr, Always):
        return lambda sel: True
    if isinstance(expr, Not):
        inner = _compile_multi(expr.operand, multi)
        return lambda sel: not inner(sel)
    parts = tuple(_compile_multi(op, multi) for op in expr.operands)
    return _all_of(parts) if isinstance(expr, And) else _any_of(parts)


def _compile(expr: Expr) -> Predicate:
    if isinstance(expr, Term):
        prop, option = expr.prop, expr.option
        return lambda sel: sel.get(prop) == option
    if isinstance(expr, Always):
        return lambda sel: True
    if isinstance(expr, Not):
        if isinstance(expr.operand, Term):
            prop, option = expr.operand.prop, expr.operand.option
            return lambda sel: sel.get(prop) != option
        inner = _compile(expr.operand)
        return lambda sel: not inner(sel)
    if isinstance(expr, And):
        ops = expr.operands
        if len(ops) == 2 and isinstance(ops[0], Term) and isinstance(ops[1], Term):  # "p.a and q.b"
            (p1, o1), (p2, o2) = (ops[0].prop, ops[0].option), (ops[1].prop, ops[1].option)
            return lambda sel: sel.get(p1) == o1 and sel.get(p2) == o2
        return _all_of(tuple(_compile(op) for op in ops))
    options: dict[str, list[str]] = {}
    others: list[Expr] = []
    for op in expr.operands:
        if isinstance(op, Term):
            options.setdefault(op.prop, []).append(op.option)
        else:
            others.append(op)
    parts = [_member(prop, opts) for prop, opts in options.items()]
    parts += [_compile(op) for op in others]
    return _any_of(tuple(parts))


def _member(prop: str, options: list[str]) -> Predicate:
    if len(options) == 1:
        option = options[0]
        return lambda sel: sel.get(prop) == option
    chosen = frozenset(options)
    return lambda sel: sel.get(prop) in chosen


def _all_of(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda sel: a(sel) and b(sel)

    def all_hold(sel: Mapping[str, str]) -> bool:
        for part in parts:
            if not part(sel):
                return False
        return True

    return all_hold


def _any_of(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda sel: a(sel) or b(sel)

    def any_holds(sel: Mapping[str, str]) -> bool:
        for part in parts:
            if part(sel):
                return True
        return False

    return any_holds


def iter_terms(expr: Expr) -> Iterator[Term]:
    """Yield every term in ``expr`` in reading order (with repeats)."""
    if isinstance(expr, Term):
        yield expr
    elif isinstance(expr, Not):
        yield from iter_terms(expr.operand)
    elif isinstance(expr, (And, Or)):
        for op in expr.operands:
            yield from iter_terms(op)


def references(expr: Expr) -> frozenset[Term]:
    """The set of terms ``expr`` mentions."""
    return frozenset(iter_terms(expr))
