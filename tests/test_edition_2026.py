"""The stripe-connect@2026 edition (Interactive platform guide, Accounts v2 at API 2026-11-18), revision 1.

Checks the facts of the edition as first published (``stripe-connect@2026.r1.yaml``; what revision 2
corrects is tested in ``tests/test_errata_2026_12.py``): its shape, the compatibility table (every cell, embedded and
hosted onboarding, both business models), the presets, the 2025 -> 2026 upgrade (exactly four
verdict changes over the 180 selections of 2025), and, over every complete selection with every
non-empty monetization set, that resolution works, the verdict is the highest severity found, steps
come after their prerequisites, each responsibility has exactly one holder, and output is stable.
"""

from __future__ import annotations

import itertools
import json
from functools import cache

import pytest

from connectplan.catalog_files import BUILTIN_DIR, builtin_catalog_files, load_catalog_file
from connectplan.engine import VERDICT_RANK, Catalog, Severity, resolve
from connectplan.engine.catalog import BASES
from connectplan.output.documents import to_document

MON = ("application_fees", "saas_subscriptions", "product_markup")
CHARGES = ("direct", "destination", "destination_obo", "separate", "separate_obo")


@cache
def cat2026() -> Catalog:
    """Revision 1, the edition as first published (revision 2's errata: tests/test_errata_2026_12.py)."""
    return load_catalog_file(BUILTIN_DIR / "stripe-connect@2026.r1.yaml")


@cache
def cat2025() -> Catalog:
    return load_catalog_file(BUILTIN_DIR / "stripe-connect@2025.yaml")


def sel(onboarding, dashboard, charge_type, fee_payer, liability, business_model, monetization=("application_fees",)):
    return {
        "onboarding": onboarding,
        "dashboard": dashboard,
        "charge_type": charge_type,
        "fee_payer": fee_payer,
        "liability": liability,
        "business_model": business_model,
        "monetization": tuple(monetization),
    }


def all_selections(catalog: Catalog):
    """Every complete selection: every single-choice option, every non-empty monetization subset."""
    single = [p for p in catalog.properties if p.id != "monetization"]
    subsets = [c for n in (1, 2, 3) for c in itertools.combinations(MON, n)]
    for combo in itertools.product(*(p.option_ids for p in single), subsets):
        yield {**dict(zip([p.id for p in single], combo[:-1], strict=True)), "monetization": combo[-1]}


def verdict(selection) -> str:
    return resolve(cat2026(), selection).verdict


def rules_fired(selection) -> set[str]:
    return {f.rule.id for f in resolve(cat2026(), selection).findings}


def holders(selection, responsibility: str) -> set[str]:
    return {
        h.assignment.party
        for h in resolve(cat2026(), selection).responsibilities
        if h.responsibility.id == responsibility
    }


# ---------------------------------------------------------------------------
# Shape (F.0-F.7)


def test_2026_is_a_built_in_edition_followed_by_2026_12() -> None:
    names = [p.name for p in builtin_catalog_files()]
    assert names[-2:] == ["stripe-connect@2026.yaml", "stripe-connect@2026-12.yaml"]
    cat = cat2026()
    assert (cat.name, cat.edition, cat.revision) == ("stripe-connect", "2026", 1)
    assert cat.title == "Stripe Connect integration design (Interactive platform guide, Accounts v2)"


def test_seven_properties_in_order_with_2025_ids() -> None:
    cat, old = cat2026(), cat2025()
    assert [p.id for p in cat.properties] == [
        "onboarding",
        "dashboard",
        "charge_type",
        "fee_payer",
        "liability",
        "business_model",
        "monetization",
    ]
    for prop in old.properties:
        assert cat.property_index[prop.id].option_ids == prop.option_ids
    assert cat.property_index["business_model"].option_ids == ("platform", "marketplace")
    assert cat.property_index["monetization"].option_ids == MON
    mon = cat.property_index["monetization"]
    assert (mon.choice, mon.min_options, mon.max_options) == ("many", 1, 3)
    assert cat.property_index["business_model"].choice == "one"


