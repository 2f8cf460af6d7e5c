"""``connectplan verify`` (issue 21, points 3 and 4): the real ``stripe`` package against a local server.

tests/stripe_server.py answers on 127.0.0.1 with accounts written for these tests (v1 and v2,
several pages, one matching account and one drifting in each checked field, one of an unknown
shape) and with Stripe-style errors; it validates every request the SDK sends against the SDK's
typed parameters, and each test asserts none failed. No test reaches the network.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import pytest
import stripe
from click.testing import CliRunner
from pg import sqlite_store
from stripe_server import FakeStripe

from connectplan.cli import cli
from connectplan.engine.drift import AccountExpectations, Expectation, account_expectations, compare_account
from connectplan.verify import API_BASE_ENV, KEY_ENV
from connectplan.workspace import open_workspace

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from connectplan.workspace import Workspace

#: a key nobody could miss in any output
KEY = "sk_test_51VERIFYkeyMUSTneverBEprinted0xC0FFEE"

V2_PLAN = ("market26", "stripe-connect@2026-12", {"payout_schedule": "manual"})
V1_PLAN = ("market24", "stripe-connect@2024", {})


def v2_account(ident: str, **changes: Any) -> dict[str, Any]:
    """A v2 account (``GET /v2/core/accounts/{id}`` with every include) that matches the v2 plan, then ``changes``
    (dotted paths -> values)."""
    doc: dict[str, Any] = {
        "id": ident,
        "object": "v2.core.account",
        "applied_configurations": ["recipient"],
        "closed": False,
        "contact_email": f"{ident}@example.com",
        "created": "2026-11-20T10:00:00.000Z",
        "dashboard": "express",
        "display_name": ident,
        "livemode": False,
        "metadata": {},
        "configuration": {
            "customer": None,
            "merchant": None,
            "recipient": {
                "applied": True,
                "capabilities": {"stripe_balance": {"stripe_transfers": {"status": "active", "status_details": []}}},
            },
        },
        "defaults": {
            "currency": "usd",
            "locales": ["en-US"],
            "responsibilities": {
                "fees_collector": "application",
                "losses_collector": "application",
                "requirements_collector": "stripe",
            },
        },
        "identity": {"country": "us", "entity_type": "company"},
        "requirements": {"entries": [], "summary": {"minimum_deadline": None}},
    }
    return _changed(doc, changes)


def balance_settings(**changes: Any) -> dict[str, Any]:
    doc = {
        "object": "balance_settings",
        "payments": {
            "debit_negative_balances": True,
            "payouts": {"minimum_balance_by_currency": {}, "schedule": {"interval": "manual"}, "status": "enabled"},
            "settlement_timing": {"delay_days": 2},
        },
    }
    return _changed(doc, changes)


def v1_account(ident: str, **changes: Any) -> dict[str, Any]:
    """A v1 account (``GET /v1/accounts``) that matches the v1 plan, then ``changes``."""
    doc: dict[str, Any] = {
        "id": ident,
        "object": "account",
        "type": "none",
        "country": "US",
        "default_currency": "usd",
        "email": f"{ident}@example.com",
        "created": 1764547200,
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
        "livemode": False,
        "metadata": {},
        "capabilities": {"transfers": "active"},
        "controller": {
            "type": "application",
            "is_controller": True,
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
            "stripe_dashboard": {"type": "express"},
        },
        "settings": {
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            }
        },
        "tos_acceptance": {"service_agreement": "full"},
    }
    return _changed(doc, changes)


def _changed(doc: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = doc
        for p in parents:
            node = node[p]
        node[leaf] = value
    return doc


V2_ACCOUNTS = [
    v2_account("acct_v2_match"),
    v2_account("acct_v2_dashboard", dashboard="full"),
    v2_account("acct_v2_fees", defaults__responsibilities__fees_collector="stripe"),
    v2_account("acct_v2_losses", defaults__responsibilities__losses_collector="stripe"),
    v2_account("acct_v2_requirements", defaults__responsibilities__requirements_collector="application"),
    v2_account(
        "acct_v2_configuration",
        applied_configurations=["merchant"],
        configuration__recipient=None,
        configuration__merchant={
            "applied": True,
            "capabilities": {"card_payments": {"status": "active", "status_details": []}},
        },
    ),
    v2_account("acct_v2_payouts"),
    {"id": "acct_v2_odd", "object": "v2.core.account_preview", "created": "2026-11-20T10:00:00.000Z"},
]
BALANCE = {a["id"]: balance_settings() for a in V2_ACCOUNTS}
BALANCE["acct_v2_payouts"] = balance_settings(
    payments__debit_negative_balances=False, payments__payouts={"schedule": {"interval": "daily"}, "status": "enabled"}
)
V1_ACCOUNTS = [
    v1_account("acct_v1_match"),
    v1_account("acct_v1_dashboard", controller__stripe_dashboard={"type": "full"}),
    v1_account("acct_v1_fees", controller__fees={"payer": "application_express"}),
    v1_account("acct_v1_losses", controller__losses={"payments": "stripe"}),
    v1_account("acct_v1_requirements", controller__requirement_collection="application"),
    v1_account("acct_v1_capability", capabilities={"card_payments": "active"}),
    v1_account(
        "acct_v1_payouts", settings__payouts={"debit_negative_balances": False, "schedule": {"interval": "daily"}}
    ),
    {"id": "ba_v1_odd", "object": "bank_account", "last4": "6789", "status": "new"},
]

DEST = ("option charge_type.destination", "step add_recipient_configuration")
#: (account, status, [(field, plan, account, needed by)]) for the v2 plan, sorted by account id
V2_EXPECTED = [
    (
        "acct_v2_configuration",
        "drift",
        [
            ("applied_configurations", "recipient", ["merchant"], DEST),
            (
                "configuration.recipient.capabilities.stripe_balance.stripe_transfers",
                "requested",
                "not requested",
                DEST,
            ),
        ],
    ),
    ("acct_v2_dashboard", "drift", [("dashboard", "express", "full", ("option dashboard.express",))]),
    (
        "acct_v2_fees",
        "drift",
        [("defaults.responsibilities.fees_collector", "application", "stripe", ("option fee_payer.platform",))],
    ),
    (
        "acct_v2_losses",
        "drift",
        [("defaults.responsibilities.losses_collector", "application", "stripe", ("option liability.platform",))],
    ),
    ("acct_v2_match", "match", []),
    ("acct_v2_odd", "unknown", []),
    (
        "acct_v2_payouts",
        "drift",
        [
            (
                "balance_settings.payments.debit_negative_balances",
                True,
                False,
                ("step platform_negative_balance_liability",),
            ),
            (
                "balance_settings.payments.payouts.schedule.interval",
                "manual",
                "daily",
                ("option payout_schedule.manual", "step run_manual_payouts"),
            ),
        ],
    ),
    (
        "acct_v2_requirements",
        "drift",
        [
            (
                "defaults.responsibilities.requirements_collector",
                "stripe",
                "application",
                ("rule platform_collects_requirements",),
            )
        ],
    ),
]
V1_EXPECTED = [
    (
        "acct_v1_capability",
        "drift",
        [("capabilities.transfers", "requested", "not requested", ("option charge_type.destination",))],
    ),
    (
        "acct_v1_dashboard",
        "drift",
        [("controller.stripe_dashboard.type", "express", "full", ("option dashboard.express",))],
    ),
    (
        "acct_v1_fees",
        "drift",
        [("controller.fees.payer", "application", "application_express", ("option fee_payer.platform",))],
    ),
    (
        "acct_v1_losses",
        "drift",
        [("controller.losses.payments", "application", "stripe", ("option liability.platform",))],
    ),
    ("acct_v1_match", "match", []),
    (
        "acct_v1_payouts",
        "drift",
        [("settings.payouts.debit_negative_balances", True, False, ("step platform_negative_balance_liability",))],
    ),
    (
        "acct_v1_requirements",
        "drift",
        [("controller.requirement_collection", "stripe", "application", ("rule platform_collects_requirements",))],
    ),
    ("ba_v1_odd", "unknown", []),
]


def _rows(report: Any) -> list[tuple[str, str, list[tuple[Any, ...]]]]:
    return [
        (c.account, c.status, [(d.field, d.expected, d.actual, d.needed_by) for d in c.differences])
        for c in report.checks
    ]


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's backoff, shortened (its retries still happen: the tests count the requests)."""
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe._http_client.HTTPClient, "MAX_DELAY", 0.02)


