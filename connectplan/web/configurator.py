"""The configurator's view model (issue 19): sections, options in plain words, the live plan panel.

What the engine computed (a :class:`~engine.propagation.Propagation` and, for a complete selection,
a :class:`~engine.resolution.Resolution`) arranged for the templates, without new judgement:

- options get a *mark* in plain words. An option is "ruled out" (status ``excluded``), "required"
  (``forced``, and the selection is not in conflict: the other choices leave only it), or, when the
  selection is in conflict (a chosen option is excluded), the chosen option of a property that can
  fix it is "in conflict" and its siblings that are not excluded "resolve the conflict"; a property
  whose options are all excluded is not part of the conflict and its options carry no mark.
- decisions are grouped by the catalog's lifecycle sections; one section is open at a time
  (``section=`` in the URL, ``all`` for every decision), the others summarised in one line.
- the panel says what the last change did, comparing the page's previous state (``prev=``, the
  query string the page was rendered for) with the new one; :mod:`connectplan.web.updates` uses the
  same comparison to send only the parts of the page that changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from connectplan.engine.errors import SelectionError
from connectplan.web.params import (
    BadRequest,
    catalog_link,
    catalog_of,
    choice_of,
    field_at_fault,
    parse_selection,
    query_string,
)

if TYPE_CHECKING:
    from starlette.requests import Request

    from connectplan.engine import Catalog
    from connectplan.engine.propagation import OptionStatus, Propagation
    from connectplan.engine.resolution import Resolution
    from connectplan.workspace import Workspace

__all__ = [
    "ALL",
    "EDITION_NOTES",
    "Change",
    "Fix",
    "OptionView",
    "PropertyView",
    "SectionView",
    "State",
    "configure_state",
    "edition_note",
    "editions_bar",
    "exclusive_alone",
    "state_for",
]

#: the ``section=`` value that shows every decision at once
ALL = "all"
#: parameters the configurator keeps besides the selection
KEEP = ("plan", "base", "prev")
#: one line per edition when its title does not end in a parenthesised note
EDITION_NOTES = {
    "2024": "the 2024 guide, Accounts v1",
    "2025": "Accounts v2",
    "2026": "Interactive platform guide",
    "2026-12": "full decision set",
}
#: how many option changes the panel lists after a change before "and N more"
CHANGE_LINES = 3

RULED_OUT, REQUIRED, CONFLICT, FIX = "ruled_out", "required", "conflict", "fix"
MARK_WORDS = {RULED_OUT: "ruled out", REQUIRED: "required", CONFLICT: "in conflict", FIX: "resolves the conflict"}


# ---------------------------------------------------------------------------
# records


@dataclass(frozen=True)
class OptionView:
    """One option as the configurator shows it: input ids, the engine's status, a plain-words mark."""

    prop: str
    option: Any  # engine.Option
    status: OptionStatus
    checked: bool
    #: "" or one of ruled_out, required, conflict, fix
    mark: str
    #: why, in the catalog's own words (the rule's message)
    reason: str
    #: the formal side, shown behind "Explain": rule ids, the condition with this option chosen, the cause
    explain: str

    @property
    def dom_id(self) -> str:
        return f"opt-{self.prop}-{self.option.id}"

    @property
    def why_id(self) -> str:
        return f"why-{self.prop}-{self.option.id}"

    @property
    def help_id(self) -> str:
        return f"help-{self.prop}-{self.option.id}"

    @property
    def pending(self) -> bool:
        """True for the property's "not decided yet" option."""
        return bool(self.option.pending)

    @property
    def mark_words(self) -> str:
        return MARK_WORDS.get(self.mark, "")

    @property
    def state_key(self) -> tuple[Any, ...]:
        """What the option's status block depends on (an update re-sends it when one of these changed)."""
        return (self.mark, self.status.status, self.status.best_verdict, self.reason, self.explain)

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.checked, *self.state_key)


