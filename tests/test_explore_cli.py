"""CLI contract of explore, presets, catalog lint / diff, and alternatives in resolve (issue 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from connectplan.cli import cli

ROOT = Path(__file__).resolve().parent.parent
BLOCKED_2025 = [
    "--set",
    "dashboard=express",
    "--set",
    "fee_payer=connected_account",
    "--set",
    "liability=stripe",
    "--set",
    "charge_type=direct",
    "--set",
    "onboarding=embedded",
]


@pytest.fixture
def invoke(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str):
        return runner.invoke(cli, ["--db", url, *args], catch_exceptions=False)

    return run


def _status(doc, prop, opt):  # type: ignore[no-untyped-def]
    p = next(p for p in doc["properties"] if p["id"] == prop)
    return next(o for o in p["options"] if o["id"] == opt)


def test_explore_express_acceptance(invoke):
    result = invoke("explore", "--catalog", "stripe-connect@2025", "--set", "dashboard=express", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert list(doc) == ["catalog", "selection", "properties"]
    assert doc["catalog"] == {"name": "stripe-connect", "edition": "2025", "revision": 3}
    assert doc["selection"] == {"dashboard": "express"}
    for prop, opt in (("liability", "stripe"), ("fee_payer", "connected_account")):
        status = _status(doc, prop, opt)
        assert status["status"] == "excluded" and status["best_verdict"] == "blocked"
        assert status["reason"]["rule"] == "express_requires_platform_pricing_and_liability"
        assert status["reason"]["because"] == ["dashboard.express"]
    assert _status(doc, "liability", "platform")["status"] == "forced"
    assert _status(doc, "liability", "platform")["reason"] is None
    text = invoke("explore", "--catalog", "stripe-connect@2025", "--set", "dashboard=express").output
    assert "express_requires_platform_pricing_and_liability" in text
    assert "forced" in text


def test_explore_complete_selection_is_resolved(invoke):
    result = invoke("explore", "--catalog", "stripe-connect@2025", "--preset", "saas", "--format", "json")
    doc = json.loads(result.output)
    assert doc["resolution"]["verdict"] == "allowed"
    assert "Verdict:  ALLOWED" in invoke("explore", "--catalog", "stripe-connect@2025", "--preset", "saas").output


def test_resolve_json_lists_alternatives_for_a_blocked_selection(invoke):
    """Issue 5 acceptance (point 3) through --format json."""
    result = invoke("resolve", "--catalog", "stripe-connect@2025", *BLOCKED_2025, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["verdict"] == "blocked"
    alts = doc["alternatives"]
    assert 2 <= len(alts) <= 3
    assert alts[0]["changes"] == [{"property": "dashboard", "from": "express", "to": "full"}]
    assert alts[0]["verdict"] == "allowed"
    assert alts[1]["changes"] == [
        {"property": "fee_payer", "from": "connected_account", "to": "platform"},
        {"property": "liability", "from": "stripe", "to": "platform"},
    ]
    assert alts[1]["verdict"] == "allowed"
    text = invoke("resolve", "--catalog", "stripe-connect@2025", *BLOCKED_2025).output
    assert "1. dashboard: express -> full  => allowed" in text


def test_resolve_has_no_alternatives_when_allowed(invoke):
    doc = json.loads(
        invoke("resolve", "--catalog", "stripe-connect@2025", "--preset", "saas", "--format", "json").output
    )
    assert "alternatives" not in doc


def test_presets_text_and_json(invoke):
    doc = json.loads(invoke("presets", "--catalog", "stripe-connect@2025", "--format", "json").output)
    assert doc["catalog"] == {"name": "stripe-connect", "edition": "2025", "revision": 3}
    by_id = {p["id"]: p for p in doc["presets"]}
    # DOMAIN.md §8: the 2025 marketplace preset resolves to caution, SaaS to allowed
    assert by_id["saas"]["verdict"] == "allowed"
    assert by_id["marketplace"]["verdict"] == "caution"
    assert by_id["saas"]["selection"]["dashboard"] == "full"
    assert by_id["saas"]["reasoning"]
    text = invoke("presets", "--catalog", "stripe-connect@2025").output
    assert "marketplace" in text and "caution" in text


def test_lint_ok_exit_0_and_json(invoke):
    result = invoke("catalog", "lint", "stripe-connect@2025", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert list(doc) == ["source", "catalog", "ok", "errors", "warnings", "summary"]
    assert doc["ok"] is True
    assert doc["summary"]["selections"] == 180 and doc["summary"]["counted"] is True
    assert sum(doc["summary"]["by_verdict"].values()) == 180


def test_lint_file_with_a_cycle_exits_1(invoke, tmp_path):
    from tests.conftest import tiny_doc

    doc = tiny_doc()
    doc["steps"][0]["prereqs"] = ["second"]
    path = tmp_path / "cyclic.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = invoke("catalog", "lint", str(path), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [e["code"] for e in report["errors"]] == ["cycle"]


def test_lint_unreachable_prerequisite_exits_1(invoke, tmp_path):
    from tests.conftest import tiny_doc

    doc = tiny_doc()
    doc["steps"][0]["condition"] = "size.s"
    path = tmp_path / "unreachable.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = invoke("catalog", "lint", str(path))
    assert result.exit_code == 1
    assert "unreachable_prerequisite: second" in result.output


def test_catalog_diff_json(invoke):
    result = invoke("catalog", "diff", "stripe-connect@2024", "stripe-connect@2025", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["from"] == "stripe-connect@2024" and doc["to"] == "stripe-connect@2025"
    assert "charge_type.destination_obo" in doc["options"]["added"]
    text = invoke("catalog", "diff", "stripe-connect@2024", "stripe-connect@2025").output
    assert "+ charge_type.destination_obo" in text


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["explore", "--set", "dashboard=bogus"], "unknown option 'bogus'"),
        (["explore", "--set", "nonsense"], "malformed --set"),
        (["explore", "--preset", "nope"], "unknown preset"),
        (["presets", "--catalog", "nope@1"], "nope"),
        (["catalog", "lint", "missing.yaml"], "no such catalog file"),
        (["catalog", "diff", "stripe-connect@2024", "stripe-connect@1999"], "unknown edition"),
        (["plan", "upgrade", "ghost", "--to", "stripe-connect@2025"], "ghost"),
    ],
)
def test_bad_input_is_one_line_exit_2(invoke, args, fragment):
    result = invoke(*args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], result.output


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    return set(out.split())


def test_pysat_is_not_loaded_for_help_or_an_allowed_resolve(tmp_path):
    probe = (
        "import sys\n"
        "from connectplan.cli import cli\n"
        "sys.argv = ['connectplan', '--db', 'sqlite:///{db}', {args}]\n"
        "try:\n    cli(prog_name='connectplan')\nexcept SystemExit:\n    pass\n"
    )
    db = tmp_path / "probe.db"
    help_mods = _modules_after(probe.format(db=db, args="'--help'"))
    assert "pysat" not in help_mods
    allowed = _modules_after(probe.format(db=db, args="'resolve', '--preset', 'saas'"))
    assert "pysat" not in allowed and "connectplan.engine.resolution" in allowed
    blocked = _modules_after(
        probe.format(
            db=db, args=", ".join(repr(a) for a in ["resolve", "--catalog", "stripe-connect@2025", *BLOCKED_2025])
        )
    )
    assert "pysat" in blocked  # sanity: the probe sees the solver when alternatives are needed


def test_option_that_excludes_itself_says_so(invoke):
    out = invoke("explore", "--catalog", "stripe-connect@2025", "--set", "dashboard=express").stdout
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("destination_obo"))
    assert "excluded" in line
    assert line.endswith("-- rule obo_out_of_scope, because charge_type.destination_obo itself")
