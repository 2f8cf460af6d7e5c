"""The installed distribution claims only the ``connectplan`` name (issue 18, point 5).

The layers stay at the repository's top level (``engine/``, ``db/``, ``visualize/``,
``migrations/``) and are installed inside the package as ``connectplan.engine`` and so on, so a
user's project with its own ``engine`` or ``db`` package can use connectplan. These tests build a
wheel from the tracked files (no network: the build runs in this environment, with the setuptools
the ``test`` extra pins), install it into a directory of its own, and use it from a project that has
its own ``engine/`` and ``db/``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tracked_tree(dest: Path) -> Path:
    """A copy of the files git tracks (symlinks as symlinks), so the build writes nothing into the checkout."""
    listed = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    )
    for name in filter(None, listed):
        src, dst = ROOT / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        elif src.is_file():
            shutil.copy2(src, dst)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel built from the tracked tree, installed with ``--target``; the build's output."""
    base = tmp_path_factory.mktemp("packaging")
    tree = _tracked_tree(base / "src")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(base / "dist"), "."],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (base / "dist").glob("connectplan-*.whl")
    target = base / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True,
        check=True,
    )
    return target, built.stdout + built.stderr


def test_the_wheel_builds_without_warnings_and_holds_only_the_connectplan_package(installed, tmp_path):
    target, output = installed
    assert not re.search(r"warn", output, re.I), output
    tops = {p.name for p in target.iterdir() if not p.name.endswith(".dist-info")}
    assert tops <= {"connectplan", "bin"} and "connectplan" in tops, tops  # bin/: the console script
    for layer in ("engine", "db", "visualize", "migrations"):
        assert (target / "connectplan" / layer / "__init__.py").is_file(), layer
        assert not (target / "connectplan" / layer).is_symlink()
    assert (target / "connectplan" / "migrations" / "script.py.mako").is_file()
    assert list((target / "connectplan" / "catalogs").glob("stripe-connect@*.yaml"))


def _readme_python_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    (example,) = [b for b in blocks if "open_workspace" in b]
    return example


def _env(target: Path) -> dict[str, str]:
    """Only the installed copy on the path (plus this environment's third-party packages)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    env.pop("CONNECTPLAN_DATABASE_URL", None)
    return env


def test_the_readme_example_runs_in_a_project_with_its_own_engine_and_db(installed, tmp_path):
    target, _ = installed
    project = tmp_path / "project"
    for own in ("engine", "db", "visualize", "migrations"):
        (project / own).mkdir(parents=True)
        (project / own / "__init__.py").write_text(f"MINE = {own!r}\n", encoding="utf-8")
    script = project / "example.py"  # run as a script: its directory comes first on sys.path
    script.write_text(
        _readme_python_example()
        + "\nimport connectplan, db, engine\n"
        + "assert engine.MINE == 'engine' and db.MINE == 'db'\n"
        + "assert connectplan.__file__.startswith("
        + repr(str(target))
        + ")\n"
        + "print('OK')\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, str(script)], cwd=project, env=_env(target), capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith("OK")
    assert (project / "plans.db").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connectplan_serve_runs_from_the_installed_wheel(installed, tmp_path):
    target, _ = installed
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "connectplan", "serve", "--db", f"sqlite:///{tmp_path / 'web.db'}", "--port", str(port)],
        cwd=tmp_path,
        env=_env(target),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        page = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    page = answer.read().decode("utf-8")
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        assert "stripe-connect" in page, server.stdout.read() if server.poll() is not None else "no answer"
    finally:
        server.terminate()
        server.wait(timeout=30)
