"""The transactional plan service: catalog editions and versioned plans in one open database.

A :class:`Store` is made by :class:`~connectplan.workspace.Workspace` over an engine that
:func:`db.schema.open_database` has checked; every method is one unit of work (its own
session and transaction) and raises :class:`db.errors.StoreError` (or ``engine.EngineError``
for a bad selection) for bad input, and then nothing has been stored. Nothing here prints.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from connectplan.conflicts import Snapshot, find_conflict
from connectplan.db import graph_store, plan_rows
from connectplan.db.errors import ConflictError, NotFoundError, StoreError
from connectplan.db.records import EditionRow, VersionRecord, format_time, selection_pairs, utc_now
from connectplan.db.session import write_engine
from connectplan.engine import (
    Catalog,
    CatalogRef,
    EngineError,
    Resolution,
    Selection,
    build_selection,
    check_selection,
    resolve,
)
from connectplan.exchange import ExportedVersion, PlanExport, check_export_limits, matching_edition
from connectplan.records import EditionInfo, LogEntry, PlanSummary
from connectplan.refs import (
    DEFAULT_CATALOG,
    check_author,
    check_message,
    check_plan_name,
    check_tag_name,
    merge_repeats,
    parse_plan_ref,
)
from connectplan.save_policy import SaveOptions, SavePolicy
from connectplan.store_words import worded

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from sqlalchemy.engine import Connection, Engine

    from connectplan.engine.diff import ResolutionDiff

__all__ = ["MAX_SAVE_ATTEMPTS", "Store", "default_author", "pick_edition"]

#: how often a save that lost a race re-reads and re-applies before giving up
MAX_SAVE_ATTEMPTS = 50
#: seconds the remembered edition list is trusted before it is read again (other processes may import one)
EDITIONS_MAX_AGE = 30.0
#: an unknown catalog reference reads the list again only if it is older than this (seconds)
EDITIONS_RECHECK = 1.0
#: verdicts remembered per store, by (content hash, selection): editions are immutable
VERDICT_CACHE_SIZE = 4096

T = TypeVar("T")


def default_author() -> str:
    """``$USER`` (or ``$USERNAME``), else ``unknown``."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


#: the options of a save that names none: default message and author, blocked designs refused, no ``fail_on``
DEFAULT_OPTIONS = SaveOptions()


def _info(row: EditionRow) -> EditionInfo:
    return EditionInfo(row.name, row.edition, row.title, row.content_hash, format_time(row.imported_at), row.revision)


def _database_errors_mapped(cls: type[T]) -> type[T]:
    """Every public method of ``cls`` raises :class:`db.errors.DatabaseError`, never a driver's exception,
    and every store error leaves it with its words (:mod:`connectplan.store_words`)."""
    import functools

    from sqlalchemy.exc import SQLAlchemyError

    from connectplan.db.schema import database_error

    def guard(method: Callable[..., Any]) -> Callable[..., Any]:
        operation = method.__name__

        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except StoreError as exc:
                raise worded(exc)  # noqa: B904 -- the same error, re-raised with its words
            except SQLAlchemyError as exc:
                raise worded(database_error(str(self.db_engine.url), exc, operation)) from None
            except sqlite3.Error as exc:  # raised outside SQLAlchemy's wrapping (e.g. a raw connection)
                raise worded(database_error(str(self.db_engine.url), exc, operation)) from None

        return guarded

    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, guard(member))
    return cls


