"""What a partial update re-sends (issue 19, point 8): only the parts of the page that changed.

The page names the state it shows (``prev=``, a hidden field); the server compares it with the
requested state and answers with out-of-band swaps (``data-hx-swap-oob``) of the parts that differ:
the form's hidden state, the section list, the fieldsets whose options changed, the live panel,
the save forms' hidden fields, and of the results only the steps added, removed or changed, the
money flows and responsibilities when they changed, and the figures and downloads (their URLs name
the selection). Without a usable ``prev=`` (another catalog or plan, a preset chosen, a forged
value) every part is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectplan.web.configurator import State

__all__ = ["Insert", "Update", "plan_update"]


@dataclass(frozen=True)
class Insert:
    """An item to insert after the item ``after`` (None: first in its list)."""

    item: Any  # a step, a finding or a money flow
    after: str | None


@dataclass
class Update:
    """The parts of the page an update replaces (``full``: all of them)."""

    full: bool = True
    #: the form's fields for the catalog, the plan, the open section and the closed sections' choices
    form_values: bool = True
    sections: bool = True
    #: the section list whole (the open section changed), else only the summaries listed
    nav: bool = True
    summaries: set[str] = field(default_factory=set)
    fieldsets: list[str] = field(default_factory=list)
    #: properties whose "not decided yet" tag or conflict note changed
    notes: set[str] = field(default_factory=set)
    #: (property, option) whose status block changed, in fieldsets not re-sent
    option_states: set[tuple[str, str]] = field(default_factory=set)
    #: the presets whose "your selection" mark changed (None: all of them)
    presets: tuple[str, ...] | None = None
    #: "all" (the whole results area), "parts" (the pieces below) or "none"
    results: str = "all"
    steps_removed: list[str] = field(default_factory=list)
    steps_added: list[Insert] = field(default_factory=list)
    steps_changed: list[Any] = field(default_factory=list)
    steps_count: bool = False
    findings_removed: list[str] = field(default_factory=list)
    findings_added: list[Insert] = field(default_factory=list)
    findings_changed: list[Any] = field(default_factory=list)
    #: the findings card whole (the design gained its first finding or lost its last)
    findings_card: bool = False
    flows_removed: list[str] = field(default_factory=list)
    flows_added: list[Insert] = field(default_factory=list)
    #: the money-flows card whole (the design gained its first flow or lost its last)
    flows: bool = False
    responsibilities: bool = False
    #: responsibilities whose row changed (when the list of responsibilities is the same)
    holders: set[str] = field(default_factory=set)


def keyed_diff(
    old: list[tuple[str, Any, Any]], new: list[tuple[str, Any, Any]]
) -> tuple[list[str], list[Insert], list[Any]]:
    """Removed ids, insertions (each after its predecessor in ``new``) and changed items that turn the list
    ``old`` of ``(id, content key, item)`` into ``new``. Items both keep stay in place when they are in the
    longest run that keeps its order; the others are removed and inserted again."""
    old_pos = {i: n for n, (i, _, _) in enumerate(old)}
    old_keys = {i: k for i, k, _ in old}
    kept = [i for i, _, _ in new if i in old_pos]
    stay = set(_longest_ordered(kept, old_pos))
    removed = [i for i, _, _ in old if i not in stay]
    added, changed = [], []
    previous: str | None = None
    for i, key, item in new:
        if i not in stay:
            added.append(Insert(item, previous))
        elif old_keys[i] != key:
            changed.append(item)
        previous = i
    return removed, added, changed


def _longest_ordered(ids: list[str], pos: dict[str, int]) -> list[str]:
    """The longest subsequence of ``ids`` whose positions ``pos`` increase (quadratic; lists are short)."""
    best: list[list[str]] = []
    for n, i in enumerate(ids):
        run = max((best[m] for m in range(n) if pos[ids[m]] < pos[i]), key=len, default=[])
        best.append([*run, i])
    return max(best, key=len, default=[])


def _form_values(state: State) -> tuple[Any, ...]:
    return (state.catalog_link, state.plan, state.base, state.titled and state.section, state.hidden_values)


def _holder_rows(state: State) -> list[Any]:
    res = state.resolution
    if res is None:
        return []
    return [(h.responsibility.id, h.assignment.party, h.assignment.note) for h in res.responsibilities]


def plan_update(before: State | None, after: State, *, from_form: bool = False) -> Update:
    """The parts to send for the change from ``before`` (the page) to ``after`` (the request).

    ``from_form``: the request is the form's own (an option clicked), so the inputs in the page are
    already checked as ``after`` says and only the status blocks around them need replacing; a link
    (a fix, an alternative, a preset) re-sends the fieldsets whose choice it changes.
    """
    if before is None:
        return Update()
    was, now = before.preset_of_selection(), after.preset_of_selection()
    update = Update(full=False, presets=() if was == now else tuple(p for p in (was, now) if p))
    update.form_values = _form_values(before) != _form_values(after)
    shown_before = [s.slug for s in before.open_sections]
    shown_after = [s.slug for s in after.open_sections]
    update.sections = update.nav = shown_before != shown_after or before.section != after.section
    old_sections = {s.slug: (s.summary, s.conflict) for s in before.sections}
    update.summaries = {s.slug for s in after.sections if old_sections.get(s.slug) != (s.summary, s.conflict)}
    if not update.sections:
        old = {pv.prop.id: pv for pv in before.properties}
        for s in after.open_sections:
            for pv in s.properties:
                prev = old[pv.prop.id]
                if prev.key == pv.key:
                    continue
                if not from_form and prev.selected_key != pv.selected_key:
                    update.fieldsets.append(pv.prop.id)
                    continue
                if (prev.open, prev.bystander) != (pv.open, pv.bystander):
                    update.notes.add(pv.prop.id)
                states = {o.option.id: (prev.bystander, o.state_key) for o in prev.options}
                update.option_states |= {
                    (pv.prop.id, o.option.id)
                    for o in pv.options
                    if states.get(o.option.id) != (pv.bystander, o.state_key)
                }
    res_before, res_after = before.resolution, after.resolution
    if (res_before is None) != (res_after is None):
        update.results = "all"
        return update
    if res_before is None or res_after is None:
        update.results = "none"
        return update
    update.results = "parts"
    update.steps_removed, update.steps_added, update.steps_changed = keyed_diff(
        [(s.id, tuple(s.because), s) for s in res_before.steps], [(s.id, tuple(s.because), s) for s in res_after.steps]
    )
    if not res_before.findings or not res_after.findings:
        update.findings_card = res_before.findings != res_after.findings
    else:
        update.findings_removed, update.findings_added, update.findings_changed = keyed_diff(
            [(f.rule.id, f.rule.condition, f) for f in res_before.findings],
            [(f.rule.id, f.rule.condition, f) for f in res_after.findings],
        )
    # a finding's "Explain" shows the selection's value of each term: re-send a kept one whose terms changed
    kept = {f.rule.id for f in res_before.findings} - {f.rule.id for f in update.findings_changed}
    kept -= {i.item.rule.id for i in update.findings_added}
    update.findings_changed += [
        f
        for f in res_after.findings
        if f.rule.id in kept
        and not update.findings_card
        and any(before.selection.get(p) != after.selection.get(p) for p in _props_of(f.rule.condition))
    ]
    update.flows_removed, update.flows_added, _ = keyed_diff(
        [(f.id, f, f) for f in res_before.flows], [(f.id, f, f) for f in res_after.flows]
    )
    if not res_before.flows or not res_after.flows:
        update.flows = res_before.flows != res_after.flows
    update.steps_count = len(res_before.steps) != len(res_after.steps)
    rows_before, rows_after = _holder_rows(before), _holder_rows(after)
    if [r[0] for r in rows_before] != [r[0] for r in rows_after]:
        update.responsibilities = True
    else:
        update.holders = {new[0] for old, new in zip(rows_before, rows_after, strict=True) if old != new}
    return update


def _props_of(expr: Any) -> set[str]:
    from connectplan.engine.expression import references

    return {t.prop for t in references(expr)}
