"""Hostile input files (issue 10, point 6): refused fast, in one line naming the file and the limit."""

from __future__ import annotations

import os
import stat
import time
from typing import TYPE_CHECKING

import pytest
import yaml
from conftest import tiny_doc

from connectplan import catalog_files
from connectplan.catalog_files import MAX_CATALOG_BYTES, load_catalog_file, parse_catalog_text
from connectplan.cli import cli
from connectplan.engine import CatalogError, ExpressionSyntaxError
from connectplan.engine.expression import MAX_NESTING, parse_expression
from connectplan.infile import MAX_VALUES

if TYPE_CHECKING:
    from pathlib import Path

BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
)


def _refused(runner, args, *needles, seconds=1.0):
    start = time.perf_counter()
    result = runner.invoke(cli, args)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert elapsed < seconds, f"took {elapsed:.2f}s"
    return lines[0]


@pytest.fixture(params=["c", "python"])
def yaml_loader(request, monkeypatch):
    """Run each YAML case with libyaml's loader and with PyYAML's pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(catalog_files, "_loader_class", lambda: yaml.SafeLoader)
    elif not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML was built without libyaml here")
    return request.param


#: a character device node needs root to make (it is made in tmp_path; no test opens anything under /dev)
NEEDS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="making a character device node (mknod) needs root")


def _zero_device(directory: Path) -> Path:
    """A node with the zero device's numbers (1, 5), made in ``directory``: an endless input."""
    path = directory / "zero"
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    return path


class TestCatalogYaml:
    def test_alias_bomb(self, runner, tmp_path, yaml_loader):
        f = tmp_path / "bomb.yaml"
        f.write_text(BOMB)
        _refused(runner, ["catalog", "validate", str(f)], str(f), f"{MAX_VALUES} values once aliases are expanded")

    def test_self_referencing_alias(self, runner, tmp_path, yaml_loader):
        f = tmp_path / "self.yaml"
        f.write_text("name: &x\n  - *x\n")
        _refused(runner, ["catalog", "validate", str(f)], str(f), "an alias refers to a node that contains it")

    @pytest.mark.parametrize("shape", ["flow", "block"])
    def test_nesting_deeper_than_the_bound(self, runner, tmp_path, yaml_loader, shape):
        f = tmp_path / "deep.yaml"
        depth = 900
        text = (
            "[" * depth + "]" * depth
            if shape == "flow"
            else "".join("  " * i + "a:\n" for i in range(depth)) + "  " * depth + "x\n"
        )
        f.write_text(text)
        _refused(runner, ["catalog", "validate", str(f)], str(f), "64 levels")

    def test_nesting_within_the_bound_is_still_read(self, yaml_loader):
        data, _ = catalog_files._yaml_lines("[" * 60 + "]" * 60, "x.yaml")
        assert data is not None

    def test_legitimate_anchors_still_work(self, yaml_loader):
        doc = tiny_doc()
        text = yaml.safe_dump(doc, sort_keys=False).replace("title: A\n", "title: &party A\n", 1)
        text = text.replace("title: B\n", "title: *party\n", 1)
        cat = parse_catalog_text(text, "anchors.yaml")
        assert [p.title for p in cat.parties][:2] == ["A", "A"]

    def test_line_numbers_survive_the_single_parse(self, yaml_loader):
        text = yaml.safe_dump(tiny_doc(), sort_keys=False).replace("severity: blocked", "severity: fatal")
        with pytest.raises(CatalogError) as info:
            parse_catalog_text(text, "t.yaml")
        line = next(i for i, row in enumerate(text.splitlines(), 1) if "fatal" in row)
        assert info.value.problems[0].line == line


