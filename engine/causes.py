"""The smallest set of chosen terms that forces a condition: shared by resolution and propagation.

A condition is *forced* by some chosen terms when it is true for every selection that keeps
those choices, whatever the other properties become. Only the properties the condition
mentions can matter, so the search is over them alone: subsets of the chosen terms by size,
then in the order their properties first appear in the condition (deterministic).

>>> from engine.expression import parse_expression
>>> doms = {"a": ("x", "y", "z"), "b": ("x", "y")}
>>> forcing_cause(parse_expression("a.x or b.y"), {}, {"a": "x", "b": "y"}, doms)
(Term(prop='a', option='x'),)
>>> forcing_cause(parse_expression("not a.z and b.y"), {}, {"a": "x", "b": "y"}, doms)
(Term(prop='a', option='x'), Term(prop='b', option='y'))
>>> forcing_cause(parse_expression("a.x and b.y"), {"b": "y"}, {"a": "x"}, doms)
(Term(prop='a', option='x'),)
>>> forcing_cause(parse_expression("a.x"), {}, {"a": "y"}, doms) is None
True
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations, product
from typing import TYPE_CHECKING, Any

from engine.expression import Expr, Term, compile_expression, iter_terms

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["condition_properties", "forcing_cause"]


def condition_properties(expr: Expr) -> tuple[str, ...]:
    """The properties ``expr`` mentions, in the order they first appear."""
    return tuple(dict.fromkeys(t.prop for t in iter_terms(expr)))


def forcing_cause(
    expr: Expr,
    fixed: Mapping[str, str],
    chosen: Mapping[str, str],
    domains: Mapping[str, Sequence[str]],
    *,
    props: tuple[str, ...] | None = None,
) -> tuple[Term, ...] | None:
    """The smallest subset of ``chosen`` that, with ``fixed``, makes ``expr`` true whatever the rest is.

    ``fixed`` holds choices taken as given (never part of the answer; they win over ``chosen``
    for the same property); ``domains`` maps each property to its option ids; ``props`` may pass
    :func:`condition_properties` of ``expr`` when the caller already has it. Returns None when
    even all of ``chosen`` does not force ``expr``; ``()`` when ``fixed`` alone does.
    """
    if props is None:
        props = condition_properties(expr)
    key = (
        expr,
        props,
        tuple(fixed.get(p) for p in props),
        tuple(chosen.get(p) if p not in fixed else None for p in props),
        tuple(tuple(domains.get(p, ())) for p in props),
    )
    return _forcing_cause(key)


@lru_cache(maxsize=65536)
def _compiled(expr: Expr) -> Callable[[Mapping[str, str]], bool]:
    return compile_expression(expr)


@lru_cache(maxsize=65536)
def _forcing_cause(key: tuple[Any, ...]) -> tuple[Term, ...] | None:
    expr, props, fixed, chosen, doms = key
    fn = _compiled(expr)
    optional = [i for i, c in enumerate(chosen) if c is not None]
    base_fixed = {props[i]: fixed[i] for i in range(len(props)) if fixed[i] is not None}
    for size in range(len(optional) + 1):
        for subset in combinations(optional, size):
            base = dict(base_fixed)
            base.update({props[i]: chosen[i] for i in subset})
            free = [i for i in range(len(props)) if props[i] not in base]
            assignment = dict(base)
            forced = True
            for values in product(*(doms[i] for i in free)):
                for i, value in zip(free, values, strict=True):
                    assignment[props[i]] = value
                if not fn(assignment):
                    forced = False
                    break
            if forced:
                return tuple(Term(props[i], chosen[i]) for i in subset)
    return None
