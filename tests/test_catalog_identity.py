"""Issue 18, point 1: one catalog identity (``engine.CatalogRef``); no path drops a revision.

Every path is driven with ``NAME@EDITION.rN``: the CLI's resolve, explore, render, doc, prompt and
plan new/set/show/upgrade, the Python API and each web page and JSON twin.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from webapp import client_for, new_store, post

from connectplan import open_workspace
from connectplan.cli import cli
from connectplan.engine import CatalogRef, SelectionError

R1 = "stripe-connect@2024.r1"
R2 = "stripe-connect@2024.r2"


def test_catalog_ref_parses_and_formats():
    assert CatalogRef.parse("stripe-connect") == CatalogRef("stripe-connect")
    assert CatalogRef.parse(R1) == CatalogRef("stripe-connect", "2024", 1)
    assert CatalogRef.parse("stripe-connect@2026-12") == CatalogRef("stripe-connect", "2026-12", None)
    assert str(CatalogRef.parse(R1)) == R1 and CatalogRef.parse(R1).exact
    assert str(CatalogRef.parse(R1).loose) == "stripe-connect@2024" and not CatalogRef.parse(R1).loose.exact
    for bad in ("", "@2024", "a@", "a@b@c"):
        with pytest.raises(SelectionError) as info:
            CatalogRef.parse(bad)
        assert info.value.field == "catalog"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return new_store(tmp_path_factory.mktemp("identity"))


def _differing_preset(ws) -> str:
    """A preset whose resolution differs between revision 1 and 2 of 2024 (so the tests can tell them apart)."""
    from connectplan.output.resolution import format_resolution

    for preset in ws.catalog(R1).preset_index:
        one = format_resolution(ws.resolve(catalog=R1, preset=preset), "json")
        two = format_resolution(ws.resolve(catalog=R2, preset=preset), "json")
        if one != two:
            return preset
    pytest.skip("no preset resolves differently in 2024.r1 and 2024.r2")


def test_workspace_methods_keep_the_revision(store):
    with open_workspace(store) as ws:
        r1 = ws.catalog(R1)
        assert (r1.revision == 1 and ws.catalog(CatalogRef.parse(R1)) is r1) or ws.catalog(CatalogRef.parse(R1)) == r1
        assert ws.catalog(r1) is r1
        assert ws.catalog("stripe-connect@2024").revision > 1
        preset = _differing_preset(ws)
        by_text = ws.resolve(catalog=R1, preset=preset)
        assert ws.resolve(catalog=r1, preset=preset).verdict == by_text.verdict
        assert ws.resolve(catalog=CatalogRef.parse(R1), preset=preset).catalog.revision == 1
        assert ws.explore(catalog=r1, preset=preset).catalog.revision == 1
        saved = ws.new_plan("pinned", catalog=r1, preset=preset, allow_blocked=True)
        assert saved.catalog_revision == 1 and saved.catalog_id == CatalogRef.parse(R1) == r1.catalog_ref
        assert ws.export_plan("pinned").versions[0].catalog.catalog_id == CatalogRef.parse(R1)
        assert CatalogRef.parse(R1) in {info.catalog_id for info in ws.catalogs()}
        assert ws.plan("pinned").resolution.catalog.revision == 1
        from dataclasses import replace

        from connectplan.engine.errors import ConnectplanError

        other = replace(r1, title=r1.title + " (edited)")
        with pytest.raises(
            ConnectplanError
        ) as info:  # a Catalog is saved as the stored revision, never mistaken for it
            ws.new_plan("edited", catalog=other, preset=preset, allow_blocked=True)
        assert info.value.kind == "conflict"


def test_upgrade_plan_reports_and_saves_against_the_named_revision(store):
    """Reproduction: ``upgrade_plan(ref, "stripe-connect@2025.r1")`` reported r1 and saved the newest revision."""
    with open_workspace(store) as ws:
        ws.new_plan("up", catalog=R1, preset="marketplace", allow_blocked=True)
        report, saved = ws.upgrade_plan("up", "stripe-connect@2025.r1", allow_blocked=True)
        assert report.after.catalog.revision == 1
        assert saved is not None and saved.catalog_revision == 1 and saved.catalog_edition == "2025"
        assert ws.plan("up@2").resolution.catalog.content_hash == ws.catalog("stripe-connect@2025.r1").content_hash


def test_api_resolve_answers_the_named_revision(store, runner):
    """Reproduction: ``/api/resolve?catalog=stripe-connect@2024.r1`` answered revision 2's document."""
    with open_workspace(store) as ws:
        preset = _differing_preset(ws)
    cli_doc = runner.invoke(cli, ["--db", store, "resolve", "--catalog", R1, "--preset", preset, "--format", "json"])
    assert cli_doc.exit_code == 0, cli_doc.output
    with client_for(store) as tc:
        web = tc.get(f"/api/resolve?catalog={R1}&preset={preset}")
        newest = tc.get(f"/api/resolve?catalog=stripe-connect@2024&preset={preset}")
        explore = tc.get(f"/api/explore?catalog={R1}&preset={preset}")
    assert web.status_code == 200 and web.text == cli_doc.stdout
    assert newest.text != web.text
    cli_explore = runner.invoke(
        cli, ["--db", store, "explore", "--catalog", R1, "--preset", preset, "--format", "json"]
    )
    assert explore.text == cli_explore.stdout


