"""The save paths of the plan service: new, set, upgrade (``save_version``), tag, fork and import.

Each save reads what it needs, resolves the selection and applies the save policy
(:class:`~connectplan.save_policy.SavePolicy`) first; only then does it begin one short write
transaction holding the insert(s) the database's unique keys guard, so a refused save stores
nothing and never holds the write lock (``tests/test_save_transaction.py`` audits it). A save
that lost a race reads and checks again (:data:`MAX_SAVE_ATTEMPTS` times at most).

:class:`PlanSaves` is a mixin of :class:`connectplan.store.Store`, which provides the
connections, the remembered editions and verdicts and the plan lookups it uses (declared below
for the type checker); ``Store`` maps every error of these methods as it does its own.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from connectplan.conflicts import Snapshot, find_conflict
from connectplan.db import graph_store, plan_rows
from connectplan.db.errors import ConflictError, NotFoundError, StoreError
from connectplan.db.records import EditionRow, VersionRecord, selection_pairs, utc_now
from connectplan.engine import (
    Catalog,
    CatalogRef,
    EngineError,
    Selection,
    build_selection,
    check_selection,
    resolve,
)
from connectplan.exchange import PlanExport, check_export_limits, matching_edition
from connectplan.refs import check_author, check_message, check_plan_name, check_tag_name, merge_repeats
from connectplan.save_policy import SaveOptions, SavePolicy

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from contextlib import AbstractContextManager

    from sqlalchemy.engine import Connection

__all__ = ["DEFAULT_OPTIONS", "MAX_SAVE_ATTEMPTS", "PlanSaves", "default_author"]

#: how often a save that lost a race re-reads and re-applies before giving up
MAX_SAVE_ATTEMPTS = 50

T = TypeVar("T")


def default_author() -> str:
    """``$USER`` (or ``$USERNAME``), else ``unknown``."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


#: the options of a save that names none: default message and author, blocked designs refused, no ``fail_on``
DEFAULT_OPTIONS = SaveOptions()


class PlanSaves:
    """Saving plan versions and tags; mixed into :class:`connectplan.store.Store`."""

    if TYPE_CHECKING:  # what the store provides (connectplan/store.py)

        def _read_conn(self) -> AbstractContextManager[Connection]: ...
        def _write(self, *, catalogs: bool = False) -> AbstractContextManager[Connection]: ...
        def _retry(self, action: Callable[[], T], on_conflict: Callable[[], StoreError]) -> T: ...
        def verdict(self, catalog: Catalog, selection: tuple[tuple[str, Any], ...]) -> str: ...
        def _edition_by_ref(self, conn: Connection, ref: str | CatalogRef | None) -> EditionRow: ...
        def _edition_row(self, conn: Connection, edition_id: int) -> EditionRow: ...
        def _catalog_of(self, conn: Connection, edition_id: int) -> Catalog: ...
        def _plan_row(self, conn: Connection, name: str) -> plan_rows.PlanRow: ...
        def _resolve(self, conn: Connection, ref: str) -> tuple[plan_rows.PlanRow, plan_rows.VersionRow]: ...
        def _record_of(
            self, conn: Connection, plan: plan_rows.PlanRow, version: plan_rows.VersionRow
        ) -> VersionRecord: ...

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
