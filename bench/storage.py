"""Issue 6, point 4: the plan store with long histories, on SQLite and (when one starts) PostgreSQL.

In one store, three plans get 1, 1,000 and 10,000 versions (version 1 through
``Workspace.new_plan``, the rest inserted through ``db.plan_rows`` in one transaction, to
build the history quickly). Then, interleaved across the three plans in one loop:

* **save**: ``Workspace.set_plan`` (what ``connectplan plan set`` runs: read the latest version,
  check the selection, insert version N+1 in its own transaction), toggling one property;
* **read latest**: ``Workspace.plan(NAME)`` (what ``connectplan plan show`` runs: the latest
  version, its tags, its catalog edition and its resolution).

Flatness is the ratio of the 10,000-version plan to the 1-version plan (target 1.2).
**History**: ``Workspace.log`` of the 10,000-version plan (every version with its verdict, what
``plan log`` prints), against a raw-driver ``SELECT`` of the same rows (target 5x). **Save vs raw
insert**: ``Workspace.set_plan`` against a raw ``INSERT`` of the same row (same columns and values,
own transaction, same journal mode) through ``sqlite3`` or ``psycopg`` on an open connection
(targets 1.5x SQLite, 2x PostgreSQL). Two more contenders in the same loop show where the
difference goes: the bare insert (``plan_rows.insert_version`` in a pooled transaction, without
the store's checks) and the raw insert on a new connection.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.suite import Config, SuiteResult
from bench.timing import Figure, interleave, repeat

if TYPE_CHECKING:
    from collections.abc import Callable

FLAT_TARGET = 1.2
#: a save through a workspace against a raw insert on an open connection (issue 9, point 9)
ORM_TARGET = {"sqlite": 1.5, "postgresql": 2.0}
#: `plan log` of 10,000 versions against one raw query of the same rows (issue 9, point 9)
HISTORY_TARGET = 5.0
TOGGLE = ("liability", ("platform", "stripe"))


class _Backend:
    """Raw-driver access to the same database, for the baselines."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        if name == "sqlite":
            path = url.removeprefix("sqlite:///")
            self.conn: Any = sqlite3.connect(path, isolation_level=None, timeout=60)
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.mark = "?"
        else:
            import psycopg
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            self.conn = psycopg.connect(
                host=str(parsed.query["host"]), user=parsed.username, dbname=parsed.database, autocommit=True
            )
            self.mark = "%s"

    def reconnect(self) -> _Backend:
        """A new connection to the same database (what a fresh process or an unpooled engine pays)."""
        return _Backend(self.name, self.url)

    def insert(self, row: tuple[Any, ...]) -> None:
        marks = ", ".join([self.mark] * len(row))
        sql = (
            "INSERT INTO plan_version (plan_id, number, parent_number, message, author, created_at, "
            f"catalog_edition_id, selection) VALUES ({marks})"
        )
        if self.name == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(sql, row)
            self.conn.execute("COMMIT")
        else:
            with self.conn.transaction():
                self.conn.execute(sql, row)

    def select_history(self, plan_id: int) -> list[tuple[Any, ...]]:
        sql = (
            "SELECT number, parent_number, message, author, created_at, catalog_edition_id, selection "
            f"FROM plan_version WHERE plan_id = {self.mark} ORDER BY number DESC"
        )
        rows = self.conn.execute(sql, (plan_id,)).fetchall()
        return [(*r[:6], json.loads(r[6]) if isinstance(r[6], str) else r[6]) for r in rows]

    def close(self) -> None:
        self.conn.close()


def _populate(url: str, name: str, count: int) -> None:
    """Versions 2..count of plan ``name`` through the store's queries, in one transaction."""
    if count < 2:
        return
    from connectplan.db import plan_rows
    from connectplan.db.records import utc_now
    from connectplan.db.session import make_engine

    db_engine = make_engine(url)
    try:
        with db_engine.begin() as conn:
            found = plan_rows.plan_with_latest(conn, name)
            assert found is not None
            plan, latest = found
            prop, options = TOGGLE
            for number in range(2, count + 1):
                plan_rows.insert_version(
                    conn,
                    plan_id=plan.id,
                    number=number,
                    parent=number - 1,
                    message=f"bench version {number}",
                    author="bench",
                    created_at=utc_now(),
                    edition_id=latest.catalog_edition_id,
                    selection={**latest.selection, prop: options[number % 2]},
                )
    finally:
        db_engine.dispose()


