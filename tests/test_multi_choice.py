"""Multi-choice properties, revisions, changelogs and upgrade defaults in the engine (issue 11, points 1, 3 and 5)."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectplan.catalog_files import parse_catalog_text
from connectplan.engine import (
    CatalogError,
    SelectionError,
    Severity,
    build_graph,
    catalog_from_dict,
    catalog_from_graph,
    catalog_to_dict,
    check_selection,
    resolve,
)
from connectplan.engine.alternatives import nearest_alternatives
from connectplan.engine.catalog_diff import diff_catalogs
from connectplan.engine.lint import lint_catalog
from connectplan.engine.propagation import EXCLUDED, FORCED, OPEN, propagate
from connectplan.engine.sat import Encoding
from connectplan.engine.upgrade import UpgradeError, plan_upgrade
from connectplan.output.documents import to_document
from connectplan.sat import make_solver

GOLDEN = Path(__file__).parent / "golden"


def monetized(**overrides: Any) -> dict[str, Any]:
    """A small catalog in the shape of stripe-connect@2026: a business model and a multi-choice monetization."""
    doc: dict[str, Any] = {
        "format": "connectplan-catalog/1",
        "name": "shop",
        "edition": "2026",
        "title": "Shop",
        "properties": [
            {
                "id": "model",
                "title": "Business model",
                "options": [{"id": "platform", "title": "Platform"}, {"id": "marketplace", "title": "Marketplace"}],
            },
            {
                "id": "money",
                "title": "Monetization",
                "choice": "many",
                "options": [
                    {"id": "fees", "title": "Application fees"},
                    {"id": "saas", "title": "SaaS subscriptions"},
                    {"id": "markup", "title": "Product markup"},
                ],
            },
        ],
        "rules": [
            {
                "id": "marketplace_no_saas",
                "condition": "model.marketplace and money.saas",
                "severity": "blocked",
                "message": "Marketplaces do not sell SaaS to sellers.",
                "source": "https://example.test/ipg",
            },
            {
                "id": "markup_without_fees",
                "condition": "money.markup and not money.fees",
                "severity": "caution",
                "message": "A markup alone is thin.",
                "source": "https://example.test/ip",
            },
        ],
        "steps": [
            {"id": "bill", "order": 10, "phase": "fees", "condition": "money.saas", "title": "Bill SaaS"},
            {"id": "fee", "order": 20, "phase": "fees", "condition": "money.fees and model.platform", "title": "Fee"},
        ],
        "presets": [
            {"id": "saas", "title": "SaaS", "selection": {"model": "platform", "money": ["saas", "fees"]}},
        ],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def shop():  # type: ignore[no-untyped-def]
    return catalog_from_dict(monetized())


class TestFormat:
    def test_multi_choice_property_and_preset(self, shop):
        money = shop.property_index["money"]
        assert money.multi and (money.min_options, money.max_options) == (1, 3)
        assert not shop.property_index["model"].multi
        assert shop.preset_index["saas"].selection == (("model", "platform"), ("money", ("fees", "saas")))

    def test_round_trips_through_dict_and_graph(self, shop):
        doc = catalog_to_dict(shop)
        assert doc["properties"][1]["choice"] == "many" and doc["properties"][1]["max"] == 3
        assert "choice" not in doc["properties"][0]
        assert doc["presets"][0]["selection"]["money"] == ["fees", "saas"]
        assert catalog_from_dict(copy.deepcopy(doc)) == shop
        again = catalog_from_graph(build_graph(shop))
        assert again == shop and again.content_hash == shop.content_hash

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"min": 0}, "properties[1].min: expected a whole number of at least 1"),
            ({"min": 3, "max": 2}, "needs 1 <= min <= max <= number of options (3)"),
            ({"max": 4}, "needs 1 <= min <= max <= number of options (3)"),
            ({"choice": "some"}, "unknown choice 'some'"),
        ],
    )
    def test_bad_counts_are_reported(self, change, expected):
        doc = monetized()
        doc["properties"][1].update(change)
        doc["properties"][1]["id"] = "money"
        with pytest.raises(CatalogError) as info:
            catalog_from_dict(doc)
        assert any(expected in str(p) for p in info.value.problems), info.value.problems

    def test_min_and_max_need_choice_many(self):
        doc = monetized()
        doc["properties"][0]["max"] = 1
        with pytest.raises(CatalogError, match="'max' applies only to a property with choice: many"):
            catalog_from_dict(doc)

    def test_preset_values_are_checked(self):
        doc = monetized()
        doc["presets"][0]["selection"]["money"] = "saas"
        with pytest.raises(CatalogError, match="takes a list of options"):
            catalog_from_dict(doc)
        doc["presets"][0]["selection"]["money"] = []
        with pytest.raises(CatalogError, match="takes at least 1 of its options, got 0"):
            catalog_from_dict(doc)
        doc["presets"][0]["selection"]["money"] = ["saas", "crypto"]
        with pytest.raises(CatalogError) as info:
            catalog_from_dict(doc)
        assert [p.code for p in info.value.problems] == ["unknown_option"]


class TestRevisions:
    def test_revision_ref_and_changelog(self):
        cat = catalog_from_dict(
            monetized(revision=2, changelog=[{"revision": 2, "date": "2026-12-01", "changes": ["Fixed a fee."]}])
        )
        assert (cat.revision, cat.revision_ref, cat.ref) == (2, "shop@2026.r2", "shop@2026")
        assert cat.changelog[0].changes == ("Fixed a fee.",)
        assert cat.content_hash != catalog_from_dict(monetized()).content_hash
        assert catalog_from_graph(build_graph(cat)) == cat

    def test_revision_one_hashes_as_before_revisions_existed(self):
        assert catalog_from_dict(monetized(revision=1)).content_hash == catalog_from_dict(monetized()).content_hash
        assert "revision" not in catalog_to_dict(catalog_from_dict(monetized(revision=1)))

    @pytest.mark.parametrize(
        ("name", "digest"),
        [
            ("stripe-connect@2024", "sha256:1a998efd3f8810f98d44e87e917188ac3c9ab05eb7ed08dd6071d2aa06ea7c91"),
            ("stripe-connect@2025", "sha256:a30091603f76d1e58cd740486702a1af2aa2ccbdeb84772a671cf5dbe7f37851"),
        ],
    )
    def test_shipped_editions_keep_the_hashes_old_stores_pin(self, name, digest):
        """The two built-in files as shipped before revisions existed (main a8e4c2b), frozen as golden copies."""
        text = gzip.decompress((GOLDEN / "catalogs-a8e4c2b" / f"{name}.yaml.gz").read_bytes()).decode("utf-8")
        catalog = parse_catalog_text(text, name)
        assert catalog.revision == 1 and catalog.revision_ref == f"{name}.r1"
        assert catalog.content_hash == digest
        assert catalog_from_graph(build_graph(catalog)).content_hash == digest

    @pytest.mark.parametrize(
        ("changelog", "expected"),
        [
            ([{"revision": 3, "date": "2026-12-01", "changes": ["x"]}], "expected a revision from 1 to 2"),
            ([{"revision": 2, "date": "2026-13-01", "changes": ["x"]}], "expected a date YYYY-MM-DD"),
            ([{"revision": 2, "date": "2026-12-01", "changes": []}], "list at least one change"),
        ],
    )
    def test_bad_changelog(self, changelog, expected):
        with pytest.raises(CatalogError, match=expected):
            catalog_from_dict(monetized(revision=2, changelog=changelog))

    def test_bad_revision(self):
        with pytest.raises(CatalogError, match="revision: expected a whole number of at least 1"):
            catalog_from_dict(monetized(revision=0))

    def test_diff_of_two_revisions_names_them_exactly(self, shop):
        doc = monetized(revision=2)
        doc["properties"][1]["max"] = 2
        diff = diff_catalogs(shop, catalog_from_dict(doc))
        assert (diff.from_ref, diff.to_ref) == ("shop@2026.r1", "shop@2026.r2")
        assert [(c.id, c.fields) for c in diff.section("properties").changed] == [("money", ("max",))]


class TestSelections:
    def test_lists_tuples_and_comma_text_normalise_to_declaration_order(self, shop):
        for value in (["saas", "fees"], ("saas", "fees", "saas"), "saas, fees", {"fees", "saas"}):
            assert dict(check_selection(shop, {"model": "platform", "money": value}))["money"] == ("fees", "saas")

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ([], r"property 'money' in shop@2026 takes at least 1 of its options, got 0 \(none\); set money=A,B"),
            ("", "takes at least 1 of its options, got 0"),
            (["saas", "gold"], r"unknown option 'gold' for property 'money' in shop@2026; options: fees, saas, markup"),
            (3, "takes a list of option ids, not 3"),
        ],
    )
    def test_bad_sets_name_the_fix(self, shop, value, expected):
        with pytest.raises(SelectionError, match=expected):
            check_selection(shop, {"model": "platform", "money": value})

    def test_too_many_options(self):
        doc = monetized()
        doc["properties"][1]["max"] = 2
        cat = catalog_from_dict(doc)
        with pytest.raises(SelectionError, match="takes 1 to 2 of its options, got 3"):
            check_selection(cat, {"model": "platform", "money": "fees,saas,markup"})

    def test_single_choice_takes_one_option(self, shop):
        with pytest.raises(SelectionError, match="takes exactly one option"):
            check_selection(shop, {"model": ["platform"], "money": ["fees"]})
        with pytest.raises(SelectionError, match=r"no option selected for money; set money=A,B,\.\.\. "):
            check_selection(shop, {"model": "platform"})


class TestResolution:
    def test_terms_are_true_when_among_the_chosen(self, shop):
        res = resolve(shop, {"model": "platform", "money": ["fees", "saas"]})
        assert res.verdict == "allowed"
        assert [s.step.id for s in res.steps] == ["bill", "fee"]
        assert [str(t) for t in res.steps[0].because] == ["money.saas"]
        doc = to_document(res)
        assert doc["selection"] == {"model": "platform", "money": ["fees", "saas"]}

    def test_a_cause_can_name_an_option_left_out(self, shop):
        res = resolve(shop, {"model": "platform", "money": ["markup"]})
        assert res.verdict == "caution"
        (finding,) = res.findings
        assert [str(t) for t in finding.because] == ["money.markup", "not money.fees"]
        assert to_document(res)["findings"][0]["because"] == ["money.markup", "not money.fees"]

    def test_blocked_set(self, shop):
        res = resolve(shop, {"model": "marketplace", "money": "saas"})
        assert res.verdict == "blocked"
        assert [str(t) for t in res.findings[0].because] == ["model.marketplace", "money.saas"]


class TestExploration:
    def test_options_of_a_set_are_excluded_forced_or_open(self, shop):
        prop = propagate(shop, {"model": "marketplace"}, make_solver)
        money = prop.property("money")
        assert money.selected is None
        saas = money.option("saas")
        assert saas.status == EXCLUDED and saas.reason is not None
        assert saas.reason.rule == "marketplace_no_saas" and [str(t) for t in saas.reason.because] == [
            "model.marketplace"
        ]
        assert money.option("fees").status == OPEN and money.option("markup").status == OPEN
        assert to_document(prop)["properties"][1]["selected"] is None

    def test_count_bounds_force_an_option(self):
        doc = monetized()
        doc["properties"][1]["min"] = 2
        doc["rules"][0]["condition"] = "money.saas"
        cat = catalog_from_dict(doc)
        money = propagate(cat, {}, make_solver).property("money")
        # saas is excluded, and at least two options must be chosen: fees and markup are both forced
        assert [(o.id, o.status) for o in money.options] == [("fees", FORCED), ("saas", EXCLUDED), ("markup", FORCED)]

    def test_complete_selection_is_resolved_and_lists_the_set(self, shop):
        prop = propagate(shop, {"model": "platform", "money": ["markup"]}, make_solver)
        assert prop.resolution is not None and prop.resolution.verdict == "caution"
        assert prop.property("money").selected == ("markup",)
        assert to_document(prop)["properties"][1]["selected"] == ["markup"]


class TestAlternatives:
    def test_adding_or_removing_one_option_is_one_change(self, shop):
        alts = nearest_alternatives(shop, {"model": "marketplace", "money": ["fees", "saas"]}, make_solver, limit=5)
        assert alts, "a better selection exists"
        first = alts[0]
        assert [to_document(c) for c in first.changes] in (
            [{"property": "money", "from": ["fees", "saas"], "to": ["fees"]}],
            [{"property": "model", "from": "marketplace", "to": "platform"}],
        )
        assert all(sum(c.size for c in a.changes) == 1 for a in alts[:2])
        assert to_document(first)["selection"]["money"] in (["fees"], ["fees", "saas"])


class TestUpgradeDefaults:
    def _old(self):  # type: ignore[no-untyped-def]
        doc = monetized(edition="2025")
        doc["properties"] = [doc["properties"][0]]
        doc["rules"], doc["presets"] = [], []
        doc["steps"] = [doc["steps"][1] | {"condition": "model.platform"}]
        return catalog_from_dict(doc)

    def _new(self, defaults):  # type: ignore[no-untyped-def]
        return catalog_from_dict(monetized(renames={"defaults": defaults}))

    def test_first_matching_default_fills_the_new_property_and_is_reported(self):
        new = self._new(
            [
                {
                    "property": "money",
                    "option": ["saas", "fees"],
                    "when": "model.platform",
                    "because": "Platforms sell SaaS.",
                },
                {"property": "money", "option": "fees", "because": "Marketplaces take a fee."},
            ]
        )
        for model, expected, why in (
            ("platform", ("fees", "saas"), "Platforms sell SaaS."),
            ("marketplace", ("fees",), "Marketplaces take a fee."),
        ):
            before = resolve(self._old(), {"model": model})
            up = plan_upgrade(before, new)
            assert dict(up.after.selection)["money"] == expected
            assert [(d.property, d.option, d.because) for d in up.defaults] == [("money", expected, why)]
            doc = to_document(up)
            assert doc["defaults"] == [{"property": "money", "option": list(expected), "because": why, "open": False}]
            assert doc["selection"]["money"] == list(expected)

    def test_without_a_matching_default_the_upgrade_names_the_property(self):
        new = self._new([{"property": "money", "option": ["saas"], "when": "model.platform", "because": "b"}])
        with pytest.raises(UpgradeError, match=r"has properties the plan does not set \(money\)"):
            plan_upgrade(resolve(self._old(), {"model": "marketplace"}), new)

    def test_defaults_are_validated(self):
        with pytest.raises(CatalogError, match="unknown option 'gold'"):
            self._new([{"property": "money", "option": ["gold"], "because": "b"}])
        with pytest.raises(CatalogError, match="unknown property 'colour'"):
            self._new([{"property": "colour", "option": "x", "because": "b"}])
        assert catalog_from_dict(catalog_to_dict(self._new([{"property": "money", "option": "fees", "because": "b"}])))

    def test_editions_without_defaults_keep_the_upgrade_document(self):
        old = self._old()
        new_doc = monetized(edition="2027")
        new_doc["properties"] = [new_doc["properties"][0]]
        new_doc["rules"], new_doc["presets"], new_doc["steps"] = [], [], []
        assert "defaults" not in to_document(
            plan_upgrade(resolve(old, {"model": "platform"}), catalog_from_dict(new_doc))
        )


class TestSatCardinality:
    @pytest.mark.parametrize(("options", "low", "high"), [(3, 1, 3), (4, 2, 3), (8, 2, 3), (8, 1, 1), (9, 3, 5)])
    def test_models_are_exactly_the_valid_sets(self, options, low, high):
        from math import comb

        doc = {
            "format": "connectplan-catalog/1",
            "name": "c",
            "edition": "1",
            "title": "C",
            "properties": [
                {
                    "id": "m",
                    "title": "M",
                    "choice": "many",
                    "min": low,
                    "max": high,
                    "options": [{"id": f"o{i}", "title": f"O{i}"} for i in range(options)],
                }
            ],
            "rules": [],
            "steps": [],
        }
        cat = catalog_from_dict(doc)
        enc = Encoding(cat, make_solver())
        seen = set()
        while (model := enc.solve([])) is not None:
            chosen = enc.model_selection(model)["m"]
            assert isinstance(chosen, tuple) and chosen not in seen
            seen.add(chosen)
            enc.solver.add_clause([-lit for lit in enc.choice_literals("m", chosen)])
        assert len(seen) == sum(comb(options, k) for k in range(low, high + 1))


def test_lint_counts_sets_and_finds_dead_options(shop):
    doc = monetized()
    doc["rules"][0]["condition"] = "money.saas"
    report = lint_catalog(catalog_from_dict(doc), make_solver)
    assert [m.subject for m in report.warnings if m.code == "dead_option"] == ["money.saas"]
    assert report.summary is not None and report.summary.selections == 2 * 7
    summary = lint_catalog(shop, make_solver).summary
    assert summary is not None and dict(summary.by_verdict) == {
        "allowed": 7,
        "caution": 3,
        "sales_gated": 0,
        "blocked": 4,
        "out_of_scope": 0,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_conditions_agree_with_evaluate_on_sets(data: st.DataObject) -> None:
    """The closures the engine resolves with read sets of options exactly as :func:`engine.evaluate` does."""
    from connectplan.engine import evaluate
    from connectplan.engine.compiled import compile_catalog
    from connectplan.engine.expression import compile_expression
    from tests.random_catalogs import catalogs, complete_selections

    cat = data.draw(catalogs())
    sel = data.draw(complete_selections(cat))
    multi = compile_catalog(cat).multi
    for rule in cat.rules:
        assert compile_expression(rule.condition, multi)(sel) == evaluate(rule.condition, sel), rule.condition_text
    fired = [r.rank for r in cat.rules if evaluate(r.condition, sel)]
    assert resolve(cat, sel).verdict == max(fired, default=Severity.ALLOWED).verdict
