"""Issue 18, point 8: a save resolves and applies the save policy outside any write transaction.

Every statement a save sends is recorded with whether a write transaction (the store's
``BEGIN IMMEDIATE`` engine on SQLite; its write engine on PostgreSQL) was open, and so is every
call to the resolution and the save policy. Inside the write transaction only the short inserts
the unique keys guard may run; the policy and the resolution must run before it begins, and a
save the policy refuses must never begin one. Moving the policy check (or any read) back inside
the transaction fails these tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from connectplan import store as store_module
from connectplan.errors import VerdictRefusedError
from connectplan.save_policy import SavePolicy
from connectplan.workspace import open_workspace

#: the execution option that marks the store's write engine (db.session.write_engine)
WRITE_OPTION = "connectplan_immediate"


@dataclass
class Audit:
    """What ran, in order: ``("sql", statement, in_write)`` and ``("call", name, in_write)``."""

    open_writes: set[int] = field(default_factory=set)
    events: list[tuple[str, str, bool]] = field(default_factory=list)
    writes_begun: int = 0
    verdicts: dict[Any, Any] = field(default_factory=dict)  # the store's remembered verdicts

    @property
    def in_write(self) -> bool:
        return bool(self.open_writes)

    def written(self) -> list[str]:
        """The statements sent inside a write transaction (its BEGIN left out)."""
        return [s for kind, s, inside in self.events if kind == "sql" and inside and not s.startswith("BEGIN")]

    def calls(self) -> list[tuple[str, bool]]:
        return [(name, inside) for kind, name, inside in self.events if kind == "call"]

    def reset(self) -> None:
        """Forget what ran, and the remembered verdicts (so the next save resolves)."""
        self.events.clear()
        self.writes_begun = 0
        self.verdicts.clear()


@pytest.fixture
def audited(store_url: str, monkeypatch: pytest.MonkeyPatch):
    with open_workspace(store_url) as ws:
        audit = Audit(verdicts=ws.store._verdicts)
        engine = ws.store.db_engine

        def on_begin(conn: Any) -> None:
            if conn.get_execution_options().get(WRITE_OPTION):
                audit.open_writes.add(id(conn))
                audit.writes_begun += 1

        def on_end(conn: Any) -> None:
            audit.open_writes.discard(id(conn))

        def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            audit.events.append(("sql", " ".join(statement.split()), audit.in_write))

        event.listen(engine, "begin", on_begin)
        event.listen(engine, "commit", on_end)
        event.listen(engine, "rollback", on_end)
        event.listen(engine, "before_cursor_execute", on_execute)

        def recorded(name: str, function: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                audit.events.append(("call", name, audit.in_write))
                return function(*args, **kwargs)

            return call

        for method in ("refuses", "check", "check_decided", "open_decisions"):
            monkeypatch.setattr(SavePolicy, method, recorded(f"policy.{method}", getattr(SavePolicy, method)))
        monkeypatch.setattr(store_module, "resolve", recorded("resolve", store_module.resolve))
        monkeypatch.setattr(store_module, "check_selection", recorded("check_selection", store_module.check_selection))
        yield ws, audit
        for name, listener in (
            ("begin", on_begin),
            ("commit", on_end),
            ("rollback", on_end),
            ("before_cursor_execute", on_execute),
        ):
            event.remove(engine, name, listener)


START = {
    "onboarding": "hosted",
    "dashboard": "full",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
}


def _assert_policy_outside_and_inserts_only(audit: Audit, inserts: int) -> None:
    calls = audit.calls()
    assert any(name == "resolve" for name, _ in calls), calls  # sanity: the probe sees the resolution
    assert any(name.startswith("policy.") for name, _ in calls), calls  # ... and the policy
    assert [name for name, inside in calls if inside] == [], "resolution or policy inside the write transaction"
    assert audit.writes_begun == 1, audit.events
    written = audit.written()
    assert len(written) == inserts and all(s.upper().startswith("INSERT") for s in written), written


def test_new_plan_resolves_and_checks_the_policy_before_its_two_inserts(audited):
    ws, audit = audited
    audit.reset()
    ws.new_plan("acme", catalog="stripe-connect@2024", set=START, message="first")
    _assert_policy_outside_and_inserts_only(audit, inserts=2)  # the plan, its version 1


def test_set_plan_resolves_and_checks_the_policy_before_its_one_insert(audited):
    ws, audit = audited
    ws.new_plan("acme", catalog="stripe-connect@2024", set=START, message="first")
    audit.reset()
    saved = ws.set_plan("acme", {"fee_payer": "platform"}, message="second", require_decided=True)
    assert saved.version == 2
    _assert_policy_outside_and_inserts_only(audit, inserts=1)


def test_fork_and_upgrade_resolve_and_check_the_policy_before_inserting(audited):
    ws, audit = audited
    ws.new_plan("acme", catalog="stripe-connect@2024", set=START, message="first")
    audit.reset()
    ws.fork("acme", "acme-b", fail_on="blocked")
    _assert_policy_outside_and_inserts_only(audit, inserts=2)
    audit.reset()
    _, saved = ws.upgrade_plan("acme", "stripe-connect@2025", allow_blocked=True)
    assert saved is not None and saved.version == 2
    _assert_policy_outside_and_inserts_only(audit, inserts=1)


def test_import_checks_every_version_before_inserting_plan_versions_and_tags(audited):
    ws, audit = audited
    ws.new_plan("acme", catalog="stripe-connect@2024", set=START, message="first")
    ws.set_plan("acme", {"fee_payer": "platform"}, message="second")
    ws.tag("acme@1", "proposed")
    ws.tag("acme@2", "reviewed")
    export = ws.export_plan("acme")
    audit.reset()
    saved = ws.import_plan(export, as_name="acme-copy")
    assert saved.version == 2 and saved.tags == ("reviewed",)
    _assert_policy_outside_and_inserts_only(audit, inserts=5)  # the plan, two versions, two tags
    assert ws.version("acme-copy@proposed").version == 1


def test_a_refused_save_never_begins_a_write_transaction(audited):
    ws, audit = audited
    ws.new_plan("acme", catalog="stripe-connect@2024", set=START, message="first")
    audit.reset()
    with pytest.raises(VerdictRefusedError):
        ws.set_plan("acme", {"fee_payer": "platform"}, message="strict", fail_on="caution")
    assert audit.writes_begun == 0 and audit.written() == [], audit.events
    with pytest.raises(VerdictRefusedError):
        ws.new_plan("risky", catalog="stripe-connect@2024", preset="saas", set={"liability": "platform"})
    assert audit.writes_begun == 0 and audit.written() == [], audit.events
