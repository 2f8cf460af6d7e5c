"""The stripe-connect@2026-12 edition (full decision set, Accounts v2 at API 2026-11-18).

Checks the facts of the edition against the fact sheet's Part H: its shape (17 properties in
lifecycle sections, 69 options, 67 rules, 55 steps, 52 flows, 15 responsibilities, 15 presets), that
every new rule and every carried rule whose condition changed fires in one selection and not in a
nearby one, the presets' verdicts, "not decided yet" (never raises a verdict, reported as an open
decision, chosen alone in a multi-choice property), and the upgrade of every stripe-connect@2026 r2
selection: only the 1008 on_behalf_of selections change verdict.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from functools import cache
from typing import Any

import pytest

from connectplan.catalog_files import BUILTIN_DIR, builtin_catalog_files, load_catalog_file
from connectplan.cli import cli
from connectplan.engine import VERDICT_RANK, Catalog, SelectionError, resolve
from connectplan.engine.catalog import BASES, SECTIONS
from connectplan.engine.expression import parse_expression
from connectplan.engine.upgrade import carry_over, plan_upgrade
from connectplan.output.documents import to_document

OLD_IDS = ("onboarding", "dashboard", "charge_type", "fee_payer", "liability", "business_model", "monetization")
NEW_IDS = (
    "cross_border",
    "hybrid_flows",
    "fee_mechanism",
    "payout_schedule",
    "instant_payouts",
    "risk_controls",
    "embedded_components",
    "payment_methods",
    "customer_products",
    "financial_products",
)
MON = ("application_fees", "saas_subscriptions", "product_markup")


@cache
def cat() -> Catalog:
    return load_catalog_file(BUILTIN_DIR / "stripe-connect@2026-12.yaml")


@cache
def cat2026() -> Catalog:
    return load_catalog_file(BUILTIN_DIR / "stripe-connect@2026.yaml")


def preset(pid: str, **over: Any) -> dict[str, Any]:
    """A preset's selection with some choices replaced (a list or tuple for a multi-choice property)."""
    s = dict(cat().preset_index[pid].selection)
    s.update({k: tuple(v) if isinstance(v, list) else v for k, v in over.items()})
    return s


def fired(selection: dict[str, Any]) -> set[str]:
    return {f.rule.id for f in resolve(cat(), selection).findings}


# ---------------------------------------------------------------------------
# Shape (H.0, H.1)


def test_2026_12_is_the_newest_built_in_edition_and_the_default() -> None:
    assert builtin_catalog_files()[-1].name == "stripe-connect@2026-12.yaml"
    c = cat()
    assert (c.name, c.edition, c.revision) == ("stripe-connect", "2026-12", 1)
    assert c.title == "Stripe Connect integration design (full decision set, Accounts v2)"


