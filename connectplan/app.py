"""Application services the CLI calls: one function per user action, no printing.

Catalogs are read from the store (``connectplan.store``), into which the files shipped in
``connectplan/catalogs`` are imported on first use; ``builtin_catalogs`` reads those files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine import Catalog, Resolution, resolve
from engine import build_selection as engine_build_selection

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from db.repository import VersionRecord
    from engine.catalog_diff import CatalogDiff
    from engine.lint import LintReport
    from engine.propagation import Propagation
    from engine.upgrade import PlanUpgrade

from connectplan.catalog_files import builtin_catalog_files, load_builtin
from connectplan.errors import AppError

DEFAULT_CATALOG = "stripe-connect"


def split_ref(ref: str) -> tuple[str, str | None]:
    """``name@edition`` -> (name, edition); a bare name -> (name, None)."""
    name, _, edition = ref.partition("@")
    if not name or (ref.count("@") > 1) or ("@" in ref and not edition):
        raise AppError(f"malformed catalog reference {ref!r}; use NAME or NAME@EDITION, e.g. stripe-connect@2025")
    return name, edition or None


def edition_key(edition: str) -> tuple[int, int | str]:
    """Sort key for editions: numeric editions by value, others after them by text."""
    return (0, int(edition)) if edition.isdigit() else (1, edition)


def builtin_catalogs() -> list[Catalog]:
    """Every built-in catalog edition, sorted by name then edition."""
    cats = [load_builtin(p.name) for p in builtin_catalog_files()]
    return sorted(cats, key=lambda c: (c.name, edition_key(c.edition)))


def pick_catalog(catalogs: Iterable[Catalog], ref: str | None) -> Catalog:
    """Choose the edition ``ref`` names among ``catalogs`` (newest edition for a bare name)."""
    name, edition = split_ref(ref or DEFAULT_CATALOG)
    cats = [c for c in catalogs if c.name == name]
    if not cats:
        raise AppError(f"unknown catalog {name!r}; known: {', '.join(sorted({c.ref for c in catalogs})) or 'none'}")
    if edition is None:
        return max(cats, key=lambda c: edition_key(c.edition))
    for cat in cats:
        if cat.edition == edition:
            return cat
    raise AppError(f"unknown edition {edition!r} of {name}; editions: {', '.join(c.edition for c in cats)}")


def get_catalog(ref: str | None, db_url: str | None = None) -> Catalog:
    """The stored catalog edition named by ``ref`` (default: stripe-connect, newest edition).

    Read from the store at ``db_url`` (default ``$CONNECTPLAN_DATABASE_URL`` or
    ``sqlite:///connectplan.db``); the built-in editions are imported into it on first use.
    """
    from connectplan.store import open_store

    return open_store(db_url).get_catalog(ref)


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """Parse ``--set P=O`` values (later ones win)."""
    out: dict[str, str] = {}
    for pair in pairs:
        prop, sep, opt = pair.partition("=")
        prop, opt = prop.strip(), opt.strip()
        if not sep or not prop or not opt:
            raise AppError(f"malformed --set {pair!r}; use PROPERTY=OPTION, e.g. --set dashboard=express")
        out[prop] = opt
    return out


def build_selection(catalog: Catalog, preset: str | None, assignments: Mapping[str, str]) -> dict[str, str]:
    """A preset's selection (if any) overridden by explicit assignments (:func:`engine.build_selection`)."""
    return engine_build_selection(catalog, preset, assignments)  # type: ignore[return-value]


def resolve_selection(
    catalog_ref: str | None, preset: str | None, sets: Iterable[str], db_url: str | None = None
) -> Resolution:
    """Resolve ``--preset`` plus ``--set`` values against a catalog edition read from the store."""
    catalog = get_catalog(catalog_ref, db_url)
    return with_alternatives(resolve(catalog, build_selection(catalog, preset, parse_assignments(sets))))


# ---------------------------------------------------------------------------
# Exploration, alternatives, presets, lint, edition diff, plan upgrade (issue 5).
# The SAT solver (pysat) is imported only by the functions that need it.


def with_alternatives(res: Resolution) -> Resolution:
    """``res`` with its nearest better alternatives attached when its verdict is worse than caution."""
    from engine import Severity

    if res.rank <= Severity.CAUTION:
        return res
    from dataclasses import replace

    from connectplan.sat import make_solver
    from engine.alternatives import nearest_alternatives

    return replace(res, alternatives=nearest_alternatives(res.catalog, res.selection_dict, make_solver))


def explore_selection(
    catalog_ref: str | None, preset: str | None, sets: Iterable[str], db_url: str | None = None
) -> Propagation:
    """What a partial selection (``--preset`` plus ``--set``) still allows, option by option."""
    from connectplan.sat import make_solver
    from engine.propagation import propagate

    catalog = get_catalog(catalog_ref, db_url)
    return propagate(catalog, build_selection(catalog, preset, parse_assignments(sets)), make_solver)


def preset_resolutions(catalog_ref: str | None, db_url: str | None = None) -> tuple[Catalog, list[Resolution]]:
    """A catalog edition and the resolution of each of its presets, in catalog order."""
    catalog = get_catalog(catalog_ref, db_url)
    return catalog, [resolve(catalog, dict(p.selection)) for p in catalog.presets]


def _is_file_argument(target: str) -> bool:
    from pathlib import Path

    return target.endswith((".yaml", ".yml", ".json")) or "/" in target or Path(target).is_file()


def lint(target: str | None, db_url: str | None = None) -> LintReport:
    """Lint a catalog edition (``NAME[@EDITION]`` from the store) or a catalog FILE.

    A file the loader rejects gives a report whose errors are its problems; a missing or
    unreadable file is an input error.
    """
    from connectplan.catalog_files import load_catalog_file
    from connectplan.sat import make_solver
    from engine import CatalogError
    from engine.lint import lint_catalog, lint_problems

    if target and _is_file_argument(target):
        from pathlib import Path

        if not Path(target).is_file():
            raise AppError(
                f"no such catalog file: {target}; pass a catalog FILE or NAME@EDITION, e.g. stripe-connect@2025"
            )
        try:
            catalog = load_catalog_file(target)
        except CatalogError as exc:
            return lint_problems(target, exc.problems)
        return lint_catalog(catalog, make_solver, source=target)
    return lint_catalog(get_catalog(target, db_url), make_solver)


def diff_editions(old_ref: str, new_ref: str, db_url: str | None = None) -> CatalogDiff:
    """Compare two catalog editions (each ``NAME@EDITION`` from the store, or a catalog FILE)."""
    from connectplan.catalog_files import load_catalog_file
    from engine.catalog_diff import diff_catalogs

    def load(target: str) -> Catalog:
        return load_catalog_file(target) if _is_file_argument(target) else get_catalog(target, db_url)

    return diff_catalogs(load(old_ref), load(new_ref))


def upgrade_plan(
    ref: str,
    to_ref: str,
    *,
    dry_run: bool = False,
    allow_blocked: bool = False,
    message: str | None = None,
    author: str | None = None,
    db_url: str | None = None,
) -> tuple[PlanUpgrade, VersionRecord | None]:
    """Carry plan version ``ref`` over to catalog edition ``to_ref``; save it unless ``dry_run``.

    Returns the impact report and the saved version (None when nothing was saved: a dry run,
    or a selection that is blocked in the new edition without ``allow_blocked``).
    """
    from connectplan.sat import make_solver
    from connectplan.store import open_store
    from engine.upgrade import plan_upgrade

    store = open_store(db_url)
    record, before = store.load(ref)
    target = store.get_catalog(to_ref)
    if target.name != before.catalog.name:
        raise AppError(
            f"plan upgrade moves a plan between editions of one catalog; {record.ref} uses {before.catalog.name}, not {target.name}"
        )
    if target.edition == before.catalog.edition:
        raise AppError(f"{record.ref} is already on {target.ref}; name a different edition with --to")
    report = plan_upgrade(
        before, target, from_ref=record.ref, to_ref=f"{record.plan}@{record.version + 1}", solver_factory=make_solver
    )
    if dry_run or (report.blocked and not allow_blocked):
        from dataclasses import replace

        return replace(report, diff=replace(report.diff, to_ref=f"{record.plan} (not saved)")), None
    saved = store.save_version(
        record.plan,
        base=record.version,
        catalog_ref=target.ref,
        selection=report.after.selection_dict,
        message=message or f"upgrade to {target.ref}",
        author=author,
    )
    return report, saved
