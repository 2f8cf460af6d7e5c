"""The 2026-12-07 errata: stripe-connect@2026 revision 2, @2025 revision 3 and @2024 revision 3.

Each erratum (H1, H2, M1-M7, L1-L8) has a test that asserts the corrected fact on the new revision
and, in the same test, that the previous revision (the shipped ``*.rN.yaml`` file, byte for byte
what was published) still says the old thing, so each test fails on the previous revision. The
verdict tests resolve every complete selection with both revisions: 2024 and 2025 keep every
verdict; 2026 revision 2 changes exactly 28 (a fully embedded integration with Stripe liability,
allowed again as Stripe documents it: https://docs.stripe.com/connect/build-full-embedded-integration).
"""

from __future__ import annotations

import itertools
from functools import cache

import pytest

from connectplan.catalog_files import BUILTIN_DIR, builtin_catalog_files, builtin_revision_files, load_catalog_file
from connectplan.engine import Catalog, parse_expression, resolve
from connectplan.engine.catalog import BASES
from connectplan.engine.lint import lint_catalog
from connectplan.sat import make_solver
from tests.enumeration import iter_selections

#: the newest revision of each edition, and the one it corrects
NEWEST = {"2024": 3, "2025": 3, "2026": 2}
#: (edition, previous revision, new revision)
PAIRS = [(edition, rev - 1, rev) for edition, rev in NEWEST.items()]
#: content hashes of the previous revisions, as they were published (stores pin them)
PUBLISHED = {
    ("2026", 1): "sha256:3047258595fd3195d27245caeaddc5141a753fe854ae287a4c79ddee643ff318",
    ("2025", 2): "sha256:0f78b54d840f3150ba5a620fe81cde7c73f1ac320bc27073f6709741566362ee",
    ("2024", 2): "sha256:e003310f6901678642c9ff1123d2d95726a93cd6dd938d2dfed151a02b2b1a1b",
}
MON = ("application_fees", "saas_subscriptions", "product_markup")
DATE = "2026-12-07"


def path_of(edition: str, rev: int):
    newest = rev == NEWEST[edition]
    return BUILTIN_DIR / (f"stripe-connect@{edition}.yaml" if newest else f"stripe-connect@{edition}.r{rev}.yaml")


@cache
def cat(edition: str, rev: int) -> Catalog:
    """Revision ``rev`` of a built-in edition, read from its file (not from a store)."""
    return load_catalog_file(path_of(edition, rev))


def old_new(edition: str) -> tuple[Catalog, Catalog]:
    return cat(edition, NEWEST[edition] - 1), cat(edition, NEWEST[edition])


def option_api(catalog: Catalog, prop: str, option: str) -> str:
    opt = catalog.property_index[prop].option(option)
    assert opt is not None
    return " | ".join(str(getattr(a, "text", a)) for a in opt.api)


def summary(catalog: Catalog, prop: str, option: str) -> str:
    opt = catalog.property_index[prop].option(option)
    assert opt is not None
    return opt.summary


def body(catalog: Catalog, step: str) -> str:
    return catalog.step_index[step].body


def flow_note(catalog: Catalog, flow_id: str) -> str:
    return next(f.note for f in catalog.flows if f.id == flow_id)


def fired(catalog: Catalog, selection: dict) -> set[str]:
    return {f.rule.id for f in resolve(catalog, selection).findings}


def steps(catalog: Catalog, selection: dict) -> set[str]:
    return {a.step.id for a in resolve(catalog, selection).steps}


def sel2026(
    onboarding="embedded",
    dashboard="none",
    charge_type="direct",
    fee_payer="platform",
    liability="stripe",
    business_model="platform",
    monetization=("application_fees",),
) -> dict:
    return {
        "onboarding": onboarding,
        "dashboard": dashboard,
        "charge_type": charge_type,
        "fee_payer": fee_payer,
        "liability": liability,
        "business_model": business_model,
        "monetization": tuple(monetization),
    }


# ---------------------------------------------------------------------------
# Files, revisions, changelogs (G.0)


def test_new_revisions_ship_beside_the_byte_for_byte_previous_ones() -> None:
    assert [p.name for p in builtin_catalog_files()][:3] == [
        "stripe-connect@2024.yaml",
        "stripe-connect@2025.yaml",
        "stripe-connect@2026.yaml",
    ]
    revs = {ref: [r for r, _ in files] for ref, files in builtin_revision_files().items()}
    assert {ref: revs[ref] for ref in ("stripe-connect@2024", "stripe-connect@2025", "stripe-connect@2026")} == {
        "stripe-connect@2024": [1, 2],
        "stripe-connect@2025": [1, 2],
        "stripe-connect@2026": [1],
    }
    for (edition, rev), digest in PUBLISHED.items():
        assert cat(edition, rev).content_hash == digest, (edition, rev)


