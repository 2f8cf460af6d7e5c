"""Alembic owns the schema, on SQLite and PostgreSQL (issues 3 and 18).

pytest-alembic's four standard tests run on both backends, each on a runner over an engine on
an empty database of the ``backend`` (``migrations/env.py`` accepts an Engine in
``config.attributes["connection"]``, as Alembic's cookbook describes): one head, empty to head,
the models match the DDL the migrations produce (an autogenerate finds nothing), and every
revision up, down and up again one step at a time. The plugin's own
collection (``--test-alembic``, which binds the tests to ``tests/conftest.py`` with the default
fixtures) is off (``-p no:pytest_alembic`` in pyproject.toml): this module calls the same test
functions on its parametrized runner. The rest is what they do not cover: the
head constant the command path compares against, ``alembic`` from the repository root on the
CLI's URL, offline SQL, and an injected Connection or Engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from pytest_alembic import Config as AlembicTestConfig
from pytest_alembic import runner
from pytest_alembic import tests as alembic_tests
from sqlalchemy import inspect, text

from connectplan.db.models import Base
from connectplan.db.session import HEAD_REVISION, KNOWN_REVISIONS, make_engine

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_alembic import MigrationContext

ROOT = Path(__file__).resolve().parent.parent
TABLES = {"catalog_edition", "catalog_node", "catalog_edge", "plan", "plan_version", "plan_tag"}


def _config(connection) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["connection"] = connection
    cfg.attributes["configure_logger"] = False
    return cfg


@pytest.fixture
def alembic_runner(empty_db_url: str) -> Iterator[MigrationContext]:
    """pytest-alembic's runner on an empty database of each backend (the store's own engine set-up)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    db_engine = make_engine(empty_db_url)
    try:
        with runner(config=AlembicTestConfig.from_raw_config(cfg), engine=db_engine) as context:
            yield context
    finally:
        db_engine.dispose()


def test_single_head_revision(alembic_runner: MigrationContext) -> None:
    alembic_tests.test_single_head_revision(alembic_runner)


def test_upgrade(alembic_runner: MigrationContext) -> None:
    alembic_tests.test_upgrade(alembic_runner)


def test_model_definitions_match_ddl(alembic_runner: MigrationContext) -> None:
    alembic_tests.test_model_definitions_match_ddl(alembic_runner)


def test_up_down_consistency(alembic_runner: MigrationContext) -> None:
    alembic_tests.test_up_down_consistency(alembic_runner)


def _tables(url: str) -> set[str]:
    db_engine = make_engine(url)
    try:
        return set(inspect(db_engine).get_table_names())
    finally:
        db_engine.dispose()


def _revision(url: str) -> str | None:
    db_engine = make_engine(url)
    try:
        with db_engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        db_engine.dispose()


def test_head_constant_matches_the_migration_scripts():
    script = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    assert script.get_current_head() == HEAD_REVISION
    history = [rev.revision for rev in script.walk_revisions()]  # newest first
    assert tuple(reversed(history)) == KNOWN_REVISIONS


def test_models_cover_exactly_the_migrated_tables():
    assert set(Base.metadata.tables) == TABLES


def test_alembic_upgrade_head_from_the_repo_root_uses_the_cli_url(empty_db_url):
    alembic = Path(sys.executable).with_name("alembic")
    cmd = [str(alembic)] if alembic.exists() else [sys.executable, "-m", "alembic"]
    env = dict(os.environ, CONNECTPLAN_DATABASE_URL=empty_db_url)
    proc = subprocess.run([*cmd, "upgrade", "head"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert _revision(empty_db_url) == HEAD_REVISION


def test_offline_sql_mentions_every_table(tmp_path):
    env = dict(os.environ, CONNECTPLAN_DATABASE_URL=f"sqlite:///{tmp_path / 'offline.db'}")
    proc = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head", "--sql"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    for table in TABLES:
        assert f"CREATE TABLE {table}" in proc.stdout
    assert not (tmp_path / "offline.db").exists()  # offline mode never connects


def test_an_injected_engine_is_migrated_and_left_to_its_owner(empty_db_url):
    """Issue 18: an Engine in ``config.attributes["connection"]`` failed ("expected to be a Connection")."""
    db_engine = make_engine(empty_db_url)
    try:
        command.upgrade(_config(db_engine), "head")
        with db_engine.connect() as conn:  # not disposed: still the caller's, and usable
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        command.downgrade(_config(db_engine), "base")
    finally:
        db_engine.dispose()
    assert _tables(empty_db_url) - {"alembic_version"} == set()


def test_an_injected_connection_runs_in_its_owners_transaction(empty_db_url):
    db_engine = make_engine(empty_db_url)
    try:
        with db_engine.connect() as conn:
            tx = conn.begin()
            command.upgrade(_config(conn), "head")
            assert TABLES <= set(inspect(conn).get_table_names())
            tx.rollback()  # the owner's transaction: nothing stays
    finally:
        db_engine.dispose()
    assert _tables(empty_db_url) == set()


def test_anything_else_injected_is_refused_with_its_type():
    with pytest.raises(TypeError, match="must be a SQLAlchemy Connection or Engine, not str"):
        command.upgrade(_config("sqlite://"), "head")