@dataclass(frozen=True)
class PropertyView:
    prop: Any  # engine.Property
    many: bool
    options: tuple[OptionView, ...]
    selected: bool
    #: the chosen option is pending: an open decision
    open: bool = False
    #: the selection is in conflict and no option of this property alone resolves it
    bystander: bool = False
    #: the chosen options' titles ("" when nothing is chosen)
    chosen_text: str = ""

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.selected, self.open, self.bystander, tuple(o.key for o in self.options))

    @property
    def selected_key(self) -> tuple[str, ...]:
        return tuple(o.option.id for o in self.options if o.checked)


@dataclass(frozen=True)
class SectionView:
    """A lifecycle section's properties (``section`` is "" for a catalog without sections)."""

    section: str
    title: str
    properties: tuple[PropertyView, ...]

    @property
    def slug(self) -> str:
        return self.section or "other"

    @property
    def summary(self) -> str:
        """One line: the chosen options, and how many decisions are left."""
        chosen = [pv.chosen_text for pv in self.properties if pv.selected and not pv.open]
        left = sum(1 for pv in self.properties if not pv.selected or pv.open)
        parts = ["; ".join(chosen)] if chosen else []
        if left:
            parts.append(f"{left} to decide")
        return " · ".join(parts) or "nothing to decide"

    @property
    def conflict(self) -> bool:
        return any(o.mark == CONFLICT for pv in self.properties for o in pv.options)


@dataclass(frozen=True)
class Fix:
    """A one-click way out: a link to a nearby selection, with the option to focus after following it."""

    text: str
    verdict: str
    query: str
    focus: str


@dataclass(frozen=True)
class Change:
    """What the last change did, one sentence each."""

    lines: tuple[str, ...]
    more: int = 0