@pytest.mark.parametrize(("edition", "old_rev", "new_rev"), PAIRS)
def test_each_new_revision_declares_itself_and_its_changelog(edition: str, old_rev: int, new_rev: int) -> None:
    old, new = cat(edition, old_rev), cat(edition, new_rev)
    assert (old.revision, new.revision) == (old_rev, new_rev)
    assert (new.name, new.edition) == (old.name, old.edition)
    assert [c.revision for c in new.changelog] == [c.revision for c in old.changelog] + [new_rev]
    entry = new.changelog[-1]
    assert entry.date == DATE
    text = " ".join(entry.changes)
    items = {
        "2026": ("H1", "H2", "M1", "M2", "M3", "M5", "M6", "M7", "L1", "L2", "L3", "L4", "L5", "L6", "L8"),
        "2025": ("H1", "H2", "M1", "M3", "M4", "M6", "M7", "L2", "L3", "L4", "L5"),
        "2024": ("H1", "M1", "M7", "L5"),
    }[edition]
    for item in items:
        assert f"{item}:" in text or f"{item} " in text, item
    assert ("verdicts: 28 selections change" if edition == "2026" else "verdicts: none changes") in text
    assert old.content_hash != new.content_hash


@pytest.mark.parametrize(("edition", "old_rev", "new_rev"), PAIRS)
def test_ids_and_option_sets_are_unchanged(edition: str, old_rev: int, new_rev: int) -> None:
    old, new = cat(edition, old_rev), cat(edition, new_rev)
    assert [(p.id, p.option_ids, p.choice) for p in new.properties] == [
        (p.id, p.option_ids, p.choice) for p in old.properties
    ]
    assert [s.id for s in new.steps] == [s.id for s in old.steps]
    assert [f.id for f in new.flows] == [f.id for f in old.flows]
    assert [r.id for r in new.responsibilities] == [r.id for r in old.responsibilities]
    assert [(p.id, p.selection) for p in new.presets] == [(p.id, p.selection) for p in old.presets]
    if edition != "2026":
        assert [(r.id, r.condition, r.severity) for r in new.rules] == [
            (r.id, r.condition, r.severity) for r in old.rules
        ]


def test_2026_r2_counts_rules_removed_and_added() -> None:
    old, new = old_new("2026")
    assert (len(new.rules), len(new.steps), len(new.flows), len(new.responsibilities), len(new.presets)) == (
        32,
        41,
        40,
        13,
        13,
    )
    assert set(old.rule_index) - set(new.rule_index) == {"no_dashboard_requires_platform_pricing_and_liability"}
    assert set(new.rule_index) - set(old.rule_index) == {
        "no_dashboard_stripe_liability_needs_embedded_onboarding",
        "no_dashboard_stripe_liability_requires_embedded_components",
        "stripe_liability_indirect_charges_mismatch",
        "product_markup_preconditions",
        "platform_model_expects_stripe_pricing",
    }
    for rid in set(old.rule_index) & set(new.rule_index):
        assert (new.rule_index[rid].condition, new.rule_index[rid].severity) == (
            old.rule_index[rid].condition,
            old.rule_index[rid].severity,
        ), rid


@pytest.mark.parametrize("edition", sorted(NEWEST))
def test_every_rule_and_step_has_a_source_url_and_a_basis(edition: str) -> None:
    new = cat(edition, NEWEST[edition])
    for rule in new.rules:
        assert rule.source.startswith("https://") and rule.basis in BASES, rule.id
    for step in new.steps:
        assert step.url.startswith("https://") and step.basis in BASES, step.id


# ---------------------------------------------------------------------------
# Verdicts (G.0, G.7)


@pytest.mark.parametrize(("edition", "count"), [("2024", 108), ("2025", 180)])
def test_2024_and_2025_keep_every_verdict(edition: str, count: int) -> None:
    old, new = old_new(edition)
    sels = list(iter_selections(new))
    assert len(sels) == count
    assert [s for s in sels if resolve(old, s).verdict != resolve(new, s).verdict] == []


#: G.7: every verdict change of 2026 r2 (embedded / none / direct / Stripe liability); fee payer, business model,
#: monetization -> (r2 verdict, the caution rules deciding it)
MARKETPLACE = "marketplace_model_expects_indirect_charges"
MARKUP = "product_markup_requires_platform_pricing"


def g7_rows():
    for fee_payer, model in itertools.product(("platform", "connected_account"), ("platform", "marketplace")):
        for n in (1, 2, 3):
            for monetization in itertools.combinations(MON, n):
                deciding = set()
                if model == "marketplace":
                    deciding.add(MARKETPLACE)
                if fee_payer == "connected_account" and "product_markup" in monetization:
                    deciding.add(MARKUP)
                yield fee_payer, model, monetization, ("caution" if deciding else "allowed"), deciding


