"""Issue 6, point 6: synthetic catalogs of P = 50, 500 and 5,000 properties (:mod:`bench.synth`).

Operations run in child processes (``python -m bench.scale OP[,OP...] SIZE RUNS WARMUP``), so
that each reports its own peak resident memory (``VmHWM``, which counts the SAT solver's C
allocations too) and so that an operation that takes too long is stopped at a time limit and
reported as not finished instead of stalling the suite. The child builds the catalog from the
seeded generator (untimed), then times each operation after its warm-up:

``import``        ``Store.import_catalog`` into an empty SQLite store (a fresh copy of a migrated
                  empty store for each run);
``load``          the catalog read back from the last imported store (``Store.get_catalog``,
                  its per-process cache cleared), in the same child as ``import``;
``resolve``       ``engine.resolve`` of the witness selection, interleaved with the hand-written
                  baseline of :mod:`bench.baseline`; the first call on a fresh catalog (which
                  compiles it) is reported separately;
``explore``       ``engine.propagate`` with every second property fixed;
``explore-bare``  the same question answered by :func:`bench.baseline.bare_best_ranks`, a bare
                  MiniSat on the clauses of connectplan's own encoding (its own child, so it is
                  measured even when ``explore`` runs out of time). Up to P = 500 the
                  ``explore`` child also checks that both give every option the same best verdict;
``alternatives``  ``engine.nearest_alternatives`` of a blocked selection (three alternatives);
``lint``          ``engine.lint_catalog``.

Each child prints one JSON line per finished operation, so the operations of a batch that
finished before a time-out keep their results. The growth column is
``log(t2 / t1) / log(P2 / P1)`` between consecutive sizes: 1 means linear.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.suite import Config, SuiteResult
from bench.timing import Figure, Samples, interleave

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["OPERATIONS", "run"]

OPERATIONS = ("import", "load", "resolve", "explore", "explore-bare", "alternatives", "lint")
#: How the operations are grouped into child processes in a full run.
BATCHES = (("import", "load"), ("resolve",), ("explore-bare",), ("explore",), ("alternatives",), ("lint",))
EXPLORE_TARGET = 2.0
#: import of the largest synthetic catalog vs raw executemany (issue 9, point 9)
IMPORT_TARGET = 3.0
#: Seconds one child process (a batch of operations, all runs) may take.
TIME_LIMIT = 120.0
#: The bare-solver baseline is quadratic in P (one solver call with P/2 assumptions per option
#: of each fixed property): it gets more time, so that its figure exists at P = 5,000.
LIMITS: dict[tuple[str, ...], float] = {("explore-bare",): 200.0}


def _runs(size: int, quick: bool) -> int:
    if quick:
        return 1
    return 5 if size <= 50 else 3 if size <= 500 else 1


def _timed(fn: Callable[[], Any], runs: int, warmup: int) -> tuple[Samples, Any]:
    """``warmup`` unmeasured calls, then ``runs`` measured ones; the samples and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return Samples(tuple(seconds), warmup), result


