"""Application services over the store: catalogs and versioned plans in SQLite or PostgreSQL.

Open a store with :func:`open_store` (it checks the schema with one query, creates and
migrates a brand-new SQLite file, and imports the built-in catalog editions on first use),
then call one :class:`Store` method per user action. Nothing here prints.

The functions other modules need most:

``open_store(url=None) -> Store``
    ``url`` defaults to ``$CONNECTPLAN_DATABASE_URL`` or ``sqlite:///connectplan.db``.
``Store.load(ref) -> (VersionRecord, Resolution)``
    A plan version by REF (``NAME``, ``NAME@N``, ``NAME@latest``, ``NAME@TAG``) and its
    resolution against the exact catalog edition it was saved with.
``Store.get_catalog(ref=None) -> Catalog``
    A stored catalog edition (``NAME`` or ``NAME@EDITION``; default the newest stripe-connect).
``load_plan(ref, url=None)``
    ``open_store(url).load(ref)`` in one call.

Every method raises :class:`db.errors.StoreError` (or ``engine.EngineError`` for a bad
selection) for bad input, and then nothing has been stored.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from db import graph_store
from db.errors import ConflictError, EditionConflictError, NotFoundError, SchemaError, StoreError
from db.records import EditionRow, VersionRecord, format_time, parse_time, utc_now
from db.session import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    database_url,
    enable_wal,
    make_engine,
    make_session_factory,
    read_schema_revision,
    write_engine,
)
from engine import Catalog, EngineError, Resolution, check_selection, resolve

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from types import ModuleType

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from db import models
    from engine.diff import ResolutionDiff

__all__ = [
    "EXPORT_FORMAT_VERSION",
    "EditionInfo",
    "PlanSummary",
    "Store",
    "VersionRecord",
    "default_author",
    "load_plan",
    "open_store",
    "read_export_file",
    "schema_status",
    "upgrade_store",
]

DEFAULT_CATALOG = "stripe-connect"
EXPORT_FORMAT_VERSION = 1
EXPORT_KIND = "connectplan-plan"
#: how often a save that lost a race re-reads and re-applies before giving up
MAX_SAVE_ATTEMPTS = 50

_PLAN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_TAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,99}$")
_MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

T = TypeVar("T")


def _lazy_module(name: str) -> ModuleType:
    """Import ``name`` on first attribute access (stdlib ``importlib.util.LazyLoader``).

    The ORM models and repository are needed only by plan commands and writes; reading a
    catalog (every ``resolve``) goes through :mod:`db.graph_store` and skips them.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


repo = _lazy_module("db.repository")