def test_g7_table_has_28_rows_10_allowed_18_caution() -> None:
    rows = list(g7_rows())
    assert len(rows) == 28
    assert sum(1 for r in rows if r[3] == "allowed") == 10
    assert sum(1 for r in rows if r[3] == "caution") == 18


def test_2026_r2_changes_exactly_the_28_verdicts_of_g7() -> None:
    old, new = old_new("2026")
    changed = {}
    counts = {"old": {}, "new": {}}
    n = 0
    for s in iter_selections(new):
        n += 1
        before, after = resolve(old, s).verdict, resolve(new, s).verdict
        counts["old"][before] = counts["old"].get(before, 0) + 1
        counts["new"][after] = counts["new"].get(after, 0) + 1
        if before != after:
            changed[(s["fee_payer"], s["business_model"], tuple(s["monetization"]))] = (s, before, after)
    assert n == 2520
    expected = {(fp, bm, mon): verdict for fp, bm, mon, verdict, _ in g7_rows()}
    assert {k: v[2] for k, v in changed.items()} == expected
    for key, (s, before, _) in changed.items():
        assert before == "blocked", key
        assert (s["onboarding"], s["dashboard"], s["charge_type"], s["liability"]) == (
            "embedded",
            "none",
            "direct",
            "stripe",
        )
        assert "no_dashboard_requires_platform_pricing_and_liability" in fired(old, s)
    assert counts["old"] == {"allowed": 82, "caution": 170, "sales_gated": 210, "blocked": 1050, "out_of_scope": 1008}
    assert counts["new"] == {"allowed": 92, "caution": 188, "sales_gated": 210, "blocked": 1022, "out_of_scope": 1008}


def test_g7_deciding_rules() -> None:
    new = cat("2026", 2)
    for fee_payer, model, monetization, verdict, deciding in g7_rows():
        s = sel2026(fee_payer=fee_payer, business_model=model, monetization=monetization)
        res = resolve(new, s)
        assert res.verdict == verdict, s
        assert {f.rule.id for f in res.findings if f.rule.severity != "info"} == deciding, s


def test_2026_presets_keep_their_verdict() -> None:
    old, new = old_new("2026")
    assert len(new.presets) == 13
    for preset in new.presets:
        s = dict(preset.selection)
        assert resolve(old, s).verdict == resolve(new, s).verdict, preset.id


def test_2026_r2_lint_no_longer_finds_the_embedded_risk_step_dead() -> None:
    old, new = old_new("2026")

    def never_active(c: Catalog) -> set[str]:
        return {m.subject for m in lint_catalog(c, make_solver).warnings if m.code == "step_never_active"}

    assert "embed_required_risk_components" in never_active(old)
    assert "embed_required_risk_components" not in never_active(new)
    report = lint_catalog(new, make_solver)
    assert report.ok
    assert dict(report.summary.by_verdict) == {
        "allowed": 92,
        "caution": 188,
        "sales_gated": 210,
        "blocked": 1022,
        "out_of_scope": 1008,
    }


# ---------------------------------------------------------------------------
# H1: cross-border payouts need the recipient service agreement (G.2)

REGION_RULE = {"2026": "indirect_charges_region_and_fees", "2025": "indirect_charges_region_and_fees"}
REGION_RULE["2024"] = "indirect_charges_same_region"


@pytest.mark.parametrize("edition", sorted(NEWEST))
def test_h1_cross_border_payouts_need_the_recipient_agreement(edition: str) -> None:
    old, new = old_new(edition)
    rid = REGION_RULE[edition]
    msg = new.rule_index[rid].message
    assert msg.startswith("Destination and separate charges need the account in the platform's country unless (a)")
    assert "account under the recipient service agreement (so it can't be merchant of record" in msg
    assert "full service agreement" not in msg
    assert "full service agreement" in old.rule_index[rid].message
    assert msg.endswith(
        "otherwise the transfer fails with an error."
        if edition == "2024"
        else "Stripe bills the platform for these charges whatever fees_collector says."
    )
    source = new.rule_index[rid].source
    assert "https://docs.stripe.com/connect/service-agreement-types" in source
    assert "https://docs.stripe.com/connect/connect-cross-border-payouts" in source
    assert "service-agreement-types" not in old.rule_index[rid].source
    if edition != "2024":
        assert "https://docs.stripe.com/connect/destination-charges" in source
    assert new.rule_index[rid].severity == old.rule_index[rid].severity == "info"


