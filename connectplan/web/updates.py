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

__all__ = ["StepInsert", "Update", "plan_update"]


@dataclass(frozen=True)
class StepInsert:
    """A step to insert after the step ``after`` (None: first in the list)."""

    step: Any  # engine ActiveStep
    after: str | None


@dataclass
class Update:
    """The parts of the page an update replaces (``full``: all of them)."""

    full: bool = True
    sections: bool = True
    fieldsets: list[str] = field(default_factory=list)
    #: (property, option) whose status block changed, in fieldsets not re-sent
    option_states: set[tuple[str, str]] = field(default_factory=set)
    #: the presets whose "your selection" mark changed (None: all of them)
    presets: tuple[str, ...] | None = None
    #: "all" (the whole results area), "parts" (the pieces below) or "none"
    results: str = "all"
    steps_removed: list[str] = field(default_factory=list)
    steps_added: list[StepInsert] = field(default_factory=list)
    steps_changed: list[Any] = field(default_factory=list)
    steps_count: bool = False
    findings: bool = False
    flows: bool = False
    responsibilities: bool = False


def _flow_rows(state: State) -> list[Any]:
    res = state.resolution
    return [] if res is None else [(f.id, f.from_party, f.to_party, f.what, f.kind) for f in res.flows]


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
    shown_before = [s.slug for s in before.open_sections]
    shown_after = [s.slug for s in after.open_sections]
    update.sections = shown_before != shown_after
    if not update.sections:
        old = {pv.prop.id: pv for pv in before.properties}
        for s in after.open_sections:
            for pv in s.properties:
                was = old[pv.prop.id]
                if was.key == pv.key:
                    continue
                if (was.open, was.bystander) != (pv.open, pv.bystander) or (
                    not from_form and was.selected_key != pv.selected_key
                ):
                    update.fieldsets.append(pv.prop.id)
                    continue
                states = {o.option.id: o.state_key for o in was.options}
                update.option_states |= {
                    (pv.prop.id, o.option.id) for o in pv.options if states.get(o.option.id) != o.state_key
                }
    res_before, res_after = before.resolution, after.resolution
    if (res_before is None) != (res_after is None):
        update.results = "all"
        return update
    if res_before is None or res_after is None:
        update.results = "none"
        return update
    update.results = "parts"
    old_steps = {s.id: s for s in res_before.steps}
    new_ids = [s.id for s in res_after.steps]
    kept_old = [s.id for s in res_before.steps if s.id in set(new_ids)]
    kept_new = [i for i in new_ids if i in old_steps]
    if kept_old != kept_new:  # the steps kept changed order: send the whole list
        update.results = "all"
        return update
    update.steps_removed = [s.id for s in res_before.steps if s.id not in set(new_ids)]
    previous: str | None = None
    for s in res_after.steps:
        was = old_steps.get(s.id)
        if was is None:
            update.steps_added.append(StepInsert(s, previous))
        elif tuple(was.because) != tuple(s.because):
            update.steps_changed.append(s)
        previous = s.id
    update.steps_count = len(res_before.steps) != len(res_after.steps)
    update.findings = [f.rule.id for f in res_before.findings] != [f.rule.id for f in res_after.findings]
    update.flows = _flow_rows(before) != _flow_rows(after)
    update.responsibilities = _holder_rows(before) != _holder_rows(after)
    return update