class _Child:
    """The state one child process keeps between its operations."""

    def __init__(self, size: int, runs: int, warmup: int) -> None:
        from bench.synth import generate
        from connectplan.engine import catalog_from_dict

        self.size, self.runs, self.warmup = size, runs, warmup
        self.synth = generate(size)
        self.catalog = catalog_from_dict(self.synth.document)
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
        self.store_url: str | None = None

    def measure(self, op: str) -> dict[str, Any]:
        out: dict[str, Any] = {"op": op, "size": self.size, **self.synth.counts}
        method = getattr(self, "op_" + op.replace("-", "_"), None)
        if method is None:
            raise SystemExit(f"unknown operation {op!r}; one of {', '.join(OPERATIONS)}")
        method(out)
        out["peak_rss_bytes"] = _peak_rss_bytes()
        return out

    def op_import(self, out: dict[str, Any]) -> None:
        from connectplan.workspace import open_workspace, upgrade_store

        template = self.tmp / "empty.db"
        upgrade_store(f"sqlite:///{template}")
        copies = iter(range(1_000_000))

        def fresh_copy() -> Path:
            path = self.tmp / f"store-{next(copies)}.db"
            shutil.copyfile(template, path)
            return path

        def fresh_import() -> None:
            path = fresh_copy()
            with open_workspace(f"sqlite:///{path}") as ws:
                start = time.perf_counter()
                ws.import_catalog(self.catalog)
                timings.append(time.perf_counter() - start)
            self.store_url = f"sqlite:///{path}"

        def raw_import() -> None:
            path = fresh_copy()
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                start = time.perf_counter()
                _raw_catalog_insert(conn, self.catalog)
                raw_timings.append(time.perf_counter() - start)
            finally:
                conn.close()

        timings: list[float] = []
        raw_timings: list[float] = []
        for _ in range(self.warmup + self.runs):
            fresh_import()
            raw_import()
        out["measured"] = Samples(tuple(timings[self.warmup :]), self.warmup).to_dict()
        out["baseline"] = Samples(tuple(raw_timings[self.warmup :]), self.warmup).to_dict()

    def op_load(self, out: dict[str, Any]) -> None:
        from connectplan.workspace import open_workspace, upgrade_store

        if self.store_url is None:
            self.store_url = f"sqlite:///{self.tmp / 'load.db'}"
            upgrade_store(self.store_url)
            with open_workspace(self.store_url) as seed:
                seed.import_catalog(self.catalog)
        ws = open_workspace(self.store_url)

        def load() -> Any:
            ws.store.cache.clear()
            return ws.catalog(self.catalog.ref)

        samples, loaded = _timed(load, self.runs, self.warmup)
        out["measured"] = samples.to_dict()
        out["same_catalog"] = loaded == self.catalog
        ws.close()

    def op_resolve(self, out: dict[str, Any]) -> None:
        from bench.baseline import HandResolver
        from connectplan.engine import catalog_from_dict, resolve

        doc, witness = self.synth.document, self.synth.witness
        firsts: list[float] = []
        for _ in range(self.warmup + self.runs):
            fresh = catalog_from_dict(doc)
            start = time.perf_counter()
            resolve(fresh, witness)
            firsts.append(time.perf_counter() - start)
        hand_first, _ = _timed(lambda: HandResolver(self.catalog).resolve(witness), self.runs, self.warmup)
        hand = HandResolver(self.catalog)
        resolve(self.catalog, witness)
        samples = interleave(
            {"engine": lambda: resolve(self.catalog, witness), "hand": lambda: hand.resolve(witness)},
            max(self.runs, 3),
            warmup=1,
        )
        out["measured"] = samples["engine"].to_dict()
        out["baseline"] = samples["hand"].to_dict()
        out["first_call"] = Samples(tuple(firsts[self.warmup :]), self.warmup).to_dict()
        out["first_call_baseline"] = hand_first.to_dict()

    def op_explore(self, out: dict[str, Any]) -> None:
        from connectplan.engine import VERDICTS
        from connectplan.engine.propagation import propagate
        from connectplan.sat import make_solver

        samples, result = _timed(
            lambda: propagate(self.catalog, self.synth.partial, make_solver), self.runs, self.warmup
        )
        out["measured"] = samples.to_dict()
        out["fixed_properties"] = len(self.synth.partial)
        out["excluded_options"] = sum(1 for p in result.properties for o in p.options if o.status == "excluded")
        if self.size <= 500:
            from bench.baseline import BareClauses, bare_best_ranks

            ranks = bare_best_ranks(BareClauses(self.catalog), self.synth.partial)
            out["agree"] = ranks == {
                (p.id, o.id): VERDICTS.index(o.best_verdict) for p in result.properties for o in p.options
            }

    def op_explore_bare(self, out: dict[str, Any]) -> None:
        from bench.baseline import BareClauses, bare_best_ranks

        start = time.perf_counter()
        bare = BareClauses(self.catalog)
        out["encode_s"] = time.perf_counter() - start
        out["clauses"] = len(bare.clauses)
        phases: dict[str, float] = {}
        samples, _ = _timed(lambda: bare_best_ranks(bare, self.synth.partial, phases), self.runs, self.warmup)
        out["measured"] = samples.to_dict()
        out["open_properties_s"] = phases["open_s"]  # of the last run
        out["fixed_properties_s"] = phases["fixed_s"]

    def op_alternatives(self, out: dict[str, Any]) -> None:
        from connectplan.engine.alternatives import nearest_alternatives
        from connectplan.sat import make_solver

        samples, found = _timed(
            lambda: nearest_alternatives(self.catalog, self.synth.blocked, make_solver), self.runs, self.warmup
        )
        out["measured"] = samples.to_dict()
        out["alternatives"] = [{"verdict": a.verdict, "changes": len(a.changes)} for a in found]

    def op_lint(self, out: dict[str, Any]) -> None:
        from connectplan.engine.lint import lint_catalog
        from connectplan.sat import make_solver

        samples, report = _timed(lambda: lint_catalog(self.catalog, make_solver), self.runs, self.warmup)
        out["measured"] = samples.to_dict()
        out["lint"] = {"errors": len(report.errors), "warnings": len(report.warnings)}