@pytest.mark.parametrize("edition", sorted(NEWEST))
def test_h1_same_country_in_the_destination_option_and_the_charge_steps(edition: str) -> None:
    old, new = old_new(edition)
    api = option_api(new, "charge_type", "destination")
    assert (
        "same country as the platform unless cross-border payouts apply (recipient-agreement accounts) or "
        "on_behalf_of is set" in api
    )
    assert "same region" not in api and "same region" in option_api(old, "charge_type", "destination")
    dest = body(new, "destination_charges")
    assert "must be in the same country unless cross-border payouts apply (recipient-agreement accounts)" in dest
    assert "share a region" not in dest and "share a region" in body(old, "destination_charges")
    sep = body(new, "separate_charges_and_transfers")
    assert "Transfers to accounts in another country need cross-border payouts (recipient-agreement accounts)." in sep
    assert "Same-region rule" not in sep and "Same-region rule" in body(old, "separate_charges_and_transfers")


# ---------------------------------------------------------------------------
# H2: no dashboard with Stripe liability (G.3)


def test_h2_2026_removes_the_rule_and_ports_the_two_2024_rules() -> None:
    old, new = old_new("2026")
    gone = "no_dashboard_requires_platform_pricing_and_liability"
    assert gone in old.rule_index and gone not in new.rule_index
    ref = cat("2024", 3)
    for rid, severity in (
        ("no_dashboard_stripe_liability_needs_embedded_onboarding", "blocked"),
        ("no_dashboard_stripe_liability_requires_embedded_components", "info"),
    ):
        assert rid not in old.rule_index
        rule = new.rule_index[rid]
        assert (rule.condition, rule.severity) == (ref.rule_index[rid].condition, ref.rule_index[rid].severity)
        assert rule.severity == severity and rule.basis == "stated"
        assert "https://docs.stripe.com/connect/embedded-risk" in rule.source
        assert "https://docs.stripe.com/api/account_links/create" in rule.source
        assert "https://docs.stripe.com/connect/build-full-embedded-integration" in rule.source
    blocked = new.rule_index["no_dashboard_stripe_liability_needs_embedded_onboarding"]
    assert blocked.message.startswith("Stripe Managed Risk for accounts without a Stripe-hosted dashboard requires")
    assert blocked.alternative.startswith("onboarding.embedded")
    assert "2024 edition's inference" in blocked.basis_note
    info = new.rule_index["no_dashboard_stripe_liability_requires_embedded_components"]
    assert info.message.startswith("Fully embedded integration with Stripe Managed Risk")
    assert "still rates this combination blocked" in info.message


def test_h2_2026_the_embedded_selection_is_allowed_and_hosted_and_api_stay_blocked() -> None:
    old, new = old_new("2026")
    embedded = sel2026()
    assert (resolve(old, embedded).verdict, resolve(new, embedded).verdict) == ("blocked", "allowed")
    assert "no_dashboard_stripe_liability_requires_embedded_components" in fired(new, embedded)
    hosted = sel2026(onboarding="hosted")
    assert resolve(new, hosted).verdict == "blocked"
    assert {f.rule.id for f in resolve(new, hosted).findings if f.rule.severity == "blocked"} == {
        "no_dashboard_stripe_liability_needs_embedded_onboarding"
    }
    api = sel2026(onboarding="api")
    assert {f.rule.id for f in resolve(new, api).findings if f.rule.severity == "blocked"} == {
        "api_onboarding_requires_platform_requirements_collection"
    }
    # what the removed rule also covered stays covered
    assert "stripe_pricing_requires_stripe_liability" in fired(
        new, sel2026(fee_payer="connected_account", liability="platform")
    )
    assert resolve(new, sel2026(charge_type="destination", business_model="marketplace")).verdict == "blocked"
    assert "stripe_liability_requires_direct_charges" in fired(
        new, sel2026(charge_type="destination", business_model="marketplace")
    )


def test_h2_2026_the_embedded_risk_step_and_stripe_communication_are_live() -> None:
    old, new = old_new("2026")
    embedded = sel2026()
    assert "embed_required_risk_components" in steps(new, embedded)
    res = resolve(new, embedded)
    assert {
        h.assignment.party for h in res.responsibilities if h.responsibility.id == "communicates_with_accounts"
    } == {"stripe"}
    text = path_of("2026", 2).read_text(encoding="utf-8")
    assert "L5: only" not in text and "L5: only" in path_of("2026", 1).read_text(encoding="utf-8")
    # in revision 1 the step was active only in blocked selections
    assert resolve(old, embedded).verdict == "blocked"


def test_h2_2026_no_dashboard_summary() -> None:
    old, new = old_new("2026")
    text = summary(new, "dashboard", "none")
    assert "With Stripe liability (Managed Risk) the platform must embed account onboarding" in text
    assert "either pricing owner works" in text
    assert "platform-pricing-and-liability only" in text
    assert "only supported with platform-owned pricing" not in text
    assert "only supported with platform-owned pricing" in summary(old, "dashboard", "none")


