"""The dependency rule: engine is pure; the CLI's start-up path stays light."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def _tree(path: Path) -> ast.Module:
    """A module's syntax tree, parsed once for all the tests here (trees are only read)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    return set(out.split())


def test_importing_engine_loads_neither_sqlalchemy_nor_graphviz():
    mods = _modules_after("import connectplan.engine, connectplan.engine.resolution, connectplan.engine.graph")
    assert "networkx" in mods  # sanity: the probe does see third-party imports
    for heavy in ("sqlalchemy", "graphviz", "yaml", "click", "alembic", "pysat"):
        assert heavy not in mods, heavy
    # exploration, lint, diffs and upgrades load on first use, not with resolution
    for lazy in ("propagation", "lint", "upgrade", "catalog_diff"):
        lazy = f"connectplan.engine.{lazy}"
        assert lazy not in mods, lazy


def test_engine_package_has_no_lazy_names():
    from connectplan import engine

    assert not hasattr(engine, "__getattr__")
    assert not hasattr(engine, "propagate")  # exploration is imported by its module path
    for name in engine.__all__:
        obj = getattr(engine, name)
        if callable(obj):
            assert obj.__module__.split(".")[2] in CORE, name


#: the layers, installed inside the connectplan package (connectplan/engine -> ../engine, ...)
LAYERS = ("engine", "db", "visualize", "migrations")
CORE = {"catalog", "catalog_ref", "errors", "expression", "graph", "loading", "resolution", "selection", "severity"}


def test_engine_source_imports_only_stdlib_and_networkx():
    allowed_third_party = {"networkx"}
    stdlib = set(sys.stdlib_module_names)
    for path in sorted((ROOT / "engine").glob("*.py")):
        tree = _tree(path)
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                own = name == "connectplan.engine" or name.startswith("connectplan.engine.")
                assert top in stdlib or top in allowed_third_party or own, f"{path.name} imports {name}"


def test_engine_never_prints_or_spawns():
    for path in sorted((ROOT / "engine").glob("*.py")):
        tree = _tree(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "print", f"print() in {path.name}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                assert mod not in ("subprocess", "os.system"), f"{path.name} imports {mod}"


def test_cli_help_does_not_import_heavy_modules():
    mods = _modules_after(
        "import sys; sys.argv=['connectplan','--help']\n"
        "from connectplan.cli import cli\n"
        "try:\n    cli(prog_name='connectplan')\nexcept SystemExit:\n    pass"
    )
    for heavy in ("sqlalchemy", "graphviz", "yaml", "alembic", "pysat", "networkx"):
        assert heavy not in mods, heavy


def _project_import_graph() -> nx.DiGraph:
    """Module -> module edges for every import statement in engine, db, visualize and connectplan (any depth)."""
    packages = ("engine", "db", "visualize", "connectplan")
    modules: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[0] == "connectplan" and parts[1] in LAYERS:
                continue  # the symlink to a layer: read once, from the layer's own directory
            if parts[0] in LAYERS:
                parts = ["connectplan", *parts]  # installed (and imported) as connectplan.<layer>
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    G = nx.DiGraph()
    G.add_nodes_from(modules)
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(_tree(path)):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    G.add_edge(name, target)
    return G


def test_no_import_cycles_among_the_projects_modules():
    G = _project_import_graph()
    assert G.number_of_edges() > 50  # sanity: the probe sees the imports
    assert G.has_edge("connectplan.workspace", "connectplan.store")
    cycles = list(nx.simple_cycles(G, length_bound=8))
    assert cycles == [], cycles[:5]


def _engine_imports() -> dict[str, set[str]]:
    """Every engine module each engine module imports, at any level (function bodies too), by its
    name without the ``connectplan.`` it is installed under (``engine.catalog``)."""
    graph: dict[str, set[str]] = {}
    prefix = "connectplan.engine."
    for path in sorted((ROOT / "engine").glob("*.py")):
        name = "engine" if path.stem == "__init__" else f"engine.{path.stem}"
        found: set[str] = set()
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefix):
                found.add(node.module.removeprefix("connectplan."))
            elif isinstance(node, ast.Import):
                found.update(a.name.removeprefix("connectplan.") for a in node.names if a.name.startswith(prefix))
        graph[name] = found - {name}
    return graph


def test_engine_modules_import_each_other_without_cycles():
    import networkx as nx

    G = nx.DiGraph([(src, dst) for src, dsts in _engine_imports().items() for dst in dsts])
    assert nx.is_directed_acyclic_graph(G), nx.find_cycle(G)
    # the catalog record module is a leaf of the engine: it knows nothing derived from it
    leaf = {"engine.catalog_ref", "engine.errors", "engine.expression", "engine.severity"}
    assert _engine_imports()["engine.catalog"] <= leaf
    assert _engine_imports()["engine.catalog_ref"] <= {"engine.errors"}


