"""Issue 17, points 2 and 6, the output side: open decisions, sections and structured API settings everywhere.

Every behaviour runs on a small hand-written catalog (:func:`sectioned_doc`): its properties name
sections declared out of lifecycle order, ``payout`` has a pending option, ``tools`` is a
multi-choice property with an exclusive ``none`` and an exclusive pending ``undecided``, and a step
carries structured API settings.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from connectplan.cli import cli
from connectplan.engine import Catalog, catalog_from_dict, resolve
from connectplan.errors import VerdictRefusedError
from connectplan.output.catalogs import format_options
from connectplan.output.design_doc import design_html, design_markdown
from connectplan.output.prompt import prompt_text
from connectplan.output.resolution import format_resolution
from connectplan.output.sections import open_properties, ordered_properties, section_groups
from connectplan.workspace import open_workspace

HOSTILE = "<script>alert(1)</script> *bold* [x](javascript:alert(1)) \x1b[31m"


def sectioned_doc(**overrides: Any) -> dict[str, Any]:
    """Sections declared out of order: payouts, business, operations, then business again."""
    doc: dict[str, Any] = {
        "format": "connectplan-catalog/1",
        "name": "open",
        "edition": "1",
        "title": "Open",
        "parties": [{"id": "customer", "title": "Customer"}, {"id": "seller", "title": "Seller"}],
        "properties": [
            {
                "id": "payout",
                "title": "Payout timing",
                "question": "When are sellers paid?",
                "section": "payouts",
                "options": [
                    {"id": "daily", "title": "Daily"},
                    {"id": "manual", "title": "Manual"},
                    {"id": "undecided", "title": "Not decided yet", "pending": True},
                ],
            },
            {
                "id": "model",
                "title": "Business model",
                "question": "Platform or marketplace?",
                "section": "business",
                "options": [{"id": "platform", "title": "Platform"}, {"id": "marketplace", "title": "Marketplace"}],
            },
            {
                "id": "tools",
                "title": "Embedded tools",
                "question": "Which tools do sellers get?",
                "section": "operations",
                "choice": "many",
                "options": [
                    {"id": "payments", "title": "Payments"},
                    {"id": "payouts", "title": "Payouts"},
                    {"id": "none", "title": "None", "exclusive": True},
                    {"id": "undecided", "title": "Not decided yet", "pending": True, "exclusive": True},
                ],
            },
            {
                "id": "region",
                "title": "Region",
                "question": "Where are sellers?",
                "section": "business",
                "options": [{"id": "domestic", "title": "Domestic"}, {"id": "abroad", "title": "Abroad"}],
            },
        ],
        "rules": [
            {
                "id": "manual_marketplace",
                "condition": "payout.manual and model.marketplace",
                "severity": "caution",
                "message": "Held funds need a reason.",
            },
            {
                "id": "no_tools_marketplace",
                "condition": "tools.none and model.marketplace",
                "severity": "blocked",
                "message": "A marketplace needs tools.",
            },
        ],
        "steps": [
            {"id": "start", "order": 10, "phase": "accounts", "condition": "always", "title": "Start"},
            {
                "id": "pay_out",
                "order": 20,
                "phase": "payouts",
                "condition": "payout.manual",
                "prereqs": ["start"],
                "title": "Pay out by hand",
                "api": [
                    {
                        "text": "create a payout on the connected account",
                        "api": "v1",
                        "method": "POST",
                        "path": "/v1/payouts",
                        "params": {"amount": "{{amount}}", "currency": "usd"},
                        "stripe_account": True,
                    },
                    {"text": "no Stripe parameter: the schedule is the platform's"},
                ],
            },
        ],
        "flows": [
            {
                "id": "pay",
                "from": "customer",
                "to": "seller",
                "what": "payment",
                "kind": "charge",
                "condition": "always",
            },
            {
                "id": "held",
                "from": "seller",
                "to": "customer",
                "what": "manual payout",
                "kind": "payout",
                "condition": "payout.manual",
            },
        ],
        "responsibilities": [
            {"id": "owner", "title": "Owner", "assignments": [{"party": "seller", "condition": "always"}]}
        ],
        "presets": [
            {
                "id": "decided",
                "title": "Decided",
                "selection": {"payout": "daily", "model": "platform", "tools": ["payments"], "region": "domestic"},
            },
            {
                "id": "open",
                "title": "Open",
                "selection": {
                    "payout": "undecided",
                    "model": "marketplace",
                    "tools": ["undecided"],
                    "region": "abroad",
                },
            },
        ],
    }
    doc.update(overrides)
    return doc


OPEN = {"payout": "undecided", "model": "marketplace", "tools": ("undecided",), "region": "abroad"}
DECIDED = {"payout": "daily", "model": "platform", "tools": ("payments",), "region": "domestic"}


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return catalog_from_dict(sectioned_doc())


@pytest.fixture(scope="module")
def open_res(cat):
    return resolve(cat, OPEN)


@pytest.fixture
def store(tmp_path):
    """A store holding the catalog (open@1); returns (url, invoke)."""
    path = tmp_path / "open.yaml"
    path.write_text(yaml.safe_dump(sectioned_doc(), sort_keys=False), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'open.db'}"
    from click.testing import CliRunner

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--db", url, *args], catch_exceptions=False)

    assert invoke("catalog", "import", str(path)).exit_code == 0
    return url, invoke


def sets(selection: dict[str, Any]) -> list[str]:
    return [a for p, o in selection.items() for a in ("--set", f"{p}={','.join(o) if isinstance(o, tuple) else o}")]


# -- sections ----------------------------------------------------------------------------------


def test_sections_follow_the_lifecycle_order_and_keep_declaration_order_inside(cat, tiny):
    groups = [(name, [p.id for p in props]) for name, props in section_groups(cat)]
    assert groups == [("business", ["model", "region"]), ("payouts", ["payout"]), ("operations", ["tools"])]
    assert [p.id for p in ordered_properties(cat)] == ["model", "region", "payout", "tools"]
    # a catalog without sections is one group in declaration order
    assert [(name, [p.id for p in props]) for name, props in section_groups(tiny)] == [("", ["color", "size"])]


def test_options_are_listed_by_section_and_json_has_section_and_required(cat, tiny):
    text = format_options(cat, "text")
    assert text.index("== Business ==") < text.index("model:") < text.index("region:") < text.index("== Payouts ==")
    assert text.index("== Payouts ==") < text.index("payout:") < text.index("== Operations ==") < text.index("tools:")
    assert "payout.undecided  Not decided yet  (not decided yet)" in text
    assert "tools.none  None  (chosen alone)" in text
    doc = json.loads(format_options(cat, "json"))
    fields = {p["id"]: (p["section"], p["required"]) for p in doc["properties"]}
    assert fields == {
        "payout": ("payouts", False),
        "model": ("business", True),
        "tools": ("operations", False),
        "region": ("business", True),
    }
    assert [o["id"] for o in doc["properties"][0]["options"] if o["pending"]] == ["undecided"]
    # unchanged for a catalog without sections, but for section null and required
    assert "==" not in format_options(tiny, "text")
    assert {(p["section"], p["required"]) for p in json.loads(format_options(tiny, "json"))["properties"]} == {
        (None, True)
    }


# -- resolve -----------------------------------------------------------------------------------


def test_resolve_text_lists_open_decisions_with_each_options_best_verdict(open_res):
    text = format_resolution(open_res, "text")
    block = text[text.index("Open decisions (2)") : text.index("Findings")]
    assert "payout [payouts]: Payout timing" in block and "When are sellers paid?" in block
    assert "tools [operations]: Embedded tools" in block and "Which tools do sellers get?" in block
    lines = [line.split() for line in block.splitlines()]
    # manual payouts on a marketplace are caution; no tools on a marketplace is blocked
    assert ["daily", "allowed", "Daily"] in lines and ["manual", "caution", "Manual"] in lines
    assert ["none", "blocked", "None"] in lines and ["payments", "allowed", "Payments"] in lines
    assert not any(line[:1] == ["undecided"] for line in lines)  # never offered as an answer
    # the selection is grouped by section and marks the pending choices
    selection = text[text.index("Selection:") : text.index("Open decisions")]
    assert selection.index("Business:") < selection.index("Payouts:") < selection.index("Operations:")
    assert "payout = undecided  (Not decided yet)  [not decided yet]" in selection


def test_resolve_json_has_open_decisions(open_res, cat):
    doc = json.loads(format_resolution(open_res, "json"))
    assert [d["property"] for d in doc["open_decisions"]] == ["payout", "tools"]
    assert json.loads(format_resolution(resolve(cat, DECIDED), "json"))["open_decisions"] == []


def test_resolve_without_open_decisions_prints_no_such_block(cat):
    res = resolve(cat, DECIDED)
    assert "Open decisions" not in format_resolution(res, "text")
    assert "Open decisions" not in format_resolution(res, "markdown")


def test_resolve_markdown_has_open_decisions_and_a_section_column(open_res):
    md = format_resolution(open_res, "markdown")
    assert "### Open decisions" in md and "| Section | Decision | Choice | Summary |" in md
    assert "(**not decided yet**)" in md


# -- explore -----------------------------------------------------------------------------------


def test_explore_marks_pending_options_and_open_decisions(store):
    _, invoke = store
    result = invoke("explore", "--catalog", "open@1", "--set", "payout=undecided", "--set", "model=marketplace")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Open decisions (not decided yet): payout" in out
    assert "payout = undecided  (Payout timing)  -- open decision, not decided yet" in out
    assert out.count("(not decided yet)") >= 3  # the header, payout.undecided and tools.undecided
    assert out.index("== Business ==") < out.index("== Payouts ==") < out.index("== Operations ==")
    doc = json.loads(
        invoke(
            "explore",
            "--catalog",
            "open@1",
            "--set",
            "payout=undecided",
            "--set",
            "model=marketplace",
            "--format",
            "json",
        ).output
    )
    assert doc["open_decisions"] == [
        {
            "property": "payout",
            "question": "When are sellers paid?",
            "section": "payouts",
            "options": [{"id": "daily", "best_verdict": "allowed"}, {"id": "manual", "best_verdict": "caution"}],
        }
    ]
    assert {p["id"]: (p["section"], p["required"]) for p in doc["properties"]}["payout"] == ("payouts", False)


def test_explore_of_a_complete_open_selection_resolves_with_its_open_decisions(store):
    _, invoke = store
    out = invoke("explore", "--catalog", "open@1", "--preset", "open").output
    assert "Open decisions (2)" in out and "tools = undecided" in out


# -- --require-decided -------------------------------------------------------------------------


def test_resolve_require_decided_exits_1_naming_the_open_properties(store):
    _, invoke = store
    refused = invoke("resolve", "--catalog", "open@1", "--preset", "open", "--require-decided")
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "Error: the selection leaves payout, tools undecided; decide them with --set P=O or drop --require-decided"
    ]
    assert "Open decisions (2)" in refused.stdout  # the report is still printed
    assert invoke("resolve", "--catalog", "open@1", "--preset", "decided", "--require-decided").exit_code == 0
    assert invoke("resolve", "--catalog", "open@1", "--preset", "open").exit_code == 0


def test_saving_commands_refuse_open_decisions_with_require_decided(store):
    _, invoke = store
    refused = invoke("plan", "new", "acme", "--catalog", "open@1", "--preset", "open", "--require-decided")
    assert refused.exit_code == 1
    assert "not saved: acme@1 leaves payout, tools undecided" in refused.stderr
    assert invoke("plan", "list").output.strip().endswith("no plans yet") or "acme" not in invoke("plan", "list").output
    assert invoke("plan", "new", "acme", "--catalog", "open@1", "--preset", "open").exit_code == 0
    set_refused = invoke("plan", "set", "acme", "--set", "region=domestic", "-m", "x", "--require-decided")
    assert set_refused.exit_code == 1 and "leaves payout, tools undecided" in set_refused.stderr
    decided = invoke(
        "plan", "set", "acme", "--set", "payout=daily", "--set", "tools=payments", "-m", "decide", "--require-decided"
    )
    assert decided.exit_code == 0, decided.output
    fork = invoke("plan", "fork", "acme@1", "acme-b", "--require-decided")
    assert fork.exit_code == 1 and "acme-b@1 leaves payout, tools undecided" in fork.stderr


def test_workspace_saving_methods_take_require_decided(store):
    url, _ = store
    with open_workspace(url) as ws:
        with pytest.raises(VerdictRefusedError) as info:
            ws.new_plan("acme", catalog="open@1", preset="open", require_decided=True)
        assert info.value.reason == "undecided" and info.value.open_decisions == ("payout", "tools")
        assert info.value.exit_code == 1
        assert ws.plans() == []
        record = ws.new_plan("acme", catalog="open@1", preset="open")
        assert record.verdict == "allowed"
        with pytest.raises(VerdictRefusedError):
            ws.fork("acme", "acme-b", require_decided=True)
        with pytest.raises(VerdictRefusedError):
            ws.import_plan(ws.export_plan("acme"), as_name="acme-c", require_decided=True)
        saved = ws.set_plan("acme", {"payout": "daily", "tools": "payments"}, message="x", require_decided=True)
        assert saved.version == 2


def test_open_properties_reads_a_multi_choice_set(cat):
    assert open_properties(cat, OPEN) == ["payout", "tools"]
    assert open_properties(cat, DECIDED) == []


# -- design document, prompt -------------------------------------------------------------------


def test_design_doc_has_open_questions_with_the_best_verdicts(open_res):
    md = design_markdown(open_res)
    assert "## Open questions" in md and "[Open questions](<#open-questions>)" in md
    part = md[md.index("## Open questions") : md.index("## Considered options")]
    assert "### Payout timing" in part and "When are sellers paid?" in part
    assert "| Manual `payout.manual` | **caution** |" in part
    assert "| None `tools.none` | **blocked** |" in part
    assert "undecided`" not in part.split("| Option |")[1]  # the pending option is not an answer
    page = design_html(open_res)
    assert 'id="open-questions"' in page and '<h3 id="embedded-tools">Embedded tools</h3>' in page


def test_design_doc_decision_table_has_sections_and_marks_pending(open_res):
    md = design_markdown(open_res)
    decision = md[md.index("## Decision") : md.index("## Open questions")]
    assert "| Section | Decision | Choice | Summary | Why |" in decision
    rows = [line for line in decision.splitlines() if line.startswith("| ") and "`" in line]
    assert [r.split("|")[1].strip() for r in rows] == ["Business", "Business", "Payouts", "Operations"]
    assert "**not decided yet**" in rows[2]


def test_design_doc_lists_a_steps_api_settings_under_it(cat):
    res = resolve(cat, {**DECIDED, "payout": "manual"})
    md = design_markdown(res)
    assert "2. Pay out by hand" in md
    assert "   - API: create a payout on the connected account — `POST /v1/payouts`" in md
    assert "   - API: no Stripe parameter: the schedule is the platform's" in md
    page = design_html(res)
    assert "<ul><li>API: create a payout on the connected account — <code>POST /v1/payouts</code></li>" in page


def test_design_doc_without_pending_options_has_no_open_questions(cat2024):
    res = resolve(cat2024, dict(cat2024.presets[0].selection))
    assert "Open questions" not in design_markdown(res)


def test_decided_plan_of_a_catalog_with_pending_options_says_none_are_open(cat):
    md = design_markdown(resolve(cat, DECIDED))
    assert "## Open questions\n\nNone: every decision of this plan is made" in md


def test_prompt_says_which_decisions_are_undecided(open_res, cat):
    text = prompt_text(open_res)
    assert "Decisions not made yet (2): payout, tools." in text
    assert "- Payout timing: NOT DECIDED YET (payout.undecided); implement no option of it" in text
    decisions = text[text.index("## Decisions and API settings") : text.index("## Decisions not made yet")]
    assert [line.split(":")[0] for line in decisions.splitlines() if line.startswith("- ")] == [
        "- Business model",
        "- Region",
        "- Payout timing",
        "- Embedded tools",
    ]
    section = text[text.index("## Decisions not made yet") : text.index("## Steps")]
    assert "payout.manual -> caution" in section and "tools.none -> blocked" in section
    decided = prompt_text(resolve(cat, {**DECIDED, "payout": "manual"}))
    assert "not made yet" not in decided
    assert (
        "- create a payout on the connected account [POST /v1/payouts amount={{amount}}, currency=usd; "
        "on the connected account (Stripe-Account header)]" in decided
    )


# -- escaping and determinism ------------------------------------------------------------------


def hostile_catalog() -> Catalog:
    doc = copy.deepcopy(sectioned_doc())
    doc["properties"][0]["question"] = HOSTILE
    doc["properties"][0]["title"] = HOSTILE
    doc["steps"][1]["api"][0]["text"] = HOSTILE
    return catalog_from_dict(doc)


def test_catalog_text_in_open_decisions_is_escaped_everywhere():
    cat = hostile_catalog()
    res = resolve(cat, {**OPEN, "payout": "undecided"})
    for text in (format_resolution(res, "text"), prompt_text(res)):
        assert "\x1b" not in text and "\\x1b[31m" in text
    for md in (design_markdown(res), format_resolution(res, "markdown")):
        assert "<script>" not in md and "\x1b" not in md and "&lt;script&gt;" in md
    page = design_html(res)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    manual = resolve(cat, {**DECIDED, "payout": "manual"})
    assert "<script>" not in design_html(manual) and "<script>" not in design_markdown(manual)


def test_every_output_of_an_open_selection_is_deterministic(store, tmp_path):
    _, invoke = store
    args = ["--catalog", "open@1", "--preset", "open"]
    commands = [
        ["resolve", *args],
        ["resolve", *args, "--format", "json"],
        ["resolve", *args, "--format", "markdown"],
        ["explore", *args],
        ["explore", *args, "--format", "json"],
        ["explore", "--catalog", "open@1", "--set", "payout=undecided", "--format", "json"],
        ["options", "--catalog", "open@1"],
        ["options", "--catalog", "open@1", "--format", "json"],
        ["prompt", *args],
        ["render", "money-flow", *args, "--format", "dot", "-o", "-"],
        ["doc", *args, "--format", "html", "-o", "-"],
    ]
    for command in commands:
        first, second = invoke(*command), invoke(*command)
        assert first.exit_code == 0, (command, first.output)
        assert first.stdout_bytes == second.stdout_bytes, command
    assert invoke("plan", "new", "acme", *args).exit_code == 0
    for fmt in ("markdown", "html"):
        a, b = tmp_path / f"a-{fmt}", tmp_path / f"b-{fmt}"
        assert invoke("doc", "acme", "--format", fmt, "-o", str(a)).exit_code == 0
        assert invoke("doc", "acme", "--format", fmt, "-o", str(b)).exit_code == 0
        files = sorted(p.name for p in a.iterdir())
        assert files == sorted(p.name for p in b.iterdir())
        assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


# -- web configurator --------------------------------------------------------------------------


def wide_doc(count: int = 17) -> dict[str, Any]:
    """``count`` properties over every section (the new edition has 17), each with a pending option
    but the first; one multi-choice property with an exclusive pending option."""
    from connectplan.engine.catalog import SECTIONS

    doc = sectioned_doc(name="wide")
    props = []
    for i in range(count):
        options = [{"id": "yes", "title": f"Yes {i}"}, {"id": "no", "title": f"No {i}"}]
        if i:
            options.append({"id": "undecided", "title": "Not decided yet", "pending": True})
        prop = {"id": f"p{i}", "title": f"Question {i}", "question": f"Q{i}?", "section": SECTIONS[i % 7]}
        if i == count - 1:
            options[-1]["exclusive"] = True
            prop.update(choice="many")
        props.append({**prop, "options": options})
    doc.update(properties=props, rules=[], steps=[], presets=[])
    doc["flows"] = [doc["flows"][0]]
    return doc


def test_web_marks_open_decisions_and_groups_by_section(tmp_path):
    from webapp import Page, client_for

    from connectplan.web.params import query_string

    url, _ = _store_with(tmp_path, sectioned_doc())
    with client_for(url) as client:
        page = client.get("/?" + query_string("open@1", dict(OPEN)) + "&section=all")
        assert page.status_code == 200
        text = Page(page.text).all_text
        assert "Open decisions (2)" in text and "When are sellers paid?" in text
        assert page.text.count('class="tag tag-pending"') >= 4  # 2 legends, 2 pending options, the legend
        assert '<span id="open-payout"><span class="tag tag-pending">not decided yet</span>' in page.text
        order = [page.text.index(f'id="h-sec-{s}"') for s in ("business", "payouts", "operations")]
        assert order == sorted(order)
        assert (
            page.text.index('id="prop-model"')
            < page.text.index('id="prop-region"')
            < page.text.index('id="prop-payout"')
        )
        partial = client.get("/?" + query_string("open@1", {"payout": "undecided"}))
        assert partial.status_code == 200 and "not decided yet" in Page(partial.text).all_text
        doc = client.get("/api/resolve?" + query_string("open@1", dict(OPEN))).json()
        assert [d["property"] for d in doc["open_decisions"]] == ["payout", "tools"]
        again = client.get("/?" + query_string("open@1", dict(OPEN)) + "&section=all")
        assert again.content == page.content  # deterministic
    with open_workspace(url) as ws:
        ws.new_plan("acme", catalog="open@1", preset="open")
    with client_for(url) as client:
        version = client.get("/versions/acme@1")
        assert version.status_code == 200 and "Open decisions (2)" in Page(version.text).all_text
        rows = version.text[version.text.index('<table class="selection">') :]
        assert rows.index(">Business</th>") < rows.index(">Payouts</th>") < rows.index(">Operations</th>")
        assert '<code>tools.<wbr>undecided</code> <span class="tag tag-pending">not decided yet</span>' in rows


def test_web_option_help_shows_the_api_request_and_the_pending_marker(tmp_path):
    from webapp import client_for

    from connectplan.web.params import query_string

    doc = sectioned_doc(name="helpful")
    doc["properties"][1]["options"][0]["api"] = [
        {"text": "v1 type", "api": "v1", "method": "POST", "path": "/v1/accounts", "params": {"type": "express"}}
    ]
    url, _ = _store_with(tmp_path, doc, name="helpful")
    with client_for(url) as client:
        help_page = client.get("/help/model/platform?catalog=helpful@1")
        assert "<code>v1 type</code>" in help_page.text and "POST <code>/v1/accounts</code>" in help_page.text
        pending = client.get("/help/payout/undecided?catalog=helpful@1")
        assert 'class="tag tag-pending"' in pending.text
        manual = client.get("/?" + query_string("helpful@1", {**DECIDED, "payout": "manual"}))
        assert "<li><code>POST /v1/payouts</code> create a payout on the connected account</li>" in manual.text


def test_web_works_with_17_properties(tmp_path):
    from webapp import Page, client_for

    from connectplan.web.params import query_string

    url, _ = _store_with(tmp_path, wide_doc())
    with client_for(url) as client:
        empty = client.get("/?catalog=wide%401")
        assert empty.status_code == 200
        guided = Page(empty.text)  # one section open, the seven listed
        assert len([b for b in guided.tags("button") if b.get("class") == "nav-item"]) == 7 + 1  # + all decisions
        every = Page(client.get("/?catalog=wide%401&section=all").text)
        assert len(every.tags("fieldset")) == 17
        selection = {f"p{i}": ("undecided",) if i == 16 else ("undecided" if i % 2 else "yes") for i in range(17)}
        full = client.get("/?" + query_string("wide@1", selection))
        assert full.status_code == 200
        assert "Open decisions (9)" in Page(full.text).all_text
        partial = client.get("/partials/workspace?" + query_string("wide@1", selection), headers={"HX-Request": "true"})
        assert partial.status_code == 200
        mixed = client.get("/api/resolve?" + query_string("wide@1", {**selection, "p16": ("yes", "undecided")}))
        assert mixed.status_code == 400 and "chosen alone" in mixed.json()["error"]["message"]
        # in the form, ticking one more box keeps working: the exclusive option is left out, with a notice
        ticked = client.get(
            "/partials/workspace?" + query_string("wide@1", {**selection, "p16": ("yes", "undecided")}),
            headers={"HX-Request": "true"},
        )
        assert ticked.status_code == 200
        assert "Question 16: “Not decided yet” is chosen alone, so it was left out" in Page(ticked.text).all_text
        assert "p16=yes" in ticked.headers["X-Push-Url"] and "p16=undecided" not in ticked.headers["X-Push-Url"]


def _store_with(tmp_path, doc: dict[str, Any], *, name: str = "cat") -> tuple[str, Any]:
    from click.testing import CliRunner

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    url = f"sqlite:///{tmp_path / (name + '.db')}"
    result = CliRunner().invoke(cli, ["--db", url, "catalog", "import", str(path)])
    assert result.exit_code == 0, result.output
    return url, None


# -- plan upgrade ------------------------------------------------------------------------------


def test_upgrade_shows_defaulted_and_left_open_decisions_and_takes_require_decided(tmp_path):
    from click.testing import CliRunner

    old = sectioned_doc(edition="0")
    old["properties"] = [p for p in old["properties"] if p["id"] in ("model", "region")]
    old.update(rules=[], steps=[], presets=[])
    old["flows"] = [old["flows"][0]]
    new = sectioned_doc(
        renames={
            "defaults": [
                {"property": "payout", "option": "daily", "because": "Most platforms pay daily."},
                {"property": "tools", "option": ["undecided"], "because": "New: decide it."},
            ]
        }
    )
    url = f"sqlite:///{tmp_path / 'up.db'}"
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--db", url, *args], catch_exceptions=False)

    for name, doc in (("old", old), ("new", new)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        assert invoke("catalog", "import", str(tmp_path / f"{name}.yaml")).exit_code == 0
    assert (
        invoke(
            "plan", "new", "acme", "--catalog", "open@0", "--set", "model=platform", "--set", "region=abroad"
        ).exit_code
        == 0
    )
    dry = invoke("plan", "upgrade", "acme", "--to", "open@1", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "  defaulted: payout=daily (Most platforms pay daily.)" in dry.output
    assert "  left open: tools, not decided yet (New: decide it.)" in dry.output
    refused_dry = invoke("plan", "upgrade", "acme", "--to", "open@1", "--dry-run", "--require-decided")
    assert refused_dry.exit_code == 1
    assert refused_dry.stderr.strip() == (
        "Error: acme@1 on open@1 leaves tools undecided; decide it with --set P=O or drop --require-decided"
    )
    refused = invoke("plan", "upgrade", "acme", "--to", "open@1", "--require-decided")
    assert refused.exit_code == 1 and "Not saved: acme@2 leaves tools undecided" in refused.stdout
    assert invoke("plan", "upgrade", "acme", "--to", "open@1").exit_code == 0


# -- diagrams ----------------------------------------------------------------------------------


def test_money_flow_legend_lists_only_the_kinds_an_open_selection_draws(cat):
    from connectplan.visualize._dot import FLOW_KIND_TITLES, text
    from connectplan.visualize.money_flow import money_flow_figure

    def listed(res):
        fig = money_flow_figure(res)
        meanings = {row.meaning for row in fig.present_legend()}
        return {k for k, title in FLOW_KIND_TITLES.items() if text(title) in meanings}, {e.key for e in fig.edges}

    assert listed(resolve(cat, OPEN)) == ({"charge"}, {"pay"})
    # a held-funds (manual payout) flow uses the existing payout kind
    assert listed(resolve(cat, {**OPEN, "payout": "manual"})) == ({"charge", "payout"}, {"pay", "held"})


def test_long_rule_and_option_ids_wrap_in_the_catalog_overview():
    from connectplan.visualize.catalog import catalog_figure

    long_rule = "issuing_and_financial_accounts_need_platform_controlled_accounts"
    doc = sectioned_doc()
    doc["rules"][0]["id"] = long_rule
    doc["properties"][0]["options"].insert(0, {"id": "application_fee_with_stripe_estimate", "title": "Manual"})
    wide = catalog_from_dict(doc)
    overview = "".join(n.label for n in catalog_figure(wide).nodes)
    assert "issuing_and_financial_accounts_<BR/>need_platform_controlled_accounts" in overview
    assert "Manual<BR/>" in overview  # the long option id goes below its title
    detail = "".join(n.label for n in catalog_figure(wide, prop="payout").nodes)
    assert "issuing_and_financial_accounts_<BR/>need_platform_controlled_accounts" in detail


def test_considered_options_judge_an_exclusive_option_alone(cat):
    from connectplan.output.design_doc import considered_options

    res = resolve(cat, {**OPEN, "payout": "daily", "tools": ("payments",)})
    rows = {row.option: row for row in dict(considered_options(res))["tools"]}
    assert rows["none"].status == "excluded" and rows["none"].verdict == "blocked"  # not "not combinable"
    assert rows["undecided"].verdict == "allowed" and rows["payouts"].status == "possible"
    from_open = {row.option: row.verdict for row in dict(considered_options(resolve(cat, OPEN)))["tools"]}
    assert from_open == {"payments": "allowed", "payouts": "allowed", "none": "blocked"}


def test_design_doc_lists_the_chosen_options_api_settings(cat):
    doc = sectioned_doc()
    doc["properties"][1]["options"][1]["api"] = [
        {"text": "v1 business_type", "api": "v1", "method": "POST", "path": "/v1/accounts", "params": {"type": "x"}},
        "a legacy line",
    ]
    res = resolve(catalog_from_dict(doc), OPEN)
    md = design_markdown(res)
    part = md[md.index("### API settings of the chosen options") : md.index("## Open questions")]
    assert "- Marketplace `model.marketplace`\n  - v1 business\\_type — `POST /v1/accounts`\n  - a legacy line" in part
    assert "### API settings of the chosen options" not in design_markdown(resolve(cat, OPEN))


def test_options_and_explore_text_escape_control_characters():
    doc = sectioned_doc()
    doc["properties"][0]["title"] = HOSTILE
    cat = catalog_from_dict(doc)
    text = format_options(cat, "text")
    assert "\x1b" not in text and "\\x1b[31m" in text
    from connectplan.engine.propagation import propagate
    from connectplan.output.exploration import format_exploration
    from connectplan.sat import make_solver

    explored = format_exploration(propagate(cat, {"payout": "undecided"}, make_solver), "text")
    assert "\x1b" not in explored and "\\x1b[31m" in explored


def test_open_selection_outputs_are_the_same_under_two_hash_seeds(store):
    import os
    import subprocess
    import sys

    url, _ = store
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = [sys.executable, "-m", "connectplan", "--db", url]
        doc = subprocess.run(
            [*run, "doc", "--catalog", "open@1", "--preset", "open", "--format", "html", "-o", "-"],
            capture_output=True,
            check=True,
            env=env,
        ).stdout
        res = subprocess.run(
            [*run, "resolve", "--catalog", "open@1", "--preset", "open", "--format", "json"],
            capture_output=True,
            check=True,
            env=env,
        ).stdout
        outputs.append((doc, res))
    assert outputs[0] == outputs[1]