@pytest.fixture
def server() -> Iterator[FakeStripe]:
    with FakeStripe(key=KEY, v1_accounts=V1_ACCOUNTS, v2_accounts=V2_ACCOUNTS, balance_settings=BALANCE) as srv:
        yield srv
    assert srv.invalid == [], "requests the SDK's typed parameters refuse"


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = sqlite_store(tmp_path / "plans.db")
    with open_workspace(url) as ws:
        for name, catalog, sets in (V2_PLAN, V1_PLAN):
            ws.new_plan(name, catalog=catalog, preset="marketplace", set=sets, message="for verify")
    return url


@pytest.fixture
def ws(db: str) -> Iterator[Workspace]:
    with open_workspace(db) as w:
        yield w


def client(server: FakeStripe, key: str = KEY) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": server.base}, max_network_retries=2)


# -- the Python API ----------------------------------------------------------------------------


def test_v2_accounts_drift_exactly_as_seeded(ws: Workspace, server: FakeStripe) -> None:
    report = ws.verify("market26", client=client(server))
    assert _rows(report) == V2_EXPECTED
    assert report.counts == {"accounts": 8, "match": 1, "drift": 6, "unknown": 1}
    assert report.ref == "market26@1"
    odd = next(c for c in report.checks if c.account == "acct_v2_odd")
    assert odd.unjudged == ("object is 'v2.core.account_preview', not 'v2.core.account' (an unknown shape)",)
    lists = [p for m, path, p in server.requests if path == "/v2/core/accounts"]
    assert len(lists) == 4  # 8 accounts, 2 a page: the SDK followed next_page_url three times
    include = [p["include"] for m, path, p in server.requests if path == "/v2/core/accounts/acct_v2_fees"]
    assert include == [
        ["configuration.customer", "configuration.merchant", "configuration.recipient", "defaults", "requirements"]
    ]
    assert sum(path == "/v1/balance_settings" for _, path, _ in server.requests) == 7  # not for the unknown shape