def test_counts_and_ids() -> None:
    cat, old = cat2026(), cat2025()
    assert (len(cat.rules), len(cat.steps), len(cat.flows), len(cat.responsibilities), len(cat.presets)) == (
        28,
        41,
        40,
        13,
        13,
    )
    retired = {"express_requires_platform_pricing_and_liability"}
    assert set(cat.rule_index) == (set(old.rule_index) - retired) | {
        "express_stripe_liability_required_features",
        "platform_model_expects_direct_charges",
        "marketplace_model_expects_indirect_charges",
        "product_markup_requires_platform_pricing",
        "separate_charges_commission_by_transfer_math",
        "saas_subscriptions_customer_configuration",
        "application_fees_country_restrictions",
        "platform_pays_fees_without_commission",
    }
    assert set(old.step_index) <= set(cat.step_index)
    assert set(cat.step_index) - set(old.step_index) == {
        "platform_profile_platform_model",
        "platform_profile_marketplace_model",
        "add_customer_configuration",
        "manage_platform_requirements",
        "bill_saas_subscriptions",
        "resell_stripe_products",
        "express_required_risk_features",
    }
    assert {f.id for f in old.flows} <= {f.id for f in cat.flows}
    assert [r.id for r in cat.responsibilities] == [r.id for r in old.responsibilities]
    assert "embedded_saas" not in cat.preset_index
    for step in cat.steps:
        if step.id not in old.step_index:
            assert step.core is False
            assert all(cat.step_index[p].order < step.order for p in step.prereqs), step.id


def test_every_rule_and_step_has_a_source_url_and_a_basis() -> None:
    cat = cat2026()
    for rule in cat.rules:
        assert rule.source.startswith("https://") and rule.basis in BASES, rule.id
    for step in cat.steps:
        assert step.url.startswith("https://") and step.basis in BASES, step.id


# ---------------------------------------------------------------------------
# F.9 compatibility table

F9 = {
    ("full", "connected_account", "stripe"): "allowed blocked out_of_scope blocked out_of_scope",
    ("full", "connected_account", "platform"): "blocked blocked out_of_scope blocked out_of_scope",
    ("full", "platform", "platform"): "sales_gated sales_gated out_of_scope sales_gated out_of_scope",
    ("full", "platform", "stripe"): "sales_gated sales_gated out_of_scope sales_gated out_of_scope",
    ("express", "platform", "platform"): "allowed caution out_of_scope caution out_of_scope",
    ("express", "connected_account", "stripe"): "allowed blocked out_of_scope blocked out_of_scope",
    ("express", "connected_account", "platform"): "blocked blocked out_of_scope blocked out_of_scope",
    ("express", "platform", "stripe"): "allowed blocked out_of_scope blocked out_of_scope",
    ("none", "connected_account", "stripe"): "blocked blocked out_of_scope blocked out_of_scope",
    ("none", "connected_account", "platform"): "blocked blocked out_of_scope blocked out_of_scope",
    ("none", "platform", "stripe"): "blocked blocked out_of_scope blocked out_of_scope",
    ("none", "platform", "platform"): "allowed allowed out_of_scope allowed out_of_scope",
}
DECIDING = {
    "out_of_scope": {"obo_out_of_scope"},
    "sales_gated": {"full_dashboard_platform_pricing_sales_gated"},
    "blocked": {
        "stripe_liability_requires_direct_charges",
        "stripe_pricing_requires_stripe_liability",
        "no_dashboard_requires_platform_pricing_and_liability",
    },
    "caution": {"express_indirect_charges_recovery"},
}


def _cells():
    for (dashboard, fee_payer, liability), row in F9.items():
        yield from (
            (dashboard, fee_payer, liability, charge, expected)
            for charge, expected in zip(CHARGES, row.split(), strict=True)
        )


@pytest.mark.parametrize("onboarding", ["embedded", "hosted"])
def test_f9_every_cell(onboarding: str) -> None:
    got = {}
    for dashboard, fee_payer, liability, charge, expected in _cells():
        model = "platform" if charge == "direct" else "marketplace"
        res = resolve(cat2026(), sel(onboarding, dashboard, charge, fee_payer, liability, model))
        got[(dashboard, fee_payer, liability, charge)] = (res.verdict, expected)
        if expected != "allowed":
            fired = {f.rule.id for f in res.findings if f.rule.severity == expected}
            assert fired and fired <= DECIDING[expected], (dashboard, fee_payer, liability, charge, fired)
    assert len(got) == 60
    assert {k: v for k, v in got.items() if v[0] != v[1]} == {}


@pytest.mark.parametrize("onboarding", ["embedded", "hosted"])
def test_f9_the_other_business_model_turns_allowed_into_caution(onboarding: str) -> None:
    for dashboard, fee_payer, liability, charge, expected in _cells():
        if charge.endswith("_obo"):
            continue
        model = "marketplace" if charge == "direct" else "platform"
        res = resolve(cat2026(), sel(onboarding, dashboard, charge, fee_payer, liability, model))
        assert res.verdict == ("caution" if expected == "allowed" else expected), (
            dashboard,
            fee_payer,
            liability,
            charge,
        )
        if expected == "allowed":
            assert {f.rule.id for f in res.findings if f.rule.severity == "caution"} == {
                "platform_model_expects_direct_charges"
                if model == "platform"
                else "marketplace_model_expects_indirect_charges"
            }


