"""Corrected editions reach existing stores as new revisions (issue 11, point 1).

The old store is made by the code of the commit before revisions existed (``git archive`` of it,
run with this environment), so it is exactly what a user of that version has on disk.
"""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectplan.cli import cli

ROOT = Path(__file__).resolve().parent.parent
#: main before catalog revisions, multi-choice and the 2026 edition (after the mechanical lint commits)
OLD_MAIN = "a8e4c2b"
#: the newest revisions shipped: 2024 and 2025 revision 3 (revision 2 was the first errata)
NEWEST_2024 = NEWEST_2025 = 3


def _git_has(commit: str) -> bool:
    proc = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True)
    return proc.returncode == 0


# session scope: pytest groups tests by parametrized fixtures, which splits this module and would
# build a module-scoped fixture twice
@pytest.fixture(scope="session")
def old_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not _git_has(OLD_MAIN):
        pytest.fail(f"commit {OLD_MAIN} is not in this clone; a shallow clone cannot run this test")
    target = tmp_path_factory.mktemp("old-main")
    archive = target / "src.tar"
    subprocess.run(["git", "archive", "-o", str(archive), OLD_MAIN], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:  # our own commit; the "data" filter where this Python has it (3.11.4+)
        tar.extractall(target / "src", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    # bytecode once, as an installed release has it (PYTHONDONTWRITEBYTECODE would recompile it per process)
    compileall.compile_dir(target / "src", quiet=2, workers=0)
    return target / "src"


def _run(code: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``connectplan ARGS`` of the code at ``code`` on store ``db``: the old release as a process of its own,
    this checkout (``ROOT``) in this process, through Click's runner (the same command line, no start-up)."""
    if code == ROOT:
        result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", *args])
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)
    env = {**os.environ, "PYTHONPATH": str(code), "CONNECTPLAN_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "-m", "connectplan", *args], cwd=code, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def old_store(old_code: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    db = tmp_path_factory.mktemp("store") / "plans.db"
    for args in (
        ("plan", "new", "acme", "--catalog", "stripe-connect@2025", "--preset", "white_label", "-m", "first"),
        ("plan", "set", "acme", "--set", "charge_type=separate", "-m", "second"),
        ("plan", "new", "old24", "--catalog", "stripe-connect@2024", "--preset", "saas", "-m", "2024 plan"),
    ):
        proc = _run(old_code, db, *args)
        assert proc.returncode == 0, proc.stderr
    shown = {}
    for ref in ("acme@1", "acme@2", "old24@1"):
        proc = _run(old_code, db, "plan", "show", ref, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        shown[ref] = proc.stdout
    return db, shown


def test_the_new_version_opens_an_old_store_and_imports_the_corrected_revisions(old_store):
    db, _ = old_store
    proc = _run(ROOT, db, "catalog", "list", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    refs = [f"{c['name']}@{c['edition']}.r{c['revision']}" for c in json.loads(proc.stdout)["catalogs"]]
    assert {
        "stripe-connect@2024.r1",
        "stripe-connect@2024.r2",
        "stripe-connect@2025.r1",
        "stripe-connect@2025.r2",
        "stripe-connect@2025.r3",
        "stripe-connect@2026.r1",
        "stripe-connect@2026.r2",
    } <= set(refs)


def test_plan_list_stale_lists_the_old_plans_and_old_versions_show_what_they_showed(old_store):
    db, shown = old_store
    proc = _run(ROOT, db, "plan", "list", "--stale", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    stale = {p["name"]: p for p in json.loads(proc.stdout)["plans"]}
    assert set(stale) == {"acme", "old24"}
    assert stale["acme"]["catalog"]["revision"] == 1 and stale["acme"]["superseded_by"] == NEWEST_2025
    for ref, before in shown.items():
        proc = _run(ROOT, db, "plan", "show", ref, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        now, old = json.loads(proc.stdout), json.loads(before)
        # the resolution is exactly what the old version showed (pinned to the same content); the
        # catalog now also names the exact revision it is pinned to (issue 18)
        assert now["catalog"] == {**old["catalog"], "revision": 1}
        assert {k: v for k, v in now.items() if k not in ("plan", "alternatives", "catalog")} == {
            k: v for k, v in old.items() if k not in ("plan", "catalog")
        }
        assert now["plan"]["superseded_by"] == NEWEST_2025 and now["plan"]["catalog_revision"] == 1
    text = _run(ROOT, db, "plan", "show", "acme@1").stdout
    assert "Stale:" in text and f"revision {NEWEST_2025}" in text and "connectplan plan upgrade acme" in text


def test_plan_upgrade_without_to_moves_a_plan_to_the_correcting_revision(old_store, tmp_path):
    db, shown = old_store
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    proc = _run(ROOT, copy, "plan", "upgrade", "acme", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["saved"] == "acme@3"
    proc = _run(ROOT, copy, "plan", "show", "acme@3", "--format", "json")
    after = json.loads(proc.stdout)
    assert after["plan"]["catalog_revision"] == NEWEST_2025 and after["plan"]["superseded_by"] is None
    assert after["catalog"]["edition"] == "2025"
    # the erratum shows: a white-label design (no dashboard, platform liable) collects requirements itself
    holders = {r["id"]: r["party"] for r in after["responsibilities"]}
    assert holders["collects_kyc"] == "platform"
    assert json.loads(shown["acme@2"])["verdict"] == after["verdict"]  # the 2025 errata change no verdict
    proc = _run(ROOT, copy, "plan", "list", "--stale", "--format", "json")
    stale = {p["name"]: p for p in json.loads(proc.stdout)["plans"]}
    # acme is on the corrected revision now; it stays stale only because a newer edition (2026-12) exists
    assert stale["acme"]["superseded_by"] is None and stale["acme"]["newest_edition"] == "2026-12"
    assert stale["old24"]["superseded_by"] == NEWEST_2024
    # old versions are untouched
    assert (
        json.loads(_run(ROOT, copy, "plan", "show", "acme@1", "--format", "json").stdout)["verdict"]
        == json.loads(shown["acme@1"])["verdict"]
    )


#: errata H2 of stripe-connect@2026 revision 2: a fully embedded integration with Stripe liability
H2_SELECTION = {
    "onboarding": "embedded",
    "dashboard": "none",
    "charge_type": "direct",
    "fee_payer": "platform",
    "liability": "stripe",
    "business_model": "platform",
    "monetization": "application_fees",
}


def test_a_2026_r1_plan_is_stale_and_its_upgrade_shows_what_revision_2_changes(tmp_path):
    db = tmp_path / "plans.db"
    sets = [a for p, o in H2_SELECTION.items() for a in ("--set", f"{p}={o}")]
    proc = _run(ROOT, db, "plan", "new", "embedded", "--catalog", "stripe-connect@2026.r1", *sets, "--allow-blocked")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(_run(ROOT, db, "plan", "show", "embedded", "--format", "json").stdout)
    assert shown["verdict"] == "blocked" and shown["plan"]["catalog_revision"] == 1
    proc = _run(ROOT, db, "plan", "list", "--stale", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    stale = {p["name"]: p for p in json.loads(proc.stdout)["plans"]}
    assert stale["embedded"]["catalog"]["revision"] == 1 and stale["embedded"]["superseded_by"] == 2
    proc = _run(ROOT, db, "plan", "upgrade", "embedded", "--dry-run", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] == ["blocked", "allowed"] and report["saved"] is None
    assert report["to"]["catalog"]["edition"] == "2026"
    assert [f["rule"] for f in report["findings"]["removed"]] == [
        "no_dashboard_requires_platform_pricing_and_liability"
    ]
    assert "no_dashboard_stripe_liability_requires_embedded_components" in [
        f["rule"] for f in report["findings"]["added"]
    ]
    text = _run(ROOT, db, "plan", "upgrade", "embedded", "--dry-run").stdout
    assert "blocked -> allowed" in text and "Dry run: nothing saved." in text
    assert text.startswith("Upgrade embedded@1 (stripe-connect@2026.r1) -> stripe-connect@2026.r2\n")