def test_v1_accounts_drift_exactly_as_seeded(ws: Workspace, server: FakeStripe) -> None:
    report = ws.verify("market24", client=client(server))
    assert _rows(report) == V1_EXPECTED
    assert report.expectations.api == "v1"
    pages = [p for _, path, p in server.requests if path == "/v1/accounts"]
    assert [p.get("starting_after") for p in pages] == [
        None,
        "acct_v1_dashboard",
        "acct_v1_losses",
        "acct_v1_capability",
    ]
    assert not any(path.startswith("/v2/") for _, path, _ in server.requests)


def test_limit_and_one_account(ws: Workspace, server: FakeStripe) -> None:
    report = ws.verify("market26", client=client(server), limit=3)
    assert [c.account for c in report.checks] == ["acct_v2_dashboard", "acct_v2_fees", "acct_v2_match"]
    server.requests.clear()
    one = ws.verify("market26", client=client(server), account="acct_v2_fees")
    assert _rows(one) == [V2_EXPECTED[2]]
    assert [path for _, path, _ in server.requests] == ["/v2/core/accounts/acct_v2_fees", "/v1/balance_settings"]
    v1 = ws.verify("market24", client=client(server), account="acct_v1_losses")
    assert _rows(v1) == [V1_EXPECTED[3]]


def test_progress_is_called_per_account(ws: Workspace, server: FakeStripe) -> None:
    seen: list[int] = []
    ws.verify("market24", client=client(server), progress=seen.append)
    assert seen == list(range(1, 9))


# -- the command line --------------------------------------------------------------------------


def run(db: str, server: FakeStripe, *args: str, env: dict[str, str | None] | None = None) -> Any:
    environ: dict[str, str | None] = {KEY_ENV: KEY, API_BASE_ENV: server.base, **(env or {})}
    result = CliRunner().invoke(cli, ["--db", db, "verify", *args], env=environ)
    for text in (result.stdout, result.stderr):
        assert KEY not in text and KEY[8:] not in text, "the key was printed"
    return result


def test_cli_text_report_counts_first(db: str, server: FakeStripe) -> None:
    result = run(db, server, "market26")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "market26@1: 8 accounts checked: 1 match, 6 drift, 1 cannot judge"
    assert lines[1] == "catalog stripe-connect@2026-12 (Accounts v2)"
    assert '  dashboard = "express"  (option dashboard.express)' in lines
    assert '    dashboard: plan "express", account "full"  (option dashboard.express)' in lines
    assert lines.index("Drift:") < lines.index("Cannot judge:") < lines.index("Match:")
    assert result.stderr == ""  # no terminal: no progress line


