"""Issue 18, points 3 and 4: errors with a kind, answered by each edge in its own words and code.

The CLI exits 2 (bad input, not found, conflict), 1 (refused by the save policy) or 3 (unavailable);
the web answers 400 / 404 / 409 / 422 / 503 with no command-line flag in its words, and the JSON
twins ``{"error": {"kind", "message"}}``.
"""

from __future__ import annotations

import json

import pytest
from webapp import client_for, new_store, post

from connectplan import open_workspace
from connectplan.cli import EXIT_CODES, cli
from connectplan.db.errors import ConflictError, DatabaseError, NotFoundError, SchemaError, StoreError
from connectplan.engine.errors import KINDS, ConnectplanError
from connectplan.store_words import worded
from connectplan.visualize.render import INSTALL_HINT, RenderError
from connectplan.web.errors import STATUS, web_message

SAAS = {"onboarding": "hosted", "dashboard": "full", "charge_type": "direct", "fee_payer": "connected_account"}


def test_every_kind_has_an_exit_code_and_a_status():
    assert set(EXIT_CODES) == set(KINDS) == set(STATUS)
    assert [EXIT_CODES[k] for k in KINDS] == [2, 2, 2, 1, 3]
    assert [STATUS[k] for k in KINDS] == [400, 404, 409, 422, 503]


def test_error_classes_carry_their_kind():
    assert NotFoundError("x").kind == "not_found"
    assert ConflictError("x").kind == "conflict"
    assert DatabaseError.of_failure("s", "server_gone", "server closed the connection").kind == "unavailable"
    assert DatabaseError.of_failure("s", "value_too_long", "value too long").kind == "invalid_input"
    assert RenderError(INSTALL_HINT, kind="unavailable").kind == "unavailable"
    assert StoreError("x").kind == "invalid_input"
    with pytest.raises(ValueError):
        ConnectplanError("x", kind="nonsense")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    url = new_store(tmp_path_factory.mktemp("kinds"))
    with open_workspace(url) as ws:
        ws.new_plan("acme", catalog="stripe-connect@2024", set={**SAAS, "liability": "stripe"})
        ws.new_plan("beta", catalog="stripe-connect@2024", set={**SAAS, "liability": "stripe"})
        ws.tag("acme@1", "v1")
    return url


def _errors(ws):
    """One error of every kind, raised through the Workspace."""
    found = {}
    for kind, call in [
        ("invalid_input", lambda: ws.resolve(catalog="stripe-connect@2024", set={"dashboard": "bogus"})),
        ("not_found", lambda: ws.plan("no-such-plan")),
        ("conflict", lambda: ws.tag("acme@latest", "v1") and ws.tag("beta@1", "v1") and ws.new_plan("acme", set=SAAS)),
        (
            "refused",
            lambda: ws.new_plan("risky", catalog="stripe-connect@2024", set={**SAAS, "liability": "platform"}),
        ),
    ]:
        with pytest.raises(ConnectplanError) as info:
            call()
        found[kind] = info.value
    found["unavailable"] = worded(DatabaseError.of_failure("sqlite:///x.db", "locked", "database is locked"))
    found["unavailable-dot"] = RenderError(INSTALL_HINT, kind="unavailable")
    found["unavailable-schema"] = SchemaError(
        "cannot use store x: connection refused; pass another --db", kind="unavailable"
    )
    found["set"] = StoreError("nothing to set", fix="choose_option", hint="pass at least one --set PROPERTY=OPTION")
    found["to"] = ConnectplanError(
        "acme@1 is already on x", fix="other_edition", hint="name a different edition with --to"
    )
    found["force"] = ConflictError("tag 'v1' already names acme@1", fix="move_tag", hint="pass --force to move it")
    return found


def test_every_kind_on_both_edges(store):
    """The CLI words name flags; the web's never do (a test greps every web message for ``--``)."""
    with open_workspace(store) as ws:
        errors = _errors(ws)
    for name, exc in errors.items():
        kind = name.split("-")[0] if name.split("-")[0] in KINDS else exc.kind
        assert exc.kind == kind, (name, exc.kind)
        text = web_message(exc)
        assert "--" not in text and "connectplan " not in text, (name, text)
        assert "\n" not in text
    assert "--force" in str(errors["force"]) and "move it if it exists" in web_message(errors["force"])
    assert "--set" in str(errors["set"]) and "--to" in str(errors["to"])


