"""A quick run of the benchmark code at tiny sizes (issue 6): structure, not timings.

``python -m bench --quick`` runs every suite with the smallest sizes and one repetition;
the figures it produces are meaningless, so nothing here looks at a time or a ratio's value.
What is checked: every suite ran (or says why it was skipped), every figure has samples and a
baseline where it should, the result files are written and agree, the synthetic generator is
deterministic and its Kconfig twin is equivalent, and the baselines compute what the engine
computes.
"""

from __future__ import annotations

import json
import math
import shutil
from typing import TYPE_CHECKING

import pytest

from bench import SUITES
from bench.__main__ import main as bench_main
from bench.baseline import BareClauses, HandResolver, bare_best_ranks
from bench.synth import generate, kconfig_config, kconfig_text
from connectplan.engine import VERDICTS, catalog_from_dict, resolve
from tests.conftest import all_selections

if TYPE_CHECKING:
    from pathlib import Path


# session scope: pytest groups tests by parametrized fixtures, which splits this module and would
# build a module-scoped run twice
@pytest.fixture(scope="session")
def quick_run(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict:
    out = tmp_path_factory.mktemp("bench-out")
    # the session's PostgreSQL cluster (tests/pg.py) serves the store and team suites: no second start
    # (without one, those suites report why they skipped PostgreSQL, which the tests below accept)
    # and its Chromium serves the browser suite (Playwright's sync API allows one per thread)
    shared = {}
    for name in ("pg_cluster", "browser"):
        try:
            shared[name] = request.getfixturevalue(name)
        except pytest.skip.Exception:
            shared[name] = None
    assert bench_main(["--quick", "--out", str(out)], cluster=shared["pg_cluster"], browser=shared["browser"]) == 0
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    doc["_markdown"] = (out / "RESULTS.md").read_text(encoding="utf-8")
    return doc


def _suite(doc: dict, name: str) -> dict:
    return next(s for s in doc["suites"] if s["name"] == name)


def _check_samples(samples: dict) -> None:
    assert samples["runs"] == len(samples["seconds"]) >= 1
    assert samples["min_s"] <= samples["median_s"] <= samples["max_s"]
    assert all(s >= 0 for s in samples["seconds"])


def test_every_suite_reports(quick_run):
    assert quick_run["format"] == "connectplan-bench/1"
    assert quick_run["quick"] is True
    assert [s["name"] for s in quick_run["suites"]] == list(SUITES)
    machine = quick_run["machine"]
    for key in ("date", "cpu", "python", "sqlite", "graphviz"):
        assert key in machine
    for suite in quick_run["suites"]:
        if suite["skipped"]:
            assert suite["figures"] == []
            continue
        for fig in suite["figures"]:
            _check_samples(fig["measured"])
            if fig["baseline"] is not None:
                _check_samples(fig["baseline"])
                assert math.isclose(fig["ratio"], fig["measured"]["median_s"] / fig["baseline"]["median_s"])
            if fig["target_max_ratio"] is not None and fig["ratio"] is not None:
                assert fig["met"] is (fig["ratio"] <= fig["target_max_ratio"])


def test_expected_figures_are_present(quick_run):
    ids = {f["id"] for s in quick_run["suites"] for f in s["figures"]}
    assert {"resolve-per-selection-2024", "resolve-per-selection-2025"} <= ids
    assert {"cold-resolve", "cold-plan-show", "cold-help"} <= ids
    assert {
        "store-sqlite-save-flat",
        "store-sqlite-read-latest-flat",
        "store-sqlite-history",
        "store-sqlite-orm-vs-raw",
    } <= ids
    assert {"peer-kconfiglib-8", "peer-kconfiglib-24"} <= ids
    if shutil.which("dot"):
        assert {"render-money-flow", "render-steps"} <= ids
    store = _suite(quick_run, "store")
    if not any("PostgreSQL figures skipped" in note for note in store["notes"]):
        assert "store-postgresql-orm-vs-raw" in ids
    team = _suite(quick_run, "team")
    if not team["skipped"]:  # the team server under load (issue 20): no error, every acknowledged save stored
        (fig,) = (f for f in team["figures"] if f["id"] == "team-concurrency-p95")
        assert fig["extra"]["errors"] == 0 and fig["extra"]["store_consistent"] is True


def test_baselines_agree_with_the_engine(quick_run):
    figures = _suite(quick_run, "resolution")["figures"]
    for fig in figures:  # resolve: the hand-written resolver; explore of an empty selection: the bare solver
        if fig["id"].startswith("resolve-"):
            assert fig["extra"]["mismatches"] == 0
        else:
            assert fig["extra"]["agree"] is True
    assert {f["id"].split("-")[0] for f in figures} == {"resolve", "explore"}
    for fig in _suite(quick_run, "peer")["figures"]:
        assert fig["extra"]["agree"] is True
    rows = _suite(quick_run, "scale")["tables"]["operations"]
    ops = ("import", "load", "resolve", "explore", "explore-bare", "alternatives", "lint")
    assert {(r["op"], r["properties"]) for r in rows} == {(op, p) for op in ops for p in (8, 24)}
    for row in rows:
        assert row["finished"], row
        assert row["peak_rss_mb"] > 0
        if row["op"] == "explore":
            assert row["agree"] is True
        if row["op"] == "alternatives":
            assert row["alternatives"], "a blocked synthetic selection has alternatives"
            assert all(a["verdict"] == "allowed" for a in row["alternatives"])
    assert all("growth" in r for r in rows if r["properties"] == 24)
    explore = {f["id"]: f for f in _suite(quick_run, "scale")["figures"]}
    assert explore["scale-explore-24"]["baseline"] is not None  # from the explore-bare row


def test_markdown_lists_machine_and_targets(quick_run):
    md = quick_run["_markdown"]
    assert "Quick run" in md
    assert f"SQLite {quick_run['machine']['sqlite']}" in md
    assert "## Targets" in md
    for suite in quick_run["suites"]:
        assert f"## {suite['title']}" in md


def test_cold_start_import_profile_names_packages(quick_run):
    tables = _suite(quick_run, "cold_start")["tables"]
    profile = tables["imports: connectplan --help"]
    assert any(row["package"] == "click" for row in profile)
    assert all(row["self_ms"] >= 0 for row in profile)


# -- the pieces, directly ---------------------------------------------------------------


def test_generator_is_seeded_and_sized():
    a, b, c = generate(30), generate(30), generate(30, seed=1)
    assert a.document == b.document and a.document != c.document
    counts = a.counts
    assert counts["properties"] == 30
    assert 3 * 30 <= counts["options"] <= 4 * 30
    assert counts["rules"] == 90 and counts["steps"] == 60
    catalog = catalog_from_dict(a.document)
    assert resolve(catalog, a.witness).verdict == "allowed"
    assert resolve(catalog, a.blocked).verdict in ("blocked", "out_of_scope")
    assert len(a.partial) == 15 and all(a.witness[p] == o for p, o in a.partial.items())


def test_kconfig_twin_evaluates_like_connectplan(tmp_path: Path):
    kconfiglib = pytest.importorskip("kconfiglib")
    synth = generate(20, seed=3)
    catalog = catalog_from_dict(synth.document)
    (tmp_path / "Kconfig").write_text(kconfig_text(synth.document), encoding="utf-8")
    (tmp_path / "config").write_text(kconfig_config(synth.witness), encoding="utf-8")
    kconf = kconfiglib.Kconfig(str(tmp_path / "Kconfig"), warn=False)
    kconf.load_config(str(tmp_path / "config"))
    values = {s.name: s.str_value for s in kconf.unique_defined_syms}
    res = resolve(catalog, synth.witness)
    assert {n for n, v in values.items() if n.startswith("R") and v == "y"} == {f.rule.id.upper() for f in res.findings}
    assert {n for n, v in values.items() if n.startswith("S") and v == "y"} == {s.step.id.upper() for s in res.steps}
    # the blocking rule's options are refused by Kconfig: the blocked selection is not honoured
    (tmp_path / "blocked").write_text(kconfig_config(synth.blocked), encoding="utf-8")
    kconf.load_config(str(tmp_path / "blocked"))
    chosen = {c.selection.name for c in kconf.unique_choices if c.selection}
    assert chosen != {f"{p}_{o}".upper() for p, o in synth.blocked.items()}


def test_hand_resolver_matches_engine(stripe_catalog):
    hand = HandResolver(stripe_catalog)
    for sel in all_selections(stripe_catalog):
        res = resolve(stripe_catalog, sel)
        got = hand.resolve(sel)
        assert got["verdict"] == res.verdict
        assert got["findings"] == [f.rule.id for f in res.findings]
        assert got["steps"] == [s.step.id for s in res.steps]


def test_bare_solver_baseline_matches_propagate():
    from connectplan.engine.propagation import propagate
    from connectplan.sat import make_solver

    synth = generate(12, seed=5)
    catalog = catalog_from_dict(synth.document)
    result = propagate(catalog, synth.partial, make_solver)
    expected = {(p.id, o.id): VERDICTS.index(o.best_verdict) for p in result.properties for o in p.options}
    assert bare_best_ranks(BareClauses(catalog), synth.partial) == expected


def test_the_largest_benchmark_catalog_file_is_within_the_catalog_file_limit() -> None:
    """``make bench`` reads the 5,000-property catalog from a file: it must fit the documented limit."""
    from bench.peer import json_text
    from bench.suite import Config
    from connectplan.catalog_files import MAX_CATALOG_BYTES

    largest = max(Config.__dataclass_fields__["sizes"].default)
    assert len(json_text(generate(largest).document).encode("utf-8")) < MAX_CATALOG_BYTES