def test_cli_json_and_fail_on_drift(db: str, server: FakeStripe) -> None:
    result = run(db, server, "market24", "--format", "json", "--fail-on", "drift")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert list(doc) == ["plan", "catalog", "summary", "api", "expectations", "ambiguous", "accounts"]
    with open_workspace(db) as ws:
        newest = ws.catalog("stripe-connect@2024").revision
    # the catalog as every other JSON document names it: the exact revision the plan is pinned to
    assert doc["catalog"] == {"name": "stripe-connect", "edition": "2024", "revision": newest}
    assert doc["summary"] == {"accounts": 8, "match": 1, "drift": 6, "unknown": 1}
    got = [
        (
            a["account"],
            a["status"],
            [(d["field"], d["plan"], d["account"], tuple(d["needed_by"])) for d in a["differences"]],
        )
        for a in doc["accounts"]
    ]
    assert got == V1_EXPECTED
    assert run(db, server, "market24", "--fail-on", "never").exit_code == 0


def test_cli_fail_on_drift_passes_when_every_account_matches(db: str) -> None:
    accounts = [v2_account("acct_a"), v2_account("acct_b"), v2_account("acct_c")]
    settings = {a["id"]: balance_settings() for a in accounts}
    with FakeStripe(key=KEY, v2_accounts=accounts, balance_settings=settings) as srv:
        result = run(db, srv, "market26", "--fail-on", "drift")
    assert srv.invalid == []
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("market26@1: 3 accounts checked: 3 match, 0 drift, 0 cannot judge\n")


@pytest.mark.parametrize(
    ("fail", "code", "words"),
    [
        ("401", 2, "Error: Stripe refused the API key (HTTP 401); check STRIPE_API_KEY or --api-key-file"),
        ("403", 2, "Error: the API key may not read connected accounts (HTTP 403); use a secret key or a restricted"),
        ("500", 3, "Error: Stripe answered with an error after 3 retries (HTTP 500); try again later"),
        ("429", 3, "Error: Stripe is still rate-limiting after 3 retries (HTTP 429); try again later"),
        ("drop", 3, "Error: cannot reach Stripe after 3 retries (connection failed); check the network and retry"),
    ],
)
def test_cli_errors_are_one_line(db: str, server: FakeStripe, fail: str, code: int, words: str) -> None:
    server.fail = fail
    result = run(db, server, "market26")
    assert result.exit_code == code
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(words), result.stderr
    assert "Traceback" not in result.stderr
    retried = {"401": 1, "403": 1, "429": 4, "500": 4, "drop": 4}[fail]  # 4: the first try and the SDK's 3 retries
    assert len(server.requests) == retried


@pytest.mark.parametrize(("fail", "sent"), [("429-once", 1), ("429-twice", 2)])
def test_cli_rate_limit_is_retried_then_succeeds(db: str, server: FakeStripe, fail: str, sent: int) -> None:
    """With or without Stripe's ``Stripe-Should-Retry: true``, a 429 is retried with the SDK's backoff."""
    server.fail = fail
    result = run(db, server, "market24", "--limit", "2")
    assert result.exit_code == 0, result.stderr
    assert server.failures_sent == sent
    paths = [path for _, path, _ in server.requests]
    assert paths[: sent + 1] == ["/v1/accounts"] * (sent + 1)  # the same page, again
    assert result.stdout.startswith("market24@1: 2 accounts checked:")


def test_cli_wrong_key_and_unknown_account(db: str, server: FakeStripe) -> None:
    other = "sk_test_51ANOTHERkeyTHATstripeREFUSES000000"
    result = run(db, server, "market26", env={KEY_ENV: other})
    assert result.exit_code == 2 and other not in result.stderr + result.stdout
    missing = run(db, server, "market26", "--account", "acct_nobody")
    assert missing.exit_code == 2
    assert missing.stderr == "Error: Stripe has no connected account 'acct_nobody' on this platform (HTTP 404)\n"


def test_key_sources_and_refusals(db: str, server: FakeStripe, tmp_path: Path) -> None:
    key_file = tmp_path / "stripe-key"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    assert run(db, server, "market24", "--api-key-file", str(key_file), env={KEY_ENV: None}).exit_code == 0
    on_argv = run(db, server, "market24", "--api-key", KEY)
    assert on_argv.exit_code == 2
    assert on_argv.stderr.startswith("Error: an API key on the command line is visible to every user (ps);")
    none = run(db, server, "market24", env={KEY_ENV: None})
    assert none.exit_code == 2 and "set STRIPE_API_KEY or pass --api-key-file FILE" in none.stderr
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    assert run(db, server, "market24", "--api-key-file", str(empty)).exit_code == 2
    live = "rk_live_51LIVEkeyNEEDSlive00000000000000"
    server.key = live
    server.requests.clear()
    refused = run(db, server, "market24", env={KEY_ENV: live})
    assert refused.exit_code == 2
    assert refused.stderr == "Error: the Stripe API key is a live-mode key; pass --live to check live accounts\n"
    assert server.requests == []  # refused before any request
    allowed = run(db, server, "market24", "--live", env={KEY_ENV: live})
    assert allowed.exit_code == 0 and live not in allowed.stdout + allowed.stderr


