"""Lint checks for decisions that can wait and for API settings (called by :func:`engine.lint.lint_catalog`).

Errors:

``pending_raises_verdict``
    a rule above ``info`` fires on some selection with property ``P`` pending while no real
    option of ``P`` (every other choice unchanged) makes it fire: choosing "not decided yet"
    would raise a verdict of its own;
``pending_misuse``
    a rule above ``info`` names a pending option positively (``P.undecided`` under an even number
    of ``not``): its verdict is raised *because* the decision is open.

Warnings:

``preset_pending``       a preset chooses a pending option (a preset decides every property);
``api_not_structured``   an option or step lists API settings as plain text (the legacy form);
``missing_source``       an option without ``docs`` (pending options excepted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectplan.engine.causes import space_values
from connectplan.engine.compiled import compile_catalog
from connectplan.engine.expression import ALWAYS, And, Not, Or, Term, holds, iter_terms
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectplan.engine.catalog import Catalog, Property, Rule
    from connectplan.engine.expression import Choice, Expr
    from connectplan.engine.sat import Encoding

__all__ = ["Found", "decision_errors", "decision_warnings", "fix_property"]

#: A finding of these checks: (code, subject, message); :func:`engine.lint.lint_catalog` adds the level.
Found = tuple[str, str, str]


def decision_errors(catalog: Catalog, enc: Encoding) -> list[Found]:
    """``pending_misuse`` and ``pending_raises_verdict``, rule by rule in catalog order.

    ``pending_raises_verdict`` is decided exactly with the SAT solver, not by enumerating the
    properties the rule names (a rule may name several multi-choice properties, whose sets
    multiply): for a rule ``R`` naming ``P``, let ``R[P:=v]`` be its condition with ``P`` fixed to
    ``v`` (an expression over the other properties). The check asks for one selection of the
    others where ``R[P:=pending]`` holds and ``R[P:=v]`` fails for every real value ``v`` of ``P``
    (its options, or its valid sets without the pending option). The only enumeration is over
    the values of ``P`` itself, which one property's option list bounds. A rule that names the
    pending option positively is reported once, as ``pending_misuse``.
    """
    compiled = compile_catalog(catalog)
    pending, order = dict(compiled.pending), compiled.order
    if not pending:
        return []
    out: list[Found] = []
    for rule in catalog.rules:
        if rule.rank <= Severity.ALLOWED:
            continue
        positive = {t for t in _positive_terms(rule.condition) if pending.get(t.prop) == t.option}
        misused = sorted(positive, key=lambda t: order[t.prop])
        for term in misused:
            out.append(
                (
                    "pending_misuse",
                    rule.id,
                    f"{rule.severity} rule names the pending option {term} (a decision left open never raises "
                    f"a verdict): name real options, or guard with 'not {term}'",
                )
            )
        flagged = {t.prop for t in misused}
        props = dict.fromkeys(t.prop for t in iter_terms(rule.condition) if t.prop in pending and t.prop not in flagged)
        for prop_id in props:
            witness = _raises_verdict(catalog, enc, rule, catalog.property_index[prop_id])
            if witness is not None:
                example = f" (e.g. with {witness})" if witness else ""
                open_term = f"{prop_id}.{pending[prop_id]}"
                out.append(
                    (
                        "pending_raises_verdict",
                        rule.id,
                        f"{rule.severity} rule fires with {open_term}{example} while no real option of {prop_id} "
                        f"makes it fire: guard it with 'not {open_term}'",
                    )
                )
    return out


def _raises_verdict(catalog: Catalog, enc: Encoding, rule: Rule, prop: Property) -> str | None:
    """None when ``rule`` never fires with ``prop`` pending unless a real option would fire it too;
    else the witness: the other properties' choices the rule names (text, possibly empty)."""
    pending = prop.pending_option
    assert pending is not None
    values = space_values(compile_catalog(catalog).spaces[prop.id])
    open_value: Choice = pending if not prop.multi else (pending,)
    real = [v for v in values if not prop.is_pending(v)]
    fires = enc.literal(fix_property(rule.condition, prop.id, open_value))
    quiet = [-enc.literal(fix_property(rule.condition, prop.id, v)) for v in real]
    model = enc.solve([fires, *quiet])
    if model is None:
        return None
    chosen = enc.model_selection(model)
    named = dict.fromkeys(t.prop for t in iter_terms(rule.condition) if t.prop != prop.id)
    parts = []
    for p in named:
        value = chosen[p]
        parts.append(f"{p}={value if isinstance(value, str) else ','.join(value) or '(none)'}")
    return ", ".join(parts)


def fix_property(expr: Expr, prop: str, value: Choice) -> Expr:
    """``expr`` with the terms of ``prop`` replaced by what they are when ``prop`` is ``value``
    (``always`` or ``not always``): an expression over the other properties."""
    if isinstance(expr, Term):
        if expr.prop != prop:
            return expr
        return ALWAYS if holds(expr, {prop: value}) else Not(ALWAYS)
    if isinstance(expr, Not):
        return Not(fix_property(expr.operand, prop, value))
    if isinstance(expr, And):
        return And(tuple(fix_property(op, prop, value) for op in expr.operands))
    if isinstance(expr, Or):
        return Or(tuple(fix_property(op, prop, value) for op in expr.operands))
    return expr


def _positive_terms(expr: Expr, negated: bool = False) -> Iterator[Term]:
    """The terms of ``expr`` under an even number of ``not``."""
    if isinstance(expr, Term):
        if not negated:
            yield expr
    elif isinstance(expr, Not):
        yield from _positive_terms(expr.operand, not negated)
    elif isinstance(expr, (And, Or)):
        for op in expr.operands:
            yield from _positive_terms(op, negated)


def decision_warnings(catalog: Catalog) -> list[Found]:
    """``preset_pending``, ``api_not_structured`` and the options' ``missing_source``."""
    out: list[Found] = []
    for prop in catalog.properties:
        for opt in prop.options:
            subject = f"{prop.id}.{opt.id}"
            if not opt.docs and not opt.pending:
                out.append(("missing_source", subject, "option has no docs URL"))
            legacy = sum(1 for a in opt.api if not a.structured)
            if legacy:
                out.append(_not_structured(subject, legacy))
    for step in catalog.steps:
        legacy = sum(1 for a in step.api if not a.structured)
        if legacy:
            out.append(_not_structured(step.id, legacy))
    for preset in catalog.presets:
        for prop_id, value in preset.selection:
            prop = catalog.property_index[prop_id]
            if prop.is_pending(value):
                out.append(
                    (
                        "preset_pending",
                        preset.id,
                        f"the preset leaves {prop_id} undecided ({prop_id}.{prop.pending_option}); "
                        "a preset decides every property",
                    )
                )
    return out


def _not_structured(subject: str, count: int) -> Found:
    what = "API setting is" if count == 1 else "API settings are"
    return (
        "api_not_structured",
        subject,
        f"{count} {what} plain text: give each its request (api, method, path, params), or only text for a fact",
    )