def test_h2_2025_keeps_the_rule_blocked_and_says_it_is_the_skills_rating() -> None:
    old, new = old_new("2025")
    rid = "no_dashboard_requires_platform_pricing_and_liability"
    rule = new.rule_index[rid]
    assert rule.severity == old.rule_index[rid].severity == "blocked"
    assert rule.condition == old.rule_index[rid].condition
    assert "This is the skill's rating, not a Stripe restriction" in rule.message
    assert "not a Stripe restriction" not in old.rule_index[rid].message
    assert rule.basis_note.startswith("H2 (2026-12-07): Stripe's docs contradict this rating; ")
    assert "https://docs.stripe.com/connect/build-full-embedded-integration" in rule.source
    assert "https://docs.stripe.com/api/account_links/create" in rule.source
    assert "not a Stripe restriction" in summary(new, "dashboard", "none")
    assert "not a Stripe restriction" not in summary(old, "dashboard", "none")


# ---------------------------------------------------------------------------
# Medium items (G.4)


@pytest.mark.parametrize("edition", sorted(NEWEST))
def test_m1_express_accounts_answer_disputes_when_manage_disputes_is_on(edition: str) -> None:
    old, new = old_new(edition)
    text = body(new, "direct_refunds_and_disputes")
    assert "Express accounts answer them in the Express Dashboard when Manage disputes is enabled" in text
    assert "the platform submits evidence through the API or the embedded payments or disputes components" in text
    assert ("(always, when Stripe is liable)" in text) == (edition == "2026")
    assert "for Express or no-dashboard accounts the platform submits evidence" in body(
        old, "direct_refunds_and_disputes"
    )
    assert "Express accounts answer them" not in body(old, "direct_refunds_and_disputes")


def test_m2_2026_account_links_v2_dashboard_access() -> None:
    old, new = old_new("2026")
    line = "v2 POST /v2/core/account_links with use_case.type = account_dashboard"
    for option in ("express", "full"):
        api = option_api(new, "dashboard", option)
        assert line in api and "use_case.account_dashboard.refresh_url" in api and "expires after 5 minutes" in api
        assert "account_dashboard" not in option_api(old, "dashboard", option)
        opt = new.property_index["dashboard"].option(option)
        assert "https://docs.stripe.com/changelog/endive/2026-11-18/dashboard-access-use-case-account-links-v2" in (
            opt.docs
        )
    assert "login links (Express only): POST /v1/accounts/{id}/login_links" in option_api(new, "dashboard", "express")
    assert "(or arrives through a v2 dashboard Account Link)" in summary(new, "dashboard", "full")
    assert "Account Link" not in summary(old, "dashboard", "full")
    assert "through a v2 dashboard Account Link (or a v1 login link)" in body(new, "express_dashboard_access")
    assert "Account Link" not in body(old, "express_dashboard_access")
    assert body(new, "full_dashboard_access").endswith("You can send them there with a v2 dashboard Account Link.")
    assert "Account Link" not in body(old, "full_dashboard_access")


def test_m2_is_not_applied_to_2025() -> None:
    new = cat("2025", 3)
    for option in ("express", "full"):
        assert "account_dashboard" not in option_api(new, "dashboard", option)


def test_m3_2026_caution_for_stripe_liability_on_platform_debited_charges() -> None:
    old, new = old_new("2026")
    rid = "stripe_liability_indirect_charges_mismatch"
    rule = new.rule_index[rid]
    assert rid not in old.rule_index
    assert rule.severity == "caution" and rule.basis == "stated"
    assert "never changes the verdict" in rule.basis_note
    assert "https://docs.stripe.com/connect/configuration-migration-guide" in rule.source
    assert "https://docs.stripe.com/connect/risk-management/connected-accounts-with-managed-risk" in rule.source
    for charge in ("destination", "separate"):
        s = sel2026(dashboard="full", charge_type=charge, liability="stripe", business_model="marketplace")
        assert rid in fired(new, s)
        assert resolve(new, s).verdict == resolve(old, s).verdict == "sales_gated"
    # dominated everywhere: every selection where it fires is already sales_gated or worse
    for s in iter_selections(new, {"dashboard": "full", "fee_payer": "platform", "liability": "stripe"}):
        if rid in fired(new, s):
            assert resolve(new, s).verdict in ("sales_gated", "blocked", "out_of_scope"), s
    assert rid not in fired(new, sel2026(dashboard="full", charge_type="direct"))


def test_m3_2025_basis_note_on_the_carve_out() -> None:
    old, new = old_new("2025")
    rid = "stripe_liability_requires_direct_charges"
    assert "platform liable for indirect charges whatever the settings" in new.rule_index[rid].basis_note
    assert "whatever the settings" not in old.rule_index[rid].basis_note
    assert rid in new.rule_index and "stripe_liability_indirect_charges_mismatch" not in new.rule_index


