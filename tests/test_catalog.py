"""Catalog loading and validation: precise errors with file, path and line."""

from __future__ import annotations

import copy
import textwrap

import pytest
from conftest import tiny_doc

from connectplan.catalog_files import load_catalog_file, parse_catalog_text
from connectplan.engine import CatalogError, catalog_from_dict, catalog_to_dict


def problems_of(doc: dict) -> list[str]:
    with pytest.raises(CatalogError) as info:
        catalog_from_dict(doc, source="t.yaml")
    return [str(p) for p in info.value.problems]


class TestValidDocuments:
    def test_tiny_loads(self, tiny):
        assert tiny.ref == "tiny@1"
        assert [p.id for p in tiny.properties] == ["color", "size"]
        assert tiny.preset_index["small_red"].selection == (("color", "red"), ("size", "s"))

    def test_round_trip_through_dict(self, stripe_catalog):
        again = catalog_from_dict(copy.deepcopy(catalog_to_dict(stripe_catalog)))
        assert again == stripe_catalog
        assert catalog_to_dict(again) == catalog_to_dict(stripe_catalog)

    def test_content_hash_changes_with_content(self, tiny):
        doc = tiny_doc()
        doc["rules"][0]["message"] = "Different."
        assert catalog_from_dict(doc).content_hash != tiny.content_hash
        assert catalog_from_dict(tiny_doc()).content_hash == tiny.content_hash

    def test_builtin_catalogs_keep_domain_ids(self, cat2024, cat2025):
        expected_props = ["onboarding", "dashboard", "charge_type", "fee_payer", "liability"]
        assert [p.id for p in cat2024.properties] == expected_props
        assert [p.id for p in cat2025.properties] == expected_props
        assert cat2024.property_index["charge_type"].option_ids == ("direct", "destination", "separate")
        assert cat2025.property_index["charge_type"].option_ids == (
            "direct",
            "destination",
            "separate",
            "destination_obo",
            "separate_obo",
        )
        assert set(cat2024.preset_index) == {
            "saas",
            "marketplace",
            "on_demand",
            "crowdfunding",
            "multi_seller",
            "white_label",
            "b2b",
            "embedded_saas",
        }
        assert set(cat2025.preset_index) == set(cat2024.preset_index) - {"embedded_saas"}
        # a few contract ids from DOMAIN.md sections 3, 4 and 5
        assert {"api_onboarding_requires_platform_liability", "hosted_onboarding_redirect"} <= set(cat2024.rule_index)
        assert {"obo_out_of_scope", "stripe_liability_requires_direct_charges", "api_onboarding_sales_led"} <= set(
            cat2025.rule_index
        )
        assert "create_accounts_v1_controller" in cat2024.step_index and "create_accounts_v2" not in cat2024.step_index
        assert "create_accounts_v2" in cat2025.step_index and "create_accounts_v1_controller" not in cat2025.step_index


class TestValidationErrors:
    def test_unknown_property_in_condition(self):
        doc = tiny_doc()
        doc["rules"][0]["condition"] = "colour.red and size.l"
        (msg,) = problems_of(doc)
        assert msg.startswith("t.yaml: rules[0].condition:")
        assert "unknown property 'colour'" in msg and "properties: color, size" in msg

    def test_unknown_option_in_condition(self):
        doc = tiny_doc()
        doc["steps"][1]["condition"] = "size.xl"
        (msg,) = problems_of(doc)
        assert (
            "steps[1].condition" in msg and "unknown option 'xl' of property 'size'" in msg and "options: s, l" in msg
        )

    def test_syntax_error_in_condition(self):
        doc = tiny_doc()
        doc["rules"][1]["condition"] = "color.blue and"
        (msg,) = problems_of(doc)
        assert "rules[1].condition: syntax error: unexpected end of expression at position 14" in msg

    def test_duplicate_ids(self):
        doc = tiny_doc()
        doc["rules"].append(dict(doc["rules"][0]))
        (msg,) = problems_of(doc)
        assert "rules[2].id" in msg and "duplicate rule id 'no_big_red' (first at rules[0])" in msg

    def test_duplicate_option_ids(self):
        doc = tiny_doc()
        doc["properties"][0]["options"].append({"id": "red", "title": "Red again"})
        (msg,) = problems_of(doc)
        assert "properties[0].options[2].id" in msg and "duplicate option" in msg

    def test_unknown_severity(self):
        doc = tiny_doc()
        doc["rules"][0]["severity"] = "fatal"
        (msg,) = problems_of(doc)
        assert "rules[0].severity: unknown severity 'fatal'" in msg and "out_of_scope, blocked" in msg

    def test_missing_prerequisite(self):
        doc = tiny_doc()
        doc["steps"][1]["prereqs"] = ["zeroth"]
        (msg,) = problems_of(doc)
        assert "steps[1].prereqs[0]" in msg and "requires unknown step 'zeroth'" in msg

    def test_prerequisite_cycle(self):
        doc = tiny_doc()
        doc["steps"][0]["prereqs"] = ["second"]
        (msg,) = problems_of(doc)
        assert "prerequisite cycle: first -> second -> first" in msg

    def test_unknown_key_is_reported(self):
        doc = tiny_doc()
        doc["rules"][0]["severty"] = "info"
        (msg,) = problems_of(doc)
        assert "rules[0].severty: unknown key 'severty'" in msg

    def test_preset_must_be_complete_and_known(self):
        doc = tiny_doc()
        doc["presets"][0]["selection"] = {"color": "green"}
        msgs = problems_of(doc)
        assert any("unknown option 'green' of property 'color'" in m for m in msgs)
        assert any("leaves out size" in m for m in msgs)

    def test_flow_party_must_exist(self):
        doc = tiny_doc()
        doc["flows"][0]["to"] = "nobody"
        (msg,) = problems_of(doc)
        assert "flows[0].to: unknown party 'nobody'" in msg

    def test_every_problem_is_reported_at_once(self):
        doc = tiny_doc()
        doc["rules"][0]["severity"] = "fatal"
        doc["steps"][1]["prereqs"] = ["zeroth"]
        doc["flows"][0]["kind"] = "teleport"
        assert len(problems_of(doc)) == 3

    def test_renames_of_the_wrong_type_are_each_named(self):
        doc = tiny_doc()
        doc["renames"] = {"options": ["color.red"], "steps": "first"}
        assert problems_of(doc) == [
            "t.yaml: renames.options: expected a mapping of prop.old to prop.new, found a list",
            "t.yaml: renames.steps: expected a mapping of old step id to new step id, found text",
        ]

    def test_not_a_mapping(self):
        (msg,) = problems_of(["a", "list"])  # type: ignore[arg-type]
        assert "expected a mapping, found a list" in msg