def test_json_documents_name_the_exact_revision(store, runner):
    """The resolve and explore documents name the revision they used (``catalog.revision``), on the CLI and
    in the web's JSON twins alike: ``NAME@EDITION.rN`` is never reported as just ``NAME@EDITION``."""
    with open_workspace(store) as ws:
        newest = ws.catalog("stripe-connect@2024").revision
    assert newest > 1
    for command, path in (("resolve", "/api/resolve"), ("explore", "/api/explore")):
        for ref, revision in ((R1, 1), ("stripe-connect@2024", newest)):
            args = ["--db", store, command, "--catalog", ref, "--preset", "saas", "--format", "json"]
            cli_out = runner.invoke(cli, args)
            assert cli_out.exit_code == 0, cli_out.output
            with client_for(store) as tc:
                web = tc.get(f"{path}?catalog={ref}&preset=saas")
            assert web.status_code == 200 and web.text == cli_out.stdout, (command, ref)
            doc = json.loads(web.text)
            assert doc["catalog"] == {"name": "stripe-connect", "edition": "2024", "revision": revision}, (command, ref)
            if command == "explore" and "resolution" in doc:
                assert doc["resolution"]["catalog"]["revision"] == revision


def test_diff_and_upgrade_documents_name_both_revisions(tmp_path, runner):
    from connectplan.output.documents import to_document

    url = f"sqlite:///{tmp_path / 'revisions.db'}"
    with open_workspace(url) as ws:
        ws.new_plan("old", catalog=R1, preset="saas", allow_blocked=True)
        report, _ = ws.upgrade_plan("old", R2, dry_run=True, allow_blocked=True)
        doc = to_document(report)
        assert doc["from"]["catalog"] == {"name": "stripe-connect", "edition": "2024", "revision": 1}
        assert doc["to"]["catalog"] == {"name": "stripe-connect", "edition": "2024", "revision": 2}
        ws.upgrade_plan("old", R2, allow_blocked=True)
    out = runner.invoke(cli, ["--db", url, "plan", "diff", "old@1", "old@2", "--format", "json"])
    assert out.exit_code == 0, out.output
    diff = json.loads(out.stdout)
    assert [diff[side]["catalog"]["revision"] for side in ("from", "to")] == [1, 2]


def test_editions_bar_lists_each_edition_once(store):
    """Reproduction: the bar listed 2024 and 2025 once per revision, every pill with the same link."""
    with client_for(store) as tc:
        page = tc.get("/").text
    bar = page[page.index('class="editions"') : page.index("</nav>", page.index('class="editions"'))]
    links = re.findall(r'href="/\?catalog=([^"]+)"', bar)
    assert len(links) == len(set(links)) and "stripe-connect%402024" in links