def test_express_with_stripe_liability_is_allowed_on_direct_charges_with_its_info_rule() -> None:
    for fee_payer in ("platform", "connected_account"):
        s = sel("embedded", "express", "direct", fee_payer, "stripe", "platform")
        assert verdict(s) == "allowed"
        assert "express_stripe_liability_required_features" in rules_fired(s)
        assert holders(s, "answers_disputes") == {"connected_account"}
        assert holders(s, "issues_refunds") == {"connected_account"}
        assert "express_required_risk_features" in {a.step.id for a in resolve(cat2026(), s).steps}
    assert verdict(sel("api", "express", "direct", "platform", "stripe", "platform")) == "blocked"


# ---------------------------------------------------------------------------
# Monetization and business-model facts


def test_monetization_terms_hold_when_the_option_is_among_those_chosen() -> None:
    base = sel("embedded", "full", "direct", "connected_account", "stripe", "platform", ("saas_subscriptions",))
    res = resolve(cat2026(), base)
    flows = {f.id for f in res.flows}
    assert {"saas_subscription_fee", "saas_subscription_stripe_fee"} <= flows
    assert "direct_application_fee" not in flows
    assert "fees_direct_application_fee" not in {a.step.id for a in res.steps}
    assert {"add_customer_configuration", "bill_saas_subscriptions"} <= {a.step.id for a in res.steps}
    both = dict(base, monetization=("application_fees", "saas_subscriptions"))
    res = resolve(cat2026(), both)
    assert {"saas_subscription_fee", "direct_application_fee"} <= {f.id for f in res.flows}
    assert {"saas_subscriptions_customer_configuration", "application_fees_country_restrictions"} <= rules_fired(both)


def test_product_markup_flows_follow_the_fee_payer() -> None:
    account = sel("embedded", "full", "direct", "connected_account", "stripe", "platform", ("product_markup",))
    res = resolve(cat2026(), account)
    assert res.verdict == "caution"
    assert {f.rule.id for f in res.findings if f.rule.severity == "caution"} == {
        "product_markup_requires_platform_pricing"
    }
    assert {"product_fee_connected_account", "product_markup_fee"} <= {f.id for f in res.flows}
    platform = sel("embedded", "express", "direct", "platform", "platform", "platform", ("product_markup",))
    res = resolve(cat2026(), platform)
    assert res.verdict == "allowed"
    flows = {f.id for f in res.flows}
    assert {"product_fee_platform", "product_markup_fee"} <= flows and "product_fee_connected_account" not in flows
    assert "platform_pays_fees_without_commission" in rules_fired(platform)
    assert "resell_stripe_products" in {a.step.id for a in res.steps}


def test_separate_charges_commission_and_platform_paid_fees_without_commission() -> None:
    s = sel("embedded", "none", "separate", "platform", "platform", "marketplace")
    assert "separate_charges_commission_by_transfer_math" in rules_fired(s)
    assert "platform_pays_fees_without_commission" not in rules_fired(s)
    s = dict(s, monetization=("saas_subscriptions",))
    assert "platform_pays_fees_without_commission" in rules_fired(s)
    assert verdict(s) == "allowed"


def test_requirement_collection_and_business_model_steps() -> None:
    white_label = dict(cat2026().preset_index["white_label"].selection)
    res = resolve(cat2026(), white_label)
    steps = {a.step.id for a in res.steps}
    assert {"manage_platform_requirements", "platform_profile_marketplace_model"} <= steps
    assert "platform_profile_platform_model" not in steps
    assert holders(white_label, "collects_kyc") == {"platform"}
    assert "platform_collects_requirements" in rules_fired(white_label)


def test_dispute_fee_of_direct_charges_follows_the_fee_payer() -> None:
    s = sel("embedded", "express", "direct", "platform", "platform", "platform")
    flows = {f.id for f in resolve(cat2026(), s).flows}
    assert "direct_dispute_fee_platform" in flows and "direct_dispute_fee" not in flows


# ---------------------------------------------------------------------------
# F.7 presets

PRESETS = {
    "saas": (("embedded", "full", "direct", "connected_account", "stripe", "platform"), MON[:2], "allowed"),
    "express_saas": (("embedded", "express", "direct", "connected_account", "stripe", "platform"), MON[:1], "allowed"),
    "on_demand": (
        ("embedded", "express", "destination", "platform", "platform", "marketplace"),
        ("application_fees", "product_markup"),
        "caution",
    ),
    "crowdfunding": (("embedded", "express", "separate", "platform", "platform", "marketplace"), MON[:1], "caution"),
    "multi_seller": (("embedded", "express", "separate", "platform", "platform", "marketplace"), MON[:1], "caution"),
    "white_label": (("embedded", "none", "destination", "platform", "platform", "marketplace"), MON[:1], "allowed"),
    "b2b": (("embedded", "none", "separate", "platform", "platform", "marketplace"), MON[:1], "allowed"),
}
MKT = (("embedded", "express", "destination", "platform", "platform", "marketplace"), MON[:1], "caution")
for _pid in (
    "marketplace",
    "professional_services",
    "subscription_platform",
    "rental",
    "event_ticketing",
    "platform_contractors",
):
    PRESETS[_pid] = MKT