def test_cli_exit_codes_by_kind(store, runner, tmp_path):
    bad = runner.invoke(cli, ["--db", store, "resolve", "--catalog", "stripe-connect@2024", "--set", "dashboard=bogus"])
    assert bad.exit_code == 2
    missing = runner.invoke(cli, ["--db", store, "plan", "show", "no-such-plan"])
    assert missing.exit_code == 2 and "connectplan plan new" in missing.stderr
    refused = runner.invoke(
        cli,
        ["--db", store, "plan", "new", "risky", "--catalog", "stripe-connect@2024"]
        + [a for p, o in {**SAAS, "liability": "platform"}.items() for a in ("--set", f"{p}={o}")],
    )
    assert refused.exit_code == 1 and "--allow-blocked" in refused.stderr
    taken = runner.invoke(cli, ["--db", store, "plan", "fork", "acme", "beta"])
    assert taken.exit_code == 2 and "already exists" in taken.stderr  # a conflict
    gone = runner.invoke(cli, ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "plan", "list"])
    assert gone.exit_code == 3, gone.output


def test_web_statuses_by_kind(store):
    with client_for(store) as tc:
        assert tc.get("/versions/no-such-plan").status_code == 404  # an unknown plan is a 404, not a 400
        assert tc.get("/plans/no-such-plan").status_code == 404
        unknown = tc.get("/api/plans/no-such-plan")
        assert unknown.status_code == 404 and json.loads(unknown.text)["error"]["kind"] == "not_found"
        assert "--" not in json.loads(unknown.text)["error"]["message"]
        bad = tc.get("/?catalog=stripe-connect@2024&dashboard=bogus&liability=stripe")
        assert bad.status_code == 400
        assert "/?catalog=stripe-connect%402024&amp;liability=stripe" in bad.text or "dashboard=bogus" not in bad.text
        taken = post(tc, "/plans/acme/tag", {"ref": "acme@latest", "tag": "v1"})
        assert taken.status_code in (303, 409)
        dup = post(tc, "/plans", {"name": "acme", "catalog": "stripe-connect@2024", **SAAS, "liability": "stripe"})
        assert dup.status_code == 409 and "--" not in dup.text.split("<main", 1)[-1].split("</main>")[0]
        risky = post(tc, "/plans", {"name": "risky", "catalog": "stripe-connect@2024", **SAAS, "liability": "platform"})
        assert risky.status_code == 422 and "save even if blocked" in risky.text


def test_web_tag_acts_on_the_paths_plan(store):
    """Reproduction: ``POST /plans/acme/tag`` with ``ref=beta@1`` tagged beta@1; a mismatch is refused now."""
    with client_for(store) as tc:
        wrong = post(tc, "/plans/acme/tag", {"ref": "beta@1", "tag": "crossed"})
        assert wrong.status_code == 400 and "not a version of plan acme" in wrong.text
        assert "Check the field “version”" in wrong.text  # the web names its form field
        fork = post(tc, "/plans/acme/fork", {"ref": "beta@1", "new_name": "gamma"})
        assert fork.status_code == 400
        ok = post(tc, "/plans/acme/tag", {"ref": "acme@1", "tag": "reviewed"})
        assert ok.status_code == 303
    with open_workspace(store) as ws:
        assert "crossed" not in ws.version("beta@1").tags and "reviewed" in ws.version("acme@1").tags
        with pytest.raises(NotFoundError):
            ws.version("gamma")


def test_web_save_without_author_is_not_the_servers_user(store, monkeypatch):
    """Reproduction: a web save with no author was recorded as the server process's ``$USER``."""
    monkeypatch.setenv("USER", "server-process-user")
    with client_for(store) as tc:
        saved = post(tc, "/plans", {"name": "anon", "catalog": "stripe-connect@2024", **SAAS, "liability": "stripe"})
        assert saved.status_code == 303, saved.text[:300]
    with open_workspace(store) as ws:
        assert ws.version("anon").author == "web"