def test_m4_2025_express_rule_is_the_skills_rating() -> None:
    old, new = old_new("2025")
    rid = "express_requires_platform_pricing_and_liability"
    rule = new.rule_index[rid]
    assert rule.severity == old.rule_index[rid].severity == "blocked"
    assert rule.message.startswith("In the connect-recommend matrix (skill commit 150d4d4, July 2026)")
    assert "Since API 2026-11-18.endive Stripe supports Express with Stripe liability" in rule.message
    assert "currently requires" in old.rule_index[rid].message and "currently" not in rule.message
    for v in ("v1", "v2"):
        url = f"https://docs.stripe.com/changelog/endive/2026-11-18/express-accounts-{v}-stripe-owned-pricing-negative-balance-liability"
        assert url in rule.source and url not in old.rule_index[rid].source
    assert rule.basis_note == "edition pins the skill; GA changelogs post-date it"


def test_m5_2026_product_markup_preconditions() -> None:
    old, new = old_new("2026")
    rid = "product_markup_preconditions"
    rule = new.rule_index[rid]
    assert rid not in old.rule_index
    assert (rule.severity, rule.basis) == ("info", "stated")
    assert rule.condition == parse_expression("monetization.product_markup")
    for fact in ("platform daily limit", "full service agreement", "public preview (AU, CA, DE, FR, GB, US)"):
        assert fact in rule.message
    for url in ("https://docs.stripe.com/capital/getting-started", "https://docs.stripe.com/issuing/connect"):
        assert url in rule.source
    on_demand = dict(new.preset_index["on_demand"].selection)
    assert rid in fired(new, on_demand) and resolve(new, on_demand).verdict == "caution"
    assert rid not in fired(new, dict(new.preset_index["marketplace"].selection))
    api = option_api(new, "monetization", "product_markup")
    assert "preconditions: Instant Payouts need a platform daily limit" in api
    assert "preconditions" not in option_api(old, "monetization", "product_markup")
    step = new.step_index["resell_stripe_products"]
    assert step.body.startswith("Check each product's preconditions first (Instant Payouts: platform daily limit")
    assert "Then set the platform's price" in step.body
    assert (old.step_index["resell_stripe_products"].basis, step.basis) == ("implied", "stated")


@pytest.mark.parametrize("edition", ["2026", "2025"])
def test_m6_separate_obo_accounts_also_get_the_recipient_configuration(edition: str) -> None:
    old, new = old_new(edition)
    s = {
        "onboarding": "embedded",
        "dashboard": "express",
        "charge_type": "separate_obo",
        "fee_payer": "platform",
        "liability": "platform",
    }
    if edition == "2026":
        s |= {"business_model": "marketplace", "monetization": ("application_fees",)}
    assert {"add_recipient_configuration", "add_merchant_configuration"} <= steps(new, s)
    assert "add_recipient_configuration" not in steps(old, s)
    assert new.step_index["add_recipient_configuration"].condition == parse_expression(
        "charge_type.destination or charge_type.separate or charge_type.separate_obo"
    )
    api = option_api(new, "charge_type", "separate_obo")
    assert "plus configuration.recipient (stripe_balance.stripe_transfers) to receive the transfers" in api
    assert "configuration.recipient" not in option_api(old, "charge_type", "separate_obo")
    assert resolve(new, s).verdict == resolve(old, s).verdict == "out_of_scope"


@pytest.mark.parametrize("edition", ["2026", "2025"])
def test_m7_direct_charges_are_recommended_for_full_dashboard_accounts(edition: str) -> None:
    old, new = old_new(edition)
    rid = "express_direct_dispute_evidence"
    rule = new.rule_index[rid]
    assert rule.severity == old.rule_index[rid].severity == "info"
    assert (
        "Stripe's charge docs recommend direct charges for full-Dashboard accounts and destination charges for "
        "Express or no-dashboard accounts" in rule.message
    )
    assert "recommend" not in old.rule_index[rid].message
    assert ("always on when Stripe is liable" in rule.message) == (edition == "2026")
    for url in (
        "https://docs.stripe.com/connect/direct-charges",
        "https://docs.stripe.com/connect/destination-charges",
    ):
        assert url in rule.source.split("; ") and url not in old.rule_index[rid].source.split("; ")
    if edition == "2026":
        reasoning = new.preset_index["express_saas"].reasoning
        assert "recommend direct charges for full-Dashboard accounts" in reasoning
        assert "recommend" not in old.preset_index["express_saas"].reasoning


def test_m7_2024_cites_the_direct_charges_page() -> None:
    old, new = old_new("2024")
    rid = "express_dashboard_direct_charges"
    assert "https://docs.stripe.com/connect/direct-charges" in new.rule_index[rid].source.split("; ")
    assert "https://docs.stripe.com/connect/direct-charges" not in old.rule_index[rid].source.split("; ")
    assert new.rule_index[rid].message == old.rule_index[rid].message


# ---------------------------------------------------------------------------
# Low items (G.5)


