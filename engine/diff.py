"""The one model of change: what differs between two resolutions (same or different catalog editions).

:func:`diff_resolutions` is pure: it looks only at the two :class:`~engine.resolution.Resolution`
objects (and the labels the caller gives them) and returns a frozen :class:`ResolutionDiff`.
``plan diff`` (text, Markdown and JSON), the change diagrams, the design document's change
sections and ``plan upgrade``'s impact report are all drawn from it, so they always agree.

How things are matched:

* **selection** by property; an option the newer edition declares renamed (its ``renames``) is a
  rename, not a changed decision;
* **findings** by rule id;
* **steps** by step id, a step the newer edition declares renamed pairing with its new id; a
  step present on both sides "moved" when it is not part of the longest common subsequence of the
  two step orders (the fewest steps that must move to turn one order into the other), so a step
  inserted before others does not make them all "moved"; a step whose title changed is "changed";
* **money flows** by movement, ``(from, to, kind)``, never by flow id: a flow whose id changed
  but whose movement did not is "unchanged" (same ``what``) or "changed" (other ``what``);
* **responsibilities** by responsibility: one whose holder changed is "changed", not one removed
  and one added.

>>> from connectplan.engine.loading import catalog_from_dict
>>> cat = catalog_from_dict({
...     "format": "connectplan-catalog/1", "name": "demo", "edition": "1", "title": "Demo",
...     "properties": [{"id": "size", "title": "Size",
...                     "options": [{"id": "s", "title": "S"}, {"id": "l", "title": "L"}]}],
...     "rules": [{"id": "big", "condition": "size.l", "severity": "caution", "message": "Large."}],
...     "steps": [{"id": "go", "order": 1, "phase": "accounts", "condition": "always", "title": "Go"}]})
>>> from connectplan.engine.resolution import resolve
>>> d = diff_resolutions(resolve(cat, {"size": "s"}), resolve(cat, {"size": "l"}), from_ref="p@1", to_ref="p@2")
>>> d.selection, d.verdict, [f.rule for f in d.findings_added]
((('size', 's', 'l'),), ('allowed', 'caution'), ['big'])
>>> d.identical
False
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from connectplan.engine.catalog import Catalog
    from connectplan.engine.resolution import Resolution

__all__ = [
    "CHANGE_STATUSES",
    "DiffFinding",
    "DiffFlow",
    "DiffStep",
    "FlowChange",
    "MovedStep",
    "RenamedOption",
    "RenamedStep",
    "ResolutionDiff",
    "ResponsibilityChange",
    "StepChange",
    "diff_resolutions",
    "option_text",
    "rename_pairs",
    "severity_name",
]

K = TypeVar("K", bound=Hashable)

#: The statuses an element of a change can have, in the order legends and reports list them.
CHANGE_STATUSES = ("added", "removed", "renamed", "changed", "moved", "unchanged")


def option_text(value: object) -> str:
    """A selection value as text: an option id, or ``a,b`` for a multi-choice property; ``""`` for none.

    >>> option_text("direct"), option_text(("a", "b")), option_text(None)
    ('direct', 'a,b', '')
    """
    from connectplan.engine.selection import format_choice

    return format_choice(value)


def severity_name(value: object) -> str:
    """A severity as its name (plain strings today; an enum member's ``name`` lower-cased otherwise)."""
    if isinstance(value, str):
        return value
    name = getattr(value, "name", None)
    return str(name).lower() if name is not None else str(value)


@dataclass(frozen=True)
class DiffFinding:
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class DiffStep:
    id: str
    title: str
    phase: str
    #: 1-based position in the step list of the side it belongs to
    position: int


@dataclass(frozen=True)
class MovedStep:
    id: str
    title: str
    #: 1-based positions before and after
    before: int
    after: int


@dataclass(frozen=True)
class RenamedStep:
    """A step the newer edition declares renamed (``renames.steps``), present on both sides."""

    before_id: str
    after_id: str
    title: str
    #: 1-based positions before and after
    before: int
    after: int


@dataclass(frozen=True)
class StepChange:
    """A step present on both sides under one id whose title differs (e.g. reworded in a newer edition)."""

    id: str
    title_before: str
    title_after: str
    position: int


@dataclass(frozen=True)
class RenamedOption:
    """A chosen option the newer edition renamed: the decision is the same, its id is not."""

    prop: str
    before: str
    after: str


@dataclass(frozen=True)
class DiffFlow:
    id: str
    from_party: str
    to_party: str
    what: str
    kind: str = ""

    @property
    def movement(self) -> tuple[str, str, str]:
        return (self.from_party, self.to_party, self.kind)


@dataclass(frozen=True)
class FlowChange:
    """One money flow matched by movement ``(from, to, kind)``; ``before``/``after`` is None on the side it lacks."""

    before: DiffFlow | None
    after: DiffFlow | None

    @property
    def status(self) -> str:
        """``added``, ``removed``, ``changed`` (what moves differs) or ``unchanged`` (ids may differ)."""
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "unchanged" if self.before.what == self.after.what else "changed"

    @property
    def flow(self) -> DiffFlow:
        """The side to show: the newer one when present."""
        side = self.after or self.before
        assert side is not None
        return side

    @property
    def movement(self) -> tuple[str, str, str]:
        return self.flow.movement

    @property
    def renamed(self) -> bool:
        """True when both sides have the flow under different ids."""
        return self.before is not None and self.after is not None and self.before.id != self.after.id


@dataclass(frozen=True)
class ResponsibilityChange:
    """One responsibility whose holders differ; ``before``/``after`` are the holding party ids (sorted)."""

    id: str
    title: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def status(self) -> str:
        """``added`` (held only after), ``removed`` (held only before) or ``changed`` (other holders)."""
        if not self.before:
            return "added"
        if not self.after:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class ResolutionDiff:
    """Everything that differs between two resolutions, each list in a deterministic order."""

    from_ref: str
    to_ref: str
    #: (name, edition) of each side's catalog
    from_catalog: tuple[str, str]
    to_catalog: tuple[str, str]
    #: (property, before, after) for each property whose option changed; ``None`` where a side lacks the property
    selection: tuple[tuple[str, Any, Any], ...]
    verdict: tuple[str, str]
    findings_added: tuple[DiffFinding, ...]
    findings_removed: tuple[DiffFinding, ...]
    steps_added: tuple[DiffStep, ...]
    steps_removed: tuple[DiffStep, ...]
    steps_moved: tuple[MovedStep, ...]
    #: every money flow of either side, matched by movement, in the newer side's order then the older's
    flows: tuple[FlowChange, ...] = ()
    #: responsibilities whose holders differ, in the newer catalog's order
    responsibilities: tuple[ResponsibilityChange, ...] = ()
    steps_renamed: tuple[RenamedStep, ...] = ()
    steps_changed: tuple[StepChange, ...] = ()
    options_renamed: tuple[RenamedOption, ...] = ()
    #: the exact revision of each side's catalog (two revisions of one edition are the same ``*_catalog``)
    from_revision: int = 1
    to_revision: int = 1

    # -- derived views -------------------------------------------------------

    @property
    def flows_added(self) -> tuple[DiffFlow, ...]:
        return tuple(c.flow for c in self.flows if c.status == "added")

    @property
    def flows_removed(self) -> tuple[DiffFlow, ...]:
        return tuple(c.flow for c in self.flows if c.status == "removed")

    @property
    def flows_changed(self) -> tuple[FlowChange, ...]:
        return tuple(c for c in self.flows if c.status == "changed")

    @property
    def flows_unchanged(self) -> tuple[FlowChange, ...]:
        return tuple(c for c in self.flows if c.status == "unchanged")

    def responsibilities_with(self, status: str) -> tuple[ResponsibilityChange, ...]:
        return tuple(r for r in self.responsibilities if r.status == status)

    @property
    def catalog_changed(self) -> bool:
        return self.from_catalog != self.to_catalog

    @property
    def verdict_changed(self) -> bool:
        return self.verdict[0] != self.verdict[1]

    @property
    def identical(self) -> bool:
        """True when both sides have the same catalog edition, selection and resolution."""
        return not (
            self.catalog_changed
            or self.selection
            or self.options_renamed
            or self.verdict_changed
            or self.findings_added
            or self.findings_removed
            or self.steps_added
            or self.steps_removed
            or self.steps_moved
            or self.steps_renamed
            or self.steps_changed
            or any(c.status != "unchanged" or c.renamed for c in self.flows)
            or self.responsibilities
        )

    def changes(self) -> frozenset[tuple[str, ...]]:
        """Every reported change as a comparable tuple ``(area, status, key...)``.

        The change diagrams, ``plan diff`` and ``plan upgrade`` are checked against this set; it
        leaves out unchanged flows and the verdict (which every report states anyway).
        """
        out: set[tuple[str, ...]] = set()
        out.update(("selection", "changed", p) for p, _, _ in self.selection)
        out.update(("selection", "renamed", r.prop) for r in self.options_renamed)
        out.update(("finding", "added", f.rule) for f in self.findings_added)
        out.update(("finding", "removed", f.rule) for f in self.findings_removed)
        out.update(("step", "added", s.id) for s in self.steps_added)
        out.update(("step", "removed", s.id) for s in self.steps_removed)
        out.update(("step", "moved", m.id) for m in self.steps_moved)
        out.update(("step", "renamed", r.before_id, r.after_id) for r in self.steps_renamed)
        out.update(("step", "changed", c.id) for c in self.steps_changed)
        out.update(("flow", c.status, *c.movement) for c in self.flows if c.status != "unchanged")
        out.update(("responsibility", r.status, r.id) for r in self.responsibilities)
        return frozenset(out)


def _added_removed(before: dict[K, Any], after: dict[K, Any]) -> tuple[list[Any], list[Any]]:
    """Values whose key is only in ``after`` (in ``after`` order) and only in ``before`` (in ``before`` order)."""
    return [v for k, v in after.items() if k not in before], [v for k, v in before.items() if k not in after]


def _lcs(a: Sequence[str], b: Sequence[str]) -> set[str]:
    """Ids on the longest common subsequence of ``a`` and ``b`` (ties broken towards ``a``'s order)."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    keep: set[str] = set()
    i = j = 0
    while i < n and j < m:
        if a[i] == b[j]:
            keep.add(a[i])
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return keep


def _newer_first(a: Catalog, b: Catalog) -> bool:
    """True when ``a`` is the newer edition of the same catalog (editions compare as strings: 2024 < 2025)."""
    return a.name == b.name and a.edition > b.edition


def rename_pairs(a: Catalog, b: Catalog, kind: str) -> dict[str, str]:
    """Renamed ids from ``a``'s terms to ``b``'s (``kind`` is ``steps`` or ``options``).

    The newer edition's ``renames`` say what changed since the edition before it; going back
    from newer to older they are read the other way round. Both editions' renames are used and
    chained (``x → y`` then ``y → z`` gives ``x → z``), so a diff across several editions still
    pairs an id renamed in a middle edition when the later editions restate it.

    >>> from connectplan.engine.catalog import Catalog, Renames
    >>> old = Catalog("c", "1", "C", (), (), ())
    >>> new = Catalog("c", "2", "C", (), (), (), renames=Renames(steps=(("a", "b"),)))
    >>> rename_pairs(old, new, "steps"), rename_pairs(new, old, "steps")
    ({'a': 'b'}, {'b': 'a'})
    """
    if a.edition == b.edition and a.name == b.name:
        return {}
    forward: dict[str, str] = {}
    for cat in (a, b):
        forward.update(getattr(cat.renames, kind))
    if _newer_first(a, b):
        forward = {new: old for old, new in forward.items()}
    chained: dict[str, str] = {}
    for start in forward:
        seen = {start}
        target = forward[start]
        while target in forward and target not in seen:
            seen.add(target)
            target = forward[target]
        chained[start] = target
    return chained


def _selection_changes(
    a: Resolution, b: Resolution
) -> tuple[tuple[tuple[str, Any, Any], ...], tuple[RenamedOption, ...]]:
    sel_a, sel_b = a.selection_dict, b.selection_dict
    renames = rename_pairs(a.catalog, b.catalog, "options")
    renamed: list[RenamedOption] = []
    covered: set[str] = set()
    for prop, value in sel_a.items():
        if not isinstance(value, str) and isinstance(value, (tuple, list)):
            # a multi-choice value is renamed when each option maps to the newer value's options
            mapped = {renames.get(f"{prop}.{o}", f"{prop}.{o}").split(".", 1)[1] for o in value}
            after = sel_b.get(prop)
            if isinstance(after, (tuple, list)) and mapped == set(after) and set(value) != set(after):
                for o in value:
                    target = renames.get(f"{prop}.{o}")
                    if target is not None and target.split(".", 1)[0] == prop:
                        renamed.append(RenamedOption(prop, str(o), target.split(".", 1)[1]))
                covered.add(prop)
            continue
        target = renames.get(f"{prop}.{option_text(value)}")
        if target is None or "." not in target:
            continue
        new_prop, new_opt = target.split(".", 1)
        if option_text(sel_b.get(new_prop)) == new_opt and (new_prop == prop or prop not in sel_b):
            renamed.append(RenamedOption(prop, option_text(value), new_opt if new_prop == prop else target))
            covered.update({prop, new_prop})
    props = list(dict.fromkeys([*sel_a, *sel_b]))
    selection = tuple(
        (p, sel_a.get(p), sel_b.get(p)) for p in props if p not in covered and sel_a.get(p) != sel_b.get(p)
    )
    return selection, tuple(renamed)


def _match_flows(a: Resolution, b: Resolution) -> tuple[FlowChange, ...]:
    """Pair flows by movement; within one movement, equal ``what`` first, then in catalog order."""

    def side(res: Resolution) -> list[DiffFlow]:
        return [DiffFlow(f.id, f.from_party, f.to_party, f.what, f.kind) for f in res.flows]

    old, new = side(a), side(b)
    left: dict[tuple[str, str, str], list[DiffFlow]] = {}
    for f in old:
        left.setdefault(f.movement, []).append(f)
    pairs: dict[int, DiffFlow] = {}
    for exact in (True, False):
        for i, f in enumerate(new):
            if i in pairs:
                continue
            pool = left.get(f.movement, [])
            match = next((o for o in pool if not exact or o.what == f.what), None)
            if match is not None:
                pool.remove(match)
                pairs[i] = match
    out = [FlowChange(pairs.get(i), f) for i, f in enumerate(new)]
    taken = {id(o) for o in pairs.values()}
    out.extend(FlowChange(o, None) for o in old if id(o) not in taken)
    return tuple(out)


def _match_responsibilities(a: Resolution, b: Resolution) -> tuple[ResponsibilityChange, ...]:
    def holders(res: Resolution) -> dict[str, tuple[str, tuple[str, ...]]]:
        out: dict[str, tuple[str, set[str]]] = {}
        for h in res.responsibilities:
            out.setdefault(h.responsibility.id, (h.responsibility.title, set()))[1].add(h.assignment.party)
        return {rid: (title, tuple(sorted(parties))) for rid, (title, parties) in out.items()}

    old, new = holders(a), holders(b)
    order = [r.id for r in b.catalog.responsibilities] + [r.id for r in a.catalog.responsibilities]
    order += [*new, *old]
    changes = []
    for rid in dict.fromkeys(order):
        before = old.get(rid, ("", ()))
        after = new.get(rid, ("", ()))
        if before[1] != after[1]:
            changes.append(ResponsibilityChange(rid, after[0] or before[0], before[1], after[1]))
    return tuple(changes)


def diff_resolutions(a: Resolution, b: Resolution, *, from_ref: str = "a", to_ref: str = "b") -> ResolutionDiff:
    """Compare resolution ``a`` (before) with ``b`` (after).

    Parameters
    ----------
    a, b
        The two resolutions; they may come from different catalog editions (either way round).
    from_ref, to_ref
        Labels for the two sides (e.g. ``acme@1`` and ``acme@2``), copied into the result.

    Returns
    -------
    ResolutionDiff
        Selection changes in property order (``a``'s properties first, then ones only in ``b``),
        option renames apart; findings keyed by rule id; steps by step id with renames paired;
        flows by movement; responsibilities by responsibility. Added things come in ``b``'s
        order, removed ones in ``a``'s order.
    """
    selection, options_renamed = _selection_changes(a, b)

    def findings(res: Resolution) -> dict[str, DiffFinding]:
        return {f.rule.id: DiffFinding(f.rule.id, severity_name(f.rule.severity), f.rule.message) for f in res.findings}

    def steps(res: Resolution) -> dict[str, DiffStep]:
        return {s.step.id: DiffStep(s.step.id, s.step.title, s.step.phase, i) for i, s in enumerate(res.steps, 1)}

    f_added, f_removed = _added_removed(findings(a), findings(b))
    steps_a, steps_b = steps(a), steps(b)
    renames = rename_pairs(a.catalog, b.catalog, "steps")
    # a step renamed between the editions, active on both sides, is one step under two ids
    renamed_ids = {old: new for old, new in renames.items() if old in steps_a and new in steps_b and old not in steps_b}
    mapped_a = {renamed_ids.get(sid, sid): s for sid, s in steps_a.items()}
    s_added, s_removed = _added_removed(mapped_a, steps_b)
    common_a = [sid for sid in mapped_a if sid in steps_b]
    common_b = [sid for sid in steps_b if sid in mapped_a]
    in_place = _lcs(common_a, common_b)
    renamed_new = set(renamed_ids.values())
    moved = tuple(
        MovedStep(sid, steps_b[sid].title, mapped_a[sid].position, steps_b[sid].position)
        for sid in common_b
        if sid not in in_place and sid not in renamed_new
    )
    steps_renamed = tuple(
        RenamedStep(old, new, steps_b[new].title, steps_a[old].position, steps_b[new].position)
        for old, new in sorted(renamed_ids.items(), key=lambda kv: steps_b[kv[1]].position)
    )
    steps_changed = tuple(
        StepChange(sid, steps_a[sid].title, steps_b[sid].title, steps_b[sid].position)
        for sid in common_b
        if sid in steps_a and steps_a[sid].title != steps_b[sid].title
    )
    return ResolutionDiff(
        from_ref=from_ref,
        to_ref=to_ref,
        from_catalog=(a.catalog.name, a.catalog.edition),
        to_catalog=(b.catalog.name, b.catalog.edition),
        selection=selection,
        verdict=(a.verdict, b.verdict),
        findings_added=tuple(f_added),
        findings_removed=tuple(f_removed),
        steps_added=tuple(s_added),
        steps_removed=tuple(s_removed),
        steps_moved=moved,
        flows=_match_flows(a, b),
        responsibilities=_match_responsibilities(a, b),
        steps_renamed=steps_renamed,
        steps_changed=steps_changed,
        options_renamed=options_renamed,
        from_revision=a.catalog.revision,
        to_revision=b.catalog.revision,
    )