class TestFiles:
    YAML = textwrap.dedent(
        """\
        format: connectplan-catalog/1
        name: tiny
        edition: "1"
        title: Tiny
        properties:
          - id: color
            title: Color
            options:
              - {id: red, title: Red}
        rules:
          - id: r1
            condition: color.green
            severity: info
            message: hi
        steps: []
        """
    )

    def test_problem_carries_line_number(self, tmp_path):
        path = tmp_path / "cat.yaml"
        path.write_text(self.YAML)
        with pytest.raises(CatalogError) as info:
            load_catalog_file(path)
        (problem,) = info.value.problems
        assert problem.line == 12
        assert str(problem).startswith(f"{path}:12: rules[0].condition: unknown option 'green'")

    def test_yaml_syntax_error_has_line(self):
        with pytest.raises(CatalogError) as info:
            parse_catalog_text("name: [unclosed\nedition: 1\n", "bad.yaml")
        assert "YAML syntax error" in str(info.value) and info.value.problems[0].line is not None

    def test_duplicate_yaml_key(self):
        with pytest.raises(CatalogError) as info:
            parse_catalog_text(self.YAML + "steps: []\n", "dup.yaml")
        assert "duplicate key 'steps'" in str(info.value)

    def test_missing_file(self, tmp_path):
        with pytest.raises(CatalogError) as info:
            load_catalog_file(tmp_path / "nope.yaml")
        assert "no such file" in str(info.value)

    def test_json_catalog_accepted(self, tmp_path, tiny):
        import json

        path = tmp_path / "tiny.json"
        path.write_text(json.dumps(catalog_to_dict(tiny)))
        assert load_catalog_file(path) == tiny


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("step url", "javascript:alert(1)"),
        ("step url", "file:///etc/passwd"),
        ("option docs", "data:text/html,<script>x</script>"),
        ("rule source", "ftp://example.com/x"),
        ("rule source", "https://docs.stripe.com/x; vbscript:msgbox"),
    ],
)
def test_catalog_links_must_be_http_or_https(where, value):
    """Issue 10, point 7: a catalog link with another scheme is refused at validation."""
    doc = tiny_doc()
    if where == "step url":
        doc["steps"][0]["url"] = value
        path = "steps[0].url"
    elif where == "option docs":
        doc["properties"][0]["options"][0]["docs"] = ["https://docs.stripe.com/ok", value]
        path = "properties[0].options[0].docs[1]"
    else:
        doc["rules"][0]["source"] = value
        path = "rules[0].source"
    with pytest.raises(CatalogError) as info:
        catalog_from_dict(doc, source="t.yaml")
    assert [(p.path, p.message.split(",")[0]) for p in info.value.problems] == [
        (path, "expected an https:// (or http://) URL")
    ]


def test_catalog_links_accept_http_and_https_with_notes():
    doc = tiny_doc()
    doc["steps"][0]["url"] = "http://example.com/guide"
    doc["rules"][0]["source"] = "https://docs.stripe.com/a (§1); https://docs.stripe.com/b"
    assert catalog_from_dict(doc, source="t.yaml").steps[0].url == "http://example.com/guide"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("edition: 2025.10", "must be a quoted string"),
        ("edition: 2025", "must be a quoted string"),
        ("edition: ''", "must not be empty"),
    ],
)
def test_edition_must_be_a_quoted_nonempty_string(text, message):
    """Issue 10, point 9: an unquoted 2025.10 is refused, not stored as 2025.1."""
    import yaml

    body = yaml.safe_dump(tiny_doc(), sort_keys=False).replace("edition: '1'", text)
    assert text in body
    with pytest.raises(CatalogError) as info:
        parse_catalog_text(body, "t.yaml")
    assert any(p.path == "edition" and message in p.message for p in info.value.problems), info.value.problems
