"""The guided configurator (issue 19) through the test client: sections, the live plan panel, blocked
states in plain words, what an option change re-sends, editions and vocabulary, valid HTML.

HTML validity: every page type is parsed with html5lib in strict mode (any parse error fails: unclosed
or misnested elements, stray end tags, duplicate attributes, bad character references); on top of
that each page is checked for duplicate ids, for ``for``/``aria-*`` references to ids that exist, and
for bare ``hx-*`` attributes (only ``data-hx-*`` is valid HTML). Attribute values and content models
beyond what the parser enforces are not validated.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from webapp import Page, client_for, new_store, post

from connectplan.web.params import query_string
from connectplan.web.routes import STATIC_DIR

CAT = "stripe-connect@2024"
SAAS = {"onboarding": "hosted", "dashboard": "full", "charge_type": "direct", "fee_payer": "connected_account"}
TEMPLATES = Path(__file__).resolve().parent.parent / "connectplan" / "web" / "templates"
#: issue 19, point 8: what one option change may swap at most (median over a walk; see bench/RESULTS.md)
MAX_BYTES, MAX_ELEMENTS = 15 * 1024, 250


@pytest.fixture(scope="module")
def tc(tmp_path_factory):
    with client_for(new_store(tmp_path_factory.mktemp("guided"))) as client:
        yield client


def prev_of(markup: str) -> str:
    found = re.search(r'id="prev" name="prev" value="([^"]*)"', markup)
    assert found, "the page names its state in the hidden prev= field"
    return html.unescape(found.group(1))


def change(tc, page: str, name: str, value: str) -> tuple[object, str]:
    """What the form sends when ``name`` is set to ``value`` on ``page`` (htmx: the form's fields, prev= included)."""
    prev = prev_of(page)
    pairs = [(k, v) for k, v in parse_qsl(prev) if k != name] + [(name, value), ("prev", prev)]
    resp = tc.get("/partials/workspace?" + urlencode(pairs), headers={"HX-Request": "true", "HX-Trigger": "configure"})
    assert resp.status_code == 200, resp.text
    return resp, tc.get(resp.headers["x-push-url"]).text


def oob_ids(fragment: str) -> list[str]:
    return re.findall(r'id="([^"]+)"[^>]*data-hx-swap-oob="true"', fragment)


def elements(fragment: str) -> int:
    return len(re.findall(r"<[a-zA-Z]", fragment))


# -- sections ---------------------------------------------------------------------------------


def test_one_section_is_open_and_the_others_are_one_line_each(tc, cat2024):
    page = Page(tc.get(f"/?catalog={CAT}&onboarding=hosted").text)
    shown = {a["name"] for a in page.tags("input") if a.get("type") == "radio"}
    assert shown == {"onboarding", "dashboard"}  # accounts: the first section with a decision left
    nav = [b for b in page.tags("button") if b.get("class") == "nav-item"]
    assert [b["value"] for b in nav] == ["accounts", "payments", "fees", "risk", "all"]
    assert next(b for b in nav if b["value"] == "accounts")["aria-current"] == "step"
    text = page.all_text
    assert "Accounts Stripe-hosted onboarding · 1 to decide" in text
    assert "Payments 1 to decide" in text
    hidden = {(a["name"], a["value"]) for a in page.tags("input") if a.get("type") == "hidden"}
    assert ("section", "accounts") in hidden


def test_section_parameter_opens_a_section_and_keeps_the_others_choices_as_hidden_fields(tc):
    sel = {**SAAS, "liability": "stripe"}
    page = Page(tc.get("/?" + query_string(CAT, sel) + "&section=risk").text)
    assert {a["name"] for a in page.tags("input") if a.get("type") == "radio"} == {"liability"}
    hidden = {(a["name"], a["value"]) for a in page.tags("input") if a.get("type") == "hidden"}
    assert set(SAAS.items()) <= hidden  # the closed sections' choices travel with the form
    assert not any(b.get("id") == "next-section" for b in page.tags("button"))  # risk is the last section
    every = Page(tc.get("/?" + query_string(CAT, sel) + "&section=all").text)
    assert {a["name"] for a in every.tags("input") if a.get("type") == "radio"} == {*SAAS, "liability"}


def test_next_and_the_section_list_work_as_a_plain_form(tc):
    """Without JavaScript the section buttons submit the form with go=SECTION: one click, no selection lost."""
    page = Page(tc.get("/?" + query_string(CAT, SAAS) + "&section=accounts").text)
    nxt = next(b for b in page.tags("button") if b.get("id") == "next-section")
    assert nxt["name"] == "go" and nxt["type"] == "submit"
    resp = tc.get("/?" + query_string(CAT, SAAS) + "&section=accounts&go=" + nxt["value"])
    moved = Page(resp.text)
    assert {a["name"] for a in moved.tags("input") if a.get("type") == "radio"} == {"charge_type"}
    assert "checked" in moved.by_id("opt-charge_type-direct")


def test_a_catalog_without_sections_shows_every_decision_in_one_group(tc):
    page = Page(tc.get("/?catalog=stripe-connect@2024.r1").text)
    radios = {a["name"] for a in page.tags("input") if a.get("type") == "radio"}
    assert radios == {"onboarding", "dashboard", "charge_type", "fee_payer", "liability"}
    assert not [b for b in page.tags("button") if b.get("name") == "go"]


# -- the live panel and the last change ---------------------------------------------------------


def test_the_panel_says_what_the_last_change_did(tc, cat2024):
    page = tc.get("/?" + query_string(CAT, {**SAAS, "liability": "stripe"}) + "&section=accounts").text
    resp, after = change(tc, page, "dashboard", "express")
    text = Page(resp.text).all_text
    assert "Dashboard: Express Dashboard chosen." in text
    assert "Verdict: allowed → blocked." in text
    stripe_liable = cat2024.property_index["dashboard"].option("full").title
    assert f"{stripe_liable} (Dashboard) would resolve the conflict." in text
    # announced from the live region that is never swapped: static/app.js writes the panel's verdict and
    # last change into it (tests/test_browser.py), so the update does not carry those words twice
    assert "announce" not in resp.text
    assert 'id="h-verdict"' in resp.text and '<div class="last-change">' in resp.text
    full = Page(after)
    assert full.by_id("announce")["role"] == "status"
    assert "Last change" not in full.all_text  # a reloaded page has no previous state


def test_a_change_in_a_settled_design_names_what_it_rules_out(tc, cat2024):
    page = tc.get("/?" + query_string(CAT, {"onboarding": "hosted"}) + "&section=accounts").text
    resp, _ = change(tc, page, "dashboard", "express")
    message = cat2024.rule_index["express_dashboard_requires_platform_liability"].message
    stripe = cat2024.property_index["liability"].option("stripe").title
    assert f"{stripe} (Negative-balance liability) is now ruled out: {message}" in Page(resp.text).all_text


def test_the_form_works_without_javascript_and_still_reports_the_last_change(tc):
    """The plain form sends prev= too, so a page without JavaScript also says what the change did."""
    page = tc.get("/?" + query_string(CAT, SAAS)).text
    pairs = [(k, v) for k, v in parse_qsl(prev_of(page)) if k != "onboarding"]
    resp = tc.get("/?" + urlencode([*pairs, ("onboarding", "embedded"), ("prev", prev_of(page))]))
    assert resp.status_code == 200
    assert "Onboarding: Embedded onboarding chosen." in Page(resp.text).all_text


def test_save_is_in_the_panel_and_disabled_until_every_decision_is_made(tc):
    page = Page(tc.get(f"/?catalog={CAT}").text)
    save = page.by_id("panel-save")
    assert save is not None
    buttons = [b for b in page.tags("button") if b.get("type") == "submit" and "disabled" in b]
    assert buttons, "Save waits for a complete selection"
    full = tc.get("/?" + query_string(CAT, {**SAAS, "liability": "stripe"})).text
    panel = full[full.index('id="plan-panel"') : full.index('id="results"')]
    assert 'action="/plans"' in panel and "Save new plan" in panel and "disabled" not in panel


# -- blocked states ---------------------------------------------------------------------------


def test_fixes_move_to_the_section_of_the_change_and_name_the_control_to_focus(tc):
    sel = {**SAAS, "dashboard": "express", "liability": "stripe"}
    page = Page(tc.get("/?" + query_string(CAT, sel) + "&section=risk").text)
    fixes = [a for a in page.tags("a") if a.get("class") == "alternative"]
    assert fixes
    for fix in fixes:
        query = dict(parse_qsl(urlsplit(fix["href"]).query))
        focus = fix["data-focus"]
        assert focus.startswith("opt-")
        prop = focus.removeprefix("opt-").rsplit("-", 1)[0]
        target = Page(tc.get(fix["href"]).text)
        assert "checked" in target.by_id(focus), (fix["href"], focus)
        assert {a["name"] for a in target.tags("input") if a.get("type") == "radio"} >= {prop}
        assert query["section"] != "all"


def test_incomplete_conflict_offers_single_switch_fixes(tc):
    """A selection already in conflict before it is complete: the options that resolve it are the fixes."""
    page = tc.get("/?" + query_string(CAT, {"dashboard": "express", "liability": "stripe"}) + "&section=all").text
    panel = Page(page[page.index('id="panel-status"') : page.index('id="panel-save"')])
    assert "Conflict" in panel.all_text
    fixes = [a for a in panel.tags("a") if a.get("class") == "alternative"]
    assert fixes and all("data-follow" in a for a in fixes)


# -- what an option change re-sends --------------------------------------------------------------


def test_an_option_change_swaps_only_what_changed(tc):
    page = tc.get("/?" + query_string(CAT, {**SAAS, "liability": "stripe"}) + "&section=fees").text
    resp, _ = change(tc, page, "fee_payer", "platform")
    ids = oob_ids(resp.text)
    assert "form-state" in ids and "panel-status" in ids
    assert "sections" not in ids and "results" not in ids and "section-nav" not in ids
    assert not any(i.startswith("prop-") for i in ids)  # the inputs stay: focus and the checked state are kept
    assert all(i.startswith("state-fee_payer-") for i in ids if i.startswith("state-"))
    # the figures come when they are in view, for the form's fields then
    assert 'data-hx-get="/partials/figures" data-hx-include="#configure"' in resp.text
    # the closed sections' choices and the save forms' selection are not re-sent, only the page's state
    assert "form-values" not in ids and 'name="onboarding"' not in resp.text
    assert "save-new-fields" in ids and "data-selection" not in resp.text
    figures = tc.get("/partials/figures?" + prev_of(resp.text) + "&fee_payer=platform", headers={"HX-Request": "true"})
    assert figures.status_code == 200 and "fee_payer=platform" in figures.text


def test_explain_comes_when_opened_after_a_partial_update(tc):
    """A partial update's "Explain" disclosures come empty; their text (the same as a full page's) is
    fetched by static/app.js for the form's selection when opened."""
    page = tc.get("/?" + query_string(CAT, {**SAAS, "liability": "stripe"}) + "&section=accounts").text
    resp, after = change(tc, page, "dashboard", "express")
    assert 'data-explain="conflict"' in resp.text and "Minimal cause" not in resp.text
    marked = re.findall(r'data-explain="([a-z_]+\.[a-z_]+)"', resp.text)
    assert marked
    query = prev_of(after)
    hx = {"HX-Request": "true"}
    conflict = tc.get(f"/partials/explain?{query}&explain=conflict", headers=hx)
    assert conflict.status_code == 200 and "Rule <code>" in conflict.text and conflict.text.strip() in after
    option = tc.get(f"/partials/explain?{query}&explain={marked[0]}", headers=hx)
    assert option.status_code == 200 and "rule " in option.text.lower()
    assert option.text.strip() in after  # the full page shows the same text in place
    assert tc.get(f"/partials/explain?{query}&explain=dashboard.nope", headers=hx).status_code == 400
    assert tc.get(f"/partials/explain?{query}&explain=conflict").status_code == 303  # no JS: the page


def test_a_link_re_sends_the_fieldsets_whose_choice_it_changes(tc):
    page = tc.get("/?" + query_string(CAT, {**SAAS, "dashboard": "express", "liability": "stripe"}) + "&section=all")
    fix = next(a for a in Page(page.text).tags("a") if a.get("class") == "alternative")
    section = dict(parse_qsl(urlsplit(fix["href"]).query))["section"]
    page = tc.get(
        "/?" + query_string(CAT, {**SAAS, "dashboard": "express", "liability": "stripe"}) + f"&section={section}"
    )
    prev = prev_of(page.text)
    resp = tc.get(
        "/partials/workspace?" + urlsplit(fix["href"]).query + "&" + urlencode({"prev": prev}),
        headers={"HX-Request": "true"},
    )
    changed = {k for k, v in parse_qsl(urlsplit(fix["href"]).query)} - {"section"}
    ids = oob_ids(resp.text)
    assert any(i.startswith("prop-") for i in ids)
    assert {i.removeprefix("prop-") for i in ids if i.startswith("prop-")} <= changed


def test_a_forged_or_foreign_prev_costs_only_a_full_update(tc):
    for prev in ("%%%", "catalog=stripe-connect@2026&dashboard=full", "catalog=stripe-connect%402024&dashboard=zzz"):
        resp = tc.get(
            "/partials/workspace?" + urlencode({"catalog": CAT, "dashboard": "full", "prev": prev}),
            headers={"HX-Request": "true"},
        )
        assert resp.status_code == 200
        assert "sections" in oob_ids(resp.text) and "results" in oob_ids(resp.text)


@pytest.mark.parametrize("catalog", ["stripe-connect@2024", "stripe-connect@2026-12"])
def test_option_changes_swap_little(tc, catalog):
    """Issue 19, point 8: a walk of option changes from a preset, each in the open section (the browser
    bench's walk): every change swaps at most 15 KB and 250 elements."""
    page = tc.get(f"/?catalog={catalog}&preset=saas").text
    sizes = []
    for step in range(20):
        sections = page[page.index('id="sections"') : page.index('id="plan-panel"')]
        found = re.findall(r'<input type="radio" id="opt-[^"]+" name="([^"]+)" value="([^"]+)"( checked)?', sections)
        radios = [(n, v) for n, v, checked in found if not checked]
        name, value = radios[(step * 7) % len(radios)]
        resp, page = change(tc, page, name, value)
        sizes.append((len(resp.content), elements(resp.text), name, value))
    assert all(b <= MAX_BYTES and e <= MAX_ELEMENTS for b, e, _, _ in sizes), sorted(sizes)[-3:]


def open_inputs(page: str) -> list[tuple[str, str, str, bool]]:
    """(type, name, value, checked) of the open section's radio buttons and check boxes."""
    sections = page[page.index('id="sections"') : page.index('id="plan-panel"')]
    found = re.findall(
        r'<input type="(radio|checkbox)" id="(?:opt|unset)-[^"]+" name="([^"]+)" value="([^"]*)"( checked)?', sections
    )
    return [(kind, name, value, bool(checked)) for kind, name, value, checked in found]


def toggle(
    tc, page: str, kind: str, name: str, value: str, checked: bool, *, reload: bool = True
) -> tuple[object, str]:
    """What the form sends when the user clicks that radio button or check box (prev= included); returns the
    response and the full page of the URL it pushes (``reload=False``: the fragment's own text instead)."""
    prev = prev_of(page)
    pairs = parse_qsl(prev, keep_blank_values=True)
    if kind == "radio":
        now = [value]
    else:
        ticked = [v for k, v in pairs if k == name]
        now = [v for v in ticked if v != value] if checked else [*ticked, value]
    pairs = [(k, v) for k, v in pairs if k != name] + [(name, v) for v in now] + [("prev", prev)]
    resp = tc.get("/partials/workspace?" + urlencode(pairs), headers={"HX-Request": "true", "HX-Trigger": "configure"})
    assert resp.status_code == 200, resp.text
    return resp, tc.get(resp.headers["x-push-url"]).text if reload else resp.text


@pytest.mark.parametrize("edition", ["2024", "2025", "2026", "2026-12"])
def test_every_option_change_from_every_preset_swaps_little(tc, edition):
    """Issue 19, point 8, systematically: for each preset of the edition, every click on an option of the open
    section (radio buttons and check boxes), and for each that enters a conflict the click back that leaves
    it: each swaps at most 15 KB and 250 elements (bench/RESULTS.md states the figures)."""
    catalog = f"stripe-connect@{edition}"
    presets = sorted(set(re.findall(r"preset=([a-z0-9_]+)", tc.get(f"/?catalog={catalog}").text)))
    assert len(presets) >= 5
    sizes, conflicts = [], 0
    for preset in presets:
        page = tc.get(f"/?catalog={catalog}&preset={preset}").text
        for kind, name, value, checked in open_inputs(page):
            if kind == "radio" and checked:
                continue
            # the fragment carries the conflict and the next prev= as the pushed URL's page does (checked on
            # the first conflict): the full page is not fetched for every click
            resp, after = toggle(tc, page, kind, name, value, checked, reload=False)
            sizes.append((len(resp.content), elements(resp.text), preset, name, value))
            if 'class="conflict"' in after and 'class="conflict"' not in page:
                if not conflicts:
                    full = tc.get(resp.headers["x-push-url"]).text
                    assert 'class="conflict"' in full and prev_of(full) == prev_of(after)
                conflicts += 1
                back = dict(parse_qsl(prev_of(page))).get(name, "")
                resp, _ = toggle(tc, after, kind, name, value if kind == "checkbox" else back, not checked)
                sizes.append((len(resp.content), elements(resp.text), preset, name, f"back from {value}"))
    over = [s for s in sizes if s[0] > MAX_BYTES or s[1] > MAX_ELEMENTS]
    assert not over, over
    assert len(sizes) > 40
    assert conflicts or edition not in ("2024", "2026-12")  # entering and leaving a conflict are covered


# -- editions, presets and vocabulary -----------------------------------------------------------


def test_each_edition_once_with_its_note_an_intro_and_a_legend(tc):
    page = Page(tc.get(f"/?catalog={CAT}").text)
    nav = tc.get(f"/?catalog={CAT}").text.split('aria-label="Catalog editions"')[1].split("</nav>")[0]
    text = Page(nav).all_text
    for edition, note in (
        ("2024", "2024 guide, Accounts v1"),
        ("2025", "Accounts v2"),
        ("2026", "Interactive platform guide, Accounts v2"),
        ("2026-12", "full decision set, Accounts v2"),
    ):
        assert f"{edition} {note}" in text
    assert len(re.findall(r"<li>", nav)) == 4
    assert "shows at once what each choice rules out and why" in page.all_text
    assert "How to read the marks" in page.all_text
    for word in ("ruled out", "required", "in conflict", "resolves the conflict", "not decided yet"):
        assert word in page.all_text


def test_no_jargon_outside_explain(tc):
    sel = {**SAAS, "dashboard": "express", "liability": "stripe"}
    for query in (f"catalog={CAT}", query_string(CAT, sel) + "&section=all", f"catalog={CAT}&preset=saas"):
        markup = tc.get("/?" + query).text
        outside = re.sub(r'<details class="(explain|legend)".*?</details>', "", markup, flags=re.S)
        text = Page(outside).all_text
        for jargon in ("best reachable", "OPEN", "EXCLUDED", "FORCED", "[=y]", "[=n]"):
            assert jargon not in text, (query, jargon)


def test_presets_show_their_reasoning_and_the_chosen_one(tc, cat2024):
    page = Page(tc.get(f"/?catalog={CAT}&preset=saas").text)
    saas = cat2024.preset_index["saas"] if hasattr(cat2024, "preset_index") else cat2024.presets[0]
    assert saas.reasoning in page.all_text  # visible, not a tooltip
    assert not [a for a in page.tags("a") if a.get("title")]
    assert page.by_id("preset-saas")["aria-current"] == "true"
    assert "your selection" in page.all_text


def test_leaving_a_preset_swaps_its_mark_out_of_band(tc):
    page = tc.get(f"/?catalog={CAT}&preset=saas").text
    resp, _ = change(tc, page, "onboarding", "embedded")
    assert "preset-item-saas" in oob_ids(resp.text)
    assert 'aria-current="true"' not in resp.text.split('id="preset-item-saas"')[1].split("</span>")[0]
    assert "reasoning" not in resp.text  # the head only: a preset's reasoning never changes


def test_steps_show_their_explanation_settings_and_docs(tc, cat2024):
    markup = tc.get("/?" + query_string(CAT, {**SAAS, "liability": "stripe"})).text
    step = next(s for s in cat2024.steps if s.body and s.api and s.url.startswith("https://"))
    resp = tc.get("/api/resolve?" + query_string(CAT, {**SAAS, "liability": "stripe"})).json()
    if step.id not in {s["id"] for s in resp["steps"]}:
        pytest.skip("no step with body, API and docs for this selection")  # pragma: no cover
    item = markup.split(f'id="step-{step.id}"')[1].split("</li>\n")[0].replace("<wbr>", "")
    text = Page(item).all_text
    assert html.unescape(step.body) in text or step.body in text
    assert step.api[0].text in text
    assert f'href="{html.escape(step.url)}"' in item


def test_stylesheet_never_breaks_words(tc):
    css = (STATIC_DIR / "app.css").read_text(encoding="utf-8")
    assert "overflow-wrap: anywhere" not in css and "word-break" not in css and "break-all" not in css


# -- valid HTML -------------------------------------------------------------------------------


def test_no_template_emits_bare_hx_attributes():
    for path in sorted(TEMPLATES.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"[\s\"']hx-[a-z]", text.replace("data-hx-", "")), path.name


def _pages(tc_fresh) -> dict[str, str]:
    sel = {**SAAS, "liability": "stripe"}
    blocked = {**SAAS, "dashboard": "express", "liability": "stripe"}
    old = dict(parse_qsl(prev_of(tc_fresh.get("/?catalog=stripe-connect@2026&preset=saas").text)))
    saved = {"catalog": CAT, **sel}
    writes = [
        post(tc_fresh, "/plans", {"name": "acme", "message": "m", "author": "a", **saved}),
        post(
            tc_fresh,
            "/plans/acme/versions",
            {"message": "m2", "author": "a", "base": "1", **saved, "fee_payer": "platform"},
        ),
        post(tc_fresh, "/plans", {"name": "old", "message": "m", "author": "a", **old}),
        post(tc_fresh, "/plans/acme/tag", {"ref": "acme@2", "tag": "reviewed"}),
        post(tc_fresh, "/plans/acme/fork", {"ref": "acme@2", "new_name": "acme-eu"}),
        post(tc_fresh, "/plans/old/upgrade", {"ref": "old@1", "to": "stripe-connect@2026-12", "message": "up"}),
    ]
    assert [w.status_code for w in writes] == [303] * 6, [w.text[:300] for w in writes]
    return {
        "empty": f"/?catalog={CAT}",
        "preset": f"/?catalog={CAT}&preset=saas",
        "blocked": "/?" + query_string(CAT, blocked),
        "all": "/?" + query_string(CAT, blocked) + "&section=all",
        "2026-12": "/?catalog=stripe-connect@2026-12&preset=saas",
        "no sections": "/?catalog=stripe-connect@2024.r1",
        "help": f"/help/dashboard/express?catalog={CAT}",
        "plans": "/plans",
        "log": "/plans/acme",
        "version": "/versions/acme@2",
        "diff": "/diff?a=acme@1&b=acme@2",
        "compare form": "/diff",
        "figure": "/figures/money-flow?" + query_string(CAT, sel),
        "blueprint": "/versions/acme@2/blueprint",
        "a section": "/?" + query_string(CAT, sel) + "&section=risk",
        "not found": "/nowhere",
        "error": f"/?catalog={CAT}&dashboard=zzz",
        "unknown plan": "/plans/nobody",
        "unknown version": "/versions/nobody@1",
        "saved": "/versions/acme@1?done=saved",
        "tagged": "/versions/acme@2?done=tagged&tag=reviewed",
        "forked": "/versions/acme-eu@1?done=forked",
        "upgraded": "/versions/old@2?done=upgraded",
        "fork comparison": "/diff?a=acme@2&b=acme-eu@1",
        "upgradable version": "/versions/old@1",
    }


def _posted_pages(tc_fresh) -> dict[str, str]:
    """The pages a POST answers with itself (no redirect): the upgrade preview and a refused write."""
    sel = {**SAAS, "liability": "stripe"}
    preview = post(tc_fresh, "/plans/old/upgrade", {"ref": "old@1", "to": "stripe-connect@2026-12", "dry_run": "1"})
    conflict = post(tc_fresh, "/plans", {"name": "acme", "message": "again", "catalog": CAT, **sel})
    refused = post(tc_fresh, "/plans/acme/fork", {"ref": "acme@1", "new_name": "bad name"})
    assert (preview.status_code, conflict.status_code, refused.status_code) == (200, 409, 400)
    return {"upgrade preview": preview.text, "conflict": conflict.text, "refused fork": refused.text}


def _fragments(tc_fresh) -> dict[str, str]:
    """The partial fragments htmx swaps in (each requested as htmx does)."""
    sel = {**SAAS, "liability": "stripe"}
    hx = {"HX-Request": "true"}
    first = tc_fresh.get(f"/?catalog={CAT}&section=accounts").text
    prev = prev_of(first)
    update = tc_fresh.get(
        "/partials/workspace?" + urlencode([*parse_qsl(prev), ("dashboard", "express"), ("prev", prev)]),
        headers={**hx, "HX-Trigger": "configure"},
    )
    found = {
        "update": update,
        "link update": tc_fresh.get("/partials/workspace?" + query_string(CAT, sel) + "&section=risk", headers=hx),
        "figures card": tc_fresh.get("/partials/figures?" + query_string(CAT, sel), headers=hx),
        "option help": tc_fresh.get(f"/help/dashboard/express?catalog={CAT}", headers=hx),
        "error fragment": tc_fresh.get(f"/partials/workspace?catalog={CAT}&dashboard=zzz", headers=hx),
    }
    assert [r.status_code for r in found.values()] == [200, 200, 200, 200, 400]
    return {name: resp.text for name, resp in found.items()}


def _check_ids_and_hx(name: str, markup: str, *, fragment: bool = False) -> None:
    page = Page(markup)
    ids = [a["id"] for _, a in page.elements if a.get("id")]
    assert len(ids) == len(set(ids)), (name, sorted({i for i in ids if ids.count(i) > 1}))
    for _, attrs in page.elements:
        if not fragment:  # a fragment may point at ids of the page it lands in
            for ref in ("for", "aria-describedby", "aria-labelledby", "aria-controls"):
                for target in (attrs.get(ref) or "").split():
                    assert target in ids, (name, ref, target)
        assert not [k for k in attrs if k.startswith("hx-")], (name, attrs)


def test_every_page_type_is_valid_html(tmp_path):
    import html5lib

    with client_for(f"sqlite:///{tmp_path / 'v.db'}") as fresh:
        answers = {name: fresh.get(url) for name, url in _pages(fresh).items()}
        errors = {"not found": 404, "error": 400, "unknown plan": 404, "unknown version": 404}
        assert {n: r.status_code for n, r in answers.items() if r.status_code != 200} == errors
        pages = {name: resp.text for name, resp in answers.items()}
        pages.update(_posted_pages(fresh))
        fragments = _fragments(fresh)
    for name, markup in [*pages.items(), *fragments.items()]:
        fragment = name in fragments
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            parser.parseFragment(markup) if fragment else parser.parse(markup)
        except html5lib.html5parser.ParseError as exc:
            line = markup.splitlines()[parser.errors[0][0][0] - 1] if parser.errors else ""
            pytest.fail(f"{name}: {exc} at: {line[:200]}")
        _check_ids_and_hx(name, markup, fragment=fragment)


def test_a_conflict_does_not_claim_its_bystanders_became_possible(tc):
    """Entering a conflict takes the marks off the options that cannot fix it; they are still excluded, so the
    panel must not say they are "possible again"."""
    page = tc.get("/?" + query_string(CAT, {**SAAS, "liability": "stripe"}) + "&section=accounts").text
    resp, _ = change(tc, page, "dashboard", "express")
    text = Page(resp.text).all_text
    assert "Verdict: allowed → blocked." in text
    for bystander in ("Onboarding", "Charge type", "Negative-balance liability"):  # every option still excluded
        assert f"({bystander}) is possible again" not in text
