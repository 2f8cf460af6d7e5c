"""``Workspace.set_plan(..., base=N)``: a change computed from an older version (a browser's form) keeps every save."""

from __future__ import annotations

import pytest

from connectplan.db.errors import ConflictError, NotFoundError
from connectplan.workspace import open_workspace

START = {
    "onboarding": "hosted",
    "dashboard": "full",
    "charge_type": "direct",
    "fee_payer": "connected_account",
    "liability": "stripe",
}


@pytest.fixture
def ws(tmp_path):
    with open_workspace(f"sqlite:///{tmp_path / 'base.db'}") as workspace:
        workspace.new_plan("acme", catalog="stripe-connect@2024", set=START, message="first")
        yield workspace


def test_a_change_from_an_older_base_is_reapplied_when_it_touches_other_properties(ws):
    ws.set_plan(
        "acme", {"charge_type": "destination", "liability": "platform"}, message="A", base=1, allow_blocked=True
    )
    saved = ws.set_plan("acme", {"fee_payer": "platform"}, message="B", base=1, allow_blocked=True)
    assert saved.version == 3 and saved.parent == 2
    selection = dict(saved.selection)
    assert selection["charge_type"] == "destination" and selection["fee_payer"] == "platform"


def test_a_change_from_an_older_base_to_the_same_property_is_a_conflict(ws):
    ws.set_plan(
        "acme", {"charge_type": "destination", "liability": "platform"}, message="A", base=1, allow_blocked=True
    )
    with pytest.raises(ConflictError, match="charge_type was changed by acme@2"):
        ws.set_plan("acme", {"charge_type": "separate"}, message="C", base=1, allow_blocked=True)
    assert ws.version("acme@latest").version == 2  # nothing saved


def test_base_latest_behaves_like_no_base(ws):
    assert ws.set_plan("acme", {"liability": "platform"}, message="x", base=1, allow_blocked=True).version == 2


def test_an_unknown_base_is_an_input_error(ws):
    with pytest.raises(NotFoundError, match="no version 7"):
        ws.set_plan("acme", {"liability": "platform"}, message="x", base=7)