def test_a_plan_without_accounts_and_an_unknown_plan(db: str, server: FakeStripe) -> None:
    assert run(db, server, "nope@1").exit_code == 2
    assert server.requests == []


def test_missing_stripe_package_is_one_line_exit_3(
    db: str, server: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "stripe", None)  # `import stripe` raises ImportError
    result = run(db, server, "market26")
    assert result.exit_code == 3
    assert result.stderr == (
        "Error: verify needs the official stripe package, which is not installed; pip install 'connectplan[stripe]'\n"
    )


def test_progress_line_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from connectplan.commands.verify import PROGRESS_AFTER, _progress

    show = _progress(20)
    for n in range(1, 21):
        show(n)
    show(-1)
    err = capsys.readouterr().err
    assert err.count("\r") == 20 - PROGRESS_AFTER + 2
    assert "[###############...............] 10/20" in err and "20/20" in err
    quiet = _progress(None)
    quiet(3)
    quiet(-1)
    assert capsys.readouterr().err == ""  # a few accounts: nothing shown


# -- the comparison, pure ----------------------------------------------------------------------


def test_compare_cannot_judge_shapes_and_missing_fields() -> None:
    expected = AccountExpectations(
        "v2",
        (
            Expectation("dashboard", "express", needed_by=("option dashboard.express",)),
            Expectation(
                "defaults.responsibilities.fees_collector", "application", needed_by=("option fee_payer.platform",)
            ),
        ),
    )
    assert compare_account(["acct_1"], expected).unjudged == ("not an account object but list",)
    assert compare_account({"object": "v2.core.account"}, expected).unjudged == ("the object has no id",)
    partial = compare_account({"id": "acct_1", "object": "v2.core.account", "dashboard": "express"}, expected)
    assert (partial.status, partial.unjudged) == (
        "unknown",
        ("defaults.responsibilities.fees_collector: not in the response (a parent object is missing or not included)",),
    )
    drift = compare_account({"id": "acct_1", "object": "v2.core.account", "dashboard": None}, expected)
    assert drift.status == "drift" and drift.differences[0].actual is None and len(drift.unjudged) == 1


def test_the_deciding_option_wins_over_a_note_about_a_combination(ws: Workspace) -> None:
    """stripe-connect@2026's dashboard.express notes ``losses_collector = stripe`` (a combination that needs
    2026-11-18.endive); a plan with platform liability still expects ``application``."""
    res = ws.resolve(catalog="stripe-connect@2026", preset="marketplace")
    expected = account_expectations(res)
    assert expected is not None and expected.ambiguous == ()
    losses = [e for e in expected.expectations if e.field == "defaults.responsibilities.losses_collector"]
    assert [(e.value, e.needed_by) for e in losses] == [("application", ("option liability.platform",))]


# -- the documentation -------------------------------------------------------------------------


