"""Issue 10 point 8, "No silent verdict": one save policy for plan new, set, fork, import and upgrade.

Every saving command prints the verdict of the version it saved (and the change when it moved);
a blocked or out-of-scope design is saved only with --allow-blocked; --fail-on SEVERITY refuses a
verdict at or above it. A refusal stores nothing, prints one line, no traceback, and exits 1.

Selections are from the shipped catalogs (found with ``connectplan presets`` / ``resolve``):
on stripe-connect@2026 ``saas`` is allowed and ``saas`` + ``liability=platform`` blocked
(stripe_pricing_requires_stripe_liability); ``marketplace`` is caution and ``marketplace`` +
``dashboard=full`` sales_gated. On stripe-connect@2024 the fully embedded selection is allowed and
becomes blocked on 2025; the 2024 ``marketplace`` preset is allowed and becomes caution on 2025; the
2024 ``saas`` preset with ``liability=stripe`` stays allowed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pg import sqlite_store
from webapp import Page, client_for, post

from connectplan.cli import cli
from connectplan.commands.options import FAIL_ON as CLI_FAIL_ON
from connectplan.engine import Severity
from connectplan.errors import USER_ERRORS, AppError, VerdictRefusedError
from connectplan.output.documents import to_document
from connectplan.save_policy import FAIL_ON, SavePolicy
from connectplan.workspace import open_workspace

BLOCKED_SET = ("--preset", "saas", "--set", "liability=platform")
BLOCKED_RULE = "stripe_pricing_requires_stripe_liability"
EMBEDDED_2024 = {
    "onboarding": "embedded",
    "dashboard": "none",
    "charge_type": "direct",
    "fee_payer": "platform",
    "liability": "stripe",
}
EMBEDDED_2024_ARGS = (
    "--catalog",
    "stripe-connect@2024",
    *(a for p, o in EMBEDDED_2024.items() for a in ("--set", f"{p}={o}")),
)


@pytest.fixture
def url(tmp_path):
    return sqlite_store(tmp_path / "policy.db")


@pytest.fixture
def invoke(runner, url):
    def run(*args: str):
        return runner.invoke(cli, ["--db", url, *args], catch_exceptions=False)

    return run


def rows(url: str) -> tuple[int, int, int]:
    """(plans, versions, tags) stored, counted in the database itself (a store never created has none)."""
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        return (0, 0, 0)
    with sqlite3.connect(path) as conn:
        return tuple(
            conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("plan", "plan_version", "plan_tag")
        )


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(result, *needles: str) -> str:
    """A refused save: exit 1, nothing on stdout but (for upgrade) its report, one line on stderr, no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("Error: not saved: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _export(invoke, tmp_path, name: str, *new_args: str, sets: tuple[str, ...] = ()) -> str:
    """Save plan ``name`` (allowing anything), apply ``sets`` as version 2, export it; the file path."""
    ok(invoke("plan", "new", name, *new_args, "--allow-blocked"))
    for change in sets:
        ok(invoke("plan", "set", name, "--set", change, "-m", change, "--allow-blocked"))
    path = tmp_path / f"{name}.json"
    ok(invoke("plan", "export", name, "-o", str(path)))
    return str(path)


# -- the verdict is printed ---------------------------------------------------------------------


def test_plan_new_prints_the_verdict(invoke):
    assert (
        ok(invoke("plan", "new", "acme", "--preset", "saas"))
        == "saved acme@1 (stripe-connect@2026-12)\nverdict: allowed\n"
    )
    out = ok(invoke("plan", "new", "shop", "--preset", "marketplace"))
    assert out.splitlines()[-1] == "verdict: caution"


def test_plan_set_prints_the_change_when_the_verdict_moved(invoke):
    ok(invoke("plan", "new", "shop", "--preset", "marketplace"))
    out = ok(invoke("plan", "set", "shop", "--set", "dashboard=full", "-m", "full dashboard"))
    assert out == "saved shop@2 (parent 1)\nverdict: caution → sales_gated\n"
    out = ok(invoke("plan", "set", "shop", "--set", "monetization=application_fees,product_markup", "-m", "markup"))
    assert out.splitlines()[-1] == "verdict: sales_gated (unchanged)"
    ok(invoke("plan", "new", "acme", "--preset", "saas"))
    out = ok(
        invoke("plan", "set", "acme", "--set", "liability=platform", "-m", "we take the losses", "--allow-blocked")
    )
    assert out.splitlines()[-1] == "verdict: allowed → blocked"


def test_plan_fork_prints_the_source_verdict(invoke):
    ok(invoke("plan", "new", "shop", "--preset", "marketplace"))
    out = ok(invoke("plan", "fork", "shop", "shop-eu"))
    assert out == "saved shop-eu@1 (forked from shop@1)\nverdict: caution (as shop@1)\n"


def test_plan_import_prints_the_latest_versions_verdict(invoke, tmp_path):
    path = _export(invoke, tmp_path, "shop", "--preset", "marketplace", sets=("dashboard=full",))
    out = ok(invoke("plan", "import", path, "--as", "copy"))
    assert out == "imported copy (2 versions)\nverdict: sales_gated\n"


def test_plan_upgrade_prints_the_change_of_the_saved_version(invoke):
    ok(invoke("plan", "new", "shop", "--catalog", "stripe-connect@2024", "--preset", "marketplace"))
    out = ok(invoke("plan", "upgrade", "shop", "--to", "stripe-connect@2025"))
    assert out.endswith("Saved shop@2 on stripe-connect@2025.\nverdict: allowed → caution\n"), out
    assert "Verdict:   allowed -> caution" in out  # the report's own before/after line is kept
    ok(
        invoke(
            "plan", "new", "acme", "--catalog", "stripe-connect@2024", "--preset", "saas", "--set", "liability=stripe"
        )
    )
    out = ok(invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025"))
    assert out.endswith("verdict: allowed (unchanged)\n"), out


def test_plan_show_json_does_not_carry_the_saved_verdict_fields(invoke):
    ok(invoke("plan", "new", "shop", "--preset", "marketplace"))
    ok(invoke("plan", "set", "shop", "--set", "dashboard=full", "-m", "full"))
    doc = json.loads(ok(invoke("plan", "show", "shop", "--format", "json")))
    assert "verdict" not in doc["plan"] and "parent_verdict" not in doc["plan"]
    assert doc["verdict"] == "sales_gated"


# -- blocked designs need --allow-blocked -----------------------------------------------------------


def test_plan_new_refuses_a_blocked_design_without_allow_blocked(invoke, url):
    line = refused(
        invoke("plan", "new", "acme", *BLOCKED_SET), "acme@1 would be blocked", BLOCKED_RULE, "--allow-blocked"
    )
    assert line.endswith("; pass --allow-blocked to save it anyway")
    assert rows(url) == (0, 0, 0)
    assert "the store has no plans yet" in invoke("plan", "log", "acme").output
    out = ok(invoke("plan", "new", "acme", *BLOCKED_SET, "--allow-blocked"))
    assert out.splitlines()[-1] == "verdict: blocked"
    assert rows(url) == (1, 1, 0)


def test_plan_new_refuses_an_out_of_scope_design(invoke, url):
    # stripe-connect@2026: on_behalf_of is out of scope there (2026-12 brings it into scope)
    args = ("--catalog", "stripe-connect@2026", "--preset", "marketplace", "--set", "charge_type=destination_obo")
    refused(invoke("plan", "new", "obo", *args), "obo@1 would be out_of_scope", "obo_out_of_scope")
    assert rows(url) == (0, 0, 0)
    assert ok(invoke("plan", "new", "obo", *args, "--allow-blocked")).splitlines()[-1] == "verdict: out_of_scope"


def test_plan_set_refuses_a_blocked_design_without_allow_blocked(invoke, url):
    ok(invoke("plan", "new", "acme", "--preset", "saas"))
    refused(
        invoke("plan", "set", "acme", "--set", "liability=platform", "-m", "losses"),
        "acme@2 would be blocked",
        BLOCKED_RULE,
    )
    assert rows(url) == (1, 1, 0)
    assert [line.split()[0] for line in ok(invoke("plan", "log", "acme")).splitlines() if line.startswith("acme@")] == [
        "acme@1"
    ]
    ok(invoke("plan", "set", "acme", "--set", "liability=platform", "-m", "losses", "--allow-blocked"))
    assert rows(url) == (1, 2, 0)


def test_plan_fork_refuses_a_blocked_source_without_allow_blocked(invoke, url):
    ok(invoke("plan", "new", "acme", *BLOCKED_SET, "--allow-blocked"))
    refused(invoke("plan", "fork", "acme", "acme-2"), "acme-2@1 would be blocked", BLOCKED_RULE)
    assert rows(url) == (1, 1, 0)
    assert "acme-2" not in ok(invoke("plan", "list"))
    assert (
        ok(invoke("plan", "fork", "acme", "acme-2", "--allow-blocked")).splitlines()[-1]
        == "verdict: blocked (as acme@1)"
    )
    assert rows(url) == (2, 2, 0)


def test_plan_import_refuses_when_any_version_is_blocked(invoke, url, tmp_path):
    # version 2 is blocked, version 3 allowed again: the import names version 2 and stores nothing
    path = _export(invoke, tmp_path, "acme", "--preset", "saas", sets=("liability=platform", "liability=stripe"))
    ok(invoke("plan", "tag", "acme@2", "reviewed"))
    ok(invoke("plan", "export", "acme", "-o", path))
    before = rows(url)
    refused(invoke("plan", "import", path, "--as", "copy"), "copy@2 would be blocked", BLOCKED_RULE)
    assert rows(url) == before
    out = ok(invoke("plan", "import", path, "--as", "copy", "--allow-blocked"))
    assert out == "imported copy (3 versions)\nverdict: allowed\n"
    assert rows(url) == (before[0] + 1, before[1] + 3, before[2] + 1)


def test_plan_upgrade_refuses_a_blocked_result_without_allow_blocked(invoke, url):
    ok(invoke("plan", "new", "acme", *EMBEDDED_2024_ARGS))
    result = invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025")
    refused(
        result, "acme@2 would be blocked", "no_dashboard_requires_platform_pricing_and_liability", "--allow-blocked"
    )
    assert "Nearest alternatives" in result.stdout  # the fuller report stays on stdout
    assert result.stdout.splitlines()[-1].startswith("Not saved: acme@2 would be blocked"), result.stdout
    assert rows(url) == (1, 1, 0)
    doc = json.loads(invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025", "--format", "json").stdout)
    assert doc["saved"] is None and doc["verdict"] == ["allowed", "blocked"]
    assert rows(url) == (1, 1, 0)
    out = ok(invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025", "--allow-blocked"))
    assert out.endswith("Saved acme@2 on stripe-connect@2025.\nverdict: allowed → blocked\n"), out
    assert rows(url) == (1, 2, 0)


# -- --fail-on ---------------------------------------------------------------------------------------


def test_fail_on_choices_are_resolves():
    assert CLI_FAIL_ON == FAIL_ON == ("caution", "sales_gated", "blocked", "out_of_scope")


def test_plan_new_fail_on(invoke, url):
    refused(
        invoke("plan", "new", "shop", "--preset", "marketplace", "--fail-on", "caution"),
        "shop@1 would be caution, at or above --fail-on caution",
    )
    assert rows(url) == (0, 0, 0)
    ok(invoke("plan", "new", "shop", "--preset", "marketplace", "--fail-on", "sales_gated"))
    ok(invoke("plan", "new", "acme", "--preset", "saas", "--fail-on", "caution"))
    assert rows(url) == (2, 2, 0)


def test_fail_on_is_checked_in_addition_to_allow_blocked(invoke, url):
    refused(
        invoke("plan", "new", "acme", *BLOCKED_SET, "--allow-blocked", "--fail-on", "blocked"),
        "acme@1 would be blocked, at or above --fail-on blocked",
    )
    refused(
        invoke("plan", "new", "acme", *BLOCKED_SET, "--fail-on", "out_of_scope"),
        "acme@1 would be blocked",
        "--allow-blocked",
    )
    assert rows(url) == (0, 0, 0)
    ok(invoke("plan", "new", "acme", *BLOCKED_SET, "--allow-blocked", "--fail-on", "out_of_scope"))


def test_plan_set_fail_on(invoke, url):
    ok(invoke("plan", "new", "shop", "--preset", "marketplace"))
    refused(
        invoke("plan", "set", "shop", "--set", "dashboard=full", "-m", "m", "--fail-on", "caution"),
        "shop@2 would be sales_gated, at or above --fail-on caution",
    )
    assert rows(url) == (1, 1, 0)
    ok(invoke("plan", "new", "acme", "--preset", "saas"))
    ok(invoke("plan", "set", "acme", "--set", "dashboard=express", "-m", "m", "--fail-on", "caution"))
    assert rows(url) == (2, 3, 0)


def test_plan_fork_fail_on(invoke, url):
    ok(invoke("plan", "new", "shop", "--preset", "marketplace"))
    refused(invoke("plan", "fork", "shop", "shop-2", "--fail-on", "caution"), "shop-2@1 would be caution")
    assert rows(url) == (1, 1, 0)
    ok(invoke("plan", "new", "acme", "--preset", "saas"))
    ok(invoke("plan", "fork", "acme", "acme-2", "--fail-on", "caution"))
    assert rows(url) == (3, 3, 0)


def test_plan_import_fail_on(invoke, url, tmp_path):
    caution = _export(invoke, tmp_path, "shop", "--preset", "marketplace")
    allowed = _export(invoke, tmp_path, "acme", "--preset", "saas")
    refused(invoke("plan", "import", caution, "--as", "copy", "--fail-on", "caution"), "copy@1 would be caution")
    assert rows(url) == (2, 2, 0)
    ok(invoke("plan", "import", allowed, "--as", "copy", "--fail-on", "caution"))
    assert rows(url) == (3, 3, 0)


def test_plan_upgrade_fail_on(invoke, url):
    ok(invoke("plan", "new", "shop", "--catalog", "stripe-connect@2024", "--preset", "marketplace"))
    result = invoke("plan", "upgrade", "shop", "--to", "stripe-connect@2025", "--fail-on", "caution")
    refused(result, "shop@2 would be caution, at or above --fail-on caution")
    assert "Verdict:   allowed -> caution" in result.stdout
    assert rows(url) == (1, 1, 0)
    # a dry run saves nothing either way, and exits 1 for --fail-on only
    assert (
        invoke("plan", "upgrade", "shop", "--to", "stripe-connect@2025", "--dry-run", "--fail-on", "caution").exit_code
        == 1
    )
    assert (
        invoke("plan", "upgrade", "shop", "--to", "stripe-connect@2025", "--dry-run", "--fail-on", "blocked").exit_code
        == 0
    )
    ok(invoke("plan", "new", "acme", *EMBEDDED_2024_ARGS))
    assert invoke("plan", "upgrade", "acme", "--to", "stripe-connect@2025", "--dry-run").exit_code == 0  # blocked, dry
    assert rows(url) == (2, 2, 0)
    ok(invoke("plan", "new", "ok", "--catalog", "stripe-connect@2024", "--preset", "saas", "--set", "liability=stripe"))
    ok(invoke("plan", "upgrade", "ok", "--to", "stripe-connect@2025", "--fail-on", "caution"))
    assert rows(url) == (3, 4, 0)


def test_an_unknown_fail_on_is_a_usage_error(invoke, url):
    result = invoke("plan", "new", "shop", "--preset", "saas", "--fail-on", "allowed")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert rows(url) == (0, 0, 0)


def test_every_saving_command_documents_the_policy(invoke):
    for command in ("new", "set", "fork", "import", "upgrade"):
        text = ok(invoke("plan", command, "--help"))
        assert "--allow-blocked" in text and "--fail-on" in text, command
        assert "exit 1" in text or "exits 1" in text, command


# -- the Python API ------------------------------------------------------------------------------------


def test_the_api_raises_verdict_refused_and_stores_nothing(url, tmp_path):
    with open_workspace(url) as ws:
        with pytest.raises(VerdictRefusedError) as info:
            ws.new_plan("acme", preset="saas", set={"liability": "platform"})
        exc = info.value
        assert isinstance(exc, USER_ERRORS) and isinstance(exc, AppError) and exc.exit_code == 1
        assert (exc.ref, exc.verdict, exc.reason, exc.rule_id) == ("acme@1", "blocked", "blocked", BLOCKED_RULE)
        assert rows(url) == (0, 0, 0)
        saved = ws.new_plan("acme", preset="saas", set={"liability": "platform"}, allow_blocked=True)
        assert (saved.verdict, saved.parent_verdict) == ("blocked", None)

        ws.new_plan("shop", preset="marketplace")
        with pytest.raises(VerdictRefusedError) as info:
            ws.set_plan("shop", {"dashboard": "full"}, message="m", fail_on="caution")
        assert (info.value.reason, info.value.verdict, info.value.fail_on) == ("fail_on", "sales_gated", "caution")
        with pytest.raises(VerdictRefusedError):
            ws.set_plan("shop", {"liability": "stripe"}, message="m")
        saved = ws.set_plan("shop", {"dashboard": "full"}, message="m", fail_on=Severity.BLOCKED)
        assert (saved.verdict, saved.parent_verdict) == ("sales_gated", "caution")

        with pytest.raises(VerdictRefusedError):
            ws.fork("acme", "acme-2")
        assert ws.fork("acme", "acme-2", allow_blocked=True).verdict == "blocked"

        export = to_document(ws.export_plan("acme"))
        with pytest.raises(VerdictRefusedError):
            ws.import_plan(export, as_name="copy")
        with pytest.raises(VerdictRefusedError):
            ws.import_plan(export, as_name="copy", allow_blocked=True, fail_on="blocked")
        assert ws.import_plan(export, as_name="copy", allow_blocked=True).verdict == "blocked"

        ws.new_plan("old", catalog="stripe-connect@2024", set=EMBEDDED_2024)
        before = rows(url)
        with pytest.raises(VerdictRefusedError) as info:
            ws.upgrade_plan("old", "stripe-connect@2025")
        assert info.value.report is not None and info.value.report.after.verdict == "blocked"
        assert rows(url) == before
        report, none = ws.upgrade_plan("old", "stripe-connect@2025", dry_run=True, fail_on="caution")
        assert none is None and report.after.verdict == "blocked"  # a dry run never fails on the policy
        _, saved = ws.upgrade_plan("old", "stripe-connect@2025", allow_blocked=True)
        assert saved is not None and (saved.verdict, saved.parent_verdict) == ("blocked", "allowed")
        assert rows(url) == (before[0], before[1] + 1, before[2])
        assert ws.version("old@2").verdict is None  # read back, a record carries no saved verdict

        with pytest.raises(AppError, match="unknown fail_on severity 'allowed'"):
            ws.new_plan("x", preset="saas", fail_on="allowed")


def test_the_cli_exits_with_the_errors_own_exit_code():
    from connectplan.cli import to_input_error

    refusal = to_input_error(VerdictRefusedError("acme@1", "blocked", "blocked"))
    assert refusal is not None and refusal.exit_code == 1
    assert refusal.format_message() == "not saved: acme@1 would be blocked; pass --allow-blocked to save it anyway"
    bad = to_input_error(AppError("bad input"))
    assert bad is not None and bad.exit_code == 2
    assert to_input_error(ValueError("a bug")) is None


def test_save_policy_ranks_like_resolve():
    for text in FAIL_ON:
        policy = SavePolicy.of(allow_blocked=True, fail_on=text)
        for verdict in ("allowed", *FAIL_ON):
            assert policy.refuses(verdict) == (Severity.parse(verdict) >= Severity.parse(text)), (text, verdict)
    assert [SavePolicy().refuses(v) for v in ("allowed", *FAIL_ON)] == [False, False, False, True, True]


# -- the web configurator ------------------------------------------------------------------------------


SAAS_2026 = {
    "onboarding": "embedded",
    "dashboard": "full",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
    "business_model": "platform",
    "monetization": "application_fees",
}


def test_web_refuses_a_blocked_save_unless_the_box_is_ticked(url):
    from connectplan.workspace import upgrade_store

    upgrade_store(url)
    blocked = {**SAAS_2026, "liability": "platform"}
    with client_for(url) as client:
        query = "&".join(f"{k}={v}" for k, v in {"catalog": "stripe-connect@2026", **blocked}.items())
        page = Page(client.get("/?" + query).text)
        boxes = [t for t in page.tags("input") if t.get("name") == "allow_blocked"]
        assert len(boxes) == 1 and boxes[0].get("value") == "1"  # the new-plan form
        fields = [("name", "acme"), ("catalog", "stripe-connect@2026"), *blocked.items()]
        resp = post(client, "/plans", fields)
        assert resp.status_code == 422, resp.text
        text = Page(resp.text).all_text
        assert "Not saved" in text and "acme@1 would be blocked" in text and BLOCKED_RULE in text
        assert "save even if blocked" in text and "--allow-blocked" not in text
        assert rows(url) == (0, 0, 0)
        resp = post(client, "/plans", [*fields, ("allow_blocked", "1")])
        assert resp.status_code == 303 and resp.headers["location"] == "/versions/acme@1?done=saved"
        assert rows(url) == (1, 1, 0)

        post(client, "/plans", [("name", "ok"), ("catalog", "stripe-connect@2026"), *SAAS_2026.items()])
        version = [("base", "1"), ("message", "losses"), ("catalog", "stripe-connect@2026"), *blocked.items()]
        assert post(client, "/plans/ok/versions", version).status_code == 422
        assert rows(url) == (2, 2, 0)
        assert post(client, "/plans/ok/versions", [*version, ("allow_blocked", "1")]).status_code == 303
        assert rows(url) == (2, 3, 0)

        version_page = Page(client.get("/versions/acme@1").text)
        # fork; the upgrade is previewed first, and its page has the box when the upgraded design is blocked
        assert sum(t.get("name") == "allow_blocked" for t in version_page.tags("input")) == 1
        assert post(client, "/plans/acme/fork", [("ref", "acme@1"), ("new_name", "acme-2")]).status_code == 422
        assert rows(url) == (2, 3, 0)
        resp = post(client, "/plans/acme/fork", [("ref", "acme@1"), ("new_name", "acme-2"), ("allow_blocked", "1")])
        assert resp.status_code == 303 and rows(url) == (3, 4, 0)


def test_web_refused_upgrade_shows_its_report_with_the_box(url):
    from connectplan.workspace import upgrade_store

    upgrade_store(url)
    with open_workspace(url) as ws:
        ws.new_plan("old", catalog="stripe-connect@2024", set=EMBEDDED_2024)
    with client_for(url) as client:
        resp = post(client, "/plans/old/upgrade", [("ref", "old@1"), ("to", "stripe-connect@2025")])
        assert resp.status_code == 422, resp.text
        page = Page(resp.text)
        assert "old@2 would be blocked" in page.all_text and "Nearest alternatives" in page.all_text
        assert any(t.get("name") == "allow_blocked" for t in page.tags("input"))
        assert rows(url)[1] == 1
        resp = post(
            client, "/plans/old/upgrade", [("ref", "old@1"), ("to", "stripe-connect@2025"), ("allow_blocked", "1")]
        )
        assert resp.status_code == 303 and rows(url)[1] == 2