def pick_edition(editions: Sequence[EditionRow], ref: str | CatalogRef | None) -> EditionRow:
    """The edition revision ``ref`` names among ``editions`` (sorted by name, edition and revision).

    ``NAME`` means its newest edition, ``NAME@EDITION`` that edition's newest revision and
    ``NAME@EDITION.rN`` exactly revision N.
    """
    parsed = CatalogRef.parse(ref or DEFAULT_CATALOG)
    name = parsed.name
    rows = [r for r in editions if r.name == name]
    if not rows:
        known = sorted({r.ref for r in editions})
        raise NotFoundError(
            f"unknown catalog {name!r}; the store has {', '.join(known) or 'none'}",
            fix="import_catalog",
            hint="add one: connectplan catalog import FILE",
            field="catalog",
        )
    if parsed.edition is None:
        return rows[-1]
    wanted, revision = parsed.edition, parsed.revision
    literal = str(parsed).partition("@")[2]  # an edition whose own name ends in .rN
    same = [r for r in rows if r.edition == wanted] or [r for r in rows if r.edition == literal]
    if not same:
        editions_known = ", ".join(dict.fromkeys(r.edition for r in rows))
        raise NotFoundError(f"unknown edition {literal!r} of {name}; editions: {editions_known}", field="catalog")
    if revision is None or same[0].edition == literal:
        return same[-1]
    for row in same:
        if row.revision == revision:
            return row
    revisions = ", ".join(r.revision_ref for r in same)
    raise NotFoundError(f"unknown revision {revision} of {name}@{wanted}; revisions: {revisions}", field="catalog")