def _ids(url: str, name: str) -> tuple[int, int, int, dict[str, Any]]:
    """(plan id, latest number, edition id, latest selection) of a plan."""
    from connectplan.db import plan_rows
    from connectplan.db.session import make_engine

    db_engine = make_engine(url)
    try:
        with db_engine.begin() as conn:
            found = plan_rows.plan_with_latest(conn, name)
            assert found is not None
            plan, latest = found
            return plan.id, latest.number, latest.catalog_edition_id, dict(latest.selection)
    finally:
        db_engine.dispose()


def _backend_figures(config: Config, result: SuiteResult, backend: str, url: str) -> None:
    from connectplan.workspace import open_workspace, upgrade_store

    upgrade_store(url)
    store = open_workspace(url)
    catalog = store.catalog()
    preset = catalog.presets[0].id
    sizes = (1, 5, 10) if config.quick else (1, 1_000, 10_000)
    names = {n: f"bench-{n}" for n in sizes}
    for n, name in names.items():
        store.new_plan(name, preset=preset, message="bench version 1", author="bench")
        _populate(url, name, n)
    prop, options = TOGGLE
    current: dict[str, str] = {}

    def save(name: str) -> Callable[[], None]:
        if name not in current:
            current[name] = _ids(url, name)[3][prop]

        def call() -> None:
            current[name] = options[1] if current[name] == options[0] else options[0]
            store.set_plan(name, {prop: current[name]}, message="bench save", author="bench", allow_blocked=True)

        return call

    def read(name: str) -> Callable[[], None]:
        def call() -> None:
            store.plan(name)

        return call

    runs = config.runs(15)
    saves = interleave({str(n): save(name) for n, name in names.items()}, runs, warmup=config.warmup(2))
    reads = interleave({str(n): read(name) for n, name in names.items()}, runs, warmup=config.warmup(2))
    small, big = str(sizes[0]), str(sizes[-1])
    for label, samples, what in (("save", saves, "Workspace.set_plan"), ("read-latest", reads, "Workspace.plan(NAME)")):
        result.figures.append(
            Figure(
                id=f"store-{backend}-{label}-flat",
                title=f"{backend}: {what} on a plan with {sizes[-1]:,} versions vs 1 version",
                measured=samples[big],
                baseline=samples[small],
                measured_label=f"{what}, {sizes[-1]:,} versions",
                baseline_label=f"{what}, 1 version",
                target=FLAT_TARGET,
                extra={f"median_s_at_{n}": samples[str(n)].median for n in sizes},
            )
        )

    raw = _Backend(backend, url)
    try:
        big_name = names[sizes[-1]]
        plan_id, _, _, _ = _ids(url, big_name)
        history = repeat(lambda: store.log(big_name), config.runs(3), warmup=0)
        raw_history = repeat(lambda: raw.select_history(plan_id), config.runs(5), warmup=config.warmup())
        result.figures.append(
            Figure(
                id=f"store-{backend}-history",
                title=f"{backend}: history listing of {sizes[-1]:,} versions (Workspace.log, with verdicts)",
                measured=history,
                baseline=raw_history,
                measured_label="Workspace.log(NAME)",
                baseline_label="raw SELECT of the same rows + JSON decode",
                target=HISTORY_TARGET,
                note=(
                    "Workspace.log gives each version's verdict (what `plan log` prints), resolving each distinct "
                    "selection once per edition (a bounded per-workspace cache); the raw select does not."
                ),
                extra={"versions": sizes[-1], "per_version_s": history.median / sizes[-1]},
            )
        )

        # ORM save vs raw insert of the same row, in a plan of their own
        store.new_plan("bench-orm", preset=preset, message="bench version 1", author="bench")
        store.new_plan("bench-raw", preset=preset, message="bench version 1", author="bench")
        raw_plan, _, edition_id, selection = _ids(url, "bench-raw")
        counter = {"raw": 1, "repo": 0}

        def next_row() -> tuple[Any, ...]:
            from connectplan.db.records import utc_now

            counter["raw"] += 1
            n = counter["raw"]
            return (
                raw_plan,
                n,
                n - 1,
                "bench save",
                "bench",
                _db_time(backend, utc_now()),
                edition_id,
                json.dumps({**selection, prop: options[n % 2]}),
            )

        def raw_insert() -> None:
            raw.insert(next_row())

        def raw_insert_new_connection() -> None:
            row = next_row()
            fresh = raw.reconnect()
            try:
                fresh.insert(row)
            finally:
                fresh.close()

        repo_insert = _repository_insert(url, "bench-repo", preset, store, counter)
        samples = interleave(
            {
                "orm": save("bench-orm"),
                "raw": raw_insert,
                "repo": repo_insert,
                "raw-connect": raw_insert_new_connection,
            },
            config.runs(21),
            warmup=config.warmup(2),
        )
        result.figures.append(
            Figure(
                id=f"store-{backend}-orm-vs-raw",
                title=f"{backend}: save one version, workspace vs raw driver insert of the same row",
                measured=samples["orm"],
                baseline=samples["raw"],
                measured_label="Workspace.set_plan (read plan and latest, check, insert, commit)",
                baseline_label="raw INSERT + commit on an open connection (sqlite3 / psycopg)",
                target=ORM_TARGET[backend],
                extra={
                    "repository_insert_median_s": samples["repo"].median,
                    "repository_insert_ratio_to_raw": samples["repo"].median / samples["raw"].median,
                    "raw_insert_new_connection_median_s": samples["raw-connect"].median,
                },
            )
        )
        result.figures.append(
            Figure(
                id=f"store-{backend}-orm-vs-raw-connect",
                title=f"{backend}: save one version, workspace vs raw insert on a new connection",
                measured=samples["orm"],
                baseline=samples["raw-connect"],
                measured_label="Workspace.set_plan",
                baseline_label="connect + raw INSERT + commit + close",
                note="the workspace reuses pooled connections; this baseline pays a connect per save",
            )
        )
        result.figures.append(
            Figure(
                id=f"store-{backend}-repo-vs-raw",
                title=f"{backend}: the store's insert alone vs the raw insert",
                measured=samples["repo"],
                baseline=samples["raw"],
                measured_label="plan_rows.insert_version in a transaction + commit",
                baseline_label="raw INSERT + commit",
            )
        )
    finally:
        raw.close()
        store.close()


