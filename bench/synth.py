"""Seeded synthetic catalogs for the scale benchmarks, and the equivalent Kconfig.

:func:`generate` builds a catalog *document* (what :func:`engine.catalog_from_dict` reads, the
same shape as a YAML edition) of ``P`` properties:

* each property has 3 or 4 options (``p0007.a`` ... ``p0007.d``);
* about ``3P`` rules with the Stripe catalogs' severities (``info``, ``caution``,
  ``sales_gated``, ``blocked``, ``out_of_scope``) in roughly their proportions. 60 % are pairwise
  (``p.a and q.b``), the rest are wider: three-term conjunctions with a negation
  (``p.a and q.b and not r.c``), a disjunction under a conjunction (``p.a and (q.b or r.c)``),
  or two options of one property (``(p.a or p.b) and q.c``). Most rules join properties that
  sit close together in the declaration order (decisions come in clusters), one in five joins
  any two;
* about ``2P`` steps whose conditions are ``always``, one term, a disjunction or a negation,
  each requiring 0 to 3 of the 30 steps declared before it (so prerequisites form a DAG), with
  an ``order`` drawn at random so the topological sort has real work to do;
* one preset, ``witness``.

The generator first draws a hidden *witness* selection and redraws any rule other than
``info`` that would fire on it, so every synthetic catalog has an ``allowed`` completion (as a
real catalog has sensible configurations that no rule objects to), and half of the witness is
a partial selection that can still be completed to an allowed one, for the propagation
benchmark. :attr:`Synthetic.blocked` is the witness with one pairwise blocking rule switched
on: a blocked selection one or two changes away from an allowed one, for the alternatives
benchmark.

Equivalence with Kconfig
------------------------
:func:`kconfig_text` writes the same decision space for Kconfiglib:

* each property becomes a named ``choice`` block of ``bool`` symbols, one per option
  (``P0007_A``); a ``.config`` that sets ``P0007_A=y`` is the selection ``p0007 = a``
  (:func:`kconfig_config`);
* each ``blocked`` / ``out_of_scope`` rule ``C`` becomes ``depends on`` lines: let ``q`` be the
  property of ``C`` declared last; for every option ``o`` of ``q``, the symbol of ``q.o`` gets
  ``depends on !(C with q = o)`` whenever that restriction is not constantly false. Kconfig then
  refuses ``q.o`` exactly when connectplan would report the rule as firing, and since a symbol
  depends only on properties declared before it, the dependencies have no loops;
* every rule and every step condition also becomes a prompt-less ``def_bool`` symbol, so that
  evaluating the configuration computes each rule's and step's truth value, as
  :func:`engine.resolve` does.

What Kconfig does *not* get: severities and verdicts, minimal causes, money flows, and the
step prerequisite DAG with its topological order (Kconfig has no notion of ordered steps).
Kconfiglib therefore does strictly less work per evaluation than connectplan's resolve, which
makes it a demanding peer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from connectplan.engine.catalog import FORMAT, PHASES
from connectplan.engine.expression import Always, And, Expr, Not, Or, Term, evaluate, parse_expression

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Synthetic", "generate", "kconfig_config", "kconfig_text"]

#: Severity mix (weights), close to the two Stripe editions' proportions.
SEVERITY_WEIGHTS = {"info": 40, "caution": 22, "sales_gated": 10, "blocked": 24, "out_of_scope": 4}
BLOCKING = ("blocked", "out_of_scope")
LETTERS = "abcd"
#: Rules mostly join properties within this distance in declaration order.
WINDOW = 12
#: A step's prerequisites are drawn among this many steps declared just before it.
STEP_WINDOW = 30


@dataclass(frozen=True)
class Synthetic:
    """A generated catalog: the document, a witness selection and derived selections."""

    size: int
    seed: int
    document: dict[str, Any]
    witness: dict[str, str]
    blocked: dict[str, str]
    blocking_rule: str
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def partial(self) -> dict[str, str]:
        """Every second property fixed to its witness option: half the properties, satisfiable."""
        return {p: o for i, (p, o) in enumerate(self.witness.items()) if i % 2 == 0}

    @property
    def counts(self) -> dict[str, int]:
        doc = self.document
        return {
            "properties": len(doc["properties"]),
            "options": sum(len(p["options"]) for p in doc["properties"]),
            "rules": len(doc["rules"]),
            "blocking_rules": sum(1 for r in doc["rules"] if r["severity"] in BLOCKING),
            "steps": len(doc["steps"]),
            "prerequisite_edges": sum(len(s["prereqs"]) for s in doc["steps"]),
        }


def _prop_id(i: int, width: int) -> str:
    return f"p{i:0{width}d}"


def generate(size: int, seed: int = 2026) -> Synthetic:
    """Generate a synthetic catalog of ``size`` properties (same ``seed``, same bytes)."""
    if size < 4:
        raise ValueError("a synthetic catalog needs at least 4 properties")
    rng = random.Random(f"connectplan-bench:{size}:{seed}")
    width = max(4, len(str(size - 1)))
    props = [_prop_id(i, width) for i in range(size)]
    options = {p: LETTERS[: rng.choice((3, 3, 4))] for p in props}
    witness = {p: rng.choice(options[p]) for p in props}

    def near(i: int) -> int:
        if rng.random() < 0.2:
            j = rng.randrange(size)
        else:
            j = i + rng.randint(-WINDOW, WINDOW)
        j = min(max(j, 0), size - 1)
        return j if j != i else (i + 1) % size

    def term(i: int) -> str:
        return f"{props[i]}.{rng.choice(options[props[i]])}"

    def condition() -> str:
        i = rng.randrange(size)
        j = near(i)
        shape = rng.random()
        if shape < 0.6:
            return f"{term(i)} and {term(j)}"
        k = near(j)
        while k in (i, j):
            k = (k + 1) % size
        if shape < 0.75:
            return f"{term(i)} and {term(j)} and not {term(k)}"
        if shape < 0.9:
            return f"{term(i)} and ({term(j)} or {term(k)})"
        a, b = rng.sample(options[props[i]], 2)
        return f"({props[i]}.{a} or {props[i]}.{b}) and {term(j)}"

    severities = list(SEVERITY_WEIGHTS)
    weights = list(SEVERITY_WEIGHTS.values())
    rules: list[dict[str, Any]] = []
    blocking_pairs: list[tuple[str, str]] = []
    for r in range(3 * size):
        severity = rng.choices(severities, weights)[0]
        text = condition()
        while severity != "info" and evaluate(parse_expression(text), witness):
            text = condition()
        rid = f"r{r:0{width + 1}d}"
        rules.append({"id": rid, "condition": text, "severity": severity, "message": f"Synthetic rule {r}."})
        if severity in BLOCKING and text.count(" ") == 2:  # pairwise: "p.a and q.b"
            blocking_pairs.append((rid, text))

    steps: list[dict[str, Any]] = []
    step_ids: list[str] = []
    for s in range(2 * size):
        sid = f"s{s:0{width + 1}d}"
        shape = rng.random()
        if shape < 0.3:
            cond = "always"
        elif shape < 0.7:
            cond = term(rng.randrange(size))
        elif shape < 0.9:
            i = rng.randrange(size)
            cond = f"{term(i)} or {term(near(i))}"
        else:
            cond = f"not {term(rng.randrange(size))}"
        window = step_ids[max(0, s - STEP_WINDOW) :]
        prereqs = sorted(rng.sample(window, min(len(window), rng.choice((0, 1, 1, 2, 2, 3)))))
        steps.append(
            {
                "id": sid,
                "order": rng.randrange(1, 1000) * 10,
                "phase": rng.choice(PHASES),
                "core": cond == "always",
                "condition": cond,
                "prereqs": prereqs,
                "title": f"Synthetic step {s}",
            }
        )
        step_ids.append(sid)

    document: dict[str, Any] = {
        "format": FORMAT,
        "name": f"synthetic-{size}",
        "edition": str(seed),
        "title": f"Synthetic catalog, {size} properties (seed {seed})",
        "properties": [
            {
                "id": p,
                "title": f"Property {i}",
                "question": f"Which {p}?",
                "options": [{"id": o, "title": f"{p} {o}"} for o in options[p]],
            }
            for i, p in enumerate(props)
        ],
        "rules": rules,
        "steps": steps,
        "presets": [{"id": "witness", "title": "A completion no blocking rule fires for", "selection": dict(witness)}],
    }
    rid, text = blocking_pairs[0] if blocking_pairs else ("", "")
    blocked = dict(witness)
    for part in text.split(" and ") if text else ():
        prop, opt = part.split(".")
        blocked[prop] = opt
    return Synthetic(size, seed, document, witness, blocked, rid)


# ---------------------------------------------------------------------------
# Kconfig


def _symbol(term: Term) -> str:
    return f"{term.prop}_{term.option}".upper()


def _kexpr(expr: Expr) -> str:
    """A condition in Kconfig syntax (``!`` > ``&&`` > ``||``, as in connectplan)."""
    if isinstance(expr, Term):
        return _symbol(expr)
    if isinstance(expr, Always):
        return "y"
    if isinstance(expr, Not):
        inner = _kexpr(expr.operand)
        return f"!{inner}" if isinstance(expr.operand, Term) else f"!({inner})"
    joiner = " && " if isinstance(expr, And) else " || "
    return joiner.join(_kexpr(op) if isinstance(op, (Term, Not)) else f"({_kexpr(op)})" for op in expr.operands)


def _restrict(expr: Expr, prop: str, option: str) -> Expr | bool:
    """``expr`` with property ``prop`` fixed to ``option``, constants folded away."""
    if isinstance(expr, Term):
        return expr.option == option if expr.prop == prop else expr
    if isinstance(expr, Always):
        return True
    if isinstance(expr, Not):
        inner = _restrict(expr.operand, prop, option)
        return (not inner) if isinstance(inner, bool) else Not(inner)
    is_and = isinstance(expr, And)
    kept: list[Expr] = []
    for op in expr.operands:
        value = _restrict(op, prop, option)
        if isinstance(value, bool):
            if value is not is_and:  # false in a conjunction, true in a disjunction
                return value
            continue
        kept.append(value)
    if not kept:
        return is_and
    if len(kept) == 1:
        return kept[0]
    return And(tuple(kept)) if is_and else Or(tuple(kept))


def _terms(expr: Expr) -> list[Term]:
    if isinstance(expr, Term):
        return [expr]
    if isinstance(expr, Not):
        return _terms(expr.operand)
    if isinstance(expr, (And, Or)):
        return [t for op in expr.operands for t in _terms(op)]
    return []


def kconfig_text(document: Mapping[str, Any]) -> str:
    """The Kconfig equivalent of a catalog document (see the module docstring)."""
    position = {p["id"]: i for i, p in enumerate(document["properties"])}
    depends: dict[str, list[str]] = {}
    for rule in document["rules"]:
        if rule["severity"] not in BLOCKING:
            continue
        cond = parse_expression(rule["condition"])
        last = max((t.prop for t in _terms(cond)), key=position.__getitem__)
        option_ids = [o["id"] for o in document["properties"][position[last]]["options"]]
        for option in option_ids:
            rest = _restrict(cond, last, option)
            if rest is False:
                continue
            symbol = _symbol(Term(last, option))
            depends.setdefault(symbol, []).append("n" if rest is True else f"!({_kexpr(rest)})")

    out = [f'mainmenu "{document["title"]}"', ""]
    for p in document["properties"]:
        out += [f"choice {p['id'].upper()}", f'\tbool "{p["title"]}"']
        for o in p["options"]:
            symbol = _symbol(Term(p["id"], o["id"]))
            out += [f"config {symbol}", f'\tbool "{p["id"]}.{o["id"]}"']
            out += [f"\tdepends on {dep}" for dep in depends.get(symbol, ())]
        out += ["endchoice", ""]
    for rule in document["rules"]:
        out += [f"config {rule['id'].upper()}", f"\tdef_bool {_kexpr(parse_expression(rule['condition']))}"]
    for step in document["steps"]:
        out += [f"config {step['id'].upper()}", f"\tdef_bool {_kexpr(parse_expression(step['condition']))}"]
    return "\n".join(out) + "\n"


def kconfig_config(selection: Mapping[str, str]) -> str:
    """A ``.config`` that makes the selection (one ``=y`` per chosen option)."""
    return "".join(f"CONFIG_{_symbol(Term(p, o))}=y\n" for p, o in selection.items())