@_database_errors_mapped
class Store:
    """Catalog editions and plans in one open database; each method runs in its own transaction.

    Every query is plain SQL through :mod:`db.graph_store` and :mod:`db.plan_rows` (no ORM model
    is loaded). ``cache`` holds catalogs rebuilt from the store (bounded; owned by the workspace).
    """

    def __init__(self, db_engine: Engine, cache: graph_store.CatalogCache, editions: list[EditionRow] | None = None):
        self.db_engine = db_engine
        self.cache = cache
        self._writer = write_engine(db_engine)
        self._edition_rows: dict[int, EditionRow] = {}
        #: the edition list (immutable rows), read while opening or on first use, and when it was read
        self._editions: tuple[EditionRow, ...] | None = tuple(editions) if editions is not None else None
        self._editions_read_at = time.monotonic()
        self._verdicts: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], str] = OrderedDict()

    @contextmanager
    def _write(self, *, catalogs: bool = False) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite); one that may add ``catalogs`` makes the
        edition list be read again afterwards."""
        try:
            with self._writer.begin() as conn:
                yield conn
        finally:
            if catalogs:
                self._editions = None

    def _take_editions(self, *, fresh: bool = False) -> tuple[EditionRow, ...]:
        """The stored editions, remembered: rows are immutable and only ``catalog import`` adds one.

        Read again after a write through this store, when older than :data:`EDITIONS_MAX_AGE`
        seconds (another process may have imported one) or with ``fresh``; otherwise no query.
        """
        editions = self._editions
        now = time.monotonic()
        if editions is None or fresh or now - self._editions_read_at > EDITIONS_MAX_AGE:
            with self.db_engine.connect() as conn:
                editions = tuple(graph_store.read_editions(conn))
            self._editions, self._editions_read_at = editions, now
        return editions

    def invalidate_editions(self) -> None:
        """Forget the remembered edition list (the next lookup reads it)."""
        self._editions = None

    def _retry(self, action: Callable[[], T], on_conflict: Callable[[], StoreError]) -> T:
        """Run ``action`` (one write transaction) again when it loses a race on a unique key."""
        from sqlalchemy.exc import IntegrityError

        for _ in range(MAX_SAVE_ATTEMPTS):
            try:
                return action()
            except IntegrityError:
                continue
        raise on_conflict()

    def verdict(self, catalog: Catalog, selection: tuple[tuple[str, Any], ...]) -> str:
        """The verdict of ``selection`` in ``catalog``, remembered (bounded) by content hash and selection."""
        key = (catalog.content_hash, selection)
        found = self._verdicts.get(key)
        if found is None:
            found = resolve(catalog, dict(selection)).verdict
            self._verdicts[key] = found
            if len(self._verdicts) > VERDICT_CACHE_SIZE:
                self._verdicts.popitem(last=False)
        else:
            self._verdicts.move_to_end(key)
        return found

    def _check_policy(
        self, policy: SavePolicy, ref: str, catalog: Catalog, selection: tuple[tuple[str, Any], ...]
    ) -> str:
        """The verdict of version ``ref`` about to be saved; raises ``VerdictRefusedError`` if ``policy`` refuses it.

        The (cached) verdict decides; only a refusal resolves again, to name the blocking rule. A
        policy with ``require_decided`` also refuses a selection that leaves a decision open.
        """
        verdict = self.verdict(catalog, selection)
        if policy.refuses(verdict):
            policy.check(ref, resolve(catalog, dict(selection)))
        policy.check_decided(ref, verdict, policy.open_decisions(catalog, dict(selection)))
        return verdict

    def schema_revision(self) -> str | None:
        """The store's schema revision, read now (one query: the database is reachable when it answers)."""
        from connectplan.db.session import read_schema_revision

        with self.db_engine.connect() as conn:
            return read_schema_revision(conn)

    # -- catalogs ------------------------------------------------------------

    def ensure_builtins(self, builtins: Mapping[str, Callable[[], Catalog]]) -> list[str]:
        """Import the built-in editions (``ref -> loader``) the store lacks; return the refs imported.

        Cheap when nothing is missing: the edition list (read while opening, if it was), no parsing.
        """
        stored = {row.revision_ref for row in self._take_editions()}
        missing = [ref for ref in sorted(builtins) if ref not in stored]
        if not missing:
            return []
        catalogs = [builtins[ref]() for ref in missing]

        def action() -> list[str]:
            imported = []
            with self._write(catalogs=True) as conn:
                for cat in catalogs:
                    _, created = graph_store.save_catalog(conn, cat)
                    if created:
                        imported.append(cat.ref)
            return imported

        imported = self._retry(
            action, lambda: StoreError("could not import the built-in catalogs: the store kept changing")
        )
        for cat in catalogs:
            self.cache.put(cat)
        return imported

    def get_catalog(self, ref: str | CatalogRef | None = None) -> Catalog:
        """The stored catalog edition ``ref`` names (a bare name means its newest edition)."""
        try:
            row = pick_edition(self._take_editions(), ref)
        except NotFoundError:
            # another process may have imported it since the list was read: look once more
            if time.monotonic() - self._editions_read_at < EDITIONS_RECHECK:
                raise
            row = pick_edition(self._take_editions(fresh=True), ref)
        cached = self.cache.get(row.content_hash)
        if cached is not None:
            return cached
        with self.db_engine.connect() as conn:
            return graph_store.load_catalog(conn, row, self.cache)

    def list_catalogs(self) -> list[EditionInfo]:
        """Every stored edition, sorted by name then edition."""
        return [_info(r) for r in self._take_editions()]

    def import_catalog(self, catalog: Catalog) -> tuple[EditionInfo, bool]:
        """Store a catalog edition; ``(info, created)``. Identical content is a no-op; different content is refused."""

        def action() -> tuple[EditionInfo, bool]:
            with self._write(catalogs=True) as conn:
                row, created = graph_store.save_catalog(conn, catalog)
            return _info(row), created

        result = self._retry(action, lambda: StoreError(f"could not import {catalog.ref}: the store kept changing"))
        self.cache.put(catalog)
        return result

    def _edition_by_ref(self, conn: Connection, ref: str | CatalogRef | None) -> EditionRow:
        return pick_edition(graph_store.read_editions(conn), ref)

    # -- reading plans ---------------------------------------------------------

    @contextmanager
    def _read_conn(self) -> Iterator[Connection]:
        with self.db_engine.begin() as conn:
            yield conn

    def _edition_row(self, conn: Connection, edition_id: int) -> EditionRow:
        """The edition row of ``edition_id`` (edition rows are immutable: remembered once read)."""
        row = self._edition_rows.get(edition_id)
        if row is None:
            self._edition_rows = {r.id: r for r in graph_store.read_editions(conn)}
            row = self._edition_rows[edition_id]
        return row

    def _catalog_of(self, conn: Connection, edition_id: int) -> Catalog:
        row = self._edition_row(conn, edition_id)
        return self.cache.get(row.content_hash) or graph_store.load_catalog(conn, row, self.cache)

    def _newest_revisions(self, conn: Connection) -> dict[str, int]:
        """``name@edition`` -> its newest stored revision (one query)."""
        return {row.ref: row.revision for row in graph_store.read_editions(conn)}  # sorted: the last one wins

    def _plan_row(self, conn: Connection, name: str) -> plan_rows.PlanRow:
        plan = plan_rows.find_plan(conn, name)
        if plan is None:
            names = plan_rows.plan_names(conn)
            hint = (
                f"plans: {', '.join(names[:10])}{', ...' if len(names) > 10 else ''}"
                if names
                else "the store has no plans yet"
            )
            raise NotFoundError(
                f"unknown plan {name!r}; {hint}",
                fix="create_plan",
                hint="create one: connectplan plan new NAME --preset P",
                field="plan",
            )
        return plan

    def _resolve(self, conn: Connection, ref: str) -> tuple[plan_rows.PlanRow, plan_rows.VersionRow]:
        parsed = parse_plan_ref(ref)
        name, spec = parsed
        plan = self._plan_row(conn, name)
        latest = plan_rows.latest_version(conn, plan.id)
        if latest is None:  # a plan row always gets version 1 in the same transaction
            raise NotFoundError(f"plan {name!r} has no versions")
        if spec == "latest":
            return plan, latest
        number = parsed.number
        if number is not None:
            version = plan_rows.version_by_number(conn, plan.id, number) if 1 <= number <= latest.number else None
            if version is None:
                raise NotFoundError(f"unknown version {name}@{spec}; {name} has versions 1..{latest.number}")
            return plan, version
        version = plan_rows.find_tag_version(conn, plan.id, spec)
        if version is None:
            tags = sorted(t for names in plan_rows.tags_by_version(conn, plan.id).values() for t in names)
            raise NotFoundError(
                f"unknown version or tag {spec!r} of {name}; versions 1..{latest.number}, "
                f"tags: {', '.join(tags) or 'none'}"
            )
        return plan, version

    def _record_of(self, conn: Connection, plan: plan_rows.PlanRow, version: plan_rows.VersionRow) -> VersionRecord:
        tags = plan_rows.tags_by_version(conn, plan.id).get(version.number, [])
        edition = self._edition_row(conn, version.catalog_edition_id)
        return version.record(plan, edition, tuple(tags), self._newest_revisions(conn).get(edition.ref))

    def version(self, ref: str) -> VersionRecord:
        """The metadata and selection of a plan version, without resolving it."""
        with self._read_conn() as conn:
            plan, version = self._resolve(conn, ref)
            return self._record_of(conn, plan, version)

    def load(self, ref: str) -> tuple[VersionRecord, Resolution]:
        """A plan version by REF and its resolution against the exact edition it was saved with."""
        with self._read_conn() as conn:
            plan, version = self._resolve(conn, ref)
            record = self._record_of(conn, plan, version)
            catalog = self._catalog_of(conn, version.catalog_edition_id)
        return record, resolve(catalog, dict(record.selection))

    def log(self, name: str) -> list[LogEntry]:
        """Every version of plan ``name``, newest first, each with its verdict."""
        if "@" in name:
            raise StoreError(f"plan log takes a plan NAME, not a reference: {name!r}")
        rows: list[tuple[VersionRecord, Catalog]] = []
        with self._read_conn() as conn:
            plan = self._plan_row(conn, check_plan_name(name))
            tags = plan_rows.tags_by_version(conn, plan.id)
            revisions = self._newest_revisions(conn)
            catalogs: dict[int, tuple[EditionRow, Catalog]] = {}
            for version in plan_rows.versions(conn, plan.id, newest_first=True):
                found = catalogs.get(version.catalog_edition_id)
                if found is None:
                    eid = version.catalog_edition_id
                    found = catalogs[eid] = (self._edition_row(conn, eid), self._catalog_of(conn, eid))
                edition, catalog = found
                newest = revisions.get(edition.ref)
                rows.append((version.record(plan, edition, tuple(tags.get(version.number, ())), newest), catalog))
        return [LogEntry(record, self.verdict(cat, record.selection)) for record, cat in rows]

    def list_plans(self, *, stale_only: bool = False) -> list[PlanSummary]:
        """Every plan (or only those pinned to an older edition than the newest stored one of their catalog)."""
        rows: list[tuple[VersionRecord, int, Catalog]] = []
        with self._read_conn() as conn:
            newest: dict[str, str] = {}
            newest_revision: dict[str, int] = {}
            for edition in graph_store.read_editions(conn):
                newest[edition.name] = edition.edition  # sorted ascending: the last one wins
                newest_revision[edition.ref] = edition.revision
            for plan, version, count in plan_rows.list_plans(conn):
                edition = self._edition_row(conn, version.catalog_edition_id)
                record = version.record(plan, edition, (), newest_revision.get(edition.ref))
                rows.append((record, count, self._catalog_of(conn, edition.id)))
        out = []
        for record, count, catalog in rows:
            summary = PlanSummary(
                latest=record,
                versions=count,
                verdict=self.verdict(catalog, record.selection),
                newest_edition=newest.get(record.catalog_name, record.catalog_edition),
            )
            if summary.stale or not stale_only:
                out.append(summary)
        return out

    def diff(self, ref_a: str, ref_b: str) -> ResolutionDiff:
        """Compare two plan versions (of one plan or two)."""
        from connectplan.engine.diff import diff_resolutions

        rec_a, res_a = self.load(ref_a)
        rec_b, res_b = self.load(ref_b)
        return diff_resolutions(res_a, res_b, from_ref=rec_a.ref, to_ref=rec_b.ref)

    # -- writing plans -----------------------------------------------------------

    def new_plan(
        self,
        name: str,
        *,
        catalog_ref: str | CatalogRef | None = None,
        preset: str | None = None,
        assignments: Mapping[str, Any] | None = None,
        options: SaveOptions = DEFAULT_OPTIONS,
    ) -> VersionRecord:
        """Create plan ``name`` with version 1: the preset's selection overridden by ``assignments``.

        ``options`` (:class:`~connectplan.save_policy.SaveOptions`): the message, the author and the
        save policy, which may refuse the version's verdict; so it does for every saving method,
        and then nothing is stored.
        """
        message, author, policy = options.message, options.author, options.policy
        check_plan_name(name)
        message = check_message(message) if message else message
        author = check_author(author or default_author())

        def action() -> VersionRecord:
            with self._read_conn() as conn:
                self._refuse_existing(conn, name)
                edition = self._edition_by_ref(conn, catalog_ref)
                catalog = self._catalog_of(conn, edition.id)
            chosen: Mapping[str, Any] = build_selection(catalog, preset, merge_repeats(catalog, assignments or {}))
            selection = check_selection(catalog, chosen)
            verdict = self._check_policy(policy, f"{name}@1", catalog, selection)
            now = utc_now()
            default = f"new plan from preset {preset}" if preset else "new plan"
            with self._write() as conn:  # two inserts; the plan's unique name guards a race
                plan = plan_rows.insert_plan(conn, name, created_at=now)
                version = plan_rows.insert_version(
                    conn,
                    plan_id=plan.id,
                    number=1,
                    parent=None,
                    message=message or default,
                    author=author or default_author(),
                    created_at=now,
                    edition_id=edition.id,
                    selection=dict(selection),
                )
            return replace(version.record(plan, edition), verdict=verdict)

        return self._retry(
            action, lambda: ConflictError(f"plan {name!r} was created by someone else first; choose another name")
        )

    def _refuse_existing(self, conn: Connection, name: str) -> None:
        found = plan_rows.plan_with_latest(conn, name)
        if found is not None:
            raise ConflictError(
                f"plan {name!r} already exists (latest {name}@{found[1].number})",
                fix="name_taken",
                hint="choose another name, or change it with `connectplan plan set`",
                field="name",
            )

    def set_plan(
        self,
        name: str,
        assignments: Mapping[str, Any],
        *,
        options: SaveOptions,
        base_version: int | None = None,
    ) -> VersionRecord:
        """Save a new version of ``name``: its latest selection with ``assignments`` applied.

        If another save gets in first, the change is re-applied on top of it when that save
        touched other properties; otherwise :class:`~db.errors.ConflictError` names the
        property and the version that got in first (:func:`connectplan.conflicts.find_conflict`).
        ``base_version`` names the version the change was computed from when that was read
        earlier (a form in a browser); the same rule then covers every version saved since.
        Two statements: read the latest version, insert the next one (three with ``base_version``).
        """
        message, author, policy = options.message, options.author, options.policy
        if message is None:
            raise StoreError("say what the new version changes: a message is required", field="message")
        if not assignments:
            raise StoreError(
                "nothing to set", fix="choose_option", hint="pass at least one --set PROPERTY=OPTION", field="set"
            )
        check_plan_name(name)
        message = check_message(message)
        who = check_author(author or default_author())
        base: list[Snapshot] = []  # the version the change was computed from (default: the first attempt's latest)

        def action() -> VersionRecord:
            with self._read_conn() as conn:
                found = plan_rows.plan_with_latest(conn, name)
                if found is None:
                    self._plan_row(conn, name)  # raises: unknown plan, with the known names
                assert found is not None
                plan, latest = found
                if not base and base_version is not None and base_version != latest.number:
                    start = plan_rows.version_by_number(conn, plan.id, base_version)
                    if start is None:
                        raise NotFoundError(
                            f"plan {name!r} has no version {base_version} (latest {name}@{latest.number})"
                        )
                    base.append(Snapshot(start.number, start.catalog_edition_id, start.selection))
                if not base:
                    base.append(Snapshot(latest.number, latest.catalog_edition_id, latest.selection))
                if latest.number != base[0].number:
                    later = [
                        Snapshot(v.number, v.catalog_edition_id, v.selection)
                        for v in plan_rows.versions(conn, plan.id)
                        if v.number > base[0].number
                    ]
                    conflict = find_conflict(
                        plan.name,
                        base[0],
                        later,
                        assignments,
                        edition_ref=lambda eid: self._edition_row(conn, eid).ref,
                    )
                    if conflict is not None:
                        raise ConflictError(str(conflict))
                catalog = self._catalog_of(conn, latest.catalog_edition_id)
                edition = self._edition_row(conn, latest.catalog_edition_id)
            ordered = check_selection(catalog, {**latest.selection, **merge_repeats(catalog, assignments)})
            selection = dict(ordered)
            previous = check_selection(catalog, latest.selection)
            if selection == dict(previous):
                changes = Selection.parse(assignments, catalog).format(catalog)
                raise StoreError(f"nothing changed: {name}@{latest.number} already has {changes}")
            verdict = self._check_policy(policy, f"{name}@{latest.number + 1}", catalog, ordered)
            parent_verdict = self.verdict(catalog, previous)
            with self._write() as conn:  # one insert; the unique (plan, number) guards a race
                version = plan_rows.insert_version(
                    conn,
                    plan_id=plan.id,
                    number=latest.number + 1,
                    parent=latest.number,
                    message=message,
                    author=who,
                    created_at=utc_now(),
                    edition_id=latest.catalog_edition_id,
                    selection=selection,
                )
            return replace(version.record(plan, edition), verdict=verdict, parent_verdict=parent_verdict)

        return self._retry(
            action,
            lambda: ConflictError(
                f"could not save a new version of {name}: {MAX_SAVE_ATTEMPTS} other saves got in first; try again"
            ),
        )

    def save_version(
        self,
        name: str,
        *,
        base: int,
        catalog_ref: str | CatalogRef,
        selection: Mapping[str, Any],
        options: SaveOptions,
    ) -> VersionRecord:
        """Save version ``base + 1`` of ``name`` with a complete ``selection`` against edition ``catalog_ref``.

        For changes computed from version ``base`` as a whole (e.g. moving a plan to a new
        catalog edition): if ``base`` is no longer the latest version, nothing is saved and
        :class:`~db.errors.ConflictError` names the version that got in first.
        """
        message = check_message(options.message or "")
        author = check_author(options.author or default_author())
        policy = options.policy
        check_plan_name(name)

        def conflict(latest: int | None = None) -> ConflictError:
            who = f"{name}@{latest}" if latest else f"{name}@{base + 1}"
            return ConflictError(
                f"conflict: {who} was saved after {name}@{base}, which this change was computed from; re-run it"
            )

        def action() -> VersionRecord:
            with self._read_conn() as conn:
                found = plan_rows.plan_with_latest(conn, name)
                if found is None:
                    self._plan_row(conn, name)  # raises: unknown plan
                assert found is not None
                plan, latest = found
                if latest.number != base:
                    raise conflict(latest.number)
                edition = self._edition_by_ref(conn, catalog_ref)
                catalog = self._catalog_of(conn, edition.id)
                parent_catalog = self._catalog_of(conn, latest.catalog_edition_id)
            ordered = check_selection(catalog, selection)
            verdict = self._check_policy(policy, f"{name}@{base + 1}", catalog, ordered)
            parent_verdict = self.verdict(parent_catalog, selection_pairs(latest.selection))
            with self._write() as conn:  # one insert; the unique (plan, number) refuses a version saved since
                version = plan_rows.insert_version(
                    conn,
                    plan_id=plan.id,
                    number=base + 1,
                    parent=base,
                    message=message,
                    author=author or default_author(),
                    created_at=utc_now(),
                    edition_id=edition.id,
                    selection=dict(ordered),
                )
            return replace(version.record(plan, edition), verdict=verdict, parent_verdict=parent_verdict)

        from sqlalchemy.exc import IntegrityError

        try:
            return action()
        except IntegrityError:
            raise conflict() from None

    def tag(self, ref: str, tag: str, *, force: bool = False) -> VersionRecord:
        """Name the version ``ref`` points at ``tag``; moving an existing tag needs ``force``."""
        check_tag_name(tag)

        def action() -> VersionRecord:
            with self._write() as conn:
                plan, version = self._resolve(conn, ref)
                other = plan_rows.find_tag_version(conn, plan.id, tag)
                if other is not None and other.id != version.id and not force:
                    raise ConflictError(
                        f"tag {tag!r} already names {plan.name}@{other.number}",
                        fix="move_tag",
                        hint="pass --force to move it",
                        field="force",
                    )
                plan_rows.set_tag(conn, plan.id, tag, version.id)
                return self._record_of(conn, plan, version)

        return self._retry(action, lambda: ConflictError(f"tag {tag!r} was set by someone else first; try again"))

    def fork(
        self,
        ref: str,
        new_name: str,
        *,
        options: SaveOptions = DEFAULT_OPTIONS,
    ) -> VersionRecord:
        """Start plan ``new_name`` from the version ``ref`` points at (same selection and edition as its version 1)."""
        check_plan_name(new_name)
        message, author, policy = options.message, options.author, options.policy
        message = check_message(message) if message else message
        author = check_author(author or default_author())

        def action() -> VersionRecord:
            with self._read_conn() as conn:
                plan, source = self._resolve(conn, ref)
                self._refuse_existing(conn, new_name)
                catalog = self._catalog_of(conn, source.catalog_edition_id)
                edition = self._edition_row(conn, source.catalog_edition_id)
            verdict = self._check_policy(policy, f"{new_name}@1", catalog, selection_pairs(source.selection))
            now = utc_now()
            origin = f"{plan.name}@{source.number}"
            with self._write() as conn:  # two inserts; the plan's unique name guards a race
                new_plan = plan_rows.insert_plan(conn, new_name, created_at=now, forked_from=origin)
                version = plan_rows.insert_version(
                    conn,
                    plan_id=new_plan.id,
                    number=1,
                    parent=None,
                    message=message or f"forked from {origin}",
                    author=author or default_author(),
                    created_at=now,
                    edition_id=source.catalog_edition_id,
                    selection=source.selection,
                )
            return replace(version.record(new_plan, edition), verdict=verdict)

        return self._retry(
            action, lambda: ConflictError(f"plan {new_name!r} was created by someone else first; choose another name")
        )

    # -- export / import -----------------------------------------------------------

    def export_plan(self, ref: str) -> PlanExport:
        """A self-contained record of plan history up to the version ``ref`` points at (``NAME``: all of it)."""
        with self._read_conn() as conn:
            plan, upto = self._resolve(conn, ref)
            tags = plan_rows.tags_by_version(conn, plan.id)
            versions = [
                ExportedVersion.of(v, self._edition_row(conn, v.catalog_edition_id), tags.get(v.number, []))
                for v in plan_rows.versions(conn, plan.id)
                if v.number <= upto.number
            ]
            return PlanExport(plan.name, plan.created_at, plan.forked_from, tuple(versions))

    def import_plan(
        self,
        export: PlanExport,
        *,
        as_name: str | None = None,
        source: str = "export",
        options: SaveOptions = DEFAULT_OPTIONS,
    ) -> VersionRecord:
        """Recreate an exported plan's history (under ``as_name`` if given); return its latest version.

        Refused, with nothing stored, when the name is taken, a version's catalog edition
        is not in this store with the same content hash, or ``policy`` refuses any version's verdict.
        """
        name = check_plan_name(as_name or export.name)
        check_export_limits(export, source)
        policy = options.policy

        def action() -> VersionRecord:
            with self._read_conn() as conn:
                self._refuse_existing(conn, name)
                stored = graph_store.read_editions(conn)
                editions = [matching_edition(stored, v.catalog, source) for v in export.versions]
                catalogs = [self._catalog_of(conn, e.id) for e in editions]
            verdict = None
            selections = []
            for v, catalog in zip(export.versions, catalogs, strict=True):
                try:
                    selection = check_selection(catalog, dict(v.selection))
                except EngineError as exc:
                    raise StoreError(f"{source}: version {v.version}: {exc}") from None
                verdict = self._check_policy(policy, f"{name}@{v.version}", catalog, selection)
                selections.append(selection)
            with self._write() as conn:  # inserts only; the plan's unique name guards a race
                plan = plan_rows.insert_plan(conn, name, created_at=export.created_at, forked_from=export.forked_from)
                rows = []
                for v, edition, selection in zip(export.versions, editions, selections, strict=True):
                    rows.append(
                        plan_rows.insert_version(
                            conn,
                            plan_id=plan.id,
                            number=v.version,
                            parent=v.parent,
                            message=v.message,
                            author=v.author,
                            created_at=v.created_at,
                            edition_id=edition.id,
                            selection=dict(selection),
                        )
                    )
                # a tag names one version (a later one wins); a new plan has none yet: one insert each
                tagged = {tag: rows[i] for i, v in enumerate(export.versions) for tag in v.tags}
                for tag, row in tagged.items():
                    plan_rows.insert_tag(conn, plan.id, tag, row.id)
            last = rows[-1]
            newest = {row.ref: row.revision for row in stored}  # sorted: the last one wins
            tags = tuple(tag for tag, row in tagged.items() if row is last)
            return replace(last.record(plan, editions[-1], tags, newest.get(editions[-1].ref)), verdict=verdict)

        return self._retry(
            action,
            lambda: ConflictError(
                f"plan {name!r} was created by someone else first", fix="name_taken", hint="use --as NAME", field="as"
            ),
        )
