"""Comparing two resolutions: what changed between two plan versions (of one plan or two).

:func:`diff_resolutions` is pure: it looks only at the two :class:`~engine.resolution.Resolution`
objects (and the labels the caller gives them) and returns a frozen :class:`ResolutionDiff`.
Steps are matched by id; a step present on both sides "moved" when it is not part of the
longest common subsequence of the two step orders (the fewest steps that must move to turn
one order into the other), so a step inserted before others does not make them all "moved".

>>> from engine.catalog import catalog_from_dict
>>> cat = catalog_from_dict({
...     "format": "connectplan-catalog/1", "name": "demo", "edition": "1", "title": "Demo",
...     "properties": [{"id": "size", "title": "Size", "options": [{"id": "s", "title": "S"}, {"id": "l", "title": "L"}]}],
...     "rules": [{"id": "big", "condition": "size.l", "severity": "caution", "message": "Large."}],
...     "steps": [{"id": "go", "order": 1, "phase": "accounts", "condition": "always", "title": "Go"}]})
>>> from engine.resolution import resolve
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
    from engine.resolution import Resolution

__all__ = [
    "DiffFinding",
    "DiffFlow",
    "DiffResponsibility",
    "DiffStep",
    "MovedStep",
    "ResolutionDiff",
    "diff_resolutions",
]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class DiffFinding:
    rule: str
    severity: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class DiffStep:
    id: str
    title: str
    phase: str
    #: 1-based position in the step list of the side it belongs to
    position: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "phase": self.phase, "position": self.position}


@dataclass(frozen=True)
class MovedStep:
    id: str
    title: str
    #: 1-based positions before and after
    before: int
    after: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "from": self.before, "to": self.after}


@dataclass(frozen=True)
class DiffFlow:
    id: str
    from_party: str
    to_party: str
    what: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "from": self.from_party, "to": self.to_party, "what": self.what}


@dataclass(frozen=True)
class DiffResponsibility:
    id: str
    title: str
    party: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "party": self.party}


@dataclass(frozen=True)
class ResolutionDiff:
    """Everything that differs between two resolutions, each list in a deterministic order."""

    from_ref: str
    to_ref: str
    #: (name, edition) of each side's catalog
    from_catalog: tuple[str, str]
    to_catalog: tuple[str, str]
    #: (property, before, after) for each property whose option changed; ``None`` where a side lacks the property
    selection: tuple[tuple[str, str | None, str | None], ...]
    verdict: tuple[str, str]
    findings_added: tuple[DiffFinding, ...]
    findings_removed: tuple[DiffFinding, ...]
    steps_added: tuple[DiffStep, ...]
    steps_removed: tuple[DiffStep, ...]
    steps_moved: tuple[MovedStep, ...]
    flows_added: tuple[DiffFlow, ...]
    flows_removed: tuple[DiffFlow, ...]
    responsibilities_added: tuple[DiffResponsibility, ...]
    responsibilities_removed: tuple[DiffResponsibility, ...]

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
            or self.verdict_changed
            or self.findings_added
            or self.findings_removed
            or self.steps_added
            or self.steps_removed
            or self.steps_moved
            or self.flows_added
            or self.flows_removed
            or self.responsibilities_added
            or self.responsibilities_removed
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``plan diff --format json`` (keys in contract order)."""

        def side(ref: str, cat: tuple[str, str]) -> dict[str, Any]:
            return {"ref": ref, "catalog": {"name": cat[0], "edition": cat[1]}}

        def pair(added: Sequence[Any], removed: Sequence[Any]) -> dict[str, Any]:
            return {"added": [x.to_dict() for x in added], "removed": [x.to_dict() for x in removed]}

        return {
            "from": side(self.from_ref, self.from_catalog),
            "to": side(self.to_ref, self.to_catalog),
            "selection": {prop: [before, after] for prop, before, after in self.selection},
            "verdict": list(self.verdict),
            "findings": pair(self.findings_added, self.findings_removed),
            "steps": {
                **pair(self.steps_added, self.steps_removed),
                "moved": [m.to_dict() for m in self.steps_moved],
            },
            "money_flows": pair(self.flows_added, self.flows_removed),
            "responsibilities": pair(self.responsibilities_added, self.responsibilities_removed),
            "identical": self.identical,
        }


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


def diff_resolutions(a: Resolution, b: Resolution, *, from_ref: str = "a", to_ref: str = "b") -> ResolutionDiff:
    """Compare resolution ``a`` (before) with ``b`` (after).

    Parameters
    ----------
    a, b
        The two resolutions; they may come from different catalog editions.
    from_ref, to_ref
        Labels for the two sides (e.g. ``acme@1`` and ``acme@2``), copied into the result.

    Returns
    -------
    ResolutionDiff
        Selection changes in property order (``a``'s properties first, then ones only in ``b``);
        findings keyed by rule id, steps by step id, flows by flow id, responsibilities by
        (responsibility id, party): added ones in ``b``'s order, removed ones in ``a``'s order.
    """
    sel_a, sel_b = a.selection_dict, b.selection_dict
    props = list(dict.fromkeys([*sel_a, *sel_b]))
    selection = tuple((p, sel_a.get(p), sel_b.get(p)) for p in props if sel_a.get(p) != sel_b.get(p))

    def findings(res: Resolution) -> dict[str, DiffFinding]:
        return {f.rule.id: DiffFinding(f.rule.id, f.rule.severity, f.rule.message) for f in res.findings}

    def steps(res: Resolution) -> dict[str, DiffStep]:
        return {s.step.id: DiffStep(s.step.id, s.step.title, s.step.phase, i) for i, s in enumerate(res.steps, 1)}

    def flows(res: Resolution) -> dict[str, DiffFlow]:
        return {f.id: DiffFlow(f.id, f.from_party, f.to_party, f.what) for f in res.flows}

    def holders(res: Resolution) -> dict[tuple[str, str], DiffResponsibility]:
        return {
            (h.responsibility.id, h.assignment.party): DiffResponsibility(
                h.responsibility.id, h.responsibility.title, h.assignment.party
            )
            for h in res.responsibilities
        }

    f_added, f_removed = _added_removed(findings(a), findings(b))
    steps_a, steps_b = steps(a), steps(b)
    s_added, s_removed = _added_removed(steps_a, steps_b)
    common_a = [sid for sid in steps_a if sid in steps_b]
    common_b = [sid for sid in steps_b if sid in steps_a]
    in_place = _lcs(common_a, common_b)
    moved = tuple(
        MovedStep(sid, steps_b[sid].title, steps_a[sid].position, steps_b[sid].position)
        for sid in common_b
        if sid not in in_place
    )
    fl_added, fl_removed = _added_removed(flows(a), flows(b))
    r_added, r_removed = _added_removed(holders(a), holders(b))
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
        flows_added=tuple(fl_added),
        flows_removed=tuple(fl_removed),
        responsibilities_added=tuple(r_added),
        responsibilities_removed=tuple(r_removed),
    )