def test_documented_verify_lines_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``connectplan verify`` line of README.md and docs/*.md, and verify's help example, run
    against the local server (tests/test_docs.py parses them only: they need a key and Stripe)."""
    from test_docs import PAGES, _commands, help_examples, page_lines

    monkeypatch.chdir(tmp_path)
    doc_key = "sk_test_your_key"
    (tmp_path / "stripe-key.txt").write_text(doc_key + "\n", encoding="utf-8")
    lines = [line.text for page in PAGES for line in page_lines(page) if " verify " in f" {line.text} "]
    lines += [example for path, example in help_examples() if path == "verify"]
    assert len(lines) >= 5
    accounts = [v2_account("acct_1Nv0FGQ9RKHgCVdK"), v2_account("acct_1Nv0FGQ9RKHgCVdL")]
    db = f"sqlite:///{tmp_path / 'docs.db'}"
    with FakeStripe(
        key=doc_key, v2_accounts=accounts, balance_settings={a["id"]: balance_settings() for a in accounts}
    ) as srv:
        with open_workspace(db) as w:
            w.new_plan("acme-marketplace", preset="marketplace", message="first cut")
        ran: list[str] = []
        for text in lines:
            for argv, env in _commands(text):
                environ = {API_BASE_ENV: srv.base, KEY_ENV: None, "CONNECTPLAN_DATABASE_URL": db, **env}
                if argv[0] != "verify":
                    continue
                result = CliRunner().invoke(cli, argv, env=environ)
                assert result.exit_code == 0, f"{text}: {result.stderr}"
                assert "acme-marketplace@1" in result.stdout.splitlines()[0] + result.stdout.splitlines()[1], text
                ran.append(text)
    assert srv.invalid == []
    assert ran == lines  # each documented line ran once


def test_the_command_line_loads_stripe_only_when_verify_runs() -> None:
    import subprocess
    import sys

    code = (
        "import sys, connectplan.cli, connectplan.commands.verify, connectplan.verify, connectplan.output.verify\n"
        "from click.testing import CliRunner\n"
        "CliRunner().invoke(connectplan.cli.cli, ['verify', '--help'])\n"
        "print('stripe' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_sdks_own_debug_log_does_not_show_the_key(
    db: str, server: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe, "log", "debug")  # what STRIPE_LOG=debug sets when stripe is imported
    result = run(db, server, "market24", "--limit", "1")  # run() checks every output for the key
    assert result.exit_code == 0
    assert "Request to Stripe api" in result.stderr  # the SDK did log, to standard error


def test_every_preset_of_every_edition_has_unambiguous_expectations(ws: Workspace) -> None:
    fields = set()
    for edition in ("2024", "2025", "2026", "2026-12"):
        _catalog, presets = ws.presets(f"stripe-connect@{edition}")
        for res in presets:
            expected = account_expectations(res)
            assert expected is not None and expected.api == ("v1" if edition == "2024" else "v2")
            if res.verdict not in ("blocked", "out_of_scope"):
                assert expected.ambiguous == (), (edition, res.selection)
            fields |= {e.field.split(".")[0] for e in expected.expectations}
    assert fields == {
        "applied_configurations",
        "balance_settings",
        "capabilities",
        "configuration",
        "controller",
        "dashboard",
        "defaults",
        "settings",
    }


def test_api_onboarding_on_v1_makes_the_platform_collect_requirements(ws: Workspace) -> None:
    res = ws.resolve(
        catalog="stripe-connect@2024", preset="marketplace", set={"onboarding": "api", "dashboard": "none"}
    )
    expected = account_expectations(res)
    assert expected is not None
    [req] = [e for e in expected.expectations if e.field == "controller.requirement_collection"]
    assert (req.value, req.needed_by) == (
        "application",
        ("option onboarding.api", "rule platform_collects_requirements"),
    )


def test_what_stripe_answers_is_escaped_in_the_report(db: str) -> None:
    hostile = v1_account("acct_\x1b[2Jevil", controller__stripe_dashboard={"type": "full\u202e\r"})
    with FakeStripe(key=KEY, v1_accounts=[hostile]) as srv:
        text = run(db, srv, "market24").stdout
        doc = run(db, srv, "market24", "--format", "json").stdout
    for out in (text, doc):
        assert "\x1b" not in out and "\u202e" not in out and "\r" not in out
    assert "acct_\\x1b[2Jevil" in text and '"full\\u202e\\r"' in text


def test_json_names_the_revision_the_plan_is_pinned_to_not_the_newest(
    db: str, server: FakeStripe, tmp_path: Path
) -> None:
    import yaml

    from connectplan.catalog_files import BUILTIN_DIR

    with open_workspace(db) as ws:
        pinned = ws.version("market24").catalog_revision
        doc = yaml.safe_load((BUILTIN_DIR / "stripe-connect@2024.yaml").read_text(encoding="utf-8"))
        assert doc["revision"] == pinned  # the plan was saved on the newest shipped revision
        doc["revision"] = pinned + 1  # a correction imported after the plan was saved
        doc["changelog"].append({"revision": pinned + 1, "date": "2026-12-07", "changes": ["a test correction"]})
        corrected = tmp_path / "stripe-connect@2024.next.yaml"
        corrected.write_text(yaml.safe_dump(doc), encoding="utf-8")
        _, created = ws.import_catalog(corrected)
        assert created
    result = run(db, server, "market24", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["catalog"] == {"name": "stripe-connect", "edition": "2024", "revision": pinned}
    text = run(db, server, "market24").stdout.splitlines()
    assert text[1].startswith("catalog stripe-connect@2024 (Accounts v1")  # the text report keeps NAME@EDITION
