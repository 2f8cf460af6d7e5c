"""One workspace owns a store's lifetime (issue 9, point 2): open once, serve many calls, close cleanly."""

from __future__ import annotations

import gc
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from connectplan import USER_ERRORS, NotFoundError, open_workspace
from connectplan.errors import AppError

ROOT = Path(__file__).resolve().parent.parent


def _leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))


def test_cli_under_resource_warnings_leaves_no_wal_or_shm(tmp_path):
    env_db = tmp_path / "connectplan.db"
    for args in (["plan", "list"], ["plan", "new", "acme", "--preset", "marketplace"], ["plan", "show", "acme"]):
        proc = subprocess.run(
            [sys.executable, "-W", "error::ResourceWarning", "-m", "connectplan", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )
        assert proc.returncode == 0, proc.stderr
        assert "ResourceWarning" not in proc.stderr
        assert env_db.exists()
        assert _leftovers(env_db) == [], args


def test_fifty_open_close_cycles_leak_nothing(tmp_path):
    path = tmp_path / "plans.db"
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for i in range(50):
            with open_workspace(f"sqlite:///{path}") as ws:
                if i == 0:
                    ws.new_plan("acme", preset="marketplace")
                assert ws.plan("acme").record.version == 1
            assert _leftovers(path) == []
        gc.collect()
    assert _leftovers(path) == []


def test_close_is_idempotent_and_final(tmp_path):
    ws = open_workspace(f"sqlite:///{tmp_path / 'plans.db'}")
    ws.close()
    ws.close()
    assert "closed" in repr(ws)


def test_one_workspace_serves_many_calls_on_one_pool(tmp_path):
    with open_workspace(f"sqlite:///{tmp_path / 'plans.db'}") as ws:
        ws.new_plan("acme", preset="marketplace")
        for i in range(20):
            ws.set_plan("acme", {"liability": ("stripe", "platform")[i % 2]}, message=f"m{i}", allow_blocked=True)
        assert [e.record.version for e in ws.log("acme")][:3] == [21, 20, 19]
        pool = ws.store.db_engine.pool
        assert pool.checkedout() == 0  # every unit of work returned its connection
        assert type(pool).__name__ == "QueuePool"


def test_catalog_cache_is_bounded_and_per_workspace(tmp_path):
    from connectplan.workspace import CATALOG_CACHE_SIZE

    with open_workspace(f"sqlite:///{tmp_path / 'a.db'}") as a, open_workspace(f"sqlite:///{tmp_path / 'b.db'}") as b:
        a.catalog("stripe-connect@2024")
        assert a.store.cache is not b.store.cache
        assert 0 < len(a.store.cache) <= CATALOG_CACHE_SIZE
        for i in range(CATALOG_CACHE_SIZE + 5):
            from dataclasses import replace

            a.store.cache.put(replace(a.catalog("stripe-connect@2024"), edition=f"x{i}"))
        assert len(a.store.cache) == CATALOG_CACHE_SIZE


def test_api_raises_the_projects_own_errors(tmp_path):
    with open_workspace(f"sqlite:///{tmp_path / 'plans.db'}") as ws:
        failures = [
            lambda: ws.plan("nope"),
            lambda: ws.resolve(set={"dashboard": "gold"}),
            lambda: ws.resolve(preset="nope"),
            lambda: ws.catalog("stripe-connect@1999"),
            lambda: ws.render("pie-chart", preset="marketplace"),
            lambda: ws.set_plan("nope", {"liability": "stripe"}, message="x"),
            lambda: ws.import_plan({"format": "other"}),
        ]
        for call in failures:
            with pytest.raises(USER_ERRORS) as info:
                call()
            assert "\n" not in str(info.value)
        with pytest.raises(NotFoundError):
            ws.plan("nope")
        with pytest.raises(AppError, match="unknown diagram kind"):
            ws.render("pie-chart", preset="marketplace")


def test_repeated_set_of_a_multi_choice_property_is_the_union(tmp_path):
    with open_workspace(f"sqlite:///{tmp_path / 'plans.db'}") as ws:
        base = {"business_model": "platform", "charge_type": "direct"}
        once = ws.resolve(
            catalog="stripe-connect@2026",
            preset="saas",
            set=[*(f"{k}={v}" for k, v in base.items()), "monetization=application_fees,saas_subscriptions"],
        )
        twice = ws.resolve(
            catalog="stripe-connect@2026",
            preset="saas",
            set=[
                *(f"{k}={v}" for k, v in base.items()),
                "monetization=application_fees",
                "monetization=saas_subscriptions",
            ],
        )
        assert once.selection_dict["monetization"] == ("application_fees", "saas_subscriptions")
        assert twice.selection == once.selection
        # a single-choice property repeated: the last value wins, as before
        last = ws.resolve(
            catalog="stripe-connect@2026", preset="saas", set=["charge_type=destination", "charge_type=direct"]
        )
        assert last.selection_dict["charge_type"] == "direct"


def test_an_option_holding_a_newline_is_refused_not_read_as_repeats(tmp_path):
    # repeats are kept apart by their own type, not by a separator a value could contain
    with open_workspace(f"sqlite:///{tmp_path / 'plans.db'}") as ws:
        with pytest.raises(USER_ERRORS, match=r"unknown option 'bogus\\nexpress' for property 'dashboard'"):
            ws.resolve(catalog="stripe-connect@2026", preset="saas", set=["dashboard=bogus\nexpress"])
        with pytest.raises(USER_ERRORS, match="dashboard"):  # an API tuple for a single-choice property is no repeat
            ws.resolve(catalog="stripe-connect@2026", preset="saas", set={"dashboard": ("none", "express")})
