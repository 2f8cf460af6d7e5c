"""The design document's "Considered options" section: every other option of each decision, judged.

Each option is judged by resolving the selection with that one option swapped in
(:func:`considered_options`): ``excluded`` when it makes the selection blocked or out of scope,
``penalised`` when it adds a caution or a sales-gated finding, ``possible`` otherwise, with the
rules (and their causes) that fire only with it and the current findings it would clear; then
the nearest alternatives. Every span is escaped by the block writers (:mod:`output.blocks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectplan.engine import VERDICT_RANK, EngineError, Term
from connectplan.engine.diff import option_text, severity_name
from connectplan.engine.resolution import resolve
from connectplan.output.blocks import B, Block, C, Span, T
from connectplan.output.resolution import explain_condition
from connectplan.output.sections import ordered_properties

if TYPE_CHECKING:
    from connectplan.engine import Resolution
    from connectplan.engine.resolution import Finding

__all__ = ["ConsideredOption", "considered_blocks", "considered_options"]


@dataclass(frozen=True)
class ConsideredOption:
    """Another option of a property than the chosen one, and what choosing it would do.

    ``status``: ``excluded`` (it makes the selection blocked or out of scope), ``penalised`` (it
    adds a caution or a sales-gated finding), ``possible`` (no finding worse than info), or
    ``not combinable`` (the catalog cannot resolve the selection with it).
    """

    prop: str
    option: str
    status: str
    verdict: str
    #: the findings it adds (rules that fire only with it), worst first
    adds: tuple[Finding, ...] = ()
    #: rule ids of the current findings it would clear
    clears: tuple[str, ...] = ()


def considered_options(res: Resolution) -> list[tuple[str, list[ConsideredOption]]]:
    """For every property, each other option with its status and the rules that exclude or penalise it.

    Each option is judged by resolving the selection with that one option swapped in.
    """
    cat = res.catalog
    current = {f.rule.id for f in res.findings}
    current_order = tuple(dict.fromkeys(f.rule.id for f in res.findings))
    out: list[tuple[str, list[ConsideredOption]]] = []
    for prop_id, chosen in res.selection:
        prop = cat.property_index[prop_id]
        rows: list[ConsideredOption] = []
        taken = set(chosen) if isinstance(chosen, tuple) else {chosen}
        for opt in prop.option_ids:
            if opt in taken:
                continue
            value: Any = opt
            if isinstance(chosen, tuple):
                # an exclusive option (none, not decided yet) is chosen alone, and replaces one chosen alone
                alone = any(o.exclusive for o in prop.options if o.id in taken or o.id == opt)
                value = (opt,) if alone else tuple(sorted({*taken, opt}))
            try:
                other = resolve(cat, {**res.selection_dict, prop_id: value})
            except EngineError:
                rows.append(ConsideredOption(prop_id, opt, "not combinable", ""))
                continue
            adds = tuple(
                sorted(
                    (f for f in other.findings if f.rule.id not in current),
                    key=lambda f: -VERDICT_RANK[_verdict_of(f.rule.severity)],
                )
            )
            # in the current findings' order (worst first), never the set's: the same bytes in every process
            still = {f.rule.id for f in other.findings}
            clears = tuple(r for r in current_order if r not in still)
            worst = max((VERDICT_RANK[_verdict_of(f.rule.severity)] for f in adds), default=0)
            status = (
                "excluded"
                if worst >= VERDICT_RANK["blocked"]
                else "penalised"
                if worst >= VERDICT_RANK["caution"]
                else "possible"
            )
            rows.append(ConsideredOption(prop_id, opt, status, other.verdict, adds, clears))
        out.append((prop_id, rows))
    return out


def _verdict_of(severity: object) -> str:
    name = severity_name(severity)
    return "allowed" if name == "info" else name


def considered_blocks(res: Resolution) -> list[Block]:
    """The blocks under the "Considered options" heading (the heading itself is the caller's)."""
    cat = res.catalog
    sel = res.selection_dict
    blocks: list[Block] = [
        Block(
            "para",
            (
                T("Each row is the selection with that one option swapped in: "),
                B("excluded"),
                T(" options make it blocked or out of scope, "),
                B("penalised"),
                T(" ones add a caution or sales-gated finding, "),
                B("possible"),
                T(" ones add nothing worse than information. The rule and its cause say why."),
            ),
        )
    ]
    considered = dict(considered_options(res))
    for prop_id in [p.id for p in ordered_properties(cat) if p.id in considered]:
        rows = considered[prop_id]
        prop = cat.property_index[prop_id]
        chosen = sel[prop_id]
        blocks.append(Block("heading", (T(prop.title),), level=3))
        blocks.append(
            Block(
                "para",
                (T("Chosen: "), C(f"{prop_id}.{option_text(chosen)}"), T(".")),
            )
        )
        if not rows:
            blocks.append(Block("para", (T("The catalog offers no other option."),)))
            continue
        table = []
        for row in rows:
            reasons: list[Span] = []
            for f in row.adds:
                if reasons:
                    reasons.append(T("; "))
                other_sel = {**sel, prop_id: row.option}
                reasons += [
                    C(f.rule.id),
                    T(f" [{severity_name(f.rule.severity)}]: {f.rule.message} Because: "),
                    C(explain_condition(f.rule.condition, other_sel)),
                ]
            if row.clears:
                reasons.append(T(("; " if reasons else "") + "would clear "))
                for i, rid in enumerate(row.clears):
                    reasons += ([T(", ")] if i else []) + [C(rid)]
            if not reasons:
                reasons = [T("no rule fires only with it")]
            table.append(
                (
                    (T(cat.option_title(Term(prop_id, row.option)) + " "), C(f"{prop_id}.{row.option}")),
                    (B(row.status),),
                    (T(row.verdict),),
                    tuple(reasons),
                )
            )
        blocks.append(Block("table", header=("Option", "Status", "Verdict with it", "Why"), rows=tuple(table)))
    blocks.append(Block("heading", (T("Nearest alternatives"),), level=3))
    if res.alternatives:
        items = []
        for alt in res.alternatives:
            item: list[Span] = []
            for i, change in enumerate(alt.changes):
                item += ([T(", ")] if i else []) + [C(f"{change.prop}: {change.before} → {change.after}")]
            item.append(T(f" gives verdict {alt.verdict}"))
            if alt.preset:
                item.append(T(f" (nearest preset {alt.preset}, {alt.distance} away)"))
            items.append(tuple(item))
        blocks.append(Block("ulist", items=tuple(items)))
    elif res.alternatives is not None:
        blocks.append(Block("para", (T("No complete selection near this one has a better verdict."),)))
    else:
        note = (
            f"The verdict is {res.verdict}; alternatives are searched only for worse verdicts "
            "(blocked, out of scope, sales-gated)."
        )
        blocks.append(Block("para", (T(note),)))
    return blocks