def default_author() -> str:
    """``$USER`` (or ``$USERNAME``), else ``unknown``."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


@dataclass(frozen=True)
class EditionInfo:
    """A stored catalog edition, for ``catalog list``."""

    name: str
    edition: str
    title: str
    content_hash: str
    imported_at: str

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.edition}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "edition": self.edition,
            "title": self.title,
            "content_hash": self.content_hash,
            "imported_at": self.imported_at,
        }


@dataclass(frozen=True)
class PlanSummary:
    """One line of ``plan list``: a plan, its latest version and whether a newer catalog edition exists."""

    latest: VersionRecord
    versions: int
    verdict: str
    newest_edition: str

    @property
    def name(self) -> str:
        return self.latest.plan

    @property
    def stale(self) -> bool:
        return self.newest_edition != self.latest.catalog_edition

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latest": self.latest.version,
            "versions": self.versions,
            "catalog": {"name": self.latest.catalog_name, "edition": self.latest.catalog_edition},
            "verdict": self.verdict,
            "updated_at": self.latest.created_at,
            "stale": self.stale,
            "newest_edition": self.newest_edition,
        }


# ---------------------------------------------------------------------------
# Opening, checking and upgrading a store


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the caller; show it as given
        return url


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for in-memory or non-SQLite URLs)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _check_sqlite_file(url: str, path: Path) -> bool:
    """Refuse a missing directory or a file that is not SQLite (without touching it); True if the file is new."""
    if not path.parent.is_dir():
        raise SchemaError(
            f"cannot open store {_display_url(url)}: directory {path.parent} does not exist; create it or pass another --db"
        )
    if path.is_dir():
        raise SchemaError(f"cannot open store {_display_url(url)}: {path} is a directory; pass a database file")
    if not path.exists() or path.stat().st_size == 0:
        return True
    try:
        with path.open("rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise SchemaError(f"cannot read store {path}: {exc.strerror or exc}") from None
    if header != b"SQLite format 3\x00":
        raise SchemaError(f"{path} is not a SQLite database (not a connectplan store); pass another --db")
    return False


def _connect_error(url: str, exc: Exception) -> SchemaError:
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return SchemaError(f"cannot use store {_display_url(url)}: {first} (check --db or $CONNECTPLAN_DATABASE_URL)")


def _make_engine(url: str) -> Engine:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        return make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise SchemaError(f"cannot use database URL {_display_url(url)!r}: {exc}") from None


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    cfg.attributes["configure_logger"] = False
    return cfg


def _migrate(db_engine: Engine, revision: str = "head") -> None:
    from alembic import command

    enable_wal(db_engine)
    with db_engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def _revision_or_error(url: str, db_engine: Engine) -> str | None:
    from sqlalchemy.exc import DBAPIError

    try:
        with db_engine.connect() as conn:
            return read_schema_revision(conn)
    except DBAPIError as exc:
        raise _connect_error(url, exc) from None


def _has_tables(db_engine: Engine) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(db_engine).get_table_names())


def schema_status(url: str | None = None) -> tuple[str, str | None, str]:
    """``(state, revision, message)`` of a store without changing anything.

    ``state`` is ``current``, ``behind``, ``ahead``, ``empty`` (no schema yet) or ``missing``
    (no SQLite file). Used by ``connectplan db current``.
    """
    url = url or database_url()
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        return "missing", None, f"no store at {path} yet (it is created on first use, or by `connectplan db upgrade`)"
    if path is not None and _check_sqlite_file(url, path):
        return "empty", None, "no connectplan schema yet; run `connectplan db upgrade`"
    db_engine = _make_engine(url)
    try:
        rev = _revision_or_error(url, db_engine)
    finally:
        db_engine.dispose()
    if rev is None:
        return "empty", None, "no connectplan schema yet; run `connectplan db upgrade`"
    if rev == HEAD_REVISION:
        return "current", rev, f"{rev} (head)"
    if rev in KNOWN_REVISIONS:
        return "behind", rev, f"{rev} (behind head {HEAD_REVISION}; run `connectplan db upgrade`)"
    return "ahead", rev, f"{rev} (unknown to this connectplan, whose head is {HEAD_REVISION}; upgrade connectplan)"


def _schema_problem(url: str, rev: str) -> SchemaError:
    where = _display_url(url)
    if rev in KNOWN_REVISIONS:
        return SchemaError(
            f"store {where} has schema revision {rev}, behind this connectplan ({HEAD_REVISION}); "
            "run `connectplan db upgrade` (nothing was changed)"
        )
    return SchemaError(
        f"store {where} has schema revision {rev}, newer than this connectplan knows ({HEAD_REVISION}); "
        "upgrade connectplan or use another --db (nothing was changed)"
    )


def upgrade_store(url: str | None = None) -> tuple[str | None, str]:
    """Create or upgrade the schema to head and import the built-in catalogs; return ``(before, after)`` revisions.

    A store whose revision this code does not know (written by a newer connectplan) is refused.
    """
    url = url or database_url()
    path = _sqlite_path(url)
    if path is not None:
        _check_sqlite_file(url, path)
    db_engine = _make_engine(url)
    try:
        before = _revision_or_error(url, db_engine)
        if before is not None and before not in KNOWN_REVISIONS:
            raise _schema_problem(url, before)
        if before is None and path is not None and _has_tables(db_engine):
            raise SchemaError(f"{path} is a SQLite database but not a connectplan store; pass another --db")
        if before != HEAD_REVISION:
            _migrate(db_engine)
        store = Store(url, db_engine)
        store.ensure_builtins()
    finally:
        db_engine.dispose()
    return before, HEAD_REVISION


def open_store(url: str | None = None) -> Store:
    """Open the store at ``url`` (default :func:`db.session.database_url`), ready to use.

    A SQLite file that does not exist yet is created and migrated; any other store must be at
    the code's schema head, else :class:`~db.errors.SchemaError` says what to run (and nothing
    is changed). Built-in catalog editions missing from the store are imported.
    """
    url = url or database_url()
    path = _sqlite_path(url)
    new = _check_sqlite_file(url, path) if path is not None else False
    db_engine = _make_engine(url)
    memory = path is None and db_engine.dialect.name == "sqlite"
    if new or memory:
        from sqlalchemy.exc import DBAPIError

        try:
            _migrate(db_engine)
        except DBAPIError as exc:
            raise _connect_error(url, exc) from None
    editions: list[EditionRow] | None = None
    if not (new or memory):
        from sqlalchemy.exc import DBAPIError

        try:
            with db_engine.connect() as conn:  # one connection: the schema check and the edition list
                rev = read_schema_revision(conn)
                if rev == HEAD_REVISION:
                    editions = graph_store.read_editions(conn)
        except DBAPIError as exc:
            raise _connect_error(url, exc) from None
        if rev is None:
            if path is not None and _has_tables(db_engine):
                raise SchemaError(f"{path} is a SQLite database but not a connectplan store; pass another --db")
            raise SchemaError(
                f"store {_display_url(url)} has no connectplan schema yet; run `connectplan db upgrade` first"
            )
        if rev != HEAD_REVISION:
            raise _schema_problem(url, rev)
    store = Store(url, db_engine)
    store.ensure_builtins(editions)
    return store


def load_plan(ref: str, url: str | None = None) -> tuple[VersionRecord, Resolution]:
    """A plan version by REF and its resolution (``open_store(url).load(ref)``)."""
    return open_store(url).load(ref)


#: Largest ``plan export`` file ``plan import`` reads.
MAX_EXPORT_BYTES = 32 << 20


def read_export_file(path: str | Path) -> dict[str, Any]:
    """Read a ``plan export`` file as a JSON object (the structure is checked by :meth:`Store.import_plan`).

    Only a regular file up to :data:`MAX_EXPORT_BYTES`, nested at most ``MAX_DEPTH`` deep, is read.
    """
    from connectplan.infile import MAX_DEPTH, InputFileError, check_nesting, read_text_file

    try:
        text = read_text_file(path, limit=MAX_EXPORT_BYTES, what="export file")
    except InputFileError as exc:
        raise StoreError(str(exc)) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"malformed export file {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise StoreError(f"malformed export file {path}: nested deeper than {MAX_DEPTH} levels") from None
    try:
        check_nesting(doc, source=str(path), max_values=None)
    except InputFileError as exc:
        raise StoreError(f"malformed export file {path}: {exc.reason}") from None
    if not isinstance(doc, dict):
        raise StoreError(f"malformed export file {path}: expected a JSON object")
    return doc


# ---------------------------------------------------------------------------
# The store


def _split_catalog_ref(ref: str | None) -> tuple[str, str | None]:
    ref = ref or DEFAULT_CATALOG
    name, _, edition = ref.partition("@")
    if not name or ref.count("@") > 1 or ("@" in ref and not edition):
        raise StoreError(f"malformed catalog reference {ref!r}; use NAME or NAME@EDITION, e.g. stripe-connect@2025")
    return name, edition or None


def _pick_edition(editions: Sequence[EditionRow], ref: str | None) -> EditionRow:
    """The edition ``ref`` names among ``editions`` (sorted; a bare name means its newest edition)."""
    name, edition = _split_catalog_ref(ref)
    rows = [r for r in editions if r.name == name]
    if not rows:
        known = sorted(r.ref for r in editions)
        raise NotFoundError(
            f"unknown catalog {name!r}; the store has {', '.join(known) or 'none'} (add one: connectplan catalog import FILE)"
        )
    if edition is None:
        return rows[-1]
    for row in rows:
        if row.edition == edition:
            return row
    raise NotFoundError(f"unknown edition {edition!r} of {name}; editions: {', '.join(r.edition for r in rows)}")


def _check_plan_name(name: str) -> str:
    if not _PLAN_NAME.match(name):
        raise StoreError(
            f"invalid plan name {name!r}; use letters, digits, '.', '_' or '-' (up to 100, starting with a letter or digit)"
        )
    return name


def _check_tag_name(tag: str) -> str:
    if not _TAG_NAME.match(tag) or tag == "latest":
        raise StoreError(
            f"invalid tag {tag!r}; a tag starts with a letter, uses letters, digits, '.', '_' or '-', and is not 'latest'"
        )
    return tag


def _split_plan_ref(ref: str) -> tuple[str, str]:
    name, sep, spec = ref.partition("@")
    if not name or (sep and not spec) or "@" in spec:
        raise StoreError(f"malformed plan reference {ref!r}; use NAME, NAME@N, NAME@latest or NAME@TAG")
    return _check_plan_name(name), spec or "latest"


class Store:
    """An open store. Methods are the app's plan and catalog actions; each runs in its own transaction."""

    def __init__(self, url: str, db_engine: Engine) -> None:
        self.url = url
        self.db_engine = db_engine
        self._read_factory = make_session_factory(db_engine)
        self._write_factory = make_session_factory(write_engine(db_engine))
        #: the edition list read while opening, used once by the first catalog lookup
        self._editions: list[EditionRow] | None = None

    def __repr__(self) -> str:
        return f"<Store {_display_url(self.url)}>"

    def close(self) -> None:
        """Release the engine's connections."""
        self.db_engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._read_factory.begin() as session:
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        self._editions = None
        with self._write_factory.begin() as session:
            yield session

    def _take_editions(self) -> list[EditionRow]:
        editions, self._editions = self._editions, None
        if editions is None:
            with self.db_engine.connect() as conn:
                editions = graph_store.read_editions(conn)
        return editions

    def _retry(self, action: Callable[[], T], on_conflict: Callable[[], StoreError]) -> T:
        """Run ``action`` (one write transaction) again when it loses a race on a unique key."""
        from sqlalchemy.exc import IntegrityError

        for _ in range(MAX_SAVE_ATTEMPTS):
            try:
                return action()
            except IntegrityError:
                continue
        raise on_conflict()

    # -- catalogs ------------------------------------------------------------

    def ensure_builtins(self, editions: Sequence[EditionRow] | None = None) -> list[str]:
        """Import the built-in catalog editions the store lacks; return the refs imported (usually none).

        Cheap when nothing is missing: a directory listing and the edition list (``editions``
        if the caller has just read it), no YAML parsing.
        """
        from connectplan.catalog_files import builtin_catalog_files

        if editions is None:
            editions = self._take_editions()
        files = {p.stem: p for p in builtin_catalog_files()}
        stored = {row.ref for row in editions}
        missing = [files[ref] for ref in sorted(files) if ref not in stored]
        if not missing:
            self._editions = list(editions)
            return []
        from connectplan.catalog_files import load_builtin

        catalogs = [load_builtin(p.name) for p in missing]

        def action() -> list[str]:
            imported = []
            with self._write() as session:
                for cat in catalogs:
                    _, created = repo.save_catalog(session, cat)
                    if created:
                        imported.append(cat.ref)
            return imported

        return self._retry(
            action, lambda: StoreError("could not import the built-in catalogs: the store kept changing")
        )

    def get_catalog(self, ref: str | None = None) -> Catalog:
        """The stored catalog edition ``ref`` names (a bare name means its newest edition)."""
        row = _pick_edition(self._take_editions(), ref)
        with self.db_engine.connect() as conn:
            return graph_store.load_catalog(conn, row)

    def list_catalogs(self) -> list[EditionInfo]:
        """Every stored edition, sorted by name then edition."""
        return [
            EditionInfo(r.name, r.edition, r.title, r.content_hash, format_time(r.imported_at))
            for r in self._take_editions()
        ]

    def import_catalog(self, catalog: Catalog) -> tuple[EditionInfo, bool]:
        """Store a catalog edition; ``(info, created)``. Identical content is a no-op; different content is refused."""

        def action() -> tuple[EditionInfo, bool]:
            with self._write() as session:
                row, created = repo.save_catalog(session, catalog)
                info = EditionInfo(row.name, row.edition, row.title, row.content_hash, format_time(row.imported_at))
            return info, created

        return self._retry(action, lambda: StoreError(f"could not import {catalog.ref}: the store kept changing"))

    def _edition(self, session: Session, ref: str | None) -> models.CatalogEdition:
        """The ORM row of the edition ``ref`` names, inside a write transaction."""
        from db import models

        row = _pick_edition(graph_store.read_editions(session.connection()), ref)
        edition = session.get(models.CatalogEdition, row.id)
        assert edition is not None
        return edition

    # -- reading plans ---------------------------------------------------------

    def _plan(self, session: Session, name: str) -> models.Plan:
        plan = repo.get_plan(session, name)
        if plan is None:
            names = [p.name for p, _, _ in repo.list_plans(session)]
            hint = (
                f"plans: {', '.join(names[:10])}{', ...' if len(names) > 10 else ''}"
                if names
                else "the store has no plans yet"
            )
            raise NotFoundError(f"unknown plan {name!r}; {hint} (create one: connectplan plan new NAME --preset P)")
        return plan

    def _resolve_ref(self, session: Session, ref: str) -> tuple[models.Plan, models.PlanVersion]:
        name, spec = _split_plan_ref(ref)
        plan = self._plan(session, name)
        latest = repo.latest_version(session, plan)
        if latest is None:  # a plan row always gets version 1 in the same transaction
            raise NotFoundError(f"plan {name!r} has no versions")
        if spec == "latest":
            return plan, latest
        if spec.isdigit():
            version = repo.get_version(session, plan, int(spec))
            if version is None:
                raise NotFoundError(f"unknown version {name}@{spec}; {name} has versions 1..{latest.number}")
            return plan, version
        tag = repo.find_tag(session, plan, spec)
        if tag is None:
            tags = sorted(t for names in repo.tags_by_version(session, plan).values() for t in names)
            raise NotFoundError(
                f"unknown version or tag {spec!r} of {name}; versions 1..{latest.number}, tags: {', '.join(tags) or 'none'}"
            )
        from db import models

        return plan, session.get(models.PlanVersion, tag.version_id)  # type: ignore[return-value]

    def _record(self, session: Session, plan: models.Plan, version: models.PlanVersion) -> VersionRecord:
        tags = repo.tags_by_version(session, plan).get(version.number, [])
        return repo.version_record(plan, version, tags)

    def version(self, ref: str) -> VersionRecord:
        """The metadata and selection of a plan version, without resolving it."""
        with self._read() as session:
            plan, version = self._resolve_ref(session, ref)
            return self._record(session, plan, version)

    def load(self, ref: str) -> tuple[VersionRecord, Resolution]:
        """A plan version by REF and its resolution against the exact edition it was saved with."""
        with self._read() as session:
            plan, version = self._resolve_ref(session, ref)
            record = self._record(session, plan, version)
            catalog = repo.load_catalog(session, version.catalog_edition)
        return record, resolve(catalog, dict(record.selection))

    def log(self, name: str) -> list[tuple[VersionRecord, Resolution]]:
        """Every version of plan ``name``, newest first, each with its resolution."""
        if "@" in name:
            raise StoreError(f"plan log takes a plan NAME, not a reference: {name!r}")
        out: list[tuple[VersionRecord, Catalog]] = []
        with self._read() as session:
            plan = self._plan(session, _check_plan_name(name))
            tags = repo.tags_by_version(session, plan)
            for version in repo.plan_versions(session, plan, newest_first=True):
                record = repo.version_record(plan, version, tags.get(version.number, []))
                out.append((record, repo.load_catalog(session, version.catalog_edition)))
        return [(record, resolve(cat, dict(record.selection))) for record, cat in out]

    def list_plans(self, *, stale_only: bool = False) -> list[PlanSummary]:
        """Every plan (or only those pinned to an older edition than the newest stored one of their catalog)."""
        rows: list[tuple[VersionRecord, int, Catalog]] = []
        with self._read() as session:
            newest: dict[str, str] = {}
            for edition in graph_store.read_editions(session.connection()):
                newest[edition.name] = edition.edition  # sorted ascending: the last one wins
            for plan, version, count in repo.list_plans(session):
                rows.append(
                    (repo.version_record(plan, version), count, repo.load_catalog(session, version.catalog_edition))
                )
        out = []
        for record, count, catalog in rows:
            summary = PlanSummary(
                latest=record,
                versions=count,
                verdict=resolve(catalog, dict(record.selection)).verdict,
                newest_edition=newest.get(record.catalog_name, record.catalog_edition),
            )
            if summary.stale or not stale_only:
                out.append(summary)
        return out

    def diff(self, ref_a: str, ref_b: str) -> ResolutionDiff:
        """Compare two plan versions (of one plan or two)."""
        from engine.diff import diff_resolutions

        rec_a, res_a = self.load(ref_a)
        rec_b, res_b = self.load(ref_b)
        return diff_resolutions(res_a, res_b, from_ref=rec_a.ref, to_ref=rec_b.ref)

    # -- writing plans -----------------------------------------------------------

    def new_plan(
        self,
        name: str,
        *,
        catalog_ref: str | None = None,
        preset: str | None = None,
        assignments: Mapping[str, str] | None = None,
        message: str | None = None,
        author: str | None = None,
    ) -> VersionRecord:
        """Create plan ``name`` with version 1: the preset's selection overridden by ``assignments``."""
        from connectplan.app import build_selection

        _check_plan_name(name)

        def action() -> VersionRecord:
            with self._write() as session:
                self._refuse_existing(session, name)
                edition = self._edition(session, catalog_ref)
                catalog = repo.load_catalog(session, edition)
                selection = check_selection(catalog, build_selection(catalog, preset, assignments or {}))
                now = utc_now()
                plan = repo.add_plan(session, name, now=now)
                default = f"new plan from preset {preset}" if preset else "new plan"
                version = repo.add_version(
                    session,
                    plan,
                    number=1,
                    parent=None,
                    message=message or default,
                    author=author or default_author(),
                    created_at=now,
                    edition=edition,
                    selection=dict(selection),
                )
                return repo.version_record(plan, version)

        return self._retry(
            action, lambda: ConflictError(f"plan {name!r} was created by someone else first; choose another name")
        )

    def _refuse_existing(self, session: Session, name: str) -> None:
        existing = repo.get_plan(session, name)
        if existing is not None:
            latest = repo.latest_version(session, existing)
            raise ConflictError(
                f"plan {name!r} already exists (latest {name}@{latest.number if latest else 0}); "
                "choose another name, or change it with `connectplan plan set`"
            )

    def set_plan(
        self, name: str, assignments: Mapping[str, str], *, message: str, author: str | None = None
    ) -> VersionRecord:
        """Save a new version of ``name``: its latest selection with ``assignments`` applied.

        If another save gets in first, the change is re-applied on top of it when that save
        touched other properties; otherwise :class:`~db.errors.ConflictError` names the
        property and the version that got in first.
        """
        if not assignments:
            raise StoreError("nothing to set; pass at least one --set PROPERTY=OPTION")
        _check_plan_name(name)
        base: list[tuple[int, int, dict[str, str]]] = []  # (number, edition id, selection) read by the first attempt

        def action() -> VersionRecord:
            with self._write() as session:
                plan = self._plan(session, name)
                latest = repo.latest_version(session, plan)
                assert latest is not None
                if not base:
                    base.append((latest.number, latest.catalog_edition_id, dict(latest.selection)))
                elif latest.number != base[0][0]:
                    self._check_overlap(session, plan, base[0], set(assignments))
                catalog = repo.load_catalog(session, latest.catalog_edition)
                selection = dict(check_selection(catalog, {**latest.selection, **assignments}))
                if selection == latest.selection:
                    changes = ", ".join(f"{p}={o}" for p, o in assignments.items())
                    raise StoreError(f"nothing changed: {name}@{latest.number} already has {changes}")
                version = repo.add_version(
                    session,
                    plan,
                    number=latest.number + 1,
                    parent=latest.number,
                    message=message,
                    author=author or default_author(),
                    created_at=utc_now(),
                    edition=latest.catalog_edition,
                    selection=selection,
                )
                return repo.version_record(plan, version)

        return self._retry(
            action,
            lambda: ConflictError(
                f"could not save a new version of {name}: {MAX_SAVE_ATTEMPTS} other saves got in first; try again"
            ),
        )

    def _check_overlap(
        self, session: Session, plan: models.Plan, base: tuple[int, int, dict[str, str]], touched: set[str]
    ) -> None:
        number, edition_id, before = base
        for version in repo.plan_versions(session, plan):
            if version.number <= number:
                continue
            if version.catalog_edition_id != edition_id:
                raise ConflictError(
                    f"conflict: {plan.name}@{version.number} moved the plan to catalog "
                    f"{version.catalog_edition.name}@{version.catalog_edition.edition} first; your change was not saved. "
                    f"Re-run it against {plan.name}@latest"
                )
            for prop in sorted(touched):
                if version.selection.get(prop) != before.get(prop):
                    raise ConflictError(
                        f"conflict: {prop} was changed by {plan.name}@{version.number}, which was saved first; "
                        f"your change was not saved. Re-run it against {plan.name}@latest"
                    )
            before, edition_id = dict(version.selection), version.catalog_edition_id

    def save_version(
        self,
        name: str,
        *,
        base: int,
        catalog_ref: str,
        selection: Mapping[str, str],
        message: str,
        author: str | None = None,
    ) -> VersionRecord:
        """Save version ``base + 1`` of ``name`` with a complete ``selection`` against edition ``catalog_ref``.

        For changes computed from version ``base`` as a whole (e.g. moving a plan to a new
        catalog edition): if ``base`` is no longer the latest version, nothing is saved and
        :class:`~db.errors.ConflictError` names the version that got in first.
        """
        _check_plan_name(name)

        def conflict(latest: int | None = None) -> ConflictError:
            who = f"{name}@{latest}" if latest else f"{name}@{base + 1}"
            return ConflictError(
                f"conflict: {who} was saved after {name}@{base}, which this change was computed from; re-run it"
            )

        def action() -> VersionRecord:
            with self._write() as session:
                plan = self._plan(session, name)
                latest = repo.latest_version(session, plan)
                assert latest is not None
                if latest.number != base:
                    raise conflict(latest.number)
                edition = self._edition(session, catalog_ref)
                catalog = repo.load_catalog(session, edition)
                ordered = check_selection(catalog, selection)
                version = repo.add_version(
                    session,
                    plan,
                    number=base + 1,
                    parent=base,
                    message=message,
                    author=author or default_author(),
                    created_at=utc_now(),
                    edition=edition,
                    selection=dict(ordered),
                )
                return repo.version_record(plan, version)

        from sqlalchemy.exc import IntegrityError

        try:
            return action()
        except IntegrityError:
            raise conflict() from None

    def tag(self, ref: str, tag: str, *, force: bool = False) -> VersionRecord:
        """Name the version ``ref`` points at ``tag``; moving an existing tag needs ``force``."""
        _check_tag_name(tag)

        def action() -> VersionRecord:
            with self._write() as session:
                plan, version = self._resolve_ref(session, ref)
                existing = repo.find_tag(session, plan, tag)
                if existing is not None and existing.version_id != version.id and not force:
                    from db import models

                    other = session.get(models.PlanVersion, existing.version_id)
                    raise ConflictError(
                        f"tag {tag!r} already names {plan.name}@{other.number if other else '?'}; pass --force to move it"
                    )
                repo.set_tag(session, plan, tag, version)
                return self._record(session, plan, version)

        return self._retry(action, lambda: ConflictError(f"tag {tag!r} was set by someone else first; try again"))

    def fork(self, ref: str, new_name: str, *, message: str | None = None, author: str | None = None) -> VersionRecord:
        """Start plan ``new_name`` from the version ``ref`` points at (its version 1 has the same selection and edition)."""
        _check_plan_name(new_name)

        def action() -> VersionRecord:
            with self._write() as session:
                plan, source = self._resolve_ref(session, ref)
                self._refuse_existing(session, new_name)
                now = utc_now()
                origin = f"{plan.name}@{source.number}"
                new_plan = repo.add_plan(session, new_name, now=now, forked_from=origin)
                version = repo.add_version(
                    session,
                    new_plan,
                    number=1,
                    parent=None,
                    message=message or f"forked from {origin}",
                    author=author or default_author(),
                    created_at=now,
                    edition=source.catalog_edition,
                    selection=dict(source.selection),
                )
                return repo.version_record(new_plan, version)

        return self._retry(
            action, lambda: ConflictError(f"plan {new_name!r} was created by someone else first; choose another name")
        )

    # -- export / import -----------------------------------------------------------

    def export_plan(self, ref: str) -> dict[str, Any]:
        """A self-contained document of plan history up to the version ``ref`` points at (``NAME``: all of it)."""
        with self._read() as session:
            plan, upto = self._resolve_ref(session, ref)
            tags = repo.tags_by_version(session, plan)
            versions = []
            for v in repo.plan_versions(session, plan):
                if v.number > upto.number:
                    break
                edition = v.catalog_edition
                versions.append(
                    {
                        "version": v.number,
                        "parent": v.parent_number,
                        "created_at": format_time(v.created_at),
                        "author": v.author,
                        "message": v.message,
                        "catalog": {
                            "name": edition.name,
                            "edition": edition.edition,
                            "content_hash": edition.content_hash,
                        },
                        "selection": dict(v.selection),
                        "tags": tags.get(v.number, []),
                    }
                )
            return {
                "format": EXPORT_KIND,
                "format_version": EXPORT_FORMAT_VERSION,
                "plan": {
                    "name": plan.name,
                    "created_at": format_time(plan.created_at),
                    "forked_from": plan.forked_from,
                },
                "versions": versions,
            }

    def import_plan(
        self, doc: Mapping[str, Any], *, as_name: str | None = None, source: str = "export"
    ) -> VersionRecord:
        """Recreate an exported plan's history (under ``as_name`` if given); return its latest version.

        Refused, with nothing stored, when the document is malformed, the name is taken, or a
        version's catalog edition is not in this store with the same content hash.
        """
        meta, versions = _check_export(doc, source)
        name = _check_plan_name(as_name or meta["name"])

        def action() -> VersionRecord:
            with self._write() as session:
                self._refuse_existing(session, name)
                plan = repo.add_plan(session, name, now=meta["created_at"], forked_from=meta["forked_from"])
                last = None
                for v in versions:
                    cat = v["catalog"]
                    edition = repo.find_edition(session, cat["name"], cat["edition"])
                    if edition is None:
                        raise NotFoundError(
                            f"{source}: catalog edition {cat['name']}@{cat['edition']} ({cat['content_hash']}) is not in this store; "
                            "import it first: connectplan catalog import FILE"
                        )
                    if edition.content_hash != cat["content_hash"]:
                        raise EditionConflictError(
                            f"{cat['name']}@{cat['edition']}", edition.content_hash, cat["content_hash"]
                        )
                    catalog = repo.load_catalog(session, edition)
                    try:
                        selection = check_selection(catalog, v["selection"])
                    except EngineError as exc:
                        raise StoreError(f"{source}: version {v['version']}: {exc}") from None
                    last = repo.add_version(
                        session,
                        plan,
                        number=v["version"],
                        parent=v["parent"],
                        message=v["message"],
                        author=v["author"],
                        created_at=v["created_at"],
                        edition=edition,
                        selection=dict(selection),
                    )
                    for tag in v["tags"]:
                        repo.set_tag(session, plan, tag, last)
                assert last is not None
                return self._record(session, plan, last)

        return self._retry(
            action, lambda: ConflictError(f"plan {name!r} was created by someone else first; use --as NAME")
        )


