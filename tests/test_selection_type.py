"""Issue 18, point 2: one selection type in the engine, parsed and formatted in one place.

Every output (text, JSON, Markdown, HTML, DOT, prompt, web pages) of a multi-choice selection is
searched for a tuple's repr (``('``): a selection value is always written by ``format_choice``.
"""

from __future__ import annotations

import html

import pytest
from webapp import client_for, new_store, post

from connectplan import open_workspace
from connectplan.cli import cli
from connectplan.engine import Selection, SelectionError, format_choice

CAT = "stripe-connect@2026"


def test_selection_parses_every_shape_alike(cat2024):
    cli = Selection.parse(["dashboard=full", "monetization=a", "monetization=b"])
    assert cli.format() == "dashboard=full, monetization=a,b"
    query = Selection.parse([("dashboard", "full"), ("monetization", "a"), ("monetization", "b"), ("fee", "")])
    assert dict(query) == dict(cli) and "fee" not in query
    assert Selection.parse({"dashboard": "full", "monetization": ["a", "b"]}) == {
        "dashboard": "full",
        "monetization": ("a", "b"),
    }
    assert Selection.parse(None) == {} and Selection.parse(cli) is cli
    with pytest.raises(SelectionError) as info:
        Selection.parse(["dashboard"])
    assert info.value.field == "set" and info.value.code == "malformed_choice"
    sel = Selection.parse({"dashboard": "full"})
    assert hash(sel) == hash(Selection.parse(["dashboard=full"]))
    with pytest.raises(TypeError):
        sel["dashboard"] = "none"  # type: ignore[index]


def test_multi_choice_is_settled_and_formatted_in_declaration_order():
    with open_workspace(f"sqlite:///{pytest.importorskip('tempfile').mkdtemp()}/s.db") as ws:
        cat = ws.catalog(CAT)
    prop = cat.property_index["monetization"]
    ids = prop.option_ids
    backwards = Selection.parse([f"monetization={ids[1]}", f"monetization={ids[0]}"], cat)
    assert backwards["monetization"] == (ids[0], ids[1])
    assert Selection.parse({"monetization": f"{ids[1]},{ids[0]}"}, cat)["monetization"] == (ids[0], ids[1])
    assert format_choice((ids[1], ids[0]), prop) == f"{ids[0]},{ids[1]}"
    assert Selection.parse(["dashboard=full", "dashboard=none"], cat)["dashboard"] == "none"  # the last one wins
    with pytest.raises(SelectionError):
        Selection.parse([("dashboard", "full"), ("dashboard", "none")]).for_catalog(cat, repeated="refuse")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    url = new_store(tmp_path_factory.mktemp("sel"))
    with open_workspace(url) as ws:
        ws.new_plan("multi", catalog=CAT, preset="marketplace", allow_blocked=True)
        ws.set_plan("multi", {"monetization": "application_fees,saas_subscriptions"}, message="m", allow_blocked=True)
    return url


def _no_tuple(text: str, where: str) -> None:
    text = html.unescape(text)
    assert "('" not in text, (where, text[max(0, text.find("('") - 80) :][:200])


def test_no_output_prints_a_tuple(store, runner, tmp_path):
    """Reproduction: explore printed ``monetization=('product_markup',)``; the web's version, diff and
    upgrade pages and ``plan upgrade --dry-run`` showed ``monetization.('application_fees',)``."""
    multi = ["--catalog", CAT, "--preset", "marketplace", "--set", "monetization=application_fees,product_markup"]
    runs = [["explore", "--catalog", CAT, "--set", "monetization=product_markup"]]
    for fmt in ("text", "json", "markdown"):
        runs.append(["resolve", *multi, "--format", fmt])
    runs += [["explore", *multi, "--format", "json"], ["prompt", *multi], ["prompt", "multi@2"]]
    for kind in ("money-flow", "liability", "steps", "catalog"):
        runs.append(["render", kind, *multi, "--format", "dot"])
    runs += [["render", "money-flow", "multi@2", "--against", "multi@1", "--format", "dot"]]
    for fmt in ("text", "json"):
        runs += [
            ["plan", "show", "multi@2", "--format", fmt],
            ["plan", "diff", "multi@1", "multi@2", "--format", fmt],
            ["plan", "log", "multi", "--format", fmt],
            ["plan", "upgrade", "multi@2", "--to", "stripe-connect@2026-12", "--dry-run", "--format", fmt],
        ]
    for args in runs:
        result = runner.invoke(cli, ["--db", store, *args])
        assert result.exit_code in (0, 1), (args, result.output)
        _no_tuple(result.output, " ".join(args))
    explored = runner.invoke(cli, ["--db", store, "explore", "--catalog", CAT, "--set", "monetization=product_markup"])
    assert "monetization=product_markup" in explored.stdout
    assert any(line.startswith(" * product_markup") for line in explored.stdout.splitlines())
    for fmt, name in (("markdown", "doc"), ("html", "doc.html")):
        out = tmp_path / name
        result = runner.invoke(cli, ["--db", store, "doc", "multi@2", "-o", str(out), "--format", fmt])
        assert result.exit_code == 0, result.output
        for path in [out] if out.is_file() else sorted(out.iterdir()):
            _no_tuple(path.read_text(encoding="utf-8"), str(path))


def test_no_web_page_prints_a_tuple(store):
    query = f"catalog={CAT}&preset=marketplace&monetization=application_fees&monetization=product_markup"
    with client_for(store) as tc:
        pages = [
            f"/?{query}",
            "/versions/multi@2",
            "/plans/multi",
            "/diff?a=multi@1&b=multi@2",
            f"/api/resolve?{query}",
            f"/api/explore?{query}",
            "/api/plans/multi@2",
            "/api/diff?a=multi@1&b=multi@2",
            "/diagrams/money-flow.dot?plan=multi@2",
            "/download/prompt.txt?plan=multi@2",
            "/download/doc.html?plan=multi@2",
        ]
        for path in pages:
            resp = tc.get(path)
            assert resp.status_code == 200, (path, resp.text[:300])
            _no_tuple(resp.text, path)
        partial = tc.get(f"/partials/workspace?{query}", headers={"HX-Request": "true"})
        _no_tuple(partial.text, "partial")
        upgrade = post(tc, "/plans/multi/upgrade", {"ref": "multi@2", "to": "stripe-connect@2026-12", "dry_run": "1"})
        assert upgrade.status_code in (200, 422)
        _no_tuple(upgrade.text, "upgrade")
