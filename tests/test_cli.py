"""The CLI contract of `resolve`, `options` and `catalog validate/show` (issue 2)."""

from __future__ import annotations

import json

import pytest

from connectplan.cli import cli

GUIDE_ARGS = [
    "--set",
    "onboarding=hosted",
    "--set",
    "dashboard=full",
    "--set",
    "charge_type=direct",
    "--set",
    "fee_payer=connected_account",
    "--set",
    "liability=stripe",
]


@pytest.fixture
def invoke(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str):
        return runner.invoke(cli, ["--db", url, *args], catch_exceptions=False)

    return run


def test_resolve_text_for_the_guide_example(invoke):
    result = invoke("resolve", "--catalog", "stripe-connect@2024", *GUIDE_ARGS)
    assert result.exit_code == 0, result.output
    assert "Verdict:  ALLOWED" in result.output
    assert "Create connected accounts and collect requirements using Stripe-hosted onboarding" in result.output
    assert "why: charge_type.direct, fee_payer.connected_account" in result.output


def test_resolve_json_contract(invoke):
    result = invoke("resolve", "--catalog", "stripe-connect@2024", *GUIDE_ARGS, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert list(doc) == ["catalog", "selection", "verdict", "findings", "steps", "money_flows", "responsibilities"]
    assert doc["catalog"] == {"name": "stripe-connect", "edition": "2024", "revision": 3}
    assert list(doc["selection"]) == ["onboarding", "dashboard", "charge_type", "fee_payer", "liability"]
    assert doc["verdict"] == "allowed"
    for f in doc["findings"]:
        assert list(f)[:5] == ["rule", "severity", "message", "alternative", "source"]
    for s in doc["steps"]:
        assert list(s)[:4] == ["id", "title", "phase", "because"]
    assert [s["id"] for s in doc["steps"] if s["core"]] == [
        "onboard_hosted",
        "direct_charges_connected_account_pays_fees",
        "full_dashboard_access",
        "stripe_negative_balance_liability",
        "control_payouts",
    ]
    assert {"from": "customer", "to": "connected_account"}.items() <= doc["money_flows"][0].items()
    liability = [r for r in doc["responsibilities"] if r["id"] == "negative_balance_liability"]
    assert [r["party"] for r in liability] == ["stripe"]


def test_same_input_same_bytes(invoke):
    args = ("resolve", "--preset", "marketplace", "--format", "json")
    assert invoke(*args).stdout_bytes == invoke(*args).stdout_bytes
    args = ("resolve", "--preset", "marketplace", "--format", "markdown")
    assert invoke(*args).stdout_bytes == invoke(*args).stdout_bytes


def test_default_catalog_is_newest_edition(invoke):
    doc = json.loads(invoke("resolve", "--preset", "saas", "--format", "json").stdout)
    assert doc["catalog"] == {"name": "stripe-connect", "edition": "2026-12", "revision": 1}


def test_set_overrides_preset(invoke):
    doc = json.loads(invoke("resolve", "--preset", "saas", "--set", "liability=platform", "--format", "json").stdout)
    assert doc["selection"]["liability"] == "platform"
    assert doc["verdict"] == "blocked"  # connected-account fees need Stripe liability


def test_markdown_section(invoke):
    out = invoke("resolve", "--preset", "saas", "--format", "markdown").stdout
    assert out.startswith("## ")
    assert "| Decision | Choice | Summary |" in out
    assert "### Integration steps" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "onboarding=hosted"], "no option selected for dashboard, charge_type, fee_payer, liability"),
        ([*GUIDE_ARGS, "--set", "colour=red"], "unknown property 'colour'"),
        ([*GUIDE_ARGS, "--set", "dashboard=fancy"], "unknown option 'fancy' for property 'dashboard'"),
        ([*GUIDE_ARGS, "--set", "dashboard"], "malformed --set 'dashboard'; use PROPERTY=OPTION"),
        (["--preset", "nope"], "unknown preset 'nope'"),
        (["--catalog", "nope", *GUIDE_ARGS], "unknown catalog 'nope'"),
        (["--catalog", "stripe-connect@1999", *GUIDE_ARGS], "unknown edition '1999'"),
    ],
)
def test_bad_input_is_one_line_exit_2(invoke, args, fragment):
    result = (
        invoke("resolve", "--catalog", "stripe-connect@2024", *args)
        if "--catalog" not in args
        else invoke("resolve", *args)
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_unknown_ids_list_the_valid_ones(invoke):
    result = invoke("resolve", "--catalog", "stripe-connect@2024", *GUIDE_ARGS, "--set", "dashboard=fancy")
    assert "options: full, express, none" in result.stderr


@pytest.mark.parametrize(
    ("preset", "fail_on", "code"),
    [
        ("saas", "caution", 0),  # allowed
        ("crowdfunding", "caution", 1),  # caution >= caution
        ("crowdfunding", "blocked", 0),
    ],
)
def test_fail_on(invoke, preset, fail_on, code):
    result = invoke("resolve", "--catalog", "stripe-connect@2025", "--preset", preset, "--fail-on", fail_on)
    assert result.exit_code == code


def test_options_lists_ids(invoke):
    out = invoke("options", "--catalog", "stripe-connect@2025").stdout
    assert "charge_type.destination_obo" in out and "fee_payer.connected_account" in out
    doc = json.loads(invoke("options", "--format", "json").stdout)
    assert next(p["id"] for p in doc["properties"]) == "onboarding"


def test_catalog_validate_ok_and_errors(invoke, tmp_path):
    from connectplan.catalog_files import builtin_catalog_files

    ok = invoke("catalog", "validate", str(builtin_catalog_files()[0]))
    assert ok.exit_code == 0 and ": ok: stripe-connect@2024" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: connectplan-catalog/1\nname: x\nedition: '1'\ntitle: X\nproperties: []\nrules: []\nsteps: [}\n"
    )
    result = invoke("catalog", "validate", str(bad))
    assert result.exit_code == 2
    assert "YAML syntax error" in result.stderr and "Traceback" not in result.output


def test_catalog_show_round_trips(invoke, tmp_path):
    out = invoke("catalog", "show", "stripe-connect@2024").stdout
    path = tmp_path / "copy.yaml"
    path.write_text(out)
    result = invoke("catalog", "validate", str(path))
    assert result.exit_code == 0, result.output


def test_every_command_has_help_with_an_example(runner):
    from connectplan.cli import COMMANDS

    def walk(group, prefix):
        import click

        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            yield [*prefix, name], cmd
            if isinstance(cmd, click.Group):
                yield from walk(cmd, [*prefix, name])

    seen = 0
    for path, cmd in walk(cli, []):
        seen += 1
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        if not hasattr(cmd, "commands"):
            assert "Example:" in result.output, f"`connectplan {' '.join(path)} --help` has no Example: line"
        for param in cmd.params:
            if getattr(param, "param_type_name", "") == "option" and param.name not in ("help",):
                assert param.help, f"option {param.name} of {' '.join(path)} has no help"
    assert seen >= len(COMMANDS)
