"""The dependency rule: engine is pure; the CLI's start-up path stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent


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
    mods = _modules_after("import engine, engine.resolution, engine.graph")
    assert "networkx" in mods  # sanity: the probe does see third-party imports
    for heavy in ("sqlalchemy", "graphviz", "yaml", "click", "alembic", "pysat"):
        assert heavy not in mods, heavy
    # exploration, lint, diffs and upgrades load on first use, not with resolution
    for lazy in ("engine.propagation", "engine.lint", "engine.upgrade", "engine.catalog_diff"):
        assert lazy not in mods, lazy


def test_lazy_engine_names_resolve():
    import engine

    assert engine.propagate.__module__ == "engine.propagation"
    assert engine.diff_catalogs.__module__ == "engine.catalog_diff"
    assert "lint_catalog" in dir(engine)


def test_engine_source_imports_only_stdlib_and_networkx():
    allowed_third_party = {"networkx"}
    stdlib = set(sys.stdlib_module_names)
    for path in sorted((ROOT / "engine").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in stdlib or top in allowed_third_party or top == "engine", f"{path.name} imports {name}"


def test_engine_never_prints_or_spawns():
    for path in sorted((ROOT / "engine").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
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
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    G = nx.DiGraph()
    G.add_nodes_from(modules)
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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
