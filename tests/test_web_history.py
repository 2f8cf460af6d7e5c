"""History as a review workflow (issue 19, point 5) through Starlette's test client: confirmations, inline
validation with the input kept, upgrades offered only towards newer editions, compare anything with
anything, readable times, and error pages that lead somewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from test_docgen import HOSTILE
from webapp import Page, client_for, new_store, post

from connectplan.refs import PLAN_NAME_PATTERN, TAG_NAME_PATTERN
from connectplan.web.routes import STATIC_DIR

CAT = "stripe-connect@2024"
SAAS = {"onboarding": "hosted", "dashboard": "full", "charge_type": "direct", "fee_payer": "connected_account"}
FULL = SAAS | {"liability": "stripe"}
C26 = "stripe-connect@2026"


@pytest.fixture
def tc(tmp_path):
    url = new_store(tmp_path)
    with client_for(url) as client:
        client.store_url = url  # type: ignore[attr-defined]
        yield client


def pairs_of(catalog: str, selection: dict) -> list[tuple[str, str]]:
    out = [("catalog", catalog)]
    for prop, value in selection.items():
        out += [(prop, v) for v in ([value] if isinstance(value, str) else value)]
    return out


def saas_2026(tc) -> dict:
    from connectplan.workspace import open_workspace

    with open_workspace(tc.store_url) as ws:
        return dict(ws.explore(catalog=C26, preset="saas").selection)


def save(tc, name: str, catalog: str = CAT, selection: dict | None = None, **extra: str):
    fields = [*pairs_of(catalog, selection or FULL), ("name", name), ("message", "first cut"), ("author", "ann")]
    resp = post(tc, "/plans", fields + list(extra.items()))
    assert resp.status_code == 303, resp.text[:400]
    return resp


def status_text(html: str) -> list[str]:
    """The text of each role=status element (the confirmations)."""
    return [" ".join(m.split()) for m in re.findall(r'<p class="flash" role="status"[^>]*>(.*?)</p>', html, re.S)]


# -- confirmations ------------------------------------------------------------------------------------------


def test_every_write_confirms_on_the_page_it_lands_on(tc):
    resp = save(tc, "acme")
    assert resp.headers["location"] == "/versions/acme@1?done=saved"
    assert status_text(tc.get(resp.headers["location"]).text) == ["Saved acme@1: version 1 of the new plan acme."]
    fields = [*pairs_of(CAT, SAAS | {"liability": "platform"}), ("base", "1"), ("message", "platform liable")]
    fields.append(("allow_blocked", "1"))
    resp = post(tc, "/plans/acme/versions", fields)
    assert resp.headers["location"] == "/versions/acme@2?done=version"
    assert status_text(tc.get(resp.headers["location"]).text) == ["Saved acme@2, changed from version 1."]
    resp = post(tc, "/plans/acme/tag", {"ref": "acme@1", "tag": "reviewed"})
    assert status_text(tc.get(resp.headers["location"]).text) == ["Tagged acme@1 as “reviewed”."]
    resp = post(tc, "/plans/acme/fork", {"ref": "acme@reviewed", "new_name": "acme-eu"})
    assert status_text(tc.get(resp.headers["location"]).text) == ["Forked acme@1 as the new plan acme-eu: acme-eu@1."]
    resp = post(tc, "/plans/acme/upgrade", {"ref": "acme@2", "to": "stripe-connect@2025", "allow_blocked": "1"})
    assert resp.headers["location"] == "/versions/acme@3?done=upgraded"
    assert status_text(tc.get(resp.headers["location"]).text) == [
        "Upgraded to stripe-connect@2025: saved as acme@3, changed from version 2."
    ]
    assert status_text(tc.get("/versions/acme@3").text) == []  # the plain page confirms nothing


def test_a_confirmation_never_reflects_the_query(tc):
    save(tc, "acme")
    for query in ("done=" + HOSTILE, "done=tagged&tag=" + HOSTILE, "done=tagged&tag=reviewed", "done=__class__"):
        resp = tc.get("/versions/acme@1?" + urlencode(dict(parse_qsl(query))))
        assert resp.status_code == 200 and status_text(resp.text) == [] and "<script>alert" not in resp.text


def test_an_htmx_save_navigates_to_the_confirmation_and_an_htmx_refusal_is_a_fragment(tc):
    hx = {"HX-Request": "true"}
    resp = post(tc, "/plans", [*pairs_of(CAT, FULL), ("name", "acme"), ("message", "m")], headers=hx)
    assert resp.status_code == 200 and resp.headers["hx-redirect"] == "/versions/acme@1?done=saved"
    resp = post(tc, "/plans", [*pairs_of(CAT, FULL), ("name", "bad name"), ("message", "m")], headers=hx)
    assert resp.status_code == 400 and "<html" not in resp.text
    assert Page(resp.text).by_id("retry-name")["value"] == "bad name"


# -- validation ---------------------------------------------------------------------------------------------


def test_name_fields_carry_the_stores_rule_as_pattern_and_title(tc):
    save(tc, "acme")
    page = Page(tc.get("/versions/acme@1").text)
    fork, tag = page.by_id("fork-name"), page.by_id("tag-name")
    assert fork["pattern"] == PLAN_NAME_PATTERN and fork["maxlength"] == "100" and "Letters, digits" in fork["title"]
    assert tag["pattern"] == f"(?!latest$){TAG_NAME_PATTERN}" and "not 'latest'" in tag["title"]
    assert fork["aria-describedby"] == "fork-name-rule" and page.by_id("fork-name-rule")
    script = (STATIC_DIR / "history.js").read_text(encoding="utf-8")  # the live message uses the same rules
    assert json.dumps(PLAN_NAME_PATTERN) in script and json.dumps(f"(?!latest$){TAG_NAME_PATTERN}") in script
    for good in ("acme", "a.b_c-9", "x" * 100):
        assert re.fullmatch(PLAN_NAME_PATTERN, good)
    for bad in ("-x", "a b", "x" * 101, "é"):
        assert not re.fullmatch(PLAN_NAME_PATTERN, bad)


@pytest.mark.parametrize(
    ("path", "fields", "field_id", "kept"),
    [
        ("/plans", {"name": "bad name!", "message": HOSTILE, "author": "ann"}, "retry-name", "bad name!"),
        ("/plans/acme/fork", {"ref": "acme@1", "new_name": "-fork", "message": "why"}, "retry-new-name", "-fork"),
        ("/plans/acme/tag", {"ref": "acme@1", "tag": "latest"}, "retry-tag", "latest"),
    ],
)
def test_an_invalid_name_answers_400_with_the_form_and_the_input_kept(tc, path, fields, field_id, kept):
    save(tc, "acme")
    data = [*pairs_of(CAT, FULL), *fields.items()] if path == "/plans" else list(fields.items())
    resp = post(tc, path, data)
    assert resp.status_code == 400
    page = Page(resp.text)
    field = page.by_id(field_id)
    assert field["value"] == kept and field["aria-invalid"] == "true"
    assert page.labels[field_id] and "Check the field" in page.all_text
    form = next(f for f in page.tags("form") if f.get("action") == path)
    assert form["method"] == "post"
    if path == "/plans":
        assert page.by_id("retry-message")["value"] == HOSTILE and "<script>alert(1)" not in resp.text
        assert page.by_id("retry-author")["value"] == "ann"
        hidden = {(i["name"], i["value"]) for i in page.tags("input") if i.get("type") == "hidden"}
        assert ("catalog", CAT) in hidden and ("liability", "stripe") in hidden  # the selection travels on
    with pytest.raises(KeyError):
        json.loads(tc.get("/api/plans/" + kept).text)["plan"]  # nothing was saved


def test_a_taken_name_and_a_missing_message_keep_the_input(tc):
    save(tc, "acme")
    resp = post(tc, "/plans", [*pairs_of(CAT, FULL), ("name", "acme"), ("message", "again")])
    page = Page(resp.text)
    assert resp.status_code == 409 and "already exists" in page.all_text and "choose another name" in page.all_text
    assert page.by_id("retry-name")["value"] == "acme" and page.by_id("retry-message")["value"] == "again"
    fields = [*pairs_of(CAT, SAAS | {"liability": "platform"}), ("base", "1"), ("message", " "), ("author", "bo")]
    resp = post(tc, "/plans/acme/versions", fields)
    page = Page(resp.text)
    assert resp.status_code == 400 and page.by_id("retry-message")["aria-invalid"] == "true"
    assert page.by_id("retry-author")["value"] == "bo"
    assert ("base", "1") in {(i["name"], i["value"]) for i in page.tags("input") if i.get("type") == "hidden"}
    back = next(a["href"] for a in page.tags("a") if a.get("class") == "way-back")
    state = parse_qsl(urlsplit(back).query)
    assert ("plan", "acme") in state and ("base", "1") in state and ("liability", "platform") in state


def test_a_refused_blocked_save_offers_the_box_with_the_input_kept(tc):
    blocked = SAAS | {"dashboard": "express", "liability": "stripe"}
    resp = post(tc, "/plans", [*pairs_of(CAT, blocked), ("name", "risky"), ("message", "try")])
    page = Page(resp.text)
    assert resp.status_code == 422 and page.by_id("retry-name")["value"] == "risky"
    box = next(i for i in page.tags("input") if i.get("name") == "allow_blocked")
    assert "checked" not in box
    again = [
        (i["name"], i.get("value") or "") for i in page.tags("input") if i.get("name") and i.get("type") != "checkbox"
    ]
    assert (
        post(tc, "/plans", [(k, v) for k, v in again if k != "csrf_token"] + [("allow_blocked", "1")]).status_code
        == 303
    )


# -- "nothing changed" -----------------------------------------------------------------------------------


def test_nothing_changed_is_known_to_the_configurator_and_refused_by_the_server(tc):
    from connectplan.web.editing import configurator_state
    from connectplan.workspace import open_workspace

    save(tc, "acme")
    with open_workspace(tc.store_url) as ws:
        same = configurator_state(ws, "acme", "1", CAT, FULL)
        changed = configurator_state(ws, "acme", "1", CAT, FULL | {"liability": "platform"})
        nothing = configurator_state(ws, None, None, CAT, FULL)
        gone = configurator_state(ws, "ghost", "1", CAT, FULL)
    assert same["base_unchanged"] is True and changed["base_unchanged"] is False
    assert nothing == gone == {"base_unchanged": False, "compare_saved_url": None}
    resp = post(tc, "/plans/acme/versions", [*pairs_of(CAT, FULL), ("base", "1"), ("message", "no change")])
    assert resp.status_code == 400 and "change at least one option" in Page(resp.text).all_text
    assert Page(resp.text).by_id("retry-message")["value"] == "no change"


# -- upgrades -------------------------------------------------------------------------------------------------


def _upgrade_options(tc, ref: str) -> list[str] | None:
    page = Page(tc.get(f"/versions/{ref}").text)
    if not any(f.get("action", "").endswith("/upgrade") for f in page.tags("form")):
        return None
    html = tc.get(f"/versions/{ref}").text
    select = re.search(r'<select id="upgrade-to" name="to">(.*?)</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]+)"', select.group(1))


def test_upgrade_is_offered_only_towards_newer_editions_and_revisions(tc):
    save(tc, "old", CAT)
    save(tc, "now", "stripe-connect@2026-12", _complete("stripe-connect@2026-12", tc))
    save(tc, "r1", "stripe-connect@2024.r1")
    assert _upgrade_options(tc, "old@1") == ["stripe-connect@2025", "stripe-connect@2026", "stripe-connect@2026-12"]
    assert _upgrade_options(tc, "r1@1") == [
        "stripe-connect@2024",  # the correcting revision of its own edition, picked by default
        "stripe-connect@2025",
        "stripe-connect@2026",
        "stripe-connect@2026-12",
    ]
    assert 'value="stripe-connect@2024" selected' in tc.get("/versions/r1@1").text
    assert 'value="stripe-connect@2026-12" selected' in tc.get("/versions/old@1").text
    assert _upgrade_options(tc, "now@1") is None
    assert "nothing to upgrade to" in Page(tc.get("/versions/now@1").text).all_text
    assert Page(tc.get("/versions/old@1").text).by_id("upgrade-to")  # a <select>, labelled
    assert Page(tc.get("/versions/old@1").text).labels["upgrade-to"] == "To edition"


def _complete(catalog: str, tc) -> dict:
    from connectplan.workspace import open_workspace

    with open_workspace(tc.store_url) as ws:
        return dict(ws.explore(catalog=catalog, preset="saas").selection)


def test_the_upgrade_preview_shows_new_and_defaulted_decisions_before_confirming(tc):
    save(tc, "acme", C26, saas_2026(tc))
    page = Page(tc.get("/versions/acme@1").text)
    form = next(f for f in page.tags("form") if f.get("action") == "/plans/acme/upgrade")
    assert form and ("dry_run", "1") in {
        (i["name"], i["value"]) for i in page.tags("input") if i.get("type") == "hidden"
    }
    resp = post(tc, "/plans/acme/upgrade", {"ref": "acme@1", "to": "stripe-connect@2026-12", "dry_run": "1"})
    assert resp.status_code == 200
    text = Page(resp.text).all_text
    assert "Decisions the upgrade adds or changes" in text
    assert "new: left open (not decided yet)" in text and "new: chosen by the edition's default" in text
    assert "Payout timing" in text and "Nothing is saved until you apply the upgrade" in text
    assert json.loads(tc.get("/api/plans/acme").text)["plan"]["version"] == 1
    apply = Page(resp.text)
    hidden = {(i["name"], i["value"]) for i in apply.tags("input") if i.get("type") == "hidden"}
    assert ("to", "stripe-connect@2026-12") in hidden and ("dry_run", "1") not in hidden
    compare = next(a["href"] for a in apply.tags("a") if "b_on=" in a.get("href", ""))
    assert tc.get(compare).status_code == 200
    resp = post(tc, "/plans/acme/upgrade", {"ref": "acme@1", "to": "stripe-connect@2026-12", "message": "to 2026-12"})
    assert resp.headers["location"] == "/versions/acme@2?done=upgraded"


# -- compare anything with anything ----------------------------------------------------------------------


def _heading(tc, query: str) -> str:
    resp = tc.get("/diff?" + query)
    assert resp.status_code == 200, resp.text[:400]
    return next(line for line in Page(resp.text).all_text.split(" Changes from ")[1:2])


def test_compare_a_fork_with_its_origin(tc):
    save(tc, "acme")
    post(tc, "/plans/acme/fork", {"ref": "acme@1", "new_name": "acme-eu"})
    fields = [*pairs_of(CAT, SAAS | {"liability": "platform"}), ("base", "1"), ("message", "m"), ("allow_blocked", "1")]
    assert post(tc, "/plans/acme-eu/versions", fields).status_code == 303
    version = Page(tc.get("/versions/acme-eu@2").text)
    links = {a["href"] for a in version.tags("a") if a.get("href", "").startswith("/diff")}
    assert "/diff?a=acme%401&b=acme-eu%402" in links  # with its origin
    assert "/diff?a=acme-eu%401&b=acme-eu%402" in links  # with the previous version
    log = Page(tc.get("/plans/acme-eu").text)
    assert any(a["href"] == "/diff?a=acme%401&b=acme-eu%402" for a in log.tags("a"))
    assert _heading(tc, "a=acme%401&b=acme-eu%402").startswith("acme@1 to acme-eu@2")
    assert "Negative-balance liability" in Page(tc.get("/diff?a=acme%401&b=acme-eu%402").text).all_text


def test_compare_a_preset_with_a_plan_and_swap_the_sides(tc):
    save(tc, "acme", C26, saas_2026(tc) | {"liability": "platform"}, allow_blocked="1")
    version = Page(tc.get("/versions/acme@1").text)
    assert version.labels["cmp-preset"] == "With the preset"
    query = urlencode({"a_preset": "saas", "a_catalog": C26, "b": "acme@1"})
    resp = tc.get("/diff?" + query)
    text = Page(resp.text).all_text
    assert "Changes from preset “SaaS platform” on stripe-connect@2026 to acme@1" in text
    assert "Stripe" in text and "Platform" in text  # the liability row, before and after
    swap = next(
        a["href"]
        for a in Page(resp.text).tags("a")
        if a.get("href", "").startswith("/diff") and "b_preset" in a["href"]
    )
    assert "to preset “SaaS platform”" in Page(tc.get(swap).text).all_text
    assert "link" not in resp.headers  # no JSON twin for a preset


def test_compare_the_unsaved_selection_with_the_saved_version(tc):
    from connectplan.web.editing import configurator_state
    from connectplan.workspace import open_workspace

    save(tc, "acme")
    with open_workspace(tc.store_url) as ws:
        url = configurator_state(ws, "acme", "1", CAT, FULL | {"charge_type": "destination"})["compare_saved_url"]
    assert url.startswith("/diff?a=acme%401&b_query=")
    text = Page(tc.get(url).text).all_text
    assert "Changes from acme@1 to the selection on stripe-connect@2024" in text and "destination" in text.lower()


def test_compare_two_editions_of_the_same_selection(tc):
    save(tc, "acme", C26, saas_2026(tc))
    text = _heading(tc, urlencode({"a": "acme@1", "b": "acme@1", "b_on": "stripe-connect@2026-12"}))
    assert text.startswith("acme@1 to acme@1 carried over to stripe-connect@2026-12")
    page = Page(tc.get("/versions/acme@1").text)
    assert page.labels["cmp-on"] == "With this selection on"
    both = urlencode(
        {"a_preset": "marketplace", "a_on": C26, "b_preset": "marketplace", "b_on": "stripe-connect@2026-12"}
    )
    assert "stripe-connect@2026 → stripe-connect@2026-12" in Page(tc.get("/diff?" + both).text).all_text


def test_the_compare_form_alone_and_a_half_comparison(tc):
    page = Page(tc.get("/diff").text)
    for x in ("a", "b"):
        assert page.labels[f"{x}-ref"] == "Plan version" and page.labels[f"{x}-on"] == "on edition"
    resp = tc.get("/diff?a=acme@1")
    assert resp.status_code == 400
    back = next(a["href"] for a in Page(resp.text).tags("a") if a.get("class") == "way-back")
    assert back == "/diff?a=acme%401"
    assert tc.get("/diff?a=acme@1&b=ghost@1").status_code == 404


# -- times, tables, error pages ------------------------------------------------------------------------


def test_times_are_readable_with_the_iso_time_on_hover(tc):
    save(tc, "acme")
    for path in ("/plans", "/plans/acme", "/versions/acme@1"):
        html = tc.get(path).text
        times = re.findall(r'<time datetime="([^"]+)" title="([^"]+)">(.*?)</time>', html, re.S)
        assert times, path
        iso, title, shown = times[0]
        assert iso == title and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", iso)
        text = re.sub(r"<[^>]+>", "", shown)
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC", text), text


def test_listing_cells_are_labelled_for_the_narrow_layout(tc):
    save(tc, "acme")
    for path, table in (("/plans", "plans"), ("/plans/acme", "log")):
        page = Page(tc.get(path).text)
        assert any(t.get("class") == f"{table} stack" for t in page.tags("table"))
        labels = [a["data-label"] for a in page.tags("td") + page.tags("th") if a.get("data-label")]
        assert "Saved" in labels or "Updated" in labels
    css = (STATIC_DIR / "history.css").read_text(encoding="utf-8")
    assert "overflow-wrap: normal" in css and "attr(data-label)" in css


def test_an_error_page_starts_over_from_the_users_selection(tc):
    query = urlencode({"catalog": CAT, "dashboard": "express", "liability": "nope"})
    page = Page(tc.get("/?" + query).text)
    back = next(a["href"] for a in page.tags("a") if a.get("class") == "way-back")
    assert dict(parse_qsl(urlsplit(back).query)) == {"catalog": CAT, "dashboard": "express"}
    assert "Start over from your selection" in page.all_text
    lost = Page(tc.get("/versions/ghost@1").text)
    assert any(a.get("href") == "/plans" for a in lost.tags("a"))


def test_a_lost_race_offers_reload_and_compare(tc):
    save(tc, "acme")
    first = [
        *pairs_of(CAT, FULL | {"charge_type": "destination"}),
        ("base", "1"),
        ("message", "A"),
        ("allow_blocked", "1"),
    ]
    assert post(tc, "/plans/acme/versions", first).status_code == 303
    fields = [
        *pairs_of(CAT, FULL | {"charge_type": "separate"}),
        ("base", "1"),
        ("message", "C"),
        ("allow_blocked", "1"),
    ]
    resp = post(tc, "/plans/acme/versions", fields)
    assert resp.status_code == 409
    page = Page(resp.text)
    hrefs = [a["href"] for a in page.tags("a")]
    compare = next(h for h in hrefs if h.startswith("/diff?a=acme%402&b_query="))
    assert "separate" in Page(tc.get(compare).text).all_text.lower()
    assert any(h.startswith("/?") and "base=2" in h for h in hrefs)


def test_the_history_script_and_styles_are_served_and_add_no_inline_code(tc):
    for name in ("history.js", "history.css"):
        resp = tc.get(f"/static/{name}")
        assert resp.status_code == 200
    script = (Path(STATIC_DIR) / "history.js").read_text(encoding="utf-8")
    assert "eval(" not in script and "innerHTML" not in script and ".style" not in script


def test_every_history_page_parses_as_html5_without_errors_and_has_unique_ids(tc):
    import html5lib

    save(tc, "acme", C26, saas_2026(tc))
    post(tc, "/plans/acme/fork", {"ref": "acme@1", "new_name": "acme-eu"})
    pages = {
        "plans": tc.get("/plans"),
        "log": tc.get("/plans/acme"),
        "version": tc.get("/versions/acme@1?done=saved"),
        "compare form": tc.get("/diff"),
        "comparison": tc.get("/diff?a=acme%401&b=acme-eu%401"),
        "preset comparison": tc.get("/diff?" + urlencode({"a_preset": "saas", "b": "acme@1", "b_on": f"{C26}-12"})),
        "upgrade preview": post(tc, "/plans/acme/upgrade", {"ref": "acme@1", "to": f"{C26}-12", "dry_run": "1"}),
        "refused form": post(tc, "/plans/acme/fork", {"ref": "acme@1", "new_name": "bad name"}),
        "error": tc.get("/diff?a=acme@1"),
    }
    for what, resp in pages.items():
        assert resp.status_code in (200, 400), what
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(resp.text)  # raises on the first parse error
        ids = [a["id"] for _t, a in Page(resp.text).elements if a.get("id")]
        assert len(ids) == len(set(ids)), (what, sorted({i for i in ids if ids.count(i) > 1}))
        headings = [t for t, _a in Page(resp.text).elements if t == "h1"]
        assert len(headings) == 1, what


@pytest.mark.parametrize(
    "query",
    [
        {"a": HOSTILE, "b": "x@1"},
        {"a_preset": HOSTILE, "b_preset": "saas"},
        {"a_query": HOSTILE, "b_preset": "saas"},
        {"a_query": "catalog=nope@1", "b_preset": "saas"},
        {"a_preset": "saas", "a_on": HOSTILE, "b_preset": "saas"},
        {"a_preset": "saas", "a_catalog": CAT, "a_on": "other@1", "b_preset": "saas"},
        {"a_query": f"catalog={CAT}&dashboard=full", "b_preset": "saas"},
        {"a": "", "b": ""},
    ],
)
def test_a_bad_comparison_is_an_error_page_never_a_500(tc, query):
    resp = tc.get("/diff?" + urlencode(query))
    assert resp.status_code in (400, 404), (query, resp.status_code)
    assert "<script>alert(1)" not in resp.text and "Back to the comparison form" in Page(resp.text).all_text