@dataclass
class State:
    """Everything the configurator shows for one catalog, selection and open section."""

    catalog: Catalog
    catalog_link: str
    exploration: Propagation
    resolution: Resolution | None
    properties: list[PropertyView]
    sections: list[SectionView]
    section: str
    selection: dict[str, Any]
    plan: str | None = None
    base: str | None = None
    preset: str | None = None
    notices: list[str] = field(default_factory=list)
    #: the version being edited (``plan`` at ``base``): ``base_unchanged`` (nothing to save) and
    #: ``compare_saved_url`` (:func:`connectplan.web.editing.configurator_state`)
    editing: dict[str, Any] = field(default_factory=dict)

    @property
    def query(self) -> str:
        """The selection's canonical query (the JSON twins, figures and downloads)."""
        return query_string(self.catalog_link, self.selection)

    @property
    def state_query(self) -> str:
        """The page's URL state: the selection, the plan being edited and the open section."""
        return query_string(self.catalog_link, self.selection, plan=self.plan, base=self.base, section=self.section)

    def query_with(self, selection: dict[str, Any], section: str | None = None) -> str:
        return query_string(
            self.catalog_link, selection, plan=self.plan, base=self.base, section=section or self.section
        )

    def section_query(self, section: str) -> str:
        return self.query_with(self.selection, section)

    @property
    def titled(self) -> bool:
        """True when the catalog groups its decisions in sections (else one group, always open)."""
        return len(self.sections) > 1 or any(s.title for s in self.sections)

    @property
    def open_sections(self) -> list[SectionView]:
        if not self.titled or self.section == ALL:
            return self.sections
        return [s for s in self.sections if s.slug == self.section]

    @property
    def hidden_values(self) -> list[tuple[str, str]]:
        """The choices of the closed sections: hidden fields, so the form always sends the whole selection."""
        from connectplan.web.params import selection_values

        shown = {pv.prop.id for s in self.open_sections for pv in s.properties}
        return [(p, v) for p, v in selection_values(self.selection) if p not in shown]

    @property
    def next_section(self) -> SectionView | None:
        slugs = [s.slug for s in self.sections]
        if self.section not in slugs:
            return None
        i = slugs.index(self.section)
        return self.sections[i + 1] if i + 1 < len(slugs) else None

    @property
    def conflict(self) -> bool:
        return any(o.checked and o.status.status == "excluded" for pv in self.properties for o in pv.options)

    @property
    def verdict(self) -> str | None:
        return self.resolution.verdict if self.resolution is not None else None

    @property
    def missing(self) -> list[PropertyView]:
        return [pv for pv in self.properties if not pv.selected]

    @property
    def open_decisions(self) -> list[PropertyView]:
        return [pv for pv in self.properties if pv.open]

    def section_of(self, prop_id: str) -> str:
        for s in self.sections:
            if any(pv.prop.id == prop_id for pv in s.properties):
                return s.slug
        return self.section

    @property
    def conflict_messages(self) -> list[tuple[str, str]]:
        """The conflict, once: (rule id, the rule's message) of each blocking rule, in catalog order."""
        if not self.conflict:
            return []
        catalog = self.catalog
        if self.resolution is not None:
            from connectplan.engine.severity import Severity

            blocked = Severity.parse("blocked")
            return [(f.rule.id, f.rule.message) for f in self.resolution.findings if f.rule.rank >= blocked]
        ids: list[str] = []
        for pv in self.properties:
            for o in pv.options:
                if o.mark == CONFLICT and o.status.reason is not None:
                    ids += [r for r in o.status.reason.rules if r not in ids]
        return [(r, catalog.rule_index[r].message) for r in ids if r in catalog.rule_index]

    @property
    def fixes(self) -> list[Fix]:
        """One-click ways out of a conflict: the engine's nearest alternatives for a complete selection,
        else each option that resolves the conflict, chosen instead."""
        if not self.conflict:
            return []
        if self.resolution is not None and self.resolution.alternatives:
            return self.alternatives
        out = []
        for pv in self.properties:
            for o in pv.options:
                if o.mark == FIX:
                    changed = {**self.selection, pv.prop.id: (o.option.id,) if pv.many else o.option.id}
                    out.append(
                        Fix(
                            f"{pv.prop.title}: {pv.chosen_text or 'not chosen'} → {o.option.title}",
                            o.status.best_verdict,
                            self.query_with(changed, self.section_of(pv.prop.id)),
                            o.dom_id,
                        )
                    )
        return out

    @property
    def alternatives(self) -> list[Fix]:
        """The engine's nearest alternatives with a better verdict, as links."""
        if self.resolution is None or not self.resolution.alternatives:
            return []
        from connectplan.engine import Term

        catalog = self.catalog
        out = []
        for alt in self.resolution.alternatives:
            parts = []
            focus = ""
            for c in alt.changes:
                prop = catalog.property_index[c.prop]
                after = c.after if isinstance(c.after, tuple) else (c.after,)
                before = c.before if isinstance(c.before, tuple) else (c.before,) if c.before else ()
                titles = ", ".join(catalog.option_title(Term(c.prop, o)) for o in after) or "none"
                was = ", ".join(catalog.option_title(Term(c.prop, o)) for o in before) or "not chosen"
                parts.append(f"{prop.title}: {was} → {titles}")
                if not focus and after:
                    focus = f"opt-{c.prop}-{after[0]}"
            first = alt.changes[0].prop if alt.changes else ""
            query = self.query_with(dict(alt.selection), self.section_of(first) if first else None)
            out.append(Fix("; ".join(parts), alt.verdict, query, focus))
        return out

    @property
    def notes(self) -> list[Any]:
        """The findings below the conflict's severity (cautions, sales-gated, information)."""
        if self.resolution is None:
            return []
        from connectplan.engine.severity import Severity

        blocked = Severity.parse("blocked")
        return [f for f in self.resolution.findings if f.rule.rank < blocked or not self.conflict]

    def preset_of_selection(self) -> str | None:
        """The preset whose selection is the current one (highlighted in the presets list)."""
        for p in self.catalog.presets:
            if dict(p.selection) == self.selection:
                return str(p.id)
        return None