def test_the_store_picks_2026_12_for_a_bare_catalog_name(invoke) -> None:
    res = invoke("resolve", "--preset", "saas", "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["catalog"] == {"name": "stripe-connect", "edition": "2026-12", "revision": 1}


SECTION_OF = {
    "onboarding": "accounts",
    "dashboard": "accounts",
    "charge_type": "payments",
    "fee_payer": "fees",
    "liability": "risk",
    "business_model": "business",
    "monetization": "business",
    "cross_border": "business",
    "hybrid_flows": "payments",
    "fee_mechanism": "fees",
    "payout_schedule": "payouts",
    "instant_payouts": "payouts",
    "risk_controls": "risk",
    "embedded_components": "operations",
    "payment_methods": "payments",
    "customer_products": "payments",
    "financial_products": "operations",
}


def test_seventeen_properties_in_order_with_their_sections() -> None:
    c, old = cat(), cat2026()
    assert [p.id for p in c.properties] == [*OLD_IDS, *NEW_IDS]
    assert {p.id: p.section for p in c.properties} == SECTION_OF
    assert set(SECTION_OF.values()) == set(SECTIONS)
    for prop in old.properties:
        assert c.property_index[prop.id].option_ids == prop.option_ids
        assert c.property_index[prop.id].pending_option is None and c.property_index[prop.id].required
    multi = {p.id: (p.min_options, p.max_options) for p in c.properties if p.multi}
    assert multi == {
        "monetization": (1, 3),
        "embedded_components": (1, 9),
        "customer_products": (1, 5),
        "financial_products": (1, 5),
    }
    assert sum(len(p.options) for p in c.properties) == 69
    assert sum(len(c.property_index[p].options) for p in NEW_IDS) == 49


def test_every_new_decision_can_wait_and_multi_choice_none_and_undecided_are_chosen_alone() -> None:
    c = cat()
    for pid in NEW_IDS:
        prop = c.property_index[pid]
        assert prop.pending_option == "undecided" and not prop.required, pid
        assert [o.id for o in prop.options if o.pending] == ["undecided"], pid
        exclusive = {o.id for o in prop.options if o.exclusive}
        if prop.multi:
            assert exclusive == ({"undecided", "none"} if "none" in prop.option_ids else {"undecided"}), pid
        else:
            assert exclusive == set(), pid
    for pid in OLD_IDS:
        assert not any(o.pending or o.exclusive for o in c.property_index[pid].options), pid
    assert c.property_index["hybrid_flows"].option_ids == ("single_pattern", "direct_and_indirect", "undecided")


NEW_RULES = (
    "obo_platform_still_pays_and_is_debited",
    "obo_not_for_marketplaces",
    "cross_border_payouts_need_recipient_agreement",
    "cross_border_payouts_recipient_scope",
    "cross_border_payouts_regions",
    "local_merchant_of_record_needs_merchant_charges",
    "local_merchant_of_record_settles_locally",
    "platform_pricing_tool_requires_platform_pricing",
    "platform_pricing_tool_not_for_separate_charges",
    "application_fee_not_for_separate_charges",
    "transfer_amount_destination_only",
    "transfer_math_separate_only",
    "application_fee_platform_only_thin_margin",
    "fee_mechanism_matches_monetization",
    "manual_payouts_holding_limit",
    "manual_payouts_hold_after_transfer",
    "full_dashboard_payout_schedule_needs_platform_controls",
    "instant_payouts_eligibility",
    "instant_payouts_need_full_agreement",
    "stripe_managed_risk_needs_stripe_liability",
    "radar_rules_follow_the_charge",
    "embedded_managed_risk_components",
    "notification_banner_for_platform_collected_accounts",
    "no_dashboard_direct_charges_need_payments_component",
    "payments_component_reduced_detail",
    "obo_charge_management_off_by_default",
    "hybrid_indirect_side_needs_platform_liability",
    "hybrid_flows_complexity",
    "payment_methods_enabled_on_account",
    "account_controlled_payment_methods_ignored",
    "account_controlled_payment_methods_need_component",
    "customer_products_prefer_direct",
    "issuing_and_financial_accounts_need_platform_controlled_accounts",
    "issuing_and_financial_accounts_access",
    "capital_for_platforms_terms",
    "product_markup_matches_offered_products",
)
NEW_STEPS = {
    "create_recipient_agreement_accounts",
    "create_local_merchant_accounts",
    "plan_hybrid_flows",
    "enable_payment_methods_on_accounts",
    "connect_customer_products",
    "configure_platform_pricing_tool",
    "size_fee_inclusive_application_fee",
    "enable_capital",
    "enable_issuing_and_financial_accounts",
    "embed_payment_method_settings",
    "configure_radar_for_platform",
    "set_payout_schedule",
    "run_manual_payouts",
    "offer_instant_payouts",
}
CHANGED_CONDITIONS = {
    "application_fees_country_restrictions": (
        "monetization.application_fees and (charge_type.direct or charge_type.destination_obo or "
        "charge_type.separate_obo) and not cross_border.domestic"
    ),
    "stripe_liability_indirect_charges_mismatch": (
        "liability.stripe and (charge_type.destination or charge_type.separate or charge_type.destination_obo or "
        "charge_type.separate_obo or hybrid_flows.direct_and_indirect) and dashboard.full and fee_payer.platform"
    ),
}


def test_counts_and_ids_against_2026_r2() -> None:
    c, old = cat(), cat2026()
    assert old.revision == 2
    assert (len(c.rules), len(c.steps), len(c.flows), len(c.responsibilities), len(c.presets)) == (67, 55, 52, 15, 15)
    assert len(NEW_RULES) == len(set(NEW_RULES)) == 36
    assert set(c.rule_index) == (set(old.rule_index) - {"obo_out_of_scope"}) | set(NEW_RULES)
    severities = Counter(c.rule_index[r].severity for r in NEW_RULES)
    assert severities == {"blocked": 12, "caution": 13, "info": 11}
    for rule in old.rules:
        if rule.id in c.rule_index:
            if rule.id in CHANGED_CONDITIONS:
                assert c.rule_index[rule.id].condition == parse_expression(CHANGED_CONDITIONS[rule.id]), rule.id
            else:
                assert c.rule_index[rule.id].condition == rule.condition, rule.id
            assert c.rule_index[rule.id].severity == rule.severity, rule.id
    assert set(c.step_index) == (set(old.step_index) - {"review_on_behalf_of"}) | NEW_STEPS | {"use_on_behalf_of"}
    assert dict(c.renames.steps) == {
        "create_accounts_v1_controller": "create_accounts_v2",
        "review_on_behalf_of": "use_on_behalf_of",
    }
    assert {f.id for f in old.flows} < {f.id for f in c.flows}
    assert [r.id for r in c.responsibilities] == [
        *(r.id for r in old.responsibilities),
        "radar_rules_apply",
        "payment_methods_enabled_on",
    ]
    for step in c.steps:
        if step.id in NEW_STEPS:
            assert step.core is False
            assert all(c.step_index[p].order < step.order for p in step.prereqs), step.id


def test_every_text_is_sourced_and_every_request_is_structured() -> None:
    c = cat()
    for rule in c.rules:
        assert rule.source.startswith("https://") and rule.basis in BASES, rule.id
    for step in c.steps:
        assert step.url.startswith("https://") and step.basis in BASES, step.id
        assert all(a.structured for a in step.api), step.id
    for prop in c.properties:
        for opt in prop.options:
            assert opt.docs and all(d.startswith("https://") for d in opt.docs), (prop.id, opt.id)
            assert opt.api and all(a.structured for a in opt.api), (prop.id, opt.id)
    requests = [a for p in c.properties for o in p.options for a in o.api if a.path] + [
        a for s in c.steps for a in s.api if a.path
    ]
    assert len(requests) > 100
    assert {a.api for a in requests} == {"v1", "v2"}


def test_catalog_lint_is_clean() -> None:
    from connectplan.engine.lint import lint_catalog
    from connectplan.sat import make_solver

    report = lint_catalog(cat(), make_solver)
    assert (report.errors, report.warnings) == ((), ())


# ---------------------------------------------------------------------------
# H.3: every new rule (and each carried rule whose condition changed) fires in one selection and not
# in a nearby one. Each row: rule -> (preset, changes where it fires), (preset, changes where it does not).

WITH_OBO = {"charge_type": "destination_obo"}
CBP = {"cross_border": "cross_border_payouts"}
LMOR = {"cross_border": "local_merchant_of_record"}
HYBRID = {"hybrid_flows": "direct_and_indirect"}
SEPARATE = {"charge_type": "separate", "fee_mechanism": "transfer_math"}

RULE_TABLE: dict[str, tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "obo_platform_still_pays_and_is_debited": (("marketplace", WITH_OBO), ("marketplace", {})),
    "obo_not_for_marketplaces": (("marketplace", WITH_OBO), ("marketplace", {**WITH_OBO, **LMOR})),
    "cross_border_payouts_need_recipient_agreement": (("marketplace", {**CBP, **WITH_OBO}), ("marketplace", CBP)),
    "cross_border_payouts_recipient_scope": (("marketplace", {**CBP, "liability": "stripe"}), ("marketplace", CBP)),
    "cross_border_payouts_regions": (("marketplace", CBP), ("marketplace", {})),
    "local_merchant_of_record_needs_merchant_charges": (("marketplace", LMOR), ("marketplace", {**LMOR, **WITH_OBO})),
    "local_merchant_of_record_settles_locally": (("marketplace", LMOR), ("marketplace", {})),
    "platform_pricing_tool_requires_platform_pricing": (
        ("saas", {"fee_mechanism": "platform_pricing_tool"}),
        ("marketplace", {}),
    ),
    "platform_pricing_tool_not_for_separate_charges": (
        ("marketplace", {"charge_type": "separate"}),
        ("marketplace", {}),
    ),
    "application_fee_not_for_separate_charges": (
        ("marketplace", {"charge_type": "separate", "fee_mechanism": "application_fee_with_stripe_estimate"}),
        ("marketplace", {"fee_mechanism": "application_fee_with_stripe_estimate"}),
    ),
    "transfer_amount_destination_only": (
        ("marketplace", {"charge_type": "separate", "fee_mechanism": "transfer_amount"}),
        ("marketplace", {"fee_mechanism": "transfer_amount"}),
    ),
    "transfer_math_separate_only": (("marketplace", {"fee_mechanism": "transfer_math"}), ("marketplace", SEPARATE)),
    "application_fee_platform_only_thin_margin": (
        ("marketplace", {"fee_mechanism": "application_fee_platform_only"}),
        ("saas", {}),
    ),
    "fee_mechanism_matches_monetization": (
        ("marketplace", {"fee_mechanism": "no_per_payment_fee"}),
        ("marketplace", {"monetization": ["saas_subscriptions"], "fee_mechanism": "undecided"}),
    ),
    "manual_payouts_holding_limit": (("marketplace", {"payout_schedule": "manual"}), ("marketplace", {})),
    "manual_payouts_hold_after_transfer": (
        ("marketplace", {"payout_schedule": "manual"}),
        ("marketplace", {**SEPARATE, "payout_schedule": "manual"}),
    ),
    "full_dashboard_payout_schedule_needs_platform_controls": (
        ("saas", {"payout_schedule": "platform_schedule"}),
        ("marketplace", {"payout_schedule": "platform_schedule"}),
    ),
    "instant_payouts_eligibility": (("marketplace", {"instant_payouts": "offered_no_markup"}), ("marketplace", {})),
    "instant_payouts_need_full_agreement": (
        ("marketplace", {**CBP, "instant_payouts": "offered_no_markup"}),
        ("marketplace", {"instant_payouts": "offered_no_markup"}),
    ),
    "stripe_managed_risk_needs_stripe_liability": (
        ("marketplace", {"risk_controls": "stripe_managed"}),
        ("saas", {}),
    ),
    "radar_rules_follow_the_charge": (("saas", {"risk_controls": "platform_radar_defaults"}), ("marketplace", {})),
    "embedded_managed_risk_components": (
        ("fully_embedded_saas", {"embedded_components": ["payments"]}),
        ("fully_embedded_saas", {"embedded_components": ["undecided"]}),
    ),
    "notification_banner_for_platform_collected_accounts": (
        ("white_label", {"embedded_components": ["account_management"]}),
        ("white_label", {}),
    ),
    "no_dashboard_direct_charges_need_payments_component": (
        ("fully_embedded_saas", {"embedded_components": ["account_management", "notification_banner"]}),
        ("fully_embedded_saas", {}),
    ),
    "payments_component_reduced_detail": (
        ("marketplace", {}),
        ("marketplace", {"embedded_components": ["account_management", "notification_banner"]}),
    ),
    "obo_charge_management_off_by_default": (
        ("marketplace", WITH_OBO),
        ("marketplace", {"charge_type": "separate_obo"}),
    ),
    "hybrid_indirect_side_needs_platform_liability": (("saas", HYBRID), ("marketplace", HYBRID)),
    "hybrid_flows_complexity": (("marketplace", HYBRID), ("marketplace", {})),
    "payment_methods_enabled_on_account": (("saas", {}), ("marketplace", {})),
    "account_controlled_payment_methods_ignored": (
        ("marketplace", {"payment_methods": "account_controlled"}),
        ("marketplace", {"payment_methods": "account_controlled", **HYBRID}),
    ),
    "account_controlled_payment_methods_need_component": (
        ("white_label", {"payment_methods": "account_controlled"}),
        ("fully_embedded_saas", {}),
    ),
    "customer_products_prefer_direct": (("marketplace", {"customer_products": ["invoicing"]}), ("saas", {})),
    "issuing_and_financial_accounts_need_platform_controlled_accounts": (
        ("marketplace", {"financial_products": ["issuing_cards"]}),
        ("white_label", {"financial_products": ["issuing_cards"]}),
    ),
    "issuing_and_financial_accounts_access": (
        ("white_label", {"financial_products": ["financial_accounts"]}),
        ("white_label", {}),
    ),
    "capital_for_platforms_terms": (("marketplace", {"financial_products": ["capital"]}), ("marketplace", {})),
    "product_markup_matches_offered_products": (
        ("marketplace", {"monetization": ["application_fees", "product_markup"]}),
        ("on_demand", {}),
    ),
    # carried from 2026 r2 with a changed condition (H.3.1)
    "application_fees_country_restrictions": (("saas", LMOR), ("saas", {})),
    "stripe_liability_indirect_charges_mismatch": (
        ("saas", {"fee_payer": "platform", **HYBRID}),
        ("saas", {"fee_payer": "platform"}),
    ),
}


def test_the_rule_table_covers_every_rule_of_part_h() -> None:
    assert set(RULE_TABLE) == set(NEW_RULES) | set(CHANGED_CONDITIONS)


@pytest.mark.parametrize("rule", sorted(RULE_TABLE))
def test_each_rule_of_part_h_fires_and_does_not_fire(rule: str) -> None:
    (yes_preset, yes), (no_preset, no) = RULE_TABLE[rule]
    assert rule in fired(preset(yes_preset, **yes))
    assert rule not in fired(preset(no_preset, **no))


def test_more_firing_paths_of_the_new_rules() -> None:
    assert "cross_border_payouts_need_recipient_agreement" in fired(preset("marketplace", **CBP, **HYBRID))
    assert "product_markup_matches_offered_products" in fired(
        preset("marketplace", instant_payouts="offered_with_markup")
    )
    assert "application_fees_country_restrictions" in fired(preset("saas", cross_border="undecided"))
    assert "application_fees_country_restrictions" in fired(preset("marketplace", **WITH_OBO, **LMOR))
    assert "application_fees_country_restrictions" not in fired(preset("marketplace", cross_border="undecided"))
    assert "stripe_liability_indirect_charges_mismatch" in fired(
        preset("saas", fee_payer="platform", charge_type="destination")
    )
    # the retired out_of_scope rule: on_behalf_of now resolves like its sibling plus the OBO cautions
    res = resolve(cat(), preset("marketplace", **WITH_OBO))
    assert res.verdict == "caution"
    assert "obo_out_of_scope" not in cat().rule_index


def test_h3_3_blocked_combinations_come_from_the_new_rules() -> None:
    blocked = {r for r in NEW_RULES if cat().rule_index[r].severity == "blocked"}
    for rule in blocked:
        (pid, yes), _ = RULE_TABLE[rule]
        assert resolve(cat(), preset(pid, **yes)).verdict == "blocked", rule


# ---------------------------------------------------------------------------
# H.4-H.6: steps, flows and responsibilities of the new decisions


def test_steps_and_flows_follow_the_new_decisions() -> None:
    res = resolve(cat(), preset("cross_border_marketplace"))
    steps = {a.step.id for a in res.steps}
    flows = {f.id for f in res.flows}
    assert {"create_recipient_agreement_accounts", "size_fee_inclusive_application_fee"} <= steps
    assert {"cross_border_transfer", "cross_border_payout_fee"} <= flows
    res = resolve(cat(), preset("on_demand"))
    assert "offer_instant_payouts" in {a.step.id for a in res.steps}
    assert {"instant_payout", "instant_payout_fee_platform", "instant_payout_markup"} <= {f.id for f in res.flows}
    res = resolve(cat(), preset("rental"))
    assert {"run_manual_payouts", "configure_platform_pricing_tool", "configure_radar_for_platform"} <= {
        a.step.id for a in res.steps
    }
    assert "manual_payout" in {f.id for f in res.flows}
    res = resolve(cat(), preset("marketplace", **WITH_OBO))
    steps = {a.step.id for a in res.steps}
    assert {"use_on_behalf_of", "add_merchant_configuration", "enable_payment_methods_on_accounts"} <= steps
    assert "review_on_behalf_of" not in steps
    res = resolve(cat(), preset("saas", **HYBRID))
    steps = {a.step.id for a in res.steps}
    assert {"plan_hybrid_flows", "add_merchant_configuration", "add_recipient_configuration"} <= steps
    assert {"hybrid_indirect_side_charge", "hybrid_indirect_side_transfer"} <= {f.id for f in res.flows}
    res = resolve(cat(), preset("marketplace", financial_products=["capital"]))
    assert "enable_capital" in {a.step.id for a in res.steps}
    assert {"capital_financing", "capital_repayment"} <= {f.id for f in res.flows}


def test_undecided_keeps_the_general_steps_and_hides_the_specific_ones() -> None:
    s = preset(
        "marketplace", payout_schedule="undecided", instant_payouts="undecided", embedded_components=["undecided"]
    )
    steps = {a.step.id for a in resolve(cat(), s).steps}
    assert {"control_payouts", "baseline_embedded_components"} <= steps
    assert not steps & {"set_payout_schedule", "run_manual_payouts", "offer_instant_payouts"}


def holders(selection: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for h in resolve(cat(), selection).responsibilities:
        out.setdefault(h.responsibility.id, set()).add(h.assignment.party)
    return out


def test_new_responsibilities() -> None:
    assert holders(preset("saas"))["radar_rules_apply"] == {"connected_account"}
    assert holders(preset("marketplace"))["radar_rules_apply"] == {"platform"}
    assert holders(preset("marketplace", **WITH_OBO))["radar_rules_apply"] == {"platform"}
    assert holders(preset("marketplace", **WITH_OBO))["payment_methods_enabled_on"] == {"connected_account"}
    assert holders(preset("marketplace"))["payment_methods_enabled_on"] == {"platform"}


# ---------------------------------------------------------------------------
# H.7 presets

H7 = {
    "saas": "allowed",
    "express_saas": "allowed",
    "marketplace": "caution",
    "on_demand": "caution",
    "crowdfunding": "caution",
    "multi_seller": "caution",
    "white_label": "allowed",
    "b2b": "allowed",
    "professional_services": "caution",
    "subscription_platform": "caution",
    "rental": "caution",
    "event_ticketing": "caution",
    "platform_contractors": "caution",
    "fully_embedded_saas": "allowed",
    "cross_border_marketplace": "caution",
}


def test_h7_presets_resolve_to_the_sheets_verdicts() -> None:
    c, old = cat(), cat2026()
    assert list(c.preset_index) == list(H7)
    for pid, expected in H7.items():
        selection = dict(c.preset_index[pid].selection)
        assert resolve(c, selection).verdict == expected, pid
        if pid in old.preset_index:  # the seven 2026 values are kept, and the 2026 verdict
            old_selection = dict(old.preset_index[pid].selection)
            assert {k: selection[k] for k in OLD_IDS} == old_selection, pid
            assert resolve(old, old_selection).verdict == expected, pid
    assert {k: dict(c.preset_index["fully_embedded_saas"].selection)[k] for k in OLD_IDS[:5]} == {
        "onboarding": "embedded",
        "dashboard": "none",
        "charge_type": "direct",
        "fee_payer": "connected_account",
        "liability": "stripe",
    }
    assert dict(c.preset_index["cross_border_marketplace"].selection)["cross_border"] == "cross_border_payouts"
    assert all(
        dict(c.preset_index[pid].selection)[p] not in ("undecided", ("undecided",)) for pid in H7 for p in NEW_IDS
    )


def test_subscription_and_contractor_presets_show_the_customer_products_caution() -> None:
    for pid in ("subscription_platform", "platform_contractors"):
        assert "customer_products_prefer_direct" in fired(preset(pid))
    for pid in ("marketplace", "rental", "event_ticketing"):
        assert "customer_products_prefer_direct" not in fired(preset(pid))


# ---------------------------------------------------------------------------
# "Not decided yet" (H.1)


def test_a_selection_with_open_decisions_resolves_and_lists_them() -> None:
    s = preset("marketplace", **{p: "undecided" for p in NEW_IDS if not cat().property_index[p].multi})
    s.update({p: ("undecided",) for p in NEW_IDS if cat().property_index[p].multi})
    res = resolve(cat(), s)
    assert res.verdict == "caution"  # the marketplace preset's verdict: leaving decisions open raises nothing
    assert [d.property for d in res.open_decisions] == list(NEW_IDS)
    by_id = {d.property: d for d in res.open_decisions}
    assert dict(by_id["cross_border"].options) == {
        "domestic": "caution",
        "cross_border_payouts": "caution",
        "local_merchant_of_record": "blocked",
    }
    assert "undecided" not in dict(by_id["embedded_components"].options)
    assert by_id["fee_mechanism"].section == "fees"
    assert resolve(cat(), preset("marketplace")).open_decisions == ()


def _random_selection(rng: random.Random) -> dict[str, Any]:
    s: dict[str, Any] = {}
    for p in cat().properties:
        real = [o.id for o in p.options if not o.pending and not o.exclusive]
        if not p.multi:
            s[p.id] = rng.choice(real)
        elif any(o.exclusive and not o.pending for o in p.options) and rng.random() < 0.3:
            s[p.id] = ("none",)
        else:
            picked = set(rng.sample(real, rng.randint(1, min(3, len(real)))))
            s[p.id] = tuple(o for o in p.option_ids if o in picked)
    return s


def test_undecided_never_raises_a_verdict() -> None:
    """Leaving a decision open is never worse than the best real answer to it (the design rule of H.0)."""
    rng = random.Random(2612)
    for _ in range(150):
        s = _random_selection(rng)
        for pid in NEW_IDS:
            prop = cat().property_index[pid]
            res = resolve(cat(), {**s, pid: ("undecided",) if prop.multi else "undecided"})
            held = Counter(h.responsibility.id for h in res.responsibilities)
            assert held == {r.id: 1 for r in cat().responsibilities}, (s, pid)
            (decision,) = [d for d in res.open_decisions if d.property == pid]
            best = min(VERDICT_RANK[v] for _, v in decision.options)
            assert VERDICT_RANK[res.verdict] <= best, (s, pid)


def test_leaving_any_one_decision_open_keeps_every_presets_verdict() -> None:
    for pid, expected in H7.items():
        for prop in NEW_IDS:
            multi = cat().property_index[prop].multi
            assert resolve(cat(), preset(pid, **{prop: ["undecided"] if multi else "undecided"})).verdict == expected


@pytest.mark.parametrize(
    ("prop", "options"),
    [
        ("embedded_components", ["undecided", "payments"]),
        ("embedded_components", ["none", "payouts"]),
        ("customer_products", ["undecided", "invoicing"]),
        ("financial_products", ["none", "capital"]),
        ("financial_products", ["undecided", "none"]),
    ],
)
def test_mixing_an_exclusive_option_with_another_is_a_selection_error(prop: str, options: list[str]) -> None:
    with pytest.raises(SelectionError) as exc:
        resolve(cat(), preset("marketplace", **{prop: options}))
    assert exc.value.code == "exclusive_option"
    assert prop in str(exc.value) and "\n" not in str(exc.value)


# ---------------------------------------------------------------------------
# H.8 upgrading a 2026 r2 plan


def all_2026_selections():
    old = cat2026()
    single = [p for p in old.properties if p.id != "monetization"]
    subsets = [c for n in (1, 2, 3) for c in itertools.combinations(MON, n)]
    for combo in itertools.product(*(p.option_ids for p in single), subsets):
        yield {**dict(zip([p.id for p in single], combo[:-1], strict=True)), "monetization": combo[-1]}


def h8_defaults(s: dict[str, Any]) -> dict[str, Any]:
    """H.8's defaults for the ten new decisions, written out independently of the catalog."""
    mon, charge = set(s["monetization"]), s["charge_type"]
    if "application_fees" not in mon:
        fee_mechanism = "no_per_payment_fee"
    elif charge in ("separate", "separate_obo"):
        fee_mechanism = "transfer_math"
    elif charge == "direct" and s["fee_payer"] == "connected_account":
        fee_mechanism = "application_fee_platform_only"
    else:
        fee_mechanism = "undecided"
    return {
        "cross_border": "undecided",
        "hybrid_flows": "single_pattern",
        "fee_mechanism": fee_mechanism,
        "payout_schedule": "undecided",
        "instant_payouts": "undecided",
        "risk_controls": "undecided",
        "embedded_components": ("undecided",),
        "payment_methods": "undecided",
        "customer_products": ("undecided",),
        "financial_products": ("undecided",) if "product_markup" in mon else ("none",),
    }


def test_h8_upgrading_every_2026_r2_selection_changes_only_on_behalf_of() -> None:
    old, new = cat2026(), cat()
    changes: Counter[tuple[str, str]] = Counter()
    count = 0
    for s in all_2026_selections():
        count += 1
        upgrade = plan_upgrade(resolve(old, s), new)
        mapped = dict(upgrade.after.selection_dict)
        assert {k: mapped[k] for k in NEW_IDS} == h8_defaults(s), s
        assert {d.property for d in upgrade.chosen_defaults} | {d.property for d in upgrade.left_open} == set(NEW_IDS)
        assert all(d.because for d in upgrade.defaults)
        held = Counter(h.responsibility.id for h in upgrade.after.responsibilities)
        assert held == {r.id: 1 for r in new.responsibilities}, s  # H.6: exactly one holder each
        before, after = upgrade.before.verdict, upgrade.after.verdict
        if before != after:
            assert s["charge_type"] in ("destination_obo", "separate_obo"), s
            changes[(before, after)] += 1
        elif s["charge_type"].endswith("_obo"):
            raise AssertionError(f"on_behalf_of selection kept its verdict: {s}")
    assert count == 2520
    assert changes == {
        ("out_of_scope", "blocked"): 756,
        ("out_of_scope", "sales_gated"): 140,
        ("out_of_scope", "caution"): 112,
    }


def test_h8_reports_the_renamed_step_and_the_open_decisions() -> None:
    old = cat2026()
    s = dict(old.preset_index["marketplace"].selection, charge_type="destination_obo")
    upgrade = plan_upgrade(resolve(old, s), cat())
    assert ("review_on_behalf_of", "use_on_behalf_of") in upgrade.renamed_steps
    assert {d.property for d in upgrade.chosen_defaults} == {"hybrid_flows", "financial_products"}
    doc = to_document(upgrade)
    assert {d["property"] for d in doc["defaults"] if d.get("open")} == {
        "cross_border",
        "fee_mechanism",
        "payout_schedule",
        "instant_payouts",
        "risk_controls",
        "embedded_components",
        "payment_methods",
        "customer_products",
    }


def test_a_2025_plan_upgrades_directly() -> None:
    old = load_catalog_file(BUILTIN_DIR / "stripe-connect@2025.yaml")
    s = {"onboarding": "embedded", "dashboard": "none", "charge_type": "direct", "fee_payer": "platform"}
    s["liability"] = "stripe"
    mapped, _, defaults = carry_over(old, cat(), s)
    assert mapped["business_model"] == "platform" and mapped["monetization"] == ("application_fees",)
    assert mapped["fee_mechanism"] == "undecided" and len(defaults) == 12
    assert resolve(cat(), mapped).verdict == "allowed"  # errata H2: blocked in 2025, allowed here


def test_h8_a_2025_plan_upgraded_to_2026_12_against_one_upgraded_to_2026_r1() -> None:
    old = load_catalog_file(BUILTIN_DIR / "stripe-connect@2025.yaml")
    r1 = load_catalog_file(BUILTIN_DIR / "stripe-connect@2026.r1.yaml")
    ids = [p.id for p in old.properties]
    changes: Counter[tuple[str, str]] = Counter()
    decided_changes = []
    for combo in itertools.product(*(p.option_ids for p in old.properties)):
        s = dict(zip(ids, combo, strict=True))
        before = resolve(r1, carry_over(old, r1, s)[0]).verdict
        after = resolve(cat(), carry_over(old, cat(), s)[0]).verdict
        if before != after:
            changes[(before, after)] += 1
            if not s["charge_type"].endswith("_obo"):
                decided_changes.append(combo)
    assert decided_changes == [  # errata H2: the fully embedded integration
        ("embedded", "none", "direct", "platform", "stripe"),
        ("embedded", "none", "direct", "connected_account", "stripe"),
    ]
    assert changes == {
        ("blocked", "allowed"): 2,
        ("out_of_scope", "blocked"): 54,
        ("out_of_scope", "sales_gated"): 10,
        ("out_of_scope", "caution"): 8,
    }


# ---------------------------------------------------------------------------
# CLI


@pytest.fixture
def invoke(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str):
        return runner.invoke(cli, ["--db", url, *args], catch_exceptions=False)

    return run


def test_cli_resolve_marketplace_json_lists_the_new_decisions(invoke) -> None:
    res = invoke("resolve", "--catalog", "stripe-connect@2026-12", "--preset", "marketplace", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["catalog"] == {"name": "stripe-connect", "edition": "2026-12", "revision": 1}
    assert doc["verdict"] == "caution"
    assert list(doc["selection"]) == [*OLD_IDS, *NEW_IDS]
    assert doc["selection"]["fee_mechanism"] == "platform_pricing_tool"
    assert doc["open_decisions"] == []


def test_cli_an_open_decision_resolves_and_mixing_undecided_is_exit_2(invoke) -> None:
    base = ("resolve", "--catalog", "stripe-connect@2026-12", "--preset", "marketplace")
    res = invoke(*base, "--set", "cross_border=undecided", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["verdict"] == "caution"
    assert [d["property"] for d in doc["open_decisions"]] == ["cross_border"]
    res = invoke(*base, "--set", "embedded_components=undecided,payments")
    assert res.exit_code == 2
    assert "embedded_components" in res.output and len(res.output.strip().splitlines()) == 1