def _db_time(backend: str, value: Any) -> Any:
    # SQLAlchemy stores SQLite datetimes as ISO text; psycopg takes the datetime itself
    return value.isoformat(sep=" ") if backend == "sqlite" else value


def _repository_insert(url: str, name: str, preset: str, store: Any, counter: dict[str, int]) -> Callable[[], None]:
    """The bare insert the store makes (``plan_rows.insert_version`` in a pooled transaction), without its checks."""
    from connectplan.db import plan_rows
    from connectplan.db.records import utc_now
    from connectplan.db.session import make_engine, write_engine

    store.new_plan(name, preset=preset, message="bench version 1", author="bench")
    plan_id, _, edition_id, selection = _ids(url, name)
    writer = write_engine(make_engine(url))
    prop, options = TOGGLE
    counter["repo"] = 1

    def call() -> None:
        counter["repo"] += 1
        n = counter["repo"]
        with writer.begin() as conn:
            plan_rows.insert_version(
                conn,
                plan_id=plan_id,
                number=n,
                parent=n - 1,
                message="bench save",
                author="bench",
                created_at=utc_now(),
                edition_id=edition_id,
                selection={**selection, prop: options[n % 2]},
            )

    return call


def _postgres_url(config: Config, result: SuiteResult) -> str | None:
    """A fresh database on the run's throwaway cluster (tests/pg.py), or None with the reason noted."""
    try:
        cluster = config.postgres()
    except ImportError as exc:
        result.notes.append(f"PostgreSQL figures skipped: the cluster starter (tests/pg.py) is not available ({exc}).")
        return None
    except (RuntimeError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        result.notes.append(f"PostgreSQL figures skipped: the throwaway cluster did not start ({first}).")
        return None
    return str(cluster.new_database())


def run(config: Config) -> SuiteResult:
    result = SuiteResult("store", "Plan store with long histories (issue 6, point 4)")
    workdir = config.workdir / "store"
    workdir.mkdir(parents=True, exist_ok=True)
    sqlite_url = f"sqlite:///{Path(workdir) / 'bench.db'}"
    config.log("  store: sqlite")
    _backend_figures(config, result, "sqlite", sqlite_url)
    pg_url = _postgres_url(config, result)
    if pg_url is not None:
        config.log("  store: postgresql")
        _backend_figures(config, result, "postgresql", pg_url)
    return result