def test_l1_2026_webhooks_name_azure_event_grid() -> None:
    old, new = old_new("2026")
    assert "type webhook_endpoint, amazon_eventbridge or azure_event_grid" in body(new, "webhooks")
    assert "azure_event_grid" not in body(old, "webhooks")


@pytest.mark.parametrize("edition", ["2026", "2025"])
def test_l2_contact_email_identity_country_and_include(edition: str) -> None:
    old, new = old_new(edition)
    create = body(new, "create_accounts_v2")
    assert "contact_email (required when the account is configured as a merchant or recipient)" in create
    assert "identity.country" in create and "explicitly" in create
    assert "contact_email" not in body(old, "create_accounts_v2")
    gate = body(new, "gate_on_capabilities")
    assert "include=configuration.merchant / configuration.recipient" in gate and "come back null" in gate
    assert "include=" not in body(old, "gate_on_capabilities")


@pytest.mark.parametrize("edition", ["2026", "2025"])
def test_l3_the_fee_payer_is_chosen_at_account_creation(edition: str) -> None:
    old, new = old_new(edition)
    for option in ("platform", "connected_account"):
        api = option_api(new, "fee_payer", option)
        assert (
            "You can specify the fee payer only when you create an account; fees_collector is fixed at creation" in api
        )
        assert "set when the merchant configuration is added" not in api
        assert "set when the merchant configuration is added" in option_api(old, "fee_payer", option)
    for option in ("platform", "stripe"):  # the liability options keep their line
        assert option_api(new, "liability", option) == option_api(old, "liability", option)


@pytest.mark.parametrize("edition", ["2026", "2025"])
def test_l4_balance_settings_start_of_day_and_automatic_transfers(edition: str) -> None:
    old, new = old_new(edition)
    text = body(new, "control_payouts")
    assert "payments.settlement_timing.start_of_day (customized start of day)" in text
    assert "payments.payouts.automatic_transfer_rules_by_currency (automatic transfers to a FinancialAccount)" in text
    assert "start_of_day" not in body(old, "control_payouts")


@pytest.mark.parametrize("edition", sorted(NEWEST))
def test_l5_unified_accounts_beta_fee_payer_trait(edition: str) -> None:
    old, new = old_new(edition)
    note = flow_note(new, "direct_dispute_fee_platform")
    assert note.endswith(
        "Exception: with the fee payer trait application_unified_accounts_beta the connected account pays dispute "
        "fees on direct charges (contact sales to change it)."
    )
    assert "application_unified_accounts_beta" not in flow_note(old, "direct_dispute_fee_platform")


def test_l6_2026_platform_model_expects_stripe_pricing() -> None:
    old, new = old_new("2026")
    rid = "platform_model_expects_stripe_pricing"
    rule = new.rule_index[rid]
    assert rid not in old.rule_index
    assert (rule.severity, rule.alternative) == ("info", "fee_payer.connected_account")
    assert rule.condition == parse_expression("business_model.platform and fee_payer.platform")
    assert "https://docs.stripe.com/connect/interactive-platform-guide" in rule.source
    s = sel2026(dashboard="express", liability="platform")
    assert rid in fired(new, s) and resolve(new, s).verdict == resolve(old, s).verdict == "allowed"
    assert rid not in fired(new, sel2026(dashboard="full", fee_payer="connected_account"))


def test_l7_2026_examples_name_their_sources_in_a_comment_only() -> None:
    text, before = path_of("2026", 2).read_text(encoding="utf-8"), path_of("2026", 1).read_text(encoding="utf-8")
    comment = "# Examples: Etsy and Airbnb (discovery Q1"
    assert comment in text and comment not in before
    assert "skills/connect-recommend/references/discovery-questions.md" in text
    old, new = old_new("2026")
    for prop in new.properties:
        for option in prop.options:
            assert option.examples == old.property_index[prop.id].option(option.id).examples
    assert [(p.id, p.examples) for p in new.presets] == [(p.id, p.examples) for p in old.presets]


def test_l8_2026_platform_model_message_keeps_on_behalf_of_apart() -> None:
    old, new = old_new("2026")
    rid = "platform_model_expects_direct_charges"
    msg = new.rule_index[rid].message
    assert "without on_behalf_of it also makes the platform merchant of record" in msg
    assert "sellers collect payments and pay Stripe's fees" in msg
    assert "on_behalf_of" not in old.rule_index[rid].message
    assert new.rule_index[rid].condition == old.rule_index[rid].condition


