"""Shared fixtures: the built-in catalogs, small hand-written catalogs, and a CLI runner."""

from __future__ import annotations

import itertools
import shutil
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from connectplan.engine import Catalog, catalog_from_dict

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.orm import Session


pytest_plugins = [
    "pg",  # tests/pg.py: the throwaway PostgreSQL cluster and the two-backend fixtures
    "chromium",  # tests/chromium.py: the session's headless Chromium, live server and pages
]


@pytest.fixture(scope="session", autouse=True)
def _isolated_default_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the default store at a throwaway SQLite file, so no test writes ./connectplan.db."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(
            "CONNECTPLAN_DATABASE_URL", f"sqlite:///{tmp_path_factory.mktemp('default-store') / 'connectplan.db'}"
        )
        yield


@pytest.fixture(scope="session", autouse=True)
def _catalogs_rebuilt_once_per_worker() -> Iterator[None]:
    """Every Workspace a test opens keeps its own bounded cache of catalogs (as in use), backed here by
    one dictionary per test process, keyed like that cache by content hash.

    The tests open a Workspace for nearly every command (most of them through the CLI runner), and
    each would rebuild the same few built-in catalogs from the store's graph rows: 40 ms each, a third
    of the time of the store, plan and web tests. The content hash covers the whole catalog (revision
    included) and stored editions are immutable, so a catalog rebuilt once from any store is the one
    any other store holding that hash rebuilds; the rebuild itself runs the first time each hash is
    met, and tests/test_graph.py and tests/test_store.py check it directly.
    """
    import connectplan.workspace
    from connectplan.db.graph_store import CatalogCache

    rebuilt: dict[str, Catalog] = {}

    class BackedCatalogCache(CatalogCache):
        _filling = False  # CatalogCache.put looks the hash up first: no second fill from inside it

        def get(self, content_hash: str) -> Catalog | None:
            found = super().get(content_hash)
            if found is None and content_hash in rebuilt and not self._filling:
                self._filling = True
                try:
                    found = super().put(rebuilt[content_hash])  # into this workspace's own bounded cache
                finally:
                    self._filling = False
            return found

        def put(self, catalog: Catalog) -> Catalog:
            found = super().put(catalog)
            rebuilt.setdefault(found.content_hash, found)
            return found

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(connectplan.workspace, "CatalogCache", BackedCatalogCache)
        yield


def pytest_configure(config: pytest.Config) -> None:
    """Compile the project's modules to bytecode once, before any worker starts.

    Many tests run ``connectplan`` as a fresh process, as a user does. An installed wheel ships
    bytecode; a checkout run with ``PYTHONDONTWRITEBYTECODE`` (CI sets it) has none, and every such
    process would compile the modules it imports again (about 0.4 s each). Only the controlling
    process compiles (a pytest-xdist worker has ``workerinput``).
    """
    if hasattr(config, "workerinput"):
        return
    import compileall
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for package in ("engine", "db", "visualize", "migrations", "connectplan", "bench", "tests"):
        compileall.compile_dir(root / package, quiet=2)


#: The test files that take longest (pytest --durations, summed per file), longest first. ``make test``
#: hands whole files to its workers in collection order (``--dist loadfile --no-loadscope-reorder``): these
#: go out first, so no worker is left alone with a long file at the end while the others idle.
LONGEST_FIRST = (
    "test_browser_journey.py",
    # its tests that hold a window open (a 10 s lock, a 5 s outage) leave a CPU to the browser beside them
    "test_web_server.py",
    "test_browser.py",
    "test_bench_smoke.py",
    "test_browser_journey_keys.py",
    "test_browser_history.py",
    "test_hostile_inputs.py",
    "test_determinism.py",
    "test_blueprint.py",
    "test_first_use.py",
    "test_fuzz.py",
    "test_web_guided.py",
    "test_browser_figures.py",
    "test_verify.py",
)
#: test_web_latency.py is not among them: it measures a latency ratio, best taken among the short files at
#: the end, once no browser runs (it also waits for a quiet machine itself)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
    if shutil.which("dot") is None:
        skip = pytest.mark.skip(reason="Graphviz 'dot' is not installed here (make test installs it)")
        for item in items:
            if "dot" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def cat2024() -> Catalog:
    from connectplan.catalog_files import load_builtin

    return load_builtin("stripe-connect@2024.yaml")


@pytest.fixture(scope="session")
def cat2025() -> Catalog:
    from connectplan.catalog_files import load_builtin

    return load_builtin("stripe-connect@2025.yaml")


@pytest.fixture(scope="session", params=["2024", "2025"])
def stripe_catalog(request: pytest.FixtureRequest) -> Catalog:
    from connectplan.catalog_files import load_builtin

    return load_builtin(f"stripe-connect@{request.param}.yaml")


def all_selections(catalog: Catalog) -> Iterator[dict[str, str]]:
    """Every complete selection of a catalog, in a fixed order."""
    ids = [p.id for p in catalog.properties]
    for combo in itertools.product(*(p.option_ids for p in catalog.properties)):
        yield dict(zip(ids, combo, strict=False))


def tiny_doc(**overrides: object) -> dict:
    """A minimal valid catalog document that tests tweak."""
    doc: dict = {
        "format": "connectplan-catalog/1",
        "name": "tiny",
        "edition": "1",
        "title": "Tiny",
        "parties": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}],
        "properties": [
            {
                "id": "color",
                "title": "Color",
                "options": [{"id": "red", "title": "Red"}, {"id": "blue", "title": "Blue"}],
            },
            {"id": "size", "title": "Size", "options": [{"id": "s", "title": "S"}, {"id": "l", "title": "L"}]},
        ],
        "rules": [
            {"id": "no_big_red", "condition": "color.red and size.l", "severity": "blocked", "message": "No."},
            {"id": "blue_note", "condition": "color.blue", "severity": "info", "message": "Blue."},
        ],
        "steps": [
            {"id": "first", "order": 10, "phase": "accounts", "condition": "always", "title": "First"},
            {
                "id": "second",
                "order": 20,
                "phase": "payments",
                "condition": "size.l",
                "prereqs": ["first"],
                "title": "Second",
            },
        ],
        "flows": [{"id": "pay", "from": "a", "to": "b", "what": "money", "kind": "charge", "condition": "always"}],
        "responsibilities": [
            {
                "id": "owner",
                "title": "Owner",
                "assignments": [{"party": "a", "condition": "color.red"}, {"party": "b", "condition": "color.blue"}],
            }
        ],
        "presets": [{"id": "small_red", "title": "Small red", "selection": {"color": "red", "size": "s"}}],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def tiny() -> Catalog:
    return catalog_from_dict(tiny_doc())


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db_session() -> Iterator[Session]:
    """A session on a fresh in-memory SQLite database with every table created (no Alembic)."""
    from connectplan.db.models import Base
    from connectplan.db.session import make_engine, make_session_factory

    db_engine = make_engine("sqlite://")
    Base.metadata.create_all(db_engine)
    session = make_session_factory(db_engine)()
    try:
        yield session
    finally:
        session.close()
        db_engine.dispose()