def test_f7_presets() -> None:
    cat = cat2026()
    assert list(cat.preset_index) == [
        "saas",
        "express_saas",
        "marketplace",
        "on_demand",
        "crowdfunding",
        "multi_seller",
        "white_label",
        "b2b",
        "professional_services",
        "subscription_platform",
        "rental",
        "event_ticketing",
        "platform_contractors",
    ]
    for pid, (single, monetization, expected) in PRESETS.items():
        selection = dict(cat.preset_index[pid].selection)
        assert selection == sel(*single, monetization), pid
        assert resolve(cat, selection).verdict == expected, pid


# ---------------------------------------------------------------------------
# Every complete selection


@cache
def selections() -> tuple[dict, ...]:
    return tuple(all_selections(cat2026()))


def test_every_complete_selection_resolves_consistently() -> None:
    cat = cat2026()
    assert len(selections()) == 3 * 3 * 5 * 2 * 2 * 2 * 7
    counts: dict[str, int] = {}
    for s in selections():
        res = resolve(cat, s)
        top = max((int(Severity.parse(f.rule.severity)) for f in res.findings), default=0)
        assert VERDICT_RANK[res.verdict] == top, s
        active = [a.step.id for a in res.steps]
        position = {sid: i for i, sid in enumerate(active)}
        for sid in active:
            for pre in cat.step_index[sid].prereqs:
                if pre in position:
                    assert position[pre] < position[sid], (s, pre, sid)
        held: dict[str, int] = {}
        for h in res.responsibilities:
            held[h.responsibility.id] = held.get(h.responsibility.id, 0) + 1
        assert held == {r.id: 1 for r in cat.responsibilities}, s
        counts[res.verdict] = counts.get(res.verdict, 0) + 1
    assert sum(counts.values()) == len(selections())
    assert set(counts) == {"allowed", "caution", "sales_gated", "blocked", "out_of_scope"}


def test_resolution_documents_are_byte_identical_across_runs() -> None:
    cat = cat2026()
    for s in selections()[::97]:
        one = json.dumps(to_document(resolve(cat, s)), sort_keys=True)
        two = json.dumps(
            to_document(resolve(cat, dict(s, monetization=tuple(reversed(s["monetization"]))))), sort_keys=True
        )
        assert one == two, s


# ---------------------------------------------------------------------------
# F.8 upgrading a 2025 plan


def f8_defaults(selection: dict[str, str]) -> dict[str, object]:
    """F.8's defaults, written out independently of the catalog's ``renames.defaults``."""
    model = "platform" if selection["charge_type"] == "direct" else "marketplace"
    return {**selection, "business_model": model, "monetization": ("application_fees",)}


def test_f8_exactly_four_verdict_changes_from_2025() -> None:
    old, new = cat2025(), cat2026()
    ids = [p.id for p in old.properties]
    changed = {}
    for combo in itertools.product(*(p.option_ids for p in old.properties)):
        s = dict(zip(ids, combo, strict=True))
        before, after = resolve(old, s).verdict, resolve(new, f8_defaults(s)).verdict
        if before != after:
            changed[combo] = (before, after)
    assert changed == {
        (onboarding, "express", "direct", fee_payer, "stripe"): ("blocked", "allowed")
        for onboarding in ("hosted", "embedded")
        for fee_payer in ("platform", "connected_account")
    }


def test_f8_the_catalogs_upgrade_defaults_give_the_same_four_changes_and_a_reason_each() -> None:
    from connectplan.engine.upgrade import carry_over

    old, new = cat2025(), cat2026()
    ids = [p.id for p in old.properties]
    changed = []
    for combo in itertools.product(*(p.option_ids for p in old.properties)):
        s = dict(zip(ids, combo, strict=True))
        mapped, renamed, defaults = carry_over(old, new, s)
        assert renamed == ()
        expected = f8_defaults(s)
        assert {k: mapped[k] for k in ("business_model", "monetization")} == {
            "business_model": expected["business_model"],
            "monetization": expected["monetization"],
        }, s
        assert sorted(d.property for d in defaults) == ["business_model", "monetization"]
        assert all(d.because for d in defaults)
        if resolve(old, s).verdict != resolve(new, mapped).verdict:
            changed.append(combo)
    assert sorted(changed) == sorted(
        (onboarding, "express", "direct", fee_payer, "stripe")
        for onboarding in ("hosted", "embedded")
        for fee_payer in ("platform", "connected_account")
    )
