"""Moving a saved selection to another catalog edition, and what that does to the plan.

:func:`map_selection` carries a selection over through the newer edition's ``renames``;
:func:`plan_upgrade` resolves it there and compares the two resolutions with
:func:`engine.diff.diff_resolutions`, the one model of change, which pairs the steps the new edition
declares renamed (reported as renamed, not as one removed and one added step), so the impact report
always agrees with ``plan diff`` and the change diagrams. When the new verdict is worse
than ``caution`` and a solver is given, the report carries the nearest alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectplan.engine.alternatives import nearest_alternatives
from connectplan.engine.diff import ResolutionDiff, diff_resolutions
from connectplan.engine.errors import SelectionError
from connectplan.engine.expression import evaluate
from connectplan.engine.resolution import Alternative, Change, Finding, Resolution, resolve
from connectplan.engine.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectplan.engine.catalog import Catalog, RenameDefault
    from connectplan.engine.expression import Choice
    from connectplan.engine.sat import SolverFactory

__all__ = ["PlanUpgrade", "UpgradeError", "carry_over", "map_selection", "plan_upgrade"]


class UpgradeError(SelectionError):
    """A selection cannot be carried over to the target edition (a choice or property has no counterpart)."""


def map_selection(
    old: Catalog, new: Catalog, selection: Mapping[str, Choice]
) -> tuple[dict[str, Choice], tuple[Change, ...]]:
    """The selection in ``new``'s terms, and the option renames applied (as changes).

    Properties new in ``new`` are filled from its ``renames.defaults`` (see :func:`carry_over`).

    Raises
    ------
    UpgradeError
        When a chosen option is neither in ``new`` nor renamed there, or ``new`` has a property
        the selection cannot fill.
    """
    mapped, renamed, _ = carry_over(old, new, selection)
    return mapped, renamed


def carry_over(
    old: Catalog, new: Catalog, selection: Mapping[str, Choice]
) -> tuple[dict[str, Choice], tuple[Change, ...], tuple[RenameDefault, ...]]:
    """:func:`map_selection`, plus the ``renames.defaults`` of ``new`` that filled a property.

    Each chosen option goes through ``new``'s option renames; a property ``new`` does not have
    is dropped. A property of ``new`` the selection leaves unset takes the first default for it
    whose ``when`` holds for the carried-over selection.
    """
    renames = dict(new.renames.options)
    collected: dict[str, list[str]] = {}
    renamed: list[Change] = []
    for prop, value in selection.items():
        for opt in (value,) if isinstance(value, str) else value:
            target = renames.get(f"{prop}.{opt}")
            if target is not None:
                new_prop, new_opt = target.split(".", 1)
                collected.setdefault(new_prop, []).append(new_opt)
                renamed.append(Change(prop, opt, new_opt) if new_prop == prop else Change(f"{prop}", opt, target))
                continue
            new_prop_rec = new.property_index.get(prop)
            if new_prop_rec is None:
                continue  # the property was dropped from the newer edition
            if new_prop_rec.option(opt) is None:
                raise UpgradeError(
                    f"option {prop}.{opt} does not exist in {new.ref} and is not renamed there; "
                    f"options of {prop}: {', '.join(new_prop_rec.option_ids)}"
                )
            collected.setdefault(prop, []).append(opt)
    mapped: dict[str, Choice] = {}
    for prop, opts in collected.items():
        rec = new.property_index[prop]
        try:
            mapped[prop] = rec.choose(opts if rec.multi or len(opts) > 1 else opts[0], where=new.ref)
        except SelectionError as exc:
            raise UpgradeError(f"the plan's choice of {prop} cannot be carried over: {exc}") from None
    carried = dict(mapped)
    applied: list[RenameDefault] = []
    for default in new.renames.defaults:
        if default.property in mapped:
            continue
        if default.when is None or evaluate(default.when, carried):
            mapped[default.property] = default.option
            applied.append(default)
    missing = [p.id for p in new.properties if p.id not in mapped]
    if missing:
        raise UpgradeError(
            f"{new.ref} has properties the plan does not set ({', '.join(missing)})",
            fix="new_plan_on",
            hint=f"start a new plan on {new.ref} instead (connectplan plan new)",
            field="to",
        )
    order = {p.id: i for i, p in enumerate(new.properties)}
    return (
        {p.id: mapped[p.id] for p in new.properties},
        tuple(renamed),
        tuple(sorted(applied, key=lambda d: order[d.property])),
    )


@dataclass(frozen=True)
class PlanUpgrade:
    """The impact of moving a selection from ``before``'s edition to ``after``'s."""

    before: Resolution
    after: Resolution
    diff: ResolutionDiff
    renamed_options: tuple[Change, ...]
    renamed_steps: tuple[tuple[str, str], ...]
    alternatives: tuple[Alternative, ...] | None = None
    #: the new edition's ``renames.defaults`` that filled a property the plan did not have (those
    #: whose option is pending leave the decision open: :attr:`left_open`)
    defaults: tuple[RenameDefault, ...] = ()

    @property
    def left_open(self) -> tuple[RenameDefault, ...]:
        """The applied defaults whose option is pending: decisions the upgrade leaves open."""
        return tuple(d for d in self.defaults if self._is_open(d))

    @property
    def chosen_defaults(self) -> tuple[RenameDefault, ...]:
        """The applied defaults that choose a real option."""
        return tuple(d for d in self.defaults if not self._is_open(d))

    def _is_open(self, default: RenameDefault) -> bool:
        return self.after.catalog.property_index[default.property].is_pending(default.option)

    @property
    def blocked(self) -> bool:
        """True when the carried-over selection is ``blocked`` or ``out_of_scope`` in the new edition."""
        return self.after.rank.excludes

    @property
    def blocking_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.after.findings if f.rank.excludes)


def plan_upgrade(
    before: Resolution,
    new: Catalog,
    *,
    from_ref: str = "before",
    to_ref: str = "after",
    solver_factory: SolverFactory | None = None,
) -> PlanUpgrade:
    """Carry ``before``'s selection over to edition ``new`` and compare the resolutions.

    Raises
    ------
    UpgradeError
        When the selection cannot be mapped (see :func:`map_selection`).
    """
    mapped, renamed_options, defaults = carry_over(before.catalog, new, before.selection_dict)
    after = resolve(new, mapped)
    diff = diff_resolutions(before, after, from_ref=from_ref, to_ref=to_ref)
    pairs = tuple((r.before_id, r.after_id) for r in diff.steps_renamed)
    alternatives = None
    if solver_factory is not None and after.rank > Severity.CAUTION:
        alternatives = nearest_alternatives(new, mapped, solver_factory)
    return PlanUpgrade(before, after, diff, renamed_options, pairs, alternatives, defaults)
