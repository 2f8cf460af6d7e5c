"""API settings checked against the official ``stripe`` package's typed request params (issue 17, point 4).

Everything here runs offline: the SDK is read (its service modules and ``stripe/params``), never called.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from connectplan.catalog_files import builtin_catalog_files, builtin_revision_files, load_catalog_file
from connectplan.engine import catalog_from_dict
from connectplan.engine.catalog import ApiSetting
from connectplan.stripe_api import (
    ALLOWED,
    SDK_API_VERSION,
    SDK_VERSION,
    Allowance,
    api_settings,
    check_catalog,
    check_request,
    normalise_path,
    sdk_api_version,
    sdk_requests,
)
from tests.conftest import tiny_doc

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("stripe")


def codes(problems) -> list[tuple[str, str]]:
    return [(p.code, p.param) for p in problems]


# --- the pinned SDK ----------------------------------------------------------------------------------


def test_the_installed_sdk_is_the_pinned_one():
    """A new ``stripe`` release changes what is checked: bump SDK_VERSION, the pin and this test together."""
    import stripe
    from stripe._api_version import _ApiVersion

    assert stripe.VERSION == SDK_VERSION == "16.1.0"
    assert _ApiVersion.CURRENT == SDK_API_VERSION == sdk_api_version() == "2026-10-28.endive"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"stripe=={SDK_VERSION}"' in pyproject


def test_requests_are_read_from_the_sdks_services():
    requests = sdk_requests()
    assert len(requests) > 500  # every service of the package, not a hand-written table
    assert requests["POST", "/v2/core/accounts"] == (
        "stripe.params.v2.core._account_create_params:AccountCreateParams",
    )
    assert requests["POST", "/v1/accounts/{}/login_links"] == (
        "stripe.params._account_login_link_create_params:AccountLoginLinkCreateParams",
    )
    # f"/v2/core/events/{sanitize_id(self.id)}" style paths and "...{id}".format(...) both normalise
    assert ("GET", "/v2/core/accounts/{}") in requests
    assert ("POST", "/v1/payment_intents") in requests


def test_placeholders_match_by_position_not_name():
    assert normalise_path("/v1/accounts/{account}/login_links") == "/v1/accounts/{}/login_links"
    for path in ("/v1/accounts/{id}/login_links", "/v1/accounts/{{connected_account_id}}/login_links"):
        assert check_request("v1", "POST", path) == []
    # an invented id is not a placeholder
    assert codes(check_request("v1", "POST", "/v1/accounts/acct_123/login_links")) == [("unknown_request", "")]


def test_importing_the_module_does_not_import_stripe():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, connectplan.stripe_api; print('stripe' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    assert out.strip() == "False"


# --- requests ------------------------------------------------------------------------------------------


def test_requests_the_sdk_knows_pass():
    assert (
        check_request(
            "v2",
            "POST",
            "/v2/core/accounts",
            {
                "dashboard": "full",
                "defaults.responsibilities.fees_collector": "application",
                "defaults.responsibilities.losses_collector": "application",
                "configuration.merchant.capabilities.card_payments.requested": True,
                "include": ["configuration.merchant", "requirements"],
                "metadata.order_tier": "gold",  # Dict[str, str]: any key
                "identity.country": "{{country}}",
            },
        )
        == []
    )
    assert (
        check_request(
            "v1",
            "POST",
            "/v1/payment_intents",
            (
                ("amount", "{{amount}}"),  # a placeholder stands for any type
                ("currency", "usd"),
                ("application_fee_amount", 123),
                ("transfer_data.destination", "{{connected_account_id}}"),
                ("on_behalf_of", "{{connected_account_id}}"),
                ("capture_method", "manual"),  # Union[Literal[...], str]: an open enum, still checked
            ),
        )
        == []
    )
    assert check_request("v1", "POST", "/v1/accounts", {"controller.stripe_dashboard.type": "express"}) == []


def test_a_misspelt_name_is_named_with_the_path_and_a_suggestion():
    [problem] = check_request("v2", "POST", "/v2/core/accounts", {"dashbord": "full"})
    assert problem.code == "unknown_param" and problem.param == "dashbord"
    assert problem.message == "POST /v2/core/accounts: unknown parameter 'dashbord'; did you mean 'dashboard'?"
    [nested] = check_request("v2", "POST", "/v2/core/accounts", {"defaults.responsibilites.fees_collector": "stripe"})
    assert "no field 'responsibilites' in 'defaults'" in nested.message
    assert "did you mean 'defaults.responsibilities'?" in nested.message


def test_enum_values_are_checked_closed_and_open():
    [closed] = check_request("v2", "POST", "/v2/core/accounts", {"dashboard": "fulll"})
    assert closed.code == "unknown_value"
    assert closed.message == "POST /v2/core/accounts: 'dashboard' takes one of 'express', 'full', 'none', not 'fulll'"
    # use_case.type is Union[Literal["account_onboarding", "account_update"], str] in the SDK
    [open_enum] = check_request("v2", "POST", "/v2/core/account_links", {"use_case.type": "account_onbaording"})
    assert open_enum.code == "unknown_value" and "'account_onboarding', 'account_update'" in open_enum.message
    # enum items of a list
    assert codes(check_request("v2", "POST", "/v2/core/accounts", {"include": ["identity", "identty"]})) == [
        ("unknown_value", "include[1]")
    ]


def test_a_wrong_path_or_method_is_refused():
    [wrong] = check_request("v2", "POST", "/v2/core/acounts", {"dashboard": "full"})
    assert wrong.code == "unknown_request"
    assert wrong.message == (
        "POST /v2/core/acounts: no such request in stripe 16.1.0; did you mean POST /v2/core/accounts?"
    )
    assert codes(check_request("v2", "DELETE", "/v2/core/accounts")) == [("unknown_request", "")]
    assert codes(check_request("v1", "PATCH", "/v1/accounts")) == [("unknown_method", ""), ("unknown_request", "")]
    assert codes(check_request("v1", "POST", "/v2/core/accounts")) == [("unknown_api", "")]


@pytest.mark.parametrize(
    ("name", "value", "takes"),
    [
        ("confirm", "true", "true or false, not the string 'true'"),
        ("amount", "12", "a whole number, not the string '12'"),
        ("amount", True, "a whole number, not true/false True"),
        ("description", 5, "a string, not the number 5"),
        ("setup_future_usage", ["off_session"], "one of 'off_session', 'on_session', not a list"),
    ],
)
def test_a_wrong_type_is_refused(name, value, takes):
    [problem] = check_request("v1", "POST", "/v1/payment_intents", {name: value})
    assert problem.code == "wrong_type" and problem.message.endswith(f"'{name}' takes {takes}")


def test_objects_are_named_field_by_field_and_lists_are_given_whole():
    assert codes(check_request("v1", "POST", "/v1/payment_intents", {"transfer_data": "acct"})) == [
        ("not_a_leaf", "transfer_data")
    ]
    assert codes(check_request("v1", "POST", "/v1/payment_intents", {"transfer_data": {"destination": "x"}})) == [
        ("not_a_leaf", "transfer_data")
    ]
    # a name does not go through a list of objects: the list is the value at its own name
    [through] = check_request("v1", "POST", "/v1/checkout/sessions", {"line_items.price": "{{price}}"})
    assert through.code == "not_a_leaf" and "'line_items' is a list" in through.message
    assert codes(check_request("v1", "POST", "/v1/payment_intents", {"payment_method_options.card": 1})) == [
        ("not_a_leaf", "payment_method_options.card")
    ]


def test_list_items_that_are_objects_are_checked_field_by_field():
    body = {"mode": "payment", "line_items": [{"price": "{{price}}", "quantity": 1}, {"quantity": "2", "prise": "x"}]}
    assert codes(check_request("v1", "POST", "/v1/checkout/sessions", body)) == [
        ("wrong_type", "line_items[1].quantity"),
        ("unknown_param", "line_items[1].prise"),
    ]


def test_request_options_are_not_parameters():
    [problem] = check_request("v1", "POST", "/v1/accounts/{account}/login_links", {"stripe_account": "acct"})
    assert problem.code == "request_option" and "use stripe_account: true" in problem.message


def test_an_emptyable_parameter_takes_the_empty_string():
    # application_fee_amount is Literal[""]|int on PaymentIntent update: "" unsets it
    assert check_request("v1", "POST", "/v1/payment_intents/{intent}", {"application_fee_amount": ""}) == []
    assert codes(check_request("v1", "POST", "/v1/payment_intents/{intent}", {"application_fee_amount": "x"})) == [
        ("wrong_type", "application_fee_amount")
    ]


def test_a_whole_body_can_be_checked_for_required_parameters():
    body = {"use_case.type": "account_onboarding", "use_case.account_onboarding.return_url": "{{return_url}}"}
    assert check_request("v2", "POST", "/v2/core/account_links", body) == []  # catalog settings are partial
    assert codes(check_request("v2", "POST", "/v2/core/account_links", body, complete=True)) == [
        ("missing_param", "account"),
        ("missing_param", "use_case.account_onboarding.refresh_url"),
    ]


# --- API versions and the allow-list --------------------------------------------------------------------

DASHBOARD_LINK = {
    "account": "{{connected_account_id}}",
    "use_case.type": "account_dashboard",
    "use_case.account_dashboard.refresh_url": "{{refresh_url}}",
}


def test_allow_listed_things_need_their_api_version():
    assert (
        check_request("v2", "POST", "/v2/core/account_links", DASHBOARD_LINK, stripe_version="2026-11-18.endive") == []
    )
    missing = check_request("v2", "POST", "/v2/core/account_links", DASHBOARD_LINK)
    assert codes(missing) == [
        ("api_version", "use_case.type"),
        ("api_version", "use_case.account_dashboard.refresh_url"),
    ]
    assert "dashboard-access-use-case-account-links-v2" in missing[0].message
    assert "needs stripe_version 2026-11-18.endive or later (given: none)" in missing[0].message
    older = check_request("v2", "POST", "/v2/core/account_links", DASHBOARD_LINK, stripe_version="2026-10-28.endive")
    assert len(older) == 2
    # without the allow-list the SDK does not know them
    assert codes(check_request("v2", "POST", "/v2/core/account_links", DASHBOARD_LINK, allowed=())) == [
        ("unknown_value", "use_case.type"),
        ("unknown_param", "use_case.account_dashboard.refresh_url"),
    ]
    # an allow-listed new parameter still takes a string
    wrong = dict(DASHBOARD_LINK, **{"use_case.account_dashboard.refresh_url": True})
    assert ("wrong_type", "use_case.account_dashboard.refresh_url") in codes(
        check_request("v2", "POST", "/v2/core/account_links", wrong, stripe_version="2026-11-18.endive")
    )


def test_a_newer_api_version_needs_an_allow_listed_reason():
    [problem] = check_request(
        "v2", "POST", "/v2/core/accounts", {"dashboard": "full"}, stripe_version="2026-11-18.endive"
    )
    assert problem.code == "api_version" and "newer than the SDK's 2026-10-28.endive" in problem.message
    assert check_request("v2", "POST", "/v2/core/accounts", {"dashboard": "full"}, stripe_version=SDK_API_VERSION) == []
    # Express with Stripe liability: known values, a combination made valid at 2026-11-18.endive
    express = {"dashboard": "express", "defaults.responsibilities.losses_collector": "stripe"}
    assert check_request("v2", "POST", "/v2/core/accounts", express, stripe_version="2026-11-18.endive") == []
    assert codes(check_request("v2", "POST", "/v2/core/accounts", express)) == [("api_version", "")]
    assert codes(check_request("v2", "POST", "/v2/core/accounts", {}, stripe_version="latest")) == [("api_version", "")]


REMOVED_PMT = Allowance(
    "POST",
    "/v1/payment_intents",
    "2026-09-30.endive",
    "https://docs.stripe.com/changelog/endive/2026-09-30/"
    "removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents",
    "payment_method_types",
    takes="list of strings",
    removed=True,
)


def test_a_parameter_stripe_removed_before_the_sdk_needs_an_older_api_version():
    """An older edition may name what Stripe has since removed, through an allowance marked ``removed``."""
    old = {"payment_method_types": ["card"]}
    assert codes(check_request("v1", "POST", "/v1/payment_intents", old)) == [
        ("unknown_param", "payment_method_types")  # the SDK no longer has it, and nothing allows it
    ]
    allowed = (*ALLOWED, REMOVED_PMT)
    assert check_request("v1", "POST", "/v1/payment_intents", old, stripe_version="2024-06-20", allowed=allowed) == []
    [late] = check_request("v1", "POST", "/v1/payment_intents", old, stripe_version=SDK_API_VERSION, allowed=allowed)
    assert late.code == "api_version" and "needs a stripe_version before 2026-09-30.endive" in late.message
    [wrong] = check_request(
        "v1",
        "POST",
        "/v1/payment_intents",
        {"payment_method_types": "card"},
        stripe_version="2024-06-20",
        allowed=allowed,
    )
    assert wrong.code == "wrong_type" and "takes list of strings" in wrong.message


@pytest.mark.parametrize("entry", [*ALLOWED, REMOVED_PMT], ids=str)
def test_every_allow_list_entry_is_something_the_sdk_lacks(entry: Allowance):
    """An entry the pinned SDK already knows is an error: the list stays short and honest."""
    assert entry.changelog.startswith("https://docs.stripe.com/changelog/"), entry
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.[a-z]+", entry.api_version)
    if entry.removed:
        assert entry.api_version[:10] <= SDK_API_VERSION[:10], f"{entry} was removed after the SDK's API version"
    else:
        assert entry.api_version[:10] > SDK_API_VERSION[:10], f"{entry} is not newer than the SDK's API version"
    api = entry.path.split("/")[1]
    if entry.combination:
        # no new name: the values exist in the SDK, what is new is that they combine at this version
        assert codes(check_request(api, entry.method, entry.path, dict(entry.combination), allowed=())) == []
    elif not entry.param:
        assert codes(check_request(api, entry.method, entry.path, allowed=())) == [("unknown_request", "")]
    else:
        value = entry.value if entry.value is not None else "x"
        problems = check_request(api, entry.method, entry.path, {entry.param: value}, allowed=())
        expected = "unknown_value" if entry.value is not None else "unknown_param"
        assert codes(problems) == [(expected, entry.param)], f"the SDK already knows {entry}"


# --- catalogs ------------------------------------------------------------------------------------------


def shipped_files() -> list[Path]:
    return sorted(
        [*builtin_catalog_files(), *(p for revs in builtin_revision_files().values() for _, p in revs)],
        key=lambda p: p.name,
    )


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_every_api_setting_of_every_shipped_catalog_passes(path: Path):
    catalog = load_catalog_file(path)
    settings = [s for o in (o for p in catalog.properties for o in p.options) for s in o.api]
    settings += [s for st in catalog.steps for s in st.api]
    legacy = sum(not s.structured for s in settings)
    checked = list(api_settings(catalog))
    problems = check_catalog(catalog, path.name)
    assert problems == [], "\n".join(map(str, problems))
    print(f"{path.name}: {len(checked)} requests checked, {legacy} legacy string settings not checked")
    if settings and not legacy:
        # a structured file: its settings name requests, and every one of them was checked
        assert checked, f"{path.name} has structured API settings but none names a request"


def test_shipped_catalogs_have_api_settings():
    """Sanity for the test above: the files are found and their settings read."""
    files = shipped_files()
    assert len(files) >= 5
    assert sum(len(o.api) for p in files for prop in load_catalog_file(p).properties for o in prop.options) > 50


STRUCTURED = {
    "text": 'v2 dashboard = "full"',
    "api": "v2",
    "method": "POST",
    "path": "/v2/core/accounts",
    "params": {"dashboard": "full", "defaults.responsibilities.fees_collector": "application"},
}


def catalog_with(option_api: list, step_api: list | None = None):
    doc = tiny_doc()
    doc["properties"][0]["options"][0]["api"] = option_api
    if step_api is not None:
        doc["steps"][1]["api"] = step_api
    return catalog_from_dict(doc)


def test_a_catalog_with_correct_settings_passes():
    login = {"text": "login link", "api": "v1", "method": "POST", "path": "/v1/accounts/{account}/login_links"}
    cat = catalog_with(["legacy line", STRUCTURED, {"text": "a fact, no request"}], [login])
    assert [where for where, _ in api_settings(cat)] == ["option color.red api[1]", "step second api[0]"]
    assert check_catalog(cat) == []


def test_a_misspelt_parameter_in_a_catalog_fails_naming_file_option_path_and_name():
    bad = dict(STRUCTURED, params={"dashbord": "full"})
    [problem] = check_catalog(catalog_with([bad]), "acme.yaml")
    assert problem.code == "sdk_unknown_param"
    assert str(problem) == (
        "acme.yaml: option color.red api[0]: POST /v2/core/accounts: unknown parameter 'dashbord'; "
        "did you mean 'dashboard'?"
    )


def test_a_catalogs_wrong_enum_path_and_type_fail_on_a_step_too():
    settings = [
        dict(STRUCTURED, params={"dashboard": "expres"}),
        dict(STRUCTURED, path="/v2/core/account"),
        {
            "text": "payments component",
            "api": "v1",
            "method": "POST",
            "path": "/v1/account_sessions",
            "params": {"account": "{{connected_account_id}}", "components.payments.enabled": "yes"},
        },
    ]
    problems = check_catalog(catalog_with([], settings), "acme.yaml")
    assert [(p.path, p.code) for p in problems] == [
        ("step second api[0]", "sdk_unknown_value"),
        ("step second api[1]", "sdk_unknown_request"),
        ("step second api[2]", "sdk_wrong_type"),
    ]
    assert all(str(p).startswith("acme.yaml: step second api[") for p in problems)
    assert "'components.payments.enabled' takes true or false, not the string 'yes'" in problems[2].message


def misspelt(catalog, where: str, setting: ApiSetting):
    """``catalog`` with the first parameter name of ``setting`` (found at ``where``) misspelt."""
    name, value = setting.params[0]
    broken = dataclasses.replace(setting, params=((name + "x", value), *setting.params[1:]))

    def fixed(api):
        return tuple(broken if s is setting else s for s in api)

    if where.startswith("option "):
        props = tuple(
            dataclasses.replace(p, options=tuple(dataclasses.replace(o, api=fixed(o.api)) for o in p.options))
            for p in catalog.properties
        )
        return dataclasses.replace(catalog, properties=props)
    return dataclasses.replace(catalog, steps=tuple(dataclasses.replace(s, api=fixed(s.api)) for s in catalog.steps))


@pytest.mark.parametrize("source", ["shipped", "option", "step"])
def test_a_loaded_setting_mutated_to_a_misspelt_name_fails(source):
    """Misspelling a name of a loaded setting is caught: in the newest shipped file once its settings are
    structured (until then the test falls back to an in-memory catalog), on an option and on a step."""
    path = builtin_catalog_files()[-1]
    catalog = load_catalog_file(path) if source == "shipped" else None
    if catalog is None or not any(api_settings(catalog)):
        catalog = catalog_with([STRUCTURED]) if source != "step" else catalog_with([], [STRUCTURED])
    where, setting = next(iter(api_settings(catalog)))
    problems = check_catalog(misspelt(catalog, where, setting), path.name)
    assert [(p.path, p.code) for p in problems] == [(where, "sdk_unknown_param")]
    name = setting.params[0][0]
    assert problems[0].message.startswith(f"{setting.method} {setting.path}: unknown parameter '{name}x'")
    assert str(problems[0]).startswith(f"{path.name}: {where}: ")


def test_api_setting_records_are_what_the_check_reads():
    setting = ApiSetting("x", "v1", "POST", "/v1/accounts", (("type", "express"),))
    assert check_request(setting.api, setting.method, setting.path, setting.params) == []