def _check_export(doc: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate an export document's structure; return (plan metadata, versions) with times parsed."""

    def bad(why: str) -> StoreError:
        return StoreError(f"malformed export file {source}: {why}")

    if doc.get("format") != EXPORT_KIND:
        raise bad(f"'format' must be {EXPORT_KIND!r} (is this a `connectplan plan export` file?)")
    if doc.get("format_version") != EXPORT_FORMAT_VERSION:
        raise bad(
            f"unsupported format_version {doc.get('format_version')!r}; this connectplan reads {EXPORT_FORMAT_VERSION}"
        )
    plan = doc.get("plan")
    if not isinstance(plan, dict) or not isinstance(plan.get("name"), str):
        raise bad("'plan' must be an object with a 'name'")

    def time(value: Any, where: str) -> Any:
        try:
            return parse_time(value)
        except (TypeError, ValueError, AttributeError):
            raise bad(f"{where} must be an ISO 8601 time with a UTC offset, e.g. 2025-01-31T12:00:00Z") from None

    forked = plan.get("forked_from")
    if forked is not None and not isinstance(forked, str):
        raise bad("plan.forked_from must be a string or null")
    meta = {"name": plan["name"], "created_at": time(plan.get("created_at"), "plan.created_at"), "forked_from": forked}
    versions = doc.get("versions")
    if not isinstance(versions, list) or not versions:
        raise bad("'versions' must be a non-empty list")
    out = []
    for i, v in enumerate(versions, 1):
        where = f"versions[{i - 1}]"
        if not isinstance(v, dict):
            raise bad(f"{where} must be an object")
        if v.get("version") != i or isinstance(v.get("version"), bool):
            raise bad(f"{where}.version must be {i} (versions are numbered 1..N in order)")
        parent = v.get("parent")
        if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool) or not 1 <= parent < i):
            raise bad(f"{where}.parent must be null or an earlier version number")
        for key in ("author", "message"):
            if not isinstance(v.get(key), str):
                raise bad(f"{where}.{key} must be a string")
        cat = v.get("catalog")
        if not isinstance(cat, dict) or not all(
            isinstance(cat.get(k), str) for k in ("name", "edition", "content_hash")
        ):
            raise bad(f"{where}.catalog must be an object with string name, edition and content_hash")
        sel = v.get("selection")
        if not isinstance(sel, dict) or not all(isinstance(k, str) and isinstance(o, str) for k, o in sel.items()):
            raise bad(f"{where}.selection must be an object of property -> option strings")
        tags = v.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise bad(f"{where}.tags must be a list of strings")
        for tag in tags:
            try:
                _check_tag_name(tag)
            except StoreError as exc:
                raise bad(f"{where}.tags: {exc}") from None
        out.append(
            {**v, "parent": parent, "tags": tags, "created_at": time(v.get("created_at"), f"{where}.created_at")}
        )
    all_tags = [t for v in out for t in v["tags"]]
    if len(all_tags) != len(set(all_tags)):
        raise bad("a tag names more than one version")
    return meta, out