class TestCatalogFiles:
    def test_deep_json_catalog(self, runner, tmp_path):
        f = tmp_path / "deep.json"
        f.write_text('{"a":' * 5000 + "1" + "}" * 5000)
        _refused(runner, ["catalog", "validate", str(f)], str(f), "nested deeper than 64 levels")

    def test_file_over_the_size_limit(self, runner, tmp_path):
        f = tmp_path / "huge.yaml"
        with f.open("wb") as handle:
            handle.truncate(MAX_CATALOG_BYTES + 1)  # sparse: costs no disk
        _refused(runner, ["catalog", "validate", str(f)], str(f), "larger than the 4 MiB limit")

    def test_fifo_is_refused_without_blocking(self, runner, tmp_path):
        f = tmp_path / "pipe.yaml"
        os.mkfifo(f)
        _refused(runner, ["catalog", "validate", str(f)], str(f), "not a regular file")

    @NEEDS_ROOT
    def test_a_zero_device_is_refused(self, runner, tmp_path):
        zero = _zero_device(tmp_path)
        _refused(runner, ["catalog", "validate", str(zero)], str(zero), "not a regular file")

    def test_import_applies_the_same_limits(self, runner, tmp_path):
        f = tmp_path / "bomb.yaml"
        f.write_text(BOMB)
        url = f"sqlite:///{tmp_path / 's.db'}"
        _refused(runner, ["--db", url, "catalog", "import", str(f)], str(f), "aliases", seconds=3.0)

    def test_condition_nested_thousands_deep(self, runner, tmp_path):
        doc = tiny_doc()
        doc["rules"][0]["condition"] = "(" * 5000 + "color.red" + ")" * 5000
        f = tmp_path / "deep-condition.yaml"
        f.write_text(yaml.safe_dump(doc, sort_keys=False))
        line = _refused(runner, ["catalog", "validate", str(f)], str(f), f"nested deeper than {MAX_NESTING} levels")
        assert len(line) < 400

    def test_load_catalog_file_names_the_file(self, tmp_path):
        with pytest.raises(CatalogError, match="no such file"):
            load_catalog_file(tmp_path / "missing.yaml")


class TestExpressions:
    @pytest.mark.parametrize("text", ["(" * 3000 + "a.b" + ")" * 3000, "not " * 3000 + "a.b"])
    def test_deep_condition_is_a_syntax_error(self, text):
        with pytest.raises(ExpressionSyntaxError, match=f"nested deeper than {MAX_NESTING} levels") as info:
            parse_expression(text)
        assert len(str(info.value)) < 250

    def test_nesting_at_the_bound_parses(self):
        parse_expression("(" * (MAX_NESTING - 1) + "not a.b" + ")" * (MAX_NESTING - 1))


class TestPlanImport:
    @pytest.fixture
    def url(self, tmp_path):
        return f"sqlite:///{tmp_path / 's.db'}"

    def test_deeply_nested_json(self, runner, url, tmp_path):
        f = tmp_path / "deep.json"
        f.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
        _refused(runner, ["--db", url, "plan", "import", str(f)], str(f), "nested deeper than 64 levels")

    def test_nested_within_json_limits_but_past_ours(self, runner, url, tmp_path):
        f = tmp_path / "deep.json"
        f.write_text('{"plan": ' + "[" * 70 + "1" + "]" * 70 + "}")  # fine for json, past our bound
        _refused(runner, ["--db", url, "plan", "import", str(f)], str(f), "nested deeper than 64 levels")

    @NEEDS_ROOT
    def test_a_zero_device(self, runner, url, tmp_path):
        zero = _zero_device(tmp_path)
        _refused(runner, ["--db", url, "plan", "import", str(zero)], str(zero), "not a regular file")

    def test_fifo(self, runner, url, tmp_path):
        f = tmp_path / "pipe.json"
        os.mkfifo(f)
        _refused(runner, ["--db", url, "plan", "import", str(f)], str(f), "not a regular file")

    def test_file_over_the_size_limit(self, runner, url, tmp_path):
        from connectplan.exchange import MAX_EXPORT_BYTES

        f = tmp_path / "huge.json"
        with f.open("wb") as handle:
            handle.truncate(MAX_EXPORT_BYTES + 1)
        _refused(runner, ["--db", url, "plan", "import", str(f)], str(f), "larger than the 32 MiB limit")