WEB_PACKAGES = ("starlette", "jinja2", "uvicorn", "multipart", "python_multipart", "connectplan.web")


def test_cli_help_and_non_web_commands_load_no_web_dependency(tmp_path):
    """Only ``connectplan serve`` imports the web configurator and its extra (issue 12)."""
    for argv in (
        ["connectplan", "--help"],
        ["connectplan", "serve", "--help"],
        ["connectplan", "--db", f"sqlite:///{tmp_path / 'layer.db'}", "resolve", "--preset", "saas"],
        ["connectplan", "--db", f"sqlite:///{tmp_path / 'layer.db'}", "plan", "list"],
    ):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; sys.argv={argv!r}\n"
                "from connectplan.cli import cli\n"
                "try:\n    cli(prog_name='connectplan')\nexcept SystemExit:\n    pass\n"
                "print('--modules--'); print('\\n'.join(sorted(sys.modules)))",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout
        mods = set(out.split("--modules--\n", 1)[1].split())
        assert "connectplan.cli" in mods
        for web in WEB_PACKAGES:
            assert web not in mods, (argv, web)


# -- layering contracts (issue 18, point 8), import-linter style over the import graph -------------------

#: modules of the edges and the output layer: they reach the database only through the Workspace
EDGE_PREFIXES = ("connectplan.web", "connectplan.cli", "connectplan.commands", "connectplan.output", "connectplan.refs")
#: what only the Workspace (and the plan service under it) may import: the repository and the schema's scripts
DATABASE = ("connectplan.db", "connectplan.migrations", "connectplan.store", "connectplan.store_saves")


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _layer_violations(G: nx.DiGraph, sources: tuple[str, ...], allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """Edges from a module under ``sources`` to a project module under none of ``allowed``."""
    assert any(_under(n, sources) for n in G), sources  # the contract names modules that exist
    return sorted((a, b) for a, b in G.edges if _under(a, sources) and not _under(b, allowed))


def _forbidden(G: nx.DiGraph, sources: tuple[str, ...], forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    assert any(_under(n, sources) for n in G), sources
    return sorted((a, b) for a, b in G.edges if _under(a, sources) and _under(b, forbidden))


def test_contract_engine_imports_no_other_layer():
    G = _project_import_graph()
    assert G.has_edge("connectplan.engine.resolution", "connectplan.engine.compiled")  # the probe sees the engine
    assert _layer_violations(G, ("connectplan.engine",), ("connectplan.engine",)) == []


def test_contract_db_imports_no_app_code():
    """The repository imports itself and the engine's records and errors, nothing of the app."""
    G = _project_import_graph()
    assert G.has_edge("connectplan.db.schema", "connectplan.db.errors")
    assert _layer_violations(G, ("connectplan.db",), ("connectplan.db", "connectplan.engine")) == []


def test_contract_visualize_imports_only_the_engine():
    G = _project_import_graph()
    allowed = ("connectplan.visualize", "connectplan.engine")
    assert _layer_violations(G, ("connectplan.visualize",), allowed) == []


def test_contract_web_cli_and_output_reach_the_database_only_through_the_workspace():
    """Issue 18: web imported db.errors and db.session, output db.records and refs db (even for type hints).
    The edges import neither the repository, the migrations nor the plan service under the Workspace."""
    G = _project_import_graph()
    assert G.has_edge("connectplan.cli", "connectplan.workspace") or any(
        _under(a, EDGE_PREFIXES) and b == "connectplan.workspace" for a, b in G.edges
    )
    assert _forbidden(G, EDGE_PREFIXES, DATABASE) == []


def _class_methods(directory: Path) -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(directory.glob("*.py")):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ClassDef):
                found += [(path.name, node.name, f.name) for f in node.body if isinstance(f, ast.FunctionDef)]
    return found


def test_engine_and_db_build_no_json_documents():
    """Issue 18, point 8: every JSON document is built in the output layer (connectplan/output/documents.py)."""
    for layer in ("engine", "db"):
        methods = _class_methods(ROOT / layer)
        assert methods  # sanity
        built = [m for m in methods if m[2] in ("to_dict", "as_dict", "to_json", "as_json", "document")]
        assert built == [], built


def _string_constants(path: Path) -> list[str]:
    """Every string constant of a module but its docstrings."""
    tree = _tree(path)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def test_db_writes_no_words_for_users():
    """Issue 18, point 8: the repository raises a problem code and facts; the words (and the CLI's flags and
    commands in them) are the app's (connectplan/store_words.py)."""
    import re

    flag_or_command = re.compile(r"(^|\s)--[a-z]|connectplan (db|plan|catalog) |; (run|pass|retry|check)")
    for path in sorted((ROOT / "db").glob("*.py")):
        words = [text for text in _string_constants(path) if flag_or_command.search(text)]
        assert words == [], (path.name, words)