def test_upgrading_a_2025_plan_to_2026_r2_changes_six_verdicts() -> None:
    """The catalog's renames.defaults, over the 180 selections of 2025: the four of revision 1 and the two of H2."""
    from connectplan.engine.upgrade import carry_over

    old = cat("2025", 3)
    ids = [p.id for p in old.properties]
    changed = {}
    for rev in (1, 2):
        new = cat("2026", rev)
        changed[rev] = set()
        for combo in itertools.product(*(p.option_ids for p in old.properties)):
            s = dict(zip(ids, combo, strict=True))
            mapped, _, _ = carry_over(old, new, s)
            before, after = resolve(old, s).verdict, resolve(new, mapped).verdict
            if before != after:
                assert (before, after) == ("blocked", "allowed"), combo
                changed[rev].add(combo)
    express = {
        (o, "express", "direct", f, "stripe") for o in ("hosted", "embedded") for f in ("platform", "connected_account")
    }
    assert changed[1] == express
    assert changed[2] == express | {
        ("embedded", "none", "direct", f, "stripe") for f in ("platform", "connected_account")
    }


SECTIONS = {
    "onboarding": "accounts",
    "dashboard": "accounts",
    "charge_type": "payments",
    "fee_payer": "fees",
    "liability": "risk",
    "business_model": "business",
    "monetization": "business",
}


@pytest.mark.parametrize(("edition", "old_rev", "new_rev"), PAIRS)
def test_every_property_of_the_new_revisions_names_its_section(edition: str, old_rev: int, new_rev: int) -> None:
    old, new = cat(edition, old_rev), cat(edition, new_rev)
    assert {p.id: p.section for p in new.properties} == {p.id: SECTIONS[p.id] for p in new.properties}
    assert {p.section for p in old.properties} == {""}


def test_2026_r2_account_links_v2_no_longer_send_configurations() -> None:
    """Not in the errata sheet: API 2026-09-30.endive removed use_case.account_onboarding.configurations
    (https://docs.stripe.com/changelog/endive/2026-09-30/removes-configurations-parameter-from-v2-core-account-links-api),
    so the 2026 edition (API 2026-11-18.endive) must not name it."""
    old, new = old_new("2026")
    assert "configurations" in option_api(old, "onboarding", "hosted")
    assert "configurations" in body(old, "onboard_hosted")
    assert "configurations" not in option_api(new, "onboarding", "hosted")
    assert "use_case.account_onboarding.{refresh_url, return_url, collection_options}" in option_api(
        new, "onboarding", "hosted"
    )
    assert "since API 2026-09-30.endive Stripe works out which configurations to onboard" in body(new, "onboard_hosted")
    assert "account_onboarding.configurations" not in body(new, "onboard_hosted")


#: steps of the new revisions that make Stripe requests, with the request of their first API setting
REQUEST_STEPS = {
    "2026": {
        "create_accounts_v2": "POST /v2/core/accounts",
        "onboard_hosted": "POST /v2/core/account_links",
        "onboard_embedded": "POST /v1/account_sessions",
        "gate_on_capabilities": "GET /v2/core/accounts/{id}",
        "direct_charges_connected_account_pays_fees": "POST /v1/payment_intents",
        "separate_charges_and_transfers": "POST /v1/payment_intents",
        "full_dashboard_access": "POST /v2/core/account_links",
        "control_payouts": "POST /v1/balance_settings",
        "webhooks": "POST /v2/core/event_destinations",
    },
    "2025": {
        "create_accounts_v2": "POST /v2/core/accounts",
        "onboard_hosted": "POST /v1/account_links",
        "express_dashboard_access": "POST /v1/accounts/{account}/login_links",
        "control_payouts": "POST /v1/balance_settings",
        "webhooks": "POST /v1/webhook_endpoints",
    },
    "2024": {
        "create_accounts_v1_controller": "POST /v1/accounts",
        "onboard_hosted": "POST /v1/account_links",
        "control_payouts": "POST /v1/accounts/{account}",
        "webhooks": "POST /v1/webhook_endpoints",
    },
}


@pytest.mark.parametrize(("edition", "old_rev", "new_rev"), PAIRS)
def test_api_settings_of_the_new_revisions_are_structured(edition: str, old_rev: int, new_rev: int) -> None:
    old, new = cat(edition, old_rev), cat(edition, new_rev)
    settings = [a for p in new.properties for o in p.options for a in o.api]
    assert settings and all(a.structured for a in settings)
    assert all(not a.structured for p in old.properties for o in p.options for a in o.api)
    for a in settings:
        assert a.text
        if a.is_request:
            assert a.api in ("v1", "v2") and a.path.startswith(f"/{a.api}/"), a.text
    assert not any(s.api for s in old.steps)
    for step_id, request in REQUEST_STEPS[edition].items():
        first = new.step_index[step_id].api[0]
        assert f"{first.method} {first.path}" == request, step_id
    account_dashboard = [
        a for s in new.steps for a in s.api if dict(a.params).get("use_case.type") == "account_dashboard"
    ]
    if edition == "2026":
        assert account_dashboard and all(a.stripe_version == "2026-11-18.endive" for a in account_dashboard)
    else:
        assert account_dashboard == []
