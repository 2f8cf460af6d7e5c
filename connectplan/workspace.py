"""The application API: one :class:`Workspace` per store, offering every user action.

>>> import pathlib, tempfile
>>> from connectplan import open_workspace
>>> store = pathlib.Path(tempfile.mkdtemp()) / "plans.db"
>>> with open_workspace(str(store)) as ws:             # a SQLite file, created on first use
...     carts = {"charge_type": "separate", "fee_mechanism": "transfer_math"}
...     res = ws.resolve(preset="marketplace", set=carts)
...     v = ws.new_plan("acme", preset="marketplace", message="first cut")
...     v2 = ws.set_plan("acme", carts, message="multi-seller carts")
...     print(v2.ref, ws.plan("acme@2").resolution.verdict == res.verdict)
acme@2 True

A workspace owns one SQLAlchemy engine (pooled connections; disposed by :meth:`Workspace.close`)
and bounded caches of immutable catalog content. Each method is one unit of work with its own
session and transaction, so one workspace serves many requests, from several threads too.
The CLI opens one per command and closes it on exit; a server opens one per worker.

Every error raised for bad input is one of :data:`connectplan.errors.USER_ERRORS`, and its text
is one line that names the problem and the fix; nothing has been stored when one is raised.

The saving methods (:meth:`Workspace.new_plan`, :meth:`~Workspace.set_plan`, :meth:`~Workspace.fork`,
:meth:`~Workspace.import_plan`, :meth:`~Workspace.upgrade_plan`) share one save policy
(:mod:`connectplan.save_policy`): a blocked or out-of-scope version is saved only with
``allow_blocked=True``, ``fail_on`` refuses any verdict ranking at or above it, and ``require_decided``
refuses a version that leaves a decision open (a pending, "not decided yet" option); a refusal is a
:class:`~connectplan.errors.VerdictRefusedError` and stores nothing. The returned record's
``verdict`` (and ``parent_verdict`` for a change) says what was saved.

The actions that draw, write or build from a plan (``subject``, ``diagram``, ``render``, ``doc``,
``prompt``, ``verify``, ``blueprint``) are defined in :mod:`connectplan.workspace_outputs`, a mixin
of :class:`Workspace`; they are used through the workspace like every other action.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectplan import compare as comparing
from connectplan.catalog_files import builtin_loaders
from connectplan.db.graph_store import CatalogCache
from connectplan.db.schema import display_url, open_database, schema_status, store_url, upgrade_database
from connectplan.db.session import PoolOptions, database_url
from connectplan.engine import Catalog, Resolution, Selection, Severity, build_selection, resolve
from connectplan.engine.errors import CONFLICT
from connectplan.errors import AppError, VerdictRefusedError
from connectplan.save_policy import SaveOptions
from connectplan.store import Store
from connectplan.store_words import StoreStatus, status_words, store_words
from connectplan.workspace_outputs import DIAGRAM_KINDS, OutputActions
from connectplan.workspace_types import CatalogArg, PlanView, Subject

if TYPE_CHECKING:
    from connectplan.db.records import VersionRecord
    from connectplan.engine.catalog_diff import CatalogDiff
    from connectplan.engine.diff import ResolutionDiff
    from connectplan.engine.lint import LintReport
    from connectplan.engine.propagation import Propagation
    from connectplan.engine.selection import SelectionInput
    from connectplan.engine.upgrade import PlanUpgrade
    from connectplan.exchange import PlanExport
    from connectplan.records import EditionInfo, LogEntry, PlanSummary

__all__ = [
    "DIAGRAM_KINDS",
    "CatalogArg",
    "PlanView",
    "PoolOptions",
    "StoreStatus",
    "Subject",
    "Workspace",
    "open_workspace",
    "schema_head",
    "store_status",
    "upgrade_store",
]


#: Catalogs a workspace keeps rebuilt in memory (immutable content, by content hash).
CATALOG_CACHE_SIZE = 16


def schema_head() -> str:
    """The schema revision this code works with (what ``/readyz`` expects the store to be at)."""
    from connectplan.db import session

    return session.HEAD_REVISION


def open_workspace(url: str | None = None, *, pool: PoolOptions | None = None) -> Workspace:
    """Open the store at ``url`` (default ``$CONNECTPLAN_DATABASE_URL`` or ``sqlite:///connectplan.db``).

    A SQLite file that does not exist yet is created and migrated; any other store must be at
    the code's schema head, else :class:`~db.errors.SchemaError` says what to run. Built-in
    catalog editions missing from the store are imported. Use it as a context manager, or
    call :meth:`Workspace.close`. ``pool`` sizes the connection pool (a server's workers share the
    database's connections: :meth:`db.session.PoolOptions.for_workers`).
    """
    with store_words():
        url = store_url(database_url() if url is None else url)
        db_engine, editions = open_database(url, pool)
    try:
        ws = Workspace(url, Store(db_engine, CatalogCache(CATALOG_CACHE_SIZE), editions))
        ws.store.ensure_builtins(builtin_loaders())
    except BaseException:
        db_engine.dispose()
        raise
    return ws


def store_status(url: str | None = None) -> StoreStatus:
    """The schema state of a store without opening (or creating) it: what ``connectplan db current`` prints."""
    with store_words():
        return status_words(schema_status(store_url(database_url() if url is None else url)))


def upgrade_store(url: str | None = None, *, allow_foreign_tables: bool = False) -> tuple[str | None, str]:
    """Create or upgrade a store's schema to head and import the built-in catalogs; ``(before, after)``.

    Concurrent upgrades queue on the schema lock. A database that holds other tables and no
    connectplan schema is refused unless ``allow_foreign_tables``.
    """
    with store_words():
        url = store_url(database_url() if url is None else url)
        before, after, db_engine = upgrade_database(url, allow_foreign_tables=allow_foreign_tables)
    try:
        Store(db_engine, CatalogCache(CATALOG_CACHE_SIZE)).ensure_builtins(builtin_loaders())
    finally:
        db_engine.dispose()
    return before, after


class Workspace(OutputActions):
    """An open store and every user action on it. Make one with :func:`open_workspace`."""

    def __init__(self, url: str, store: Store) -> None:
        self.url = url
        self.store = store
        self._closed = False

    def __repr__(self) -> str:
        return f"<Workspace {display_url(self.url)}{' (closed)' if self._closed else ''}>"

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release every connection and cache. Idempotent; the workspace cannot be used afterwards."""
        if self._closed:
            return
        self._closed = True
        self.store.cache.clear()
        self.store.db_engine.dispose()

    # -- catalogs --------------------------------------------------------------

    def catalogs(self) -> list[EditionInfo]:
        """Every stored catalog edition, sorted by name then edition."""
        return self.store.list_catalogs()

    def catalog(self, ref: CatalogArg = None) -> Catalog:
        """The catalog ``ref`` names: ``NAME`` (its newest edition), ``NAME@EDITION`` (its newest revision),
        ``NAME@EDITION.rN`` (exactly that revision) or a :class:`~engine.CatalogRef`; default the newest
        stripe-connect. A :class:`~engine.Catalog` is returned as it is (never re-read by its name)."""
        if isinstance(ref, Catalog):
            return ref
        return self.store.get_catalog(ref)

    def validate_catalog(self, path: str | Path) -> Catalog:
        """Read and validate a catalog file; raises :class:`engine.CatalogError` listing every problem."""
        from connectplan.catalog_files import load_catalog_file

        return load_catalog_file(path)

    def import_catalog(self, source: str | Path | Catalog) -> tuple[EditionInfo, bool]:
        """Add a catalog edition (a file, or a loaded :class:`~engine.Catalog`); ``(info, created)``.

        Identical content already stored changes nothing; other content under the same
        ``name@edition`` is refused (:class:`~db.errors.EditionConflictError`).
        """
        from connectplan.catalog_files import check_storable

        catalog = source if isinstance(source, Catalog) else self.validate_catalog(source)
        check_storable(catalog)  # a Catalog built in Python was not checked as a file is
        return self.store.import_catalog(catalog)

    def _catalog_or_file(self, target: CatalogArg) -> Catalog:
        from connectplan.catalog_files import load_catalog_file

        if isinstance(target, str) and _is_file_argument(target):
            return load_catalog_file(target)
        return self.catalog(target)

    def lint(self, target: CatalogArg = None) -> LintReport:
        """Lint a stored edition (``NAME[@EDITION]``) or a catalog FILE.

        A file the loader rejects gives a report whose errors are its problems; a missing
        file is an input error.
        """
        from connectplan.catalog_files import load_catalog_file
        from connectplan.engine import CatalogError, Problem
        from connectplan.engine.lint import lint_catalog, lint_problems
        from connectplan.sat import make_solver

        if isinstance(target, str) and target and _is_file_argument(target):
            if not _is_file(target):
                raise AppError(
                    f"no such catalog file: {target}; pass a catalog FILE or NAME@EDITION, e.g. stripe-connect@2025"
                )
            try:
                catalog = load_catalog_file(target)
            except CatalogError as exc:
                problems = list(exc.problems)
                if exc.more:  # the loader recorded the first problems and counted the rest
                    problems.append(
                        Problem(
                            target, "", f"... and {exc.more} more problems (only the first {len(problems)} are shown)"
                        )
                    )
                return lint_problems(target, problems)
            return lint_catalog(catalog, make_solver, source=target)
        return lint_catalog(self.catalog(target), make_solver)

    def diff_catalogs(self, old: CatalogArg, new: CatalogArg) -> CatalogDiff:
        """What edition ``new`` adds, removes, renames and changes against ``old`` (stored refs or files)."""
        from connectplan.engine.catalog_diff import diff_catalogs

        return diff_catalogs(self._catalog_or_file(old), self._catalog_or_file(new))

    # -- selections ------------------------------------------------------------

    def selection(
        self, *, catalog: CatalogArg = None, preset: str | None = None, set: SelectionInput = None
    ) -> tuple[Catalog, dict[str, Any]]:
        """The catalog edition and the selection that ``preset`` plus ``set`` make (not checked for completeness)."""
        cat = self.catalog(catalog)
        return cat, build_selection(cat, preset, Selection.parse(set, cat))

    def resolve(
        self,
        *,
        catalog: CatalogArg = None,
        preset: str | None = None,
        set: SelectionInput = None,
        alternatives: bool = True,
    ) -> Resolution:
        """Resolve a complete selection: verdict, findings, ordered steps, flows, responsibilities.

        With ``alternatives`` the nearest better selections are attached when the verdict is
        worse than caution.
        """
        cat, selection = self.selection(catalog=catalog, preset=preset, set=set)
        res = resolve(cat, selection)
        return with_alternatives(res) if alternatives else res

    def explore(
        self, *, catalog: CatalogArg = None, preset: str | None = None, set: SelectionInput = None
    ) -> Propagation:
        """What a partial selection still allows, option by option, and why."""
        from connectplan.engine.propagation import propagate
        from connectplan.sat import make_solver

        cat, selection = self.selection(catalog=catalog, preset=preset, set=set)
        return propagate(cat, selection, make_solver)

    def presets(self, catalog: CatalogArg = None) -> tuple[Catalog, list[Resolution]]:
        """A catalog edition and the resolution of each of its presets, in catalog order."""
        cat = self.catalog(catalog)
        return cat, [resolve(cat, dict(p.selection)) for p in cat.presets]

    # -- plans -----------------------------------------------------------------

    def new_plan(
        self,
        name: str,
        *,
        catalog: CatalogArg = None,
        preset: str | None = None,
        set: SelectionInput = None,
        options: SaveOptions | None = None,
        message: str | None = None,
        author: str | None = None,
        allow_blocked: bool = False,
        fail_on: str | Severity | None = None,
        require_decided: bool = False,
    ) -> VersionRecord:
        """Create plan ``name`` with version 1 from ``preset`` and ``set`` (the selection must be complete).

        ``options`` (:class:`~connectplan.save_policy.SaveOptions`) says how it is saved; the
        keywords after it are a shorthand for its fields. Refused
        (:class:`~connectplan.errors.VerdictRefusedError`, nothing stored) when the version is
        blocked or out of scope without ``allow_blocked``, ranks at or above ``fail_on``, or leaves
        a decision open with ``require_decided``.
        """
        opts = _options(options, message, author, allow_blocked, fail_on, require_decided)
        opts.policy  # noqa: B018 -- an unknown fail_on is refused before anything is read
        if isinstance(catalog, Catalog):  # saved against the stored revision: it must be this content
            stored = self.catalog(catalog.catalog_ref)
            if stored.content_hash != catalog.content_hash:
                raise AppError(
                    f"{catalog.revision_ref} is stored with other content ({stored.content_hash}); "
                    "a plan is saved against a stored revision: import this catalog as a new revision first",
                    kind=CONFLICT,
                    field="catalog",
                )
        return self.store.new_plan(
            name,
            catalog_ref=catalog.catalog_ref if isinstance(catalog, Catalog) else catalog,
            preset=preset,
            assignments=Selection.parse(set),
            options=opts,
        )

    def set_plan(
        self,
        name: str,
        set: SelectionInput,
        *,
        options: SaveOptions | None = None,
        message: str | None = None,
        author: str | None = None,
        base: int | None = None,
        allow_blocked: bool = False,
        fail_on: str | Severity | None = None,
        require_decided: bool = False,
    ) -> VersionRecord:
        """Save a new version of ``name``: its latest selection with ``set`` applied; a message is required.

        If someone else saves first, the change is re-applied on top when it touches other
        properties; otherwise :class:`~db.errors.ConflictError` names the property and version.
        ``base`` is the version the change was computed from when it was read earlier (the web
        configurator's form): every version saved after it counts as "someone else saved first".
        The save options are :meth:`new_plan`'s.
        """
        opts = _options(options, message, author, allow_blocked, fail_on, require_decided)
        opts.policy  # noqa: B018
        return self.store.set_plan(name, Selection.parse(set), options=opts, base_version=base)

    def plan(self, ref: str) -> PlanView:
        """A plan version (``NAME``, ``NAME@N``, ``NAME@latest``, ``NAME@TAG``) and its resolution."""
        record, res = self.store.load(ref)
        return PlanView(record, with_alternatives(res))

    def version(self, ref: str) -> VersionRecord:
        """A plan version's metadata and selection, without resolving it."""
        return self.store.version(ref)

    def log(self, name: str) -> list[LogEntry]:
        """Every version of plan ``name``, newest first, with its verdict."""
        return self.store.log(name)

    def plans(self, *, stale_only: bool = False) -> list[PlanSummary]:
        """Every plan with its latest version (only those on an older edition with ``stale_only``)."""
        return self.store.list_plans(stale_only=stale_only)

    def diff(self, ref_a: str, ref_b: str) -> ResolutionDiff:
        """Compare two plan versions (of one plan or two): selection, edition, verdict, findings, steps, flows."""
        return self.store.diff(ref_a, ref_b)

    def compare(self, a: comparing.Side, b: comparing.Side) -> comparing.Comparison:
        """Compare two sides: plan versions, presets or selections, each on an edition (:mod:`connectplan.compare`)."""
        return comparing.compare(self, a, b)

    def tag(self, ref: str, tag: str, *, force: bool = False) -> VersionRecord:
        """Name the version ``ref`` points at ``tag``; moving an existing tag needs ``force``."""
        return self.store.tag(ref, tag, force=force)

    def fork(
        self,
        ref: str,
        new_name: str,
        *,
        options: SaveOptions | None = None,
        message: str | None = None,
        author: str | None = None,
        allow_blocked: bool = False,
        fail_on: str | Severity | None = None,
        require_decided: bool = False,
    ) -> VersionRecord:
        """Start plan ``new_name`` from the version ``ref`` points at (the save options are :meth:`new_plan`'s)."""
        opts = _options(options, message, author, allow_blocked, fail_on, require_decided)
        opts.policy  # noqa: B018
        return self.store.fork(ref, new_name, options=opts)

    def export_plan(self, ref: str) -> PlanExport:
        """A plan's history up to ``ref``'s version (``connectplan.to_document(...)`` is the export document)."""
        return self.store.export_plan(ref)

    def import_plan(
        self,
        source: Any,
        *,
        as_name: str | None = None,
        options: SaveOptions | None = None,
        allow_blocked: bool = False,
        fail_on: str | Severity | None = None,
        require_decided: bool = False,
    ) -> VersionRecord:
        """Recreate an exported plan (``source``: a file path, an export document or a :class:`PlanExport`).

        The save policy (:meth:`new_plan`'s) applies to every version stored: one refused version
        refuses the import. The record is the latest version's, with its verdict.
        """
        from connectplan.exchange import as_export

        opts = _options(options, None, None, allow_blocked, fail_on, require_decided)
        opts.policy  # noqa: B018
        export, name = as_export(source)
        return self.store.import_plan(export, as_name=as_name, source=name, options=opts)

    def upgrade_plan(
        self,
        ref: str,
        to: CatalogArg = None,
        *,
        dry_run: bool = False,
        options: SaveOptions | None = None,
        allow_blocked: bool = False,
        fail_on: str | Severity | None = None,
        require_decided: bool = False,
        message: str | None = None,
        author: str | None = None,
    ) -> tuple[PlanUpgrade, VersionRecord | None]:
        """Carry plan version ``ref`` over to edition ``to``; save unless ``dry_run``.

        Without ``to``: the newest revision of its own edition when a correction supersedes it,
        else its catalog's newest edition.

        Returns the impact report and the saved version (None for a dry run, which the save
        policy never refuses). The carried-over version is saved under :meth:`new_plan`'s save
        policy: a refusal is a :class:`~connectplan.errors.VerdictRefusedError` whose ``report``
        is the impact report (marked not saved), and nothing is stored.
        """
        from connectplan.engine.upgrade import plan_upgrade
        from connectplan.sat import make_solver

        opts = _options(options, message, author, allow_blocked, fail_on, require_decided)
        opts.policy  # noqa: B018
        record, before = self.store.load(ref)
        # without ``to``: the newest revision of the plan's own edition (a correction), else its newest edition
        default = before.catalog.ref if record.superseded_by is not None else before.catalog.name
        target = self.catalog(to or default)
        if target.name != before.catalog.name:
            raise AppError(
                f"plan upgrade moves a plan between editions of one catalog; "
                f"{record.ref} uses {before.catalog.name}, not {target.name}"
            )
        if target.content_hash == before.catalog.content_hash:
            raise AppError(
                f"{record.ref} is already on {target.ref} (revision {target.revision})",
                fix="other_edition",
                hint="name a different edition with --to",
                field="to",
            )
        report = plan_upgrade(
            before,
            target,
            from_ref=record.ref,
            to_ref=f"{record.plan}@{record.version + 1}",
            solver_factory=make_solver,
        )
        not_saved = replace(report, diff=replace(report.diff, to_ref=f"{record.plan} (not saved)"))
        if dry_run:
            return not_saved, None
        try:
            saved = self.store.save_version(
                record.plan,
                base=record.version,
                catalog_ref=target.catalog_ref,  # the exact revision reported on, never its newest
                selection=report.after.selection_dict,
                options=opts.with_defaults(message=f"upgrade to {target.ref}"),
            )
        except VerdictRefusedError as exc:
            exc.report = not_saved
            raise
        return report, saved


def _options(
    options: SaveOptions | None,
    message: str | None,
    author: str | None,
    allow_blocked: bool,
    fail_on: str | Severity | None,
    require_decided: bool,
) -> SaveOptions:
    """``options`` with the saving methods' shorthand keywords set over it."""
    return (options or SaveOptions()).merged(
        message=message,
        author=author,
        allow_blocked=allow_blocked,
        fail_on=fail_on,
        require_decided=require_decided,
    )


def with_alternatives(res: Resolution) -> Resolution:
    """``res`` with its nearest better alternatives attached when its verdict is worse than caution."""
    if res.rank <= Severity.CAUTION:
        return res
    from connectplan.engine.alternatives import nearest_alternatives
    from connectplan.sat import make_solver

    return replace(res, alternatives=nearest_alternatives(res.catalog, res.selection_dict, make_solver))


def _is_file_argument(target: str) -> bool:
    return target.endswith((".yaml", ".yml", ".json")) or "/" in target or _is_file(target)


def _is_file(target: str) -> bool:
    """True when ``target`` names a regular file; False for a name the file system refuses (too long, a NUL)."""
    try:
        return Path(target).is_file()
    except (OSError, ValueError):
        return False
