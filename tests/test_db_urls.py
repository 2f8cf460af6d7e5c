"""``--db`` takes what users type (issue 10, point 4)."""

from __future__ import annotations

import pytest

from connectplan.cli import cli


@pytest.mark.parametrize("typed", ["plans.db", "./plans.db"])
def test_a_plain_path_is_that_sqlite_file(runner, tmp_path, monkeypatch, typed):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["--db", typed, "plan", "new", "acme", "--preset", "saas", "-m", "x"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plans.db").read_bytes()[:16] == b"SQLite format 3\x00"
    again = runner.invoke(cli, ["--db", f"sqlite:///{tmp_path / 'plans.db'}", "plan", "show", "acme"])
    assert again.exit_code == 0, again.output


def test_an_absolute_path(runner, tmp_path):
    result = runner.invoke(cli, ["--db", str(tmp_path / "abs.db"), "plan", "list"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "abs.db").exists()


@pytest.mark.parametrize(
    ("typed", "needle"),
    [
        ("sqlite:///", "in-memory SQLite store, which keeps nothing"),
        ("sqlite://", "in-memory SQLite store, which keeps nothing"),
        ("sqlite:///:memory:", "in-memory SQLite store, which keeps nothing"),
        ("postgresql://u@h:notaport/x", "cannot parse store URL"),
        ("localhost:5432/x", "cannot parse store URL"),
        ("", "the store URL is empty"),  # an explicit empty --db is refused, not the default store
        ("   ", "the store URL is empty"),
    ],
)
def test_refused_with_one_line_and_an_example(runner, tmp_path, monkeypatch, typed, needle):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["--db", typed, "plan", "list"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "e.g. --db plans.db" in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []
