"""Revision 2 of stripe-connect@2024 and @2025: the errata of DOMAIN-2026 Part E.

Every erratum has a test that asserts the corrected fact on revision 2 and, in the same test,
that revision 1 (the shipped ``*.r1.yaml`` file, byte for byte the old edition) still says the
old thing, so each test would fail on today's catalogs. The verdict tests resolve every complete
selection with both revisions: Part E changes no verdict.
"""

from __future__ import annotations

import itertools
from functools import cache

import pytest

from connectplan.catalog_files import BUILTIN_DIR, builtin_catalog_files, builtin_revision_files, load_catalog_file
from connectplan.engine import Catalog, resolve
from connectplan.engine.catalog import BASES

EDITIONS = ("2024", "2025")


@cache
def revision(edition: str, rev: int) -> Catalog:
    """Revision ``rev`` of a built-in edition, read from its file (not from a store).

    Revision 2 was the newest when these errata shipped; it now ships as ``NAME@EDITION.r2.yaml``
    (revision 3, ``tests/test_errata_2026_12.py``, corrects it).
    """
    return load_catalog_file(BUILTIN_DIR / f"stripe-connect@{edition}.r{rev}.yaml")


def selections(catalog: Catalog):
    ids = [p.id for p in catalog.properties]
    for combo in itertools.product(*(p.option_ids for p in catalog.properties)):
        yield dict(zip(ids, combo, strict=True))


def holders(catalog: Catalog, selection: dict[str, str], responsibility: str) -> set[str]:
    return {
        h.assignment.party
        for h in resolve(catalog, selection).responsibilities
        if h.responsibility.id == responsibility
    }


def flows(catalog: Catalog, selection: dict[str, str]) -> set[str]:
    return {f.id for f in resolve(catalog, selection).flows}


def rule_ids(catalog: Catalog, selection: dict[str, str]) -> set[str]:
    return {f.rule.id for f in resolve(catalog, selection).findings}


def preset(catalog: Catalog, preset_id: str) -> dict[str, str]:
    return dict(catalog.preset_index[preset_id].selection)


def option_api(catalog: Catalog, prop: str, option: str) -> str:
    opt = catalog.property_index[prop].option(option)
    assert opt is not None
    return " | ".join(a.text for a in opt.api)


def note(catalog: Catalog, responsibility: str, condition: str) -> str:
    resp = next(r for r in catalog.responsibilities if r.id == responsibility)
    return next(a.note for a in resp.assignments if a.condition == _cond(condition))


def _cond(text: str):
    from connectplan.engine import parse_expression

    return parse_expression(text)


def flow(catalog: Catalog, flow_id: str):
    return next(f for f in catalog.flows if f.id == flow_id)


# ---------------------------------------------------------------------------
# Files, revision and changelog


def test_revision_files_ship_beside_the_newest_revision() -> None:
    assert [p.name for p in builtin_catalog_files()][:2] == ["stripe-connect@2024.yaml", "stripe-connect@2025.yaml"]
    revs = builtin_revision_files()
    assert {ref: [r for r, _ in files] for ref, files in revs.items()} == {
        "stripe-connect@2024": [1, 2],
        "stripe-connect@2025": [1, 2],
        "stripe-connect@2026": [1],
    }