def test_configurator_pages_keep_an_older_revision(store):
    with open_workspace(store) as ws:
        preset = _differing_preset(ws)
        r1 = ws.resolve(catalog=R1, preset=preset)
        r2 = ws.resolve(catalog=R2, preset=preset)
        ws.new_plan("old-rev", catalog=R1, preset=preset, allow_blocked=True)
    with client_for(store) as tc:
        page = tc.get(f"/?catalog={R1}&preset={preset}")
        assert page.status_code == 200 and f"({R1})" in page.text
        assert 'name="catalog" value="stripe-connect@2024.r1"' in page.text
        partial = tc.get(f"/partials/workspace?catalog={R1}&preset={preset}", headers={"HX-Request": "true"})
        assert "catalog=stripe-connect%402024.r1" in partial.headers["X-Push-Url"]
        version = tc.get("/versions/old-rev@1").text
        open_url = re.search(r'href="(/\?[^"]+plan=old-rev[^"]*)"', version)
        assert open_url is not None
        query = dict(parse_qsl(urlsplit(open_url.group(1).replace("&amp;", "&")).query))
        assert query["catalog"] == R1
        opened = tc.get(open_url.group(1).replace("&amp;", "&")).text
        verdict = re.search(r'class="verdict v-([a-z_]+)"', opened[opened.index('id="workspace"') :])
        assert verdict is not None and (verdict.group(1) == r1.verdict or r1.verdict == r2.verdict)
        assert f"({R1})" in opened
        help_page = tc.get(f"/help/dashboard/full?catalog={R1}")
        assert help_page.status_code == 200 and "stripe-connect%402024.r1" in help_page.text
        with open_workspace(store) as ws:
            presets_doc = ws.presets(R1)
        assert presets_doc[0].revision == 1
        assert tc.get(f"/api/presets?catalog={R1}").status_code == 200
        for path in (
            f"/diagrams/steps.dot?catalog={R1}&preset={preset}",
            f"/download/prompt.txt?catalog={R1}&preset={preset}",
            f"/download/doc.zip?catalog={R1}&preset={preset}",
            "/diagrams/steps.dot?plan=old-rev@1",
            "/api/plans/old-rev@1",
            "/plans/old-rev",
        ):
            assert tc.get(path).status_code == 200, path
        form = [("name", "from-web"), ("catalog", R1), ("allow_blocked", "1")]
        form += [(p, o) for p, v in r1.selection for o in ((v,) if isinstance(v, str) else v)]
        saved = post(tc, "/plans", form)
        assert saved.status_code in (303, 422), saved.text[:300]
        if saved.status_code == 303:
            assert json.loads(tc.get("/api/plans/from-web").text)["plan"]["catalog_revision"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["resolve", "--catalog", R1, "--preset", "marketplace"],
        ["explore", "--catalog", R1, "--preset", "marketplace"],
        ["presets", "--catalog", R1],
        ["options", "--catalog", R1],
        ["render", "steps", "--catalog", R1, "--preset", "marketplace", "--format", "dot"],
        ["prompt", "--catalog", R1, "--preset", "marketplace"],
    ],
)
def test_cli_paths_take_an_exact_revision(store, runner, args):
    result = runner.invoke(cli, ["--db", store, *args])
    assert result.exit_code == 0, result.output


def test_cli_plan_paths_keep_the_revision(tmp_path, runner):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    new = runner.invoke(cli, ["--db", url, "plan", "new", "p", "--catalog", R1, "--preset", "saas", "-m", "x"])
    assert new.exit_code in (0, 1), new.output
    if new.exit_code == 1:
        new = runner.invoke(
            cli, ["--db", url, "plan", "new", "p", "--catalog", R1, "--preset", "saas", "--allow-blocked"]
        )
    shown = json.loads(runner.invoke(cli, ["--db", url, "plan", "show", "p", "--format", "json"]).stdout)
    assert shown["plan"]["catalog_revision"] == 1
    changed = runner.invoke(
        cli, ["--db", url, "plan", "set", "p", "--set", "liability=stripe", "-m", "y", "--allow-blocked"]
    )
    assert changed.exit_code in (0, 2), changed.output
    doc = runner.invoke(cli, ["--db", url, "doc", "p", "-o", str(tmp_path / "doc.md")])
    assert doc.exit_code in (0, 3), doc.output
    up = runner.invoke(cli, ["--db", url, "plan", "upgrade", "p", "--to", "stripe-connect@2025.r1", "--allow-blocked"])
    assert up.exit_code == 0, up.output
    latest = json.loads(runner.invoke(cli, ["--db", url, "plan", "show", "p", "--format", "json"]).stdout)
    assert latest["plan"]["catalog_revision"] == 1 and latest["plan"]["version"] >= 2
    assert "stripe-connect@2025" in runner.invoke(cli, ["--db", url, "plan", "show", "p"]).stdout