def _peak_rss_bytes() -> int:
    """This process's peak resident memory: ``VmHWM``, which exec resets, unlike ``ru_maxrss``
    (Linux carries that over from the process that spawned us); ``ru_maxrss`` where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(
    ops: tuple[str, ...], size: int, runs: int, warmup: int, limit: float
) -> tuple[dict[str, dict[str, Any]], str]:
    """Run operations in a child process: the results of those that finished, and why the rest did not."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    argv = [sys.executable, "-m", "bench.scale", ",".join(ops), str(size), str(runs), str(warmup)]
    why = ""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=limit, env=env, cwd=root, check=False)
        stdout = proc.stdout
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines()
            why = f"failed: {lines[-1] if lines else f'exit {proc.returncode}'}"
    except subprocess.TimeoutExpired as exc:
        raw = exc.stdout or b""
        stdout = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        why = f"did not finish within {limit:.0f} s"
    docs = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return {doc["op"]: doc for doc in docs}, why


def run(config: Config, *, time_limit: float = TIME_LIMIT) -> SuiteResult:
    result = SuiteResult("scale", "Synthetic catalogs at scale (issue 6, point 6)")
    rows: list[dict[str, Any]] = []
    for size in config.sizes:
        batches: tuple[tuple[str, ...], ...] = (OPERATIONS,) if config.quick else BATCHES
        for batch in batches:
            config.log(f"  scale: P={size} {', '.join(batch)}")
            start = time.perf_counter()
            limit = LIMITS.get(batch, time_limit) if time_limit == TIME_LIMIT else time_limit
            docs, why = _child(batch, size, _runs(size, config.quick), config.warmup(1 if size <= 500 else 0), limit)
            wall = time.perf_counter() - start
            rows += [_row(op, size, docs.get(op), why, wall) for op in batch]
        _figures(result, size, rows, time_limit)
    _growth(rows)
    result.tables["operations"] = rows
    unfinished = [f"{r['op']} at P={r['properties']} ({r['note']})" for r in rows if not r["finished"]]
    if unfinished:
        result.notes.append("Not finished: " + "; ".join(unfinished) + ".")
    result.notes.append(
        "The bare-solver baseline answers the whole question explore answers: the best verdict of every "
        "option of every property, a fixed property's options judged under the other fixed choices. Its "
        "open-properties part alone (one shared context, coverage queries) is the explore-bare row's "
        "open_properties_s; the per-property contexts of the fixed properties (fixed_properties_s: one "
        "solver call with P/2 assumptions per option and rank) make it quadratic in P. The issue quotes about "
        "21 ms at P=500 and 3.8 s at P=5,000 for an incremental MiniSat without saying which questions it "
        "asked; that is the order of this baseline's open part alone."
    )
    result.notes.append(
        "peak_rss_mb is the child process's peak resident memory (Python, SQLite and the SAT solver); "
        "import and load share one child, so load's figure includes import's."
    )
    return result


def _row(op: str, size: int, doc: dict[str, Any] | None, why: str, wall: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "op": op,
        "properties": size,
        "finished": doc is not None,
        "note": "" if doc else why or "no result",
    }
    if doc is None:
        return row
    measured = doc["measured"]
    row.update(
        median_s=measured["median_s"],
        min_s=measured["min_s"],
        max_s=measured["max_s"],
        runs=measured["runs"],
        peak_rss_mb=round(doc["peak_rss_bytes"] / 2**20, 1),
        child_wall_s=round(wall, 1),
    )
    for key in (
        "agree",
        "excluded_options",
        "alternatives",
        "lint",
        "encode_s",
        "clauses",
        "same_catalog",
        "open_properties_s",
        "fixed_properties_s",
    ):
        if key in doc:
            row[key] = doc[key]
    if "first_call" in doc:
        row["first_call_s"] = doc["first_call"]["median_s"]
        row["first_call_baseline_s"] = doc["first_call_baseline"]["median_s"]
    if "baseline" in doc:
        row["baseline_median_s"] = doc["baseline"]["median_s"]
        row["ratio"] = measured["median_s"] / doc["baseline"]["median_s"]
    row["_samples"] = measured
    row["_baseline"] = doc.get("baseline")
    return row


def _raw_catalog_insert(conn: sqlite3.Connection, catalog: Any) -> None:
    """The baseline of ``import``: the same edition, node and edge rows through ``sqlite3.executemany``."""
    from connectplan.engine import build_graph

    G = build_graph(catalog)
    conn.execute("BEGIN IMMEDIATE")
    cur = conn.execute(
        "INSERT INTO catalog_edition (name, edition, title, content_hash, meta, imported_at) VALUES (?, ?, ?, ?, ?, ?)",
        (catalog.name, catalog.edition, catalog.title, catalog.content_hash, "{}", "2026-01-01 00:00:00"),
    )
    edition_id = cur.lastrowid
    conn.executemany(
        "INSERT INTO catalog_node (edition_id, kind, key, position, data) VALUES (?, ?, ?, ?, ?)",
        [(edition_id, k.kind, k.id, a["index"], json.dumps(a["data"])) for k, a in G.nodes(data=True)],
    )
    ids = {
        (kind, key): node_id
        for node_id, kind, key in conn.execute(
            "SELECT id, kind, key FROM catalog_node WHERE edition_id = ?", (edition_id,)
        )
    }
    conn.executemany(
        "INSERT INTO catalog_edge (edition_id, src_id, dst_id, kind) VALUES (?, ?, ?, ?)",
        [(edition_id, ids[(u.kind, u.id)], ids[(v.kind, v.id)], kind) for u, v, kind in G.edges(data="kind")],
    )
    conn.execute("COMMIT")


