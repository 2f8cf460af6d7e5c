"""The Python API's documentation runs as written (issue 9): the README example and every docs/api.md example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import connectplan

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def _blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


def _python_api_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Python API")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_readme_python_api_example_runs_as_written(tmp_path, monkeypatch, capsys):
    (block,) = FENCE.findall(_python_api_section())
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[0] in ("allowed", "info", "caution", "sales_gated", "blocked", "out_of_scope")
    assert "'charge_type'" in out[1]  # the diff names the changed property
    assert (tmp_path / "plans.db").exists()
    assert not (tmp_path / "plans.db-wal").exists() and not (tmp_path / "plans.db-shm").exists()


@pytest.mark.dot
def test_docs_api_examples_run_in_order(tmp_path, monkeypatch, capsys):
    blocks = _blocks(ROOT / "docs" / "api.md")
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/api.md#example-{i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "False" not in out.split(), out  # every example prints checks that hold
    assert "acme@1 acme@2 1" in out


def test_docs_api_lists_every_public_name():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([A-Za-z_]+)", text, re.M))
    public = {n for n in connectplan.__all__ if n != "__version__"}
    assert public <= listed, sorted(public - listed)


def test_every_public_name_resolves():
    for name in connectplan.__all__:
        assert getattr(connectplan, name) is not None, name
