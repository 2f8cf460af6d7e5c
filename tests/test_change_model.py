"""One model of change (issue 13, points 3 and 6): plan diff, the change diagrams and plan upgrade agree.

Each side is read from what the user sees: the JSON of ``plan diff``, the JSON of
``plan upgrade --dry-run`` and the elements the change diagrams mark, for version pairs of one
edition and across editions (where a step is renamed).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from connectplan.cli import cli
from connectplan.output.plans import diff_entries
from connectplan.visualize.change import change_figure
from connectplan.workspace import open_workspace

DIAGRAM_AREAS = ("flow", "step", "responsibility")


def json_changes(doc: dict) -> set[tuple[str, ...]]:
    """The changes a ``plan diff`` or ``plan upgrade`` JSON document reports."""
    out: set[tuple[str, ...]] = set()
    for status in ("added", "removed"):
        out |= {("finding", status, f["rule"]) for f in doc["findings"][status]}
        out |= {("step", status, s["id"]) for s in doc["steps"][status]}
    out |= {("step", "moved", m["id"]) for m in doc["steps"]["moved"]}
    out |= {("step", "renamed", r["from"], r["to"]) for r in doc["steps"]["renamed"]}
    out |= {("step", "changed", c["id"]) for c in doc["steps"].get("changed", [])}
    for status in ("added", "removed", "changed"):
        out |= {("flow", status, f["from"], f["to"], f["kind"]) for f in doc["money_flows"][status]}
    for status in ("added", "removed", "changed"):
        out |= {("responsibility", status, r["id"]) for r in doc["responsibilities"][status]}
    return out


def diagram_changes(ws, ref_a: str, ref_b: str) -> set[tuple[str, ...]]:
    """The changes the three change diagrams mark (money flows with every reverse flow drawn)."""
    a, b = ws.plan(ref_a), ws.plan(ref_b)
    out: set[tuple[str, ...]] = set()
    for kind, options in (("money-flow", {"include": ("all",)}), ("liability", {}), ("steps", {})):
        fig = change_figure(kind, a.resolution, b.resolution, old_subject=ref_a, new_subject=ref_b, **options)
        out |= fig.changes()
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """acme: three versions on 2025; one plan per 2024 preset, upgraded to 2025 as its version 2."""
    url = f"sqlite:///{tmp_path_factory.mktemp('change-model') / 'plans.db'}"
    runner = CliRunner()
    with open_workspace(url) as ws:
        ws.new_plan("acme", catalog="stripe-connect@2025", preset="marketplace", message="first")
        ws.set_plan("acme", {"charge_type": "separate"}, message="separate")
        ws.set_plan("acme", {"dashboard": "full", "fee_payer": "connected_account"}, message="more", allow_blocked=True)
        presets = [p.id for p in ws.catalog("stripe-connect@2024").presets]
        for preset in presets:
            ws.new_plan(f"old-{preset}", catalog="stripe-connect@2024", preset=preset, message="2024")
    for preset in presets:
        result = runner.invoke(
            cli, ["--db", url, "plan", "upgrade", f"old-{preset}", "--to", "stripe-connect@2025", "--allow-blocked"]
        )
        assert result.exit_code == 0, result.output
    return url, presets


def cli_json(url: str, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["--db", url, *args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.mark.parametrize(
    ("a", "b"), [("acme@1", "acme@2"), ("acme@2", "acme@3"), ("acme@1", "acme@3"), ("acme@3", "acme@1")]
)
def test_plan_diff_and_the_change_diagrams_agree_within_an_edition(store, a, b):
    url, _ = store
    reported = json_changes(cli_json(url, "plan", "diff", a, b))
    with open_workspace(url) as ws:
        drawn = diagram_changes(ws, a, b)
        assert reported == ws.diff(a, b).changes() - {c for c in ws.diff(a, b).changes() if c[0] == "selection"}
    assert reported  # these pairs do change something
    assert {c for c in reported if c[0] in DIAGRAM_AREAS} == drawn
    with open_workspace(url) as ws:
        counted = sum(len([x for x in lines if x[0] != "unchanged"]) for _, lines in diff_entries(ws.diff(a, b)))
    assert counted == len([c for c in reported if c[0] != "selection"])  # the text lists each change once


def test_across_editions_plan_diff_upgrade_and_diagrams_agree_and_renames_are_renames(store):
    url, presets = store
    renamed_seen = 0
    for preset in presets:
        a, b = f"old-{preset}@1", f"old-{preset}@2"
        diff = cli_json(url, "plan", "diff", a, b)
        upgrade = cli_json(url, "plan", "upgrade", a, "--to", "stripe-connect@2025", "--dry-run")
        reported = json_changes(diff)
        assert reported == json_changes(upgrade), preset
        assert diff["renamed"]["steps"] == upgrade["renamed"]["steps"], preset
        with open_workspace(url) as ws:
            assert {c for c in reported if c[0] in DIAGRAM_AREAS} == diagram_changes(ws, a, b), preset
        renamed = {(r["from"], r["to"]) for r in diff["renamed"]["steps"]}
        removed = {s["id"] for s in diff["steps"]["removed"]}
        added = {s["id"] for s in diff["steps"]["added"]}
        assert not any(old in removed or new in added for old, new in renamed), preset
        renamed_seen += len(renamed)
        # and the text reports say so the same way
        diff_text = CliRunner().invoke(cli, ["--db", url, "plan", "diff", a, b]).output
        upgrade_text = (
            CliRunner()
            .invoke(cli, ["--db", url, "plan", "upgrade", a, "--to", "stripe-connect@2025", "--dry-run"])
            .output
        )
        for old, new in renamed:
            assert f"  > {old} -> {new}: " in diff_text, preset
            assert f"  > {old} -> {new}" in upgrade_text, preset
            assert f"- {old}:" not in diff_text and f"+ {new}:" not in diff_text, preset
        # the money flow and responsibility lines of both reports are the same lines
        for heading in ("Money flows:", "Responsibilities:"):
            if heading in diff_text:
                after = diff_text.split(heading + "\n")[1].splitlines()
                lines = after[: next((i for i, x in enumerate(after) if not x.startswith("  ")), len(after))]
                assert lines and all(line in upgrade_text for line in lines), (preset, heading)
    assert renamed_seen  # create_accounts_v1_controller -> create_accounts_v2 is among them