# ---------------------------------------------------------------------------
# building it


def _plain_reason(catalog: Catalog, status: OptionStatus) -> str:
    if status.reason is None:
        return ""
    messages = [catalog.rule_index[r].message for r in status.reason.rules if r in catalog.rule_index]
    if len(messages) == 1:
        return messages[0]
    return "Several rules together rule it out: " + " ".join(messages)


def _explain(
    catalog: Catalog, prop_id: str, status: OptionStatus, siblings: tuple[OptionStatus, ...], selection: dict[str, Any]
) -> str:
    """The formal side: the excluding rule(s), the condition with this option chosen, and the minimal cause."""
    from connectplan.output.resolution import because_text, explain_condition

    if status.status == "excluded" and status.reason is not None:
        because = because_text(status.reason.because) if status.reason.because else f"{prop_id}.{status.id} itself"
        hypothetical = {**selection, prop_id: status.id}
        parts = []
        for rid in status.reason.rules:
            rule = catalog.rule_index.get(rid)
            if rule is not None:
                parts.append(f"Rule {rid}: {explain_condition(rule.condition, hypothetical)}.")
        return " ".join(parts) + f" Minimal cause: {because}."
    if status.status == "forced":
        causes = [
            f"{s.id} is excluded by rule {s.reason.rule or ' + '.join(s.reason.rules)}, because "
            f"{because_text(s.reason.because) if s.reason.because else f'{prop_id}.{s.id} itself'}"
            for s in siblings
            if s.id != status.id and s.reason is not None
        ]
        return "The only option left: " + "; ".join(causes) + "." if causes else ""
    return ""


def property_views(exploration: Propagation) -> list[PropertyView]:
    from connectplan.engine import Term

    catalog = exploration.catalog
    selection = dict(exploration.selection)
    # in conflict: some chosen option is excluded (no completion of the selection is any good)
    conflict = False
    for state in exploration.properties:
        chosen = selection.get(state.id)
        if chosen is None:
            continue
        ids = chosen if isinstance(chosen, tuple) else (chosen,)
        if any(o.status == "excluded" for o in state.options if o.id in ids):
            conflict = True
    out = []
    for prop in catalog.properties:
        state = exploration.property(prop.id)
        many = choice_of(prop) == "many"
        chosen = selection.get(prop.id)
        chosen_ids = chosen if isinstance(chosen, tuple) else (chosen,) if chosen else ()
        all_out = all(o.status == "excluded" for o in state.options)
        chosen_out = any(o.status == "excluded" for o in state.options if o.id in chosen_ids)
        options = []
        for status in state.options:
            checked = status.id in chosen_ids
            if conflict and chosen_out and not all_out:
                mark = CONFLICT if checked and status.status == "excluded" else ""
                mark = mark or (RULED_OUT if status.status == "excluded" else FIX if not checked else "")
            elif conflict:
                mark = ""  # a bystander: no option of this property alone resolves the conflict
            else:
                mark = {"excluded": RULED_OUT, "forced": REQUIRED}.get(status.status, "")
            options.append(
                OptionView(
                    prop=prop.id,
                    option=prop.option(status.id),
                    status=status,
                    checked=checked,
                    mark=mark,
                    reason=_plain_reason(catalog, status) if mark in (RULED_OUT, CONFLICT) else "",
                    # an unmarked option (open, or a conflict's bystander) has nothing of its own to explain:
                    # the conflict's rules are behind the panel's "Explain"
                    explain=_explain(catalog, prop.id, status, state.options, selection) if mark else "",
                )
            )
        is_open = chosen is not None and prop.is_pending(chosen)
        out.append(
            PropertyView(
                prop=prop,
                many=many,
                options=tuple(options),
                selected=chosen is not None,
                open=is_open,
                bystander=conflict and all_out,
                chosen_text=", ".join(catalog.option_title(Term(prop.id, o)) for o in chosen_ids),
            )
        )
    return out