def _samples(doc: dict[str, Any] | None) -> Samples | None:
    return Samples(tuple(doc["seconds"]), doc["warmup"]) if doc else None


def _figures(result: SuiteResult, size: int, rows: list[dict[str, Any]], time_limit: float) -> None:
    """The resolve and explore figures of one size (explore's baseline comes from its own child)."""
    mine = {r["op"]: r for r in rows if r["properties"] == size}
    import_row = mine.get("import")
    if import_row and import_row["finished"] and import_row.get("_baseline"):
        result.figures.append(
            Figure(
                id=f"scale-import-{size}",
                title=f"P={size}: import a catalog edition into SQLite vs raw executemany of the same rows",
                measured=_samples(import_row["_samples"]) or Samples((0.0,)),
                baseline=_samples(import_row["_baseline"]),
                measured_label="Workspace.import_catalog (bulk inserts through SQLAlchemy)",
                baseline_label="sqlite3 executemany of the same edition, node and edge rows",
                target=IMPORT_TARGET if size == 5000 else None,
            )
        )
    resolve_row = mine.get("resolve")
    if resolve_row and resolve_row["finished"]:
        result.figures.append(
            Figure(
                id=f"scale-resolve-{size}",
                title=f"P={size}: resolve one complete selection vs the hand-written resolver",
                measured=_samples(resolve_row.pop("_samples")) or Samples((0.0,)),
                baseline=_samples(resolve_row.pop("_baseline")),
                measured_label="engine.resolve (catalog already compiled)",
                baseline_label="hand-written resolver",
            )
        )
    explore, bare = mine.get("explore"), mine.get("explore-bare")
    target = EXPLORE_TARGET if size == 500 else None
    baseline = _samples(bare.get("_samples")) if bare and bare["finished"] else None
    if explore and explore["finished"]:
        if baseline is not None:
            explore["baseline_median_s"] = baseline.median
            explore["ratio"] = explore["median_s"] / baseline.median
        result.figures.append(
            Figure(
                id=f"scale-explore-{size}",
                title=f"P={size}: explore with half the properties fixed vs a bare SAT solver",
                measured=_samples(explore["_samples"]) or Samples((0.0,)),
                baseline=baseline,
                measured_label="engine.propagate (statuses, best verdicts and reasons)",
                baseline_label="bare MiniSat 2.2, same clauses, best verdict of every option",
                target=target,
                note="" if explore.get("agree", True) else "engine and baseline DISAGREE",
                extra={
                    k: bare[k] for k in ("open_properties_s", "fixed_properties_s", "clauses") if bare and k in bare
                },
            )
        )
    elif explore:  # not finished: the time limit stands in, so the ratio is a lower bound
        result.figures.append(
            Figure(
                id=f"scale-explore-{size}",
                title=f"P={size}: explore with half the properties fixed vs a bare SAT solver",
                measured=Samples((time_limit,)),
                baseline=baseline,
                measured_label="engine.propagate (time limit)",
                baseline_label="bare MiniSat 2.2, same clauses, best verdict of every option",
                target=target,
                note=f"{explore['note']}; the ratio is a lower bound",
            )
        )
    for row in mine.values():
        row.pop("_samples", None)
        row.pop("_baseline", None)


def _growth(rows: list[dict[str, Any]]) -> None:
    by_op: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_op.setdefault(row["op"], []).append(row)
    for series in by_op.values():
        for prev, row in itertools.pairwise(series):
            if prev.get("median_s") and row.get("median_s"):
                row["growth"] = math.log(row["median_s"] / prev["median_s"]) / math.log(
                    row["properties"] / prev["properties"]
                )


def main(argv: list[str]) -> None:
    """``python -m bench.scale OP[,OP...] SIZE RUNS WARMUP``: one JSON line per finished operation."""
    ops, size, runs, warmup = argv[0].split(","), int(argv[1]), int(argv[2]), int(argv[3])
    child = _Child(size, runs, warmup)
    for op in ops:
        print(json.dumps(child.measure(op)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