@pytest.mark.parametrize("edition", EDITIONS)
def test_revision_2_declares_itself_and_its_changelog(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    assert (old.revision, old.changelog) == (1, ())
    assert (new.name, new.edition, new.revision) == (old.name, old.edition, 2)
    [entry] = new.changelog
    assert (entry.revision, entry.date) == (2, "2026-12-01")
    text = " ".join(entry.changes)
    for item in ("E.1", "E.2", "M1", "M2", "M3", "M4", "L2", "L6", "L8", "L10", "platform_collects_requirements"):
        assert item in text, item
    assert "verdicts: none changes" in text
    assert old.content_hash != new.content_hash


def test_2024_changelog_names_its_own_errata() -> None:
    text = " ".join(revision("2024", 2).changelog[0].changes)
    for item in ("L1", "L3", "L4", "E.5"):
        assert item in text


def test_2025_changelog_names_its_own_errata_and_the_skill_revision() -> None:
    cat = revision("2025", 2)
    text = " ".join(cat.changelog[0].changes)
    for item in ("M5", "M6", "E.5", "150d4d4"):
        assert item in text
    assert "stripe/ai commit 150d4d4" in cat.description
    assert "150d4d4" not in revision("2025", 1).description


@pytest.mark.parametrize("edition", EDITIONS)
def test_ids_and_option_sets_are_unchanged(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    assert [(p.id, p.option_ids) for p in new.properties] == [(p.id, p.option_ids) for p in old.properties]
    assert [s.id for s in new.steps] == [s.id for s in old.steps]
    assert [r.id for r in new.rules] == [r.id for r in old.rules] + ["platform_collects_requirements"]
    old_flows = [f.id for f in old.flows]
    at = old_flows.index("direct_dispute_fee") + 1
    assert [f.id for f in new.flows] == [*old_flows[:at], "direct_dispute_fee_platform", *old_flows[at:]]
    assert [r.id for r in new.responsibilities] == [r.id for r in old.responsibilities]
    assert [(p.id, p.selection) for p in new.presets] == [(p.id, p.selection) for p in old.presets]


# ---------------------------------------------------------------------------
# No verdict changes (E.0)


@pytest.mark.parametrize(("edition", "count"), [("2024", 108), ("2025", 180)])
def test_every_selection_keeps_its_verdict(edition: str, count: int) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    sels = list(selections(new))
    assert len(sels) == count
    changed = [s for s in sels if resolve(old, s).verdict != resolve(new, s).verdict]
    assert changed == []


#: Stripe's compatibility matrix (stripe/ai connect-recommend references/compatibility-matrix.md §1), v2 names
#: dashboard / fees_collector / losses_collector -> verdicts for direct, destination, destination_obo, separate,
#: separate_obo. fees_collector stripe = fee_payer.connected_account; losses_collector application = platform.
MATRIX_2025 = {
    ("full", "connected_account", "stripe"): "allowed blocked out_of_scope blocked out_of_scope",
    ("full", "connected_account", "platform"): "blocked blocked out_of_scope blocked out_of_scope",
    ("full", "platform", "platform"): "sales_gated sales_gated out_of_scope sales_gated out_of_scope",
    ("full", "platform", "stripe"): "sales_gated sales_gated out_of_scope sales_gated out_of_scope",
    ("express", "platform", "platform"): "allowed caution out_of_scope caution out_of_scope",
    ("express", "connected_account", "stripe"): "blocked blocked out_of_scope blocked out_of_scope",
    ("express", "connected_account", "platform"): "blocked blocked out_of_scope blocked out_of_scope",
    ("express", "platform", "stripe"): "blocked blocked out_of_scope blocked out_of_scope",
    ("none", "connected_account", "stripe"): "blocked blocked out_of_scope blocked out_of_scope",
    ("none", "connected_account", "platform"): "blocked blocked out_of_scope blocked out_of_scope",
    ("none", "platform", "stripe"): "blocked blocked out_of_scope blocked out_of_scope",
    ("none", "platform", "platform"): "allowed allowed out_of_scope allowed out_of_scope",
}
CHARGES_2025 = ("direct", "destination", "destination_obo", "separate", "separate_obo")


@pytest.mark.parametrize("rev", [1, 2])
@pytest.mark.parametrize("onboarding", ["embedded", "hosted"])
def test_2025_matrix_cells(rev: int, onboarding: str) -> None:
    cat = revision("2025", rev)
    got = {}
    for (dashboard, fee_payer, liability), row in MATRIX_2025.items():
        for charge_type, expected in zip(CHARGES_2025, row.split(), strict=True):
            sel = {
                "onboarding": onboarding,
                "dashboard": dashboard,
                "charge_type": charge_type,
                "fee_payer": fee_payer,
                "liability": liability,
            }
            got[(dashboard, fee_payer, liability, charge_type)] = (resolve(cat, sel).verdict, expected)
    assert len(got) == 60
    assert {k: v for k, v in got.items() if v[0] != v[1]} == {}


# ---------------------------------------------------------------------------
# E.1 (H1): requirement collection is derived from dashboard + liability


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("preset_id", ["white_label", "b2b"])
def test_e1_white_label_and_b2b_presets_are_platform_collected(edition: str, preset_id: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    sel = preset(new, preset_id)
    assert holders(new, sel, "collects_kyc") == {"platform"}
    assert holders(old, sel, "collects_kyc") == {"stripe"}


@pytest.mark.parametrize("edition", EDITIONS)
def test_e1_collects_kyc_follows_the_derived_condition_for_every_selection(edition: str) -> None:
    new = revision(edition, 2)
    for sel in selections(new):
        platform = sel["onboarding"] == "api" or (sel["dashboard"] == "none" and sel["liability"] == "platform")
        assert holders(new, sel, "collects_kyc") == ({"platform"} if platform else {"stripe"}), sel
    assert "debit_negative_balances defaults to false" in note(
        new, "collects_kyc", "onboarding.api or (dashboard.none and liability.platform)"
    )


@pytest.mark.parametrize("edition", EDITIONS)
def test_e1_new_info_rule_platform_collects_requirements(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    rule = new.rule_index["platform_collects_requirements"]
    assert rule.severity == "info" and rule.basis == "stated"
    assert "debit_negative_balances" in rule.message and "account_update" in rule.message
    assert "migrate-to-controller-properties" in rule.source
    sel = preset(new, "white_label")
    assert "platform_collects_requirements" in rule_ids(new, sel)
    assert "platform_collects_requirements" not in old.rule_index
    assert "platform_collects_requirements" not in rule_ids(new, preset(new, "saas"))


@pytest.mark.parametrize("edition", EDITIONS)
def test_e1_onboarding_surfaces_do_not_set_the_collector(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    for surface in ("hosted", "embedded"):
        api = option_api(new, "onboarding", surface)
        assert "surface only" in api and "requirements_collector" in api
        assert 'requirement_collection = "stripe"' not in api
        assert 'requirement_collection = "stripe"' in option_api(old, "onboarding", surface)
    api = option_api(new, "onboarding", "api")
    assert "response field, not a create parameter" in api
    assert "response field" not in option_api(old, "onboarding", "api")


def test_e1_2024_account_creation_step_sets_requirement_collection_from_the_selection() -> None:
    old, new = revision("2024", 1), revision("2024", 2)
    body = new.step_index["create_accounts_v1_controller"].body
    assert "requirement_collection = application when onboarding is API or (dashboard is none" in body
    assert "requirement_collection = application" not in old.step_index["create_accounts_v1_controller"].body


def test_e1_2025_account_creation_step_never_sends_requirements_collector() -> None:
    old, new = revision("2025", 1), revision("2025", 2)
    assert "never send requirements_collector" in new.step_index["create_accounts_v2"].body
    assert "requirements_collector" not in old.step_index["create_accounts_v2"].body


@pytest.mark.parametrize("edition", EDITIONS)
def test_e1_debit_negative_balances_default_on_the_bank_debit_flow(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    assert (
        "defaults to false when the platform collects requirements"
        in flow(new, "negative_balance_external_account_debit").note
    )
    assert "defaults to false" not in flow(old, "negative_balance_external_account_debit").note


# ---------------------------------------------------------------------------
# E.2 (H2): the dispute fee of a direct charge follows the fee payer


@pytest.mark.parametrize("edition", EDITIONS)
def test_e2_direct_dispute_fee_is_split_by_fee_payer(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    platform_pays = {
        "onboarding": "embedded",
        "dashboard": "express",
        "charge_type": "direct",
        "fee_payer": "platform",
        "liability": "platform",
    }
    assert "direct_dispute_fee_platform" in flows(new, platform_pays)
    assert "direct_dispute_fee" not in flows(new, platform_pays)
    assert "direct_dispute_fee" in flows(old, platform_pays)
    f = flow(new, "direct_dispute_fee_platform")
    assert (f.from_party, f.to_party, f.what, f.kind) == ("platform", "stripe", "Dispute fee (D)", "dispute")
    account_pays = preset(new, "saas")
    assert "direct_dispute_fee" in flows(new, account_pays)
    assert "direct_dispute_fee_platform" not in flows(new, account_pays)
    assert "dispute fees on direct charges" in note(new, "pays_connect_fees", "fee_payer.platform")
    assert "dispute fees" not in note(old, "pays_connect_fees", "fee_payer.platform")


# ---------------------------------------------------------------------------
# E.3 medium items


@pytest.mark.parametrize("edition", EDITIONS)
def test_m1_legacy_platform_fee_payers_are_not_application(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    assert "not equivalent to application for direct-charge processing and dispute fees" in option_api(
        new, "fee_payer", "platform"
    )
    assert "not equivalent" not in option_api(old, "fee_payer", "platform")


@pytest.mark.parametrize("edition", EDITIONS)
def test_m2_express_refunds_and_disputes_depend_on_enabled_features(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    summary = new.property_index["dashboard"].option("express").summary
    assert "only if the platform enables those features" in summary and "never for destination or separate" in summary
    assert "users cannot manage refunds or disputes" in old.property_index["dashboard"].option("express").summary
    assert "or the account, if the platform enables Manage disputes" in note(
        new, "answers_disputes", "charge_type.direct and dashboard.express"
    )
    assert "can't submit dispute evidence" in note(old, "answers_disputes", "charge_type.direct and dashboard.express")
    refunds = "charge_type.direct and (dashboard.express or dashboard.none)"
    assert "if the platform enables Issue refunds" in note(new, "issues_refunds", refunds)
    assert "Issue refunds" not in note(old, "issues_refunds", refunds)
    body = new.step_index["express_dashboard_access"].body
    assert "earnings only" not in body and "only if you enable those Express features" in body
    assert "earnings only" in old.step_index["express_dashboard_access"].body
    rules = (
        ("express_no_refund_dispute_self_service", "express_dashboard_direct_charges")
        if edition == "2024"
        else ("express_direct_dispute_evidence",)
    )
    for rid in rules:
        new_rule, old_rule = new.rule_index[rid], old.rule_index[rid]
        assert new_rule.severity == old_rule.severity
        assert "never" in new_rule.message and "enable" in new_rule.message, rid
        assert "enable" not in old_rule.message, rid
        assert "express-dashboard" in new_rule.source


@pytest.mark.parametrize("edition", EDITIONS)
def test_m3_liability_advice_is_for_saas_on_direct_charges(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    body = new.step_index["acknowledge_platform_liability"].body
    assert "For SaaS on direct charges Stripe advises leaving liability with Stripe" in body
    assert "marketplaces on destination or separate charges should take it" in body
    assert (
        "Stripe advises new platforms to leave liability with Stripe"
        in old.step_index["acknowledge_platform_liability"].body
    )
    assert "Stripe advises new platforms" not in body


@pytest.mark.parametrize(
    ("edition", "rule_id"), [("2024", "indirect_charges_same_region"), ("2025", "indirect_charges_region_and_fees")]
)
def test_m4_on_behalf_of_is_separate_from_cross_border_payouts(edition: str, rule_id: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    msg = new.rule_index[rule_id].message
    assert "or the charge settles in the account's country via on_behalf_of" in msg
    assert "on_behalf_of" not in old.rule_index[rule_id].message
    assert "https://docs.stripe.com/connect/charges" in new.rule_index[rule_id].source


def test_m4_2025_obo_api_and_destination_flow() -> None:
    old, new = revision("2025", 1), revision("2025", 2)
    assert "separate from cross-border payouts" in option_api(new, "charge_type", "destination_obo")
    assert "separate from cross-border payouts" not in option_api(old, "charge_type", "destination_obo")
    assert "Cross-border payouts are a separate mechanism" in flow(new, "destination_charge").note
    assert "separate mechanism" not in flow(old, "destination_charge").note


def test_m5_2025_no_dashboard_rule_stays_blocked_with_a_basis_note() -> None:
    old, new = revision("2025", 1), revision("2025", 2)
    rid = "no_dashboard_requires_platform_pricing_and_liability"
    assert new.rule_index[rid].severity == old.rule_index[rid].severity == "blocked"
    assert "contested" in new.rule_index[rid].basis_note and "embedded risk" in new.rule_index[rid].basis_note
    assert old.rule_index[rid].basis_note == ""


def test_m6_2025_steps_name_the_v2_api() -> None:
    old, new = revision("2025", 1), revision("2025", 2)
    expected = {
        "onboard_hosted": "POST /v2/core/account_links",
        "gate_on_capabilities": "capability_status_updated",
        "webhooks": "/v2/core/event_destinations",
        "control_payouts": "POST /v1/balance_settings",
    }
    for sid, text in expected.items():
        assert text in new.step_index[sid].body, sid
        assert text not in old.step_index[sid].body, sid


# ---------------------------------------------------------------------------
# E.4 low items


def test_l1_2024_full_dashboard_sales_gated_rules_cite_mcp_and_cig() -> None:
    old, new = revision("2024", 1), revision("2024", 2)
    for rid in ("full_dashboard_platform_liability_sales_gated", "full_dashboard_platform_pricing_sales_gated"):
        rule = new.rule_index[rid]
        assert rule.severity == "sales_gated"
        assert "migrate-to-controller-properties" in rule.source and "customized-integration-guide" in rule.source
        assert rule.basis_note == "unsupported self-serve; only the beta customized integration offers it"
        assert "migrate-to-controller-properties" not in old.rule_index[rid].source


@pytest.mark.parametrize("edition", EDITIONS)
def test_l2_application_fee_note_names_malaysia(edition: str) -> None:
    assert "Malaysia" in flow(revision(edition, 2), "direct_application_fee").note
    assert "Malaysia" not in flow(revision(edition, 1), "direct_application_fee").note


def test_l3_2024_basis_notes_say_the_api_accepts_it() -> None:
    old, new = revision("2024", 1), revision("2024", 2)
    for rid in ("stripe_liability_indirect_charges_unsupported", "connected_account_fees_direct_only"):
        assert "the API accepts it; Stripe advises against" in new.rule_index[rid].basis_note
        assert "the API accepts it" not in old.rule_index[rid].basis_note


def test_l4_2024_ios_embedded_onboarding_was_an_invite_only_preview() -> None:
    old, new = revision("2024", 1), revision("2024", 2)
    best = new.property_index["onboarding"].option("embedded").best_for
    assert "mobile apps (iOS embedded onboarding was an invite-only preview for platform-collected accounts)" in best
    assert "mobile apps (iOS and Android SDKs)" in old.property_index["onboarding"].option("embedded").best_for


@pytest.mark.parametrize("edition", EDITIONS)
def test_l6_dispute_shortfall_is_the_same_money_as_the_platform_loss(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    shortfall = flow(new, "direct_dispute_shortfall_platform").note
    assert "reserve" in shortfall and "negative_balance_platform_loss" in shortfall
    assert "debit_negative_balances" in shortfall
    assert "negative_balance_platform_loss" not in flow(old, "direct_dispute_shortfall_platform").note
    assert "direct_dispute_shortfall_platform" in flow(new, "negative_balance_platform_loss").note


@pytest.mark.parametrize("edition", EDITIONS)
def test_l8_payout_control_and_delay_days(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    body = new.step_index["control_payouts"].body
    assert "eligible debit cards and bank accounts" in body
    assert "delay_days is editable only for platform-liable accounts" in body
    assert "bank accounts" not in old.step_index["control_payouts"].body
    assert "not delay_days" in note(new, "controls_payouts", "liability.stripe and not dashboard.full")
    assert "not delay_days" not in note(old, "controls_payouts", "liability.stripe and not dashboard.full")


@pytest.mark.parametrize("edition", EDITIONS)
def test_l10_doordash_stays_under_separate_charges(edition: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    assert any("DoorDash" in e for e in new.property_index["charge_type"].option("separate").examples)
    assert dict(new.preset_index["multi_seller"].selection)["charge_type"] == "separate"
    assert "DoorDash stays under separate charges" in new.preset_index["multi_seller"].reasoning
    assert "DoorDash" not in old.preset_index["multi_seller"].reasoning


# ---------------------------------------------------------------------------
# E.5 basis corrections, sources


@pytest.mark.parametrize(
    ("edition", "rule_id", "was"),
    [
        ("2024", "api_onboarding_requires_no_stripe_dashboard", "inference"),
        ("2024", "express_dashboard_requires_platform_fees", "inference"),
        ("2024", "express_dashboard_requires_platform_liability", "implied"),
        ("2024", "stripe_pricing_requires_stripe_liability", "inference"),
        ("2025", "api_onboarding_requires_platform_requirements_collection", "inference"),
    ],
)
def test_e5_basis_corrections(edition: str, rule_id: str, was: str) -> None:
    old, new = revision(edition, 1), revision(edition, 2)
    assert old.rule_index[rule_id].basis == was
    assert new.rule_index[rule_id].basis == "stated"
    assert new.rule_index[rule_id].severity == old.rule_index[rule_id].severity
    assert "https://docs.stripe.com/" in new.rule_index[rule_id].source


def test_e5_2024_embedded_onboarding_rule_cites_cig() -> None:
    rid = "no_dashboard_stripe_liability_needs_embedded_onboarding"
    assert "customized-integration-guide" in revision("2024", 2).rule_index[rid].source
    assert "customized-integration-guide" not in revision("2024", 1).rule_index[rid].source


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_rule_and_step_has_a_source_url_and_a_basis(edition: str) -> None:
    new = revision(edition, 2)
    for rule in new.rules:
        assert rule.source.startswith("https://") and rule.basis in BASES, rule.id
    for step in new.steps:
        assert step.url.startswith("https://") and step.basis in BASES, step.id
    assert all(step.basis == "" for step in revision(edition, 1).steps)


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_selection_has_exactly_one_holder_per_responsibility(edition: str) -> None:
    new = revision(edition, 2)
    for sel in selections(new):
        counts: dict[str, int] = {}
        for h in resolve(new, sel).responsibilities:
            counts[h.responsibility.id] = counts.get(h.responsibility.id, 0) + 1
        assert counts == {r.id: 1 for r in new.responsibilities}, sel


def test_the_loader_checks_revision_changelog_and_step_basis() -> None:
    from conftest import tiny_doc

    from connectplan.engine import CatalogError, catalog_from_dict

    doc = tiny_doc(revision=2, changelog=[{"revision": 2, "date": "2026-12-01", "changes": ["a"]}])
    cat = catalog_from_dict(doc)
    assert cat.revision == 2
    assert [(c.revision, c.date, c.changes) for c in cat.changelog] == [(2, "2026-12-01", ("a",))]
    assert catalog_from_dict(tiny_doc()).revision == 1
    bad = tiny_doc(revision=0, changelog=[{"revision": 3, "date": "2026-12-01", "changes": ["b"]}])
    bad["steps"][0]["basis"] = "hunch"
    with pytest.raises(CatalogError) as err:
        catalog_from_dict(bad)
    assert {(p.path, p.code) for p in err.value.problems} == {
        ("revision", "wrong_type"),
        ("changelog[0].revision", "wrong_type"),
        ("steps[0].basis", "unknown_value"),
    }