def section_views(catalog: Catalog, properties: list[PropertyView]) -> list[SectionView]:
    """The property views grouped by lifecycle section (one untitled group for a catalog without sections)."""
    from connectplan.output.sections import has_sections, section_groups, section_title

    by_id = {pv.prop.id: pv for pv in properties}
    titled = has_sections(catalog)
    return [
        SectionView(section, section_title(section) if titled else "", tuple(by_id[p.id] for p in group))
        for section, group in section_groups(catalog)
    ]


def default_section(sections: list[SectionView]) -> str:
    """The section a page opens on: the first with a decision left, else the first."""
    for s in sections:
        if any(not pv.selected or pv.open for pv in s.properties):
            return s.slug
    return sections[0].slug if sections else ALL


def state_for(
    ws: Workspace,
    pairs: list[tuple[str, str]],
    *,
    alternatives: bool = True,
) -> State:
    """The configurator state for query pairs (``catalog``, ``preset``, choices, ``plan``, ``base``, ``section``)."""
    asked = catalog_of(pairs)
    catalog = ws.catalog(asked)
    link = catalog_link(catalog, asked)
    # ``section=`` names the open section; ``go=`` (a "Next" button) moves to another one
    wanted = {name: value.strip() for name, value in pairs if name in ("section", "go") and value.strip()}
    asked_section = wanted.get("go") or wanted.get("section") or ""
    sel = parse_selection([(k, v) for k, v in pairs if k not in ("section", "go")], catalog, keep=KEEP)
    plan, base = sel.get("plan"), sel.get("base")
    if base is not None and not base.isdigit():
        raise BadRequest(f"base must be a version number, not {base!r}", "base")
    mapping, notices = exclusive_alone(catalog, dict(sel.mapping))
    try:
        exploration = ws.explore(catalog=catalog, preset=sel.preset, set=mapping)
    except SelectionError as exc:  # an unknown option: name its parameter, so the error page links back without it
        raise BadRequest(
            exc.message,
            exc.field
            or field_at_fault([(p, v if isinstance(v, str) else ",".join(v)) for p, v in sel.values], catalog),
        ) from None
    selection = dict(exploration.selection)
    resolution = exploration.resolution
    if resolution is not None and alternatives:
        resolution = ws.resolve(catalog=catalog, set=selection)
    properties = property_views(exploration)
    sections = section_views(catalog, properties)
    slugs = {s.slug for s in sections}
    section = asked_section
    if section not in slugs and section != ALL:
        section = default_section(sections)
    if len(sections) <= 1 and not any(s.title for s in sections):
        section = ALL
    editing: dict[str, Any] = {}
    if alternatives:  # the page's own state, not the previous one a partial update compares with
        from connectplan.web.editing import configurator_state

        editing = configurator_state(ws, plan, base, link, selection)
    return State(
        editing=editing,
        catalog=catalog,
        catalog_link=link,
        exploration=exploration,
        resolution=resolution,
        properties=properties,
        sections=sections,
        section=section,
        selection=selection,
        plan=plan,
        base=base,
        preset=sel.preset,
        notices=notices,
    )


def previous_state(ws: Workspace, prev: str, current: State) -> State | None:
    """The state the page was rendered for (``prev=``), or None when it is missing, malformed or of
    another catalog or plan (then the whole workspace is sent)."""
    if not prev or len(prev) > 4096:
        return None
    try:
        pairs = parse_qsl(prev, keep_blank_values=True)
        if catalog_of(pairs) != current.catalog_link:
            return None
        before = state_for(ws, [(k, v) for k, v in pairs if k != "prev"], alternatives=False)
    except Exception:
        return None
    if (before.plan, before.base) != (current.plan, current.base):
        return None
    return before


def configure_state(request: Request) -> tuple[State, State | None]:
    """The request's state and the state its page showed before (``prev=``; None if unknown)."""
    ws = request.state.ws
    pairs = [(k, v) for k, v in request.query_params.multi_items()]
    state = state_for(ws, [(k, v) for k, v in pairs if k != "prev"])
    prev = request.query_params.get("prev", "")
    return state, previous_state(ws, prev, state)


def last_change(before: State | None, after: State) -> Change:
    """What the change from ``before`` to ``after`` did: the choices made, the verdict, the options it
    ruled out, required or made possible again (the panel's first lines, and what is announced)."""
    if before is None:
        return Change(())
    lines: list[str] = []
    for pv in after.properties:
        pid = pv.prop.id
        if before.selection.get(pid) != after.selection.get(pid):
            lines.append(
                f"{pv.prop.title}: {pv.chosen_text} chosen." if pv.selected else f"{pv.prop.title}: choice cleared."
            )
    old = {(o.prop, o.option.id): o for pv in before.properties for o in pv.options}
    effects: list[tuple[int, str]] = []  # (kind: ruled out first, then required, fixes, possible again)
    for pv in after.properties:
        for o in pv.options:
            was = old.get((o.prop, o.option.id))
            if was is None or was.mark == o.mark or o.checked:
                continue
            title = f"{o.option.title} ({pv.prop.title})"
            if o.mark == RULED_OUT:
                effects.append((0, f"{title} is now ruled out: {o.reason}"))
            elif o.mark == REQUIRED:
                effects.append((1, f"{title} is now required: the other choices leave only it."))
            elif o.mark == FIX:
                effects.append((2, f"{title} would resolve the conflict."))
            elif o.status.status == "excluded":
                continue  # a bystander of a conflict: still excluded, only not marked
            elif was.mark == RULED_OUT:
                effects.append((3, f"{title} is possible again."))
            elif was.mark == REQUIRED:
                effects.append((3, f"{title} is no longer the only option."))
    if before.verdict != after.verdict:
        lines.append(f"Verdict: {_verdict_words(before.verdict)} → {_verdict_words(after.verdict)}.")
    shown = [text for _, text in sorted(effects, key=lambda e: e[0])[:CHANGE_LINES]]
    return Change(tuple(lines + shown), more=len(effects) - len(shown))


def _verdict_words(verdict: str | None) -> str:
    return "not yet" if verdict is None else verdict.replace("_", " ")


# ---------------------------------------------------------------------------
# editions and odd selections


def edition_note(title: str, edition: str) -> str:
    """An edition's one line: the note its title ends with in parentheses, else :data:`EDITION_NOTES`.

    >>> edition_note("Stripe Connect integration design (Accounts v2)", "2025")
    'Accounts v2'
    >>> edition_note("Something", "2024")
    'the 2024 guide, Accounts v1'
    """
    found = re.search(r"\(([^()]+)\)\s*$", title)
    return found.group(1) if found else EDITION_NOTES.get(edition, "")


def editions_bar(ws: Workspace) -> list[Any]:
    """The editions bar: each edition once, at its newest revision (older revisions are reached from
    ``catalog list`` and from the plans pinned to them)."""
    return list({info.ref: info for info in ws.catalogs()}.values())  # sorted by revision: the last one wins


def exclusive_alone(catalog: Catalog, mapping: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The configurator's reading of a ticked set that mixes an exclusive option with others.

    Such a set is bad input everywhere else (the JSON twins answer 400); in the form it is one
    more box ticked, so the exclusive option is left out, with a notice saying how to choose it.
    """
    out = dict(mapping)
    notices: list[str] = []
    for prop in catalog.properties:
        value = out.get(prop.id)
        if not prop.multi or not isinstance(value, (tuple, list)) or len(value) < 2:
            continue
        alone = [o for o in prop.options if o.exclusive and o.id in value]
        if not alone:
            continue
        out[prop.id] = tuple(v for v in value if v not in {o.id for o in alone})
        if not out[prop.id]:
            del out[prop.id]
        titles = ", ".join(f"“{o.title}”" for o in alone)
        notices.append(f"{prop.title}: {titles} is chosen alone, so it was left out; untick the others to choose it.")
    return out, notices
