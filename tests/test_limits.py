"""References, names and text fields (issue 10, points 2 and 5), identical on SQLite and PostgreSQL.

Every limit is checked once, before the database: the same input gives the same one line on
both backends, and what one backend stores the other imports.
"""

from __future__ import annotations

import json

import pytest

from connectplan.cli import cli
from connectplan.db.errors import StoreError
from connectplan.refs import MAX_AUTHOR, MAX_MESSAGE, MAX_VERSION, check_author, check_message


@pytest.fixture
def cp(runner, store_url):
    def run(*args: str):
        return runner.invoke(cli, ["--db", store_url, *args])

    assert run("plan", "new", "acme", "--preset", "saas", "-m", "first").exit_code == 0
    return run


def _one_line(result, *needles):
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("ref", "needle"),
    [
        ("acme@99999999999999999999", f"version numbers stop at {MAX_VERSION}"),
        (f"acme@{MAX_VERSION + 1}", f"version numbers stop at {MAX_VERSION}"),
        (f"acme@{MAX_VERSION}", "unknown version"),
        ("acme@²", "unknown version or tag '²'"),
        ("acme@٣", "unknown version or tag"),
        ("acme\n", "invalid plan name"),
        ("acme@1\n", "unknown version or tag"),
    ],
)
def test_plan_references(cp, ref, needle):
    _one_line(cp("plan", "show", ref), needle)


@pytest.mark.parametrize("tag", ["good\n", "good\r", "t\x1b", "²x"])
def test_tags_anchor_at_the_true_end(cp, tag):
    _one_line(cp("plan", "tag", "acme@1", tag), "invalid tag")


@pytest.mark.parametrize(
    ("message", "needle"),
    [
        ("a\x1bb", "control character U+001B"),
        ("a\x00b", "control character U+0000"),
        ("a\rb", "control character U+000D"),
        ("x" * (MAX_MESSAGE + 1), f"the limit is {MAX_MESSAGE}"),
        ("a\udcffb", "not valid UTF-8"),
    ],
)
def test_messages(cp, message, needle):
    _one_line(cp("plan", "set", "acme", "--allow-blocked", "--set", "liability=platform", "-m", message), needle)
    _one_line(cp("plan", "new", "other", "--preset", "saas", "-m", message), needle)
    _one_line(cp("plan", "fork", "acme", "copy", "-m", message), needle)
    log = json.loads(cp("plan", "log", "acme", "--format", "json").stdout)
    assert len(log["versions"]) == 1


@pytest.mark.parametrize(
    ("author", "needle"),
    [
        ("ann\nbob", "control character U+000A"),
        ("ann\x07", "control character U+0007"),
        ("a" * (MAX_AUTHOR + 1), f"the limit is {MAX_AUTHOR}"),
        ("ann\udcff", "not valid UTF-8"),
    ],
)
def test_authors(cp, author, needle):
    _one_line(
        cp("plan", "set", "acme", "--allow-blocked", "--set", "liability=platform", "-m", "x", "--author", author),
        needle,
    )


def test_printable_unicode_is_kept(cp):
    result = cp(
        "plan",
        "set",
        "acme",
        "--allow-blocked",
        "--set",
        "liability=platform",
        "-m",
        "Zürich → 東京\n\tdetails",
        "--author",
        "Zoë",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(cp("plan", "show", "acme", "--format", "json").stdout)
    assert doc["plan"]["message"] == "Zürich → 東京\n\tdetails" and doc["plan"]["author"] == "Zoë"


def test_limits_at_the_bound_are_stored(cp):
    result = cp(
        "plan",
        "set",
        "acme",
        "--allow-blocked",
        "--set",
        "liability=platform",
        "-m",
        "m" * MAX_MESSAGE,
        "--author",
        "a" * MAX_AUTHOR,
    )
    assert result.exit_code == 0, result.output


def test_import_applies_the_same_limits(cp, tmp_path):
    export = json.loads(cp("plan", "export", "acme").stdout)
    export["versions"][0]["author"] = "a" * (MAX_AUTHOR + 1)
    f = tmp_path / "e.json"
    f.write_text(json.dumps(export))
    _one_line(cp("plan", "import", str(f), "--as", "copy"), "version 1", f"the limit is {MAX_AUTHOR}")
    export["versions"][0]["author"] = "ann"
    export["versions"][0]["message"] = "nul\x00here"
    f.write_text(json.dumps(export))
    _one_line(cp("plan", "import", str(f), "--as", "copy"), "control character U+0000")
    assert cp("plan", "show", "copy").exit_code == 2


def test_check_functions():
    assert check_message("a\r\nb") == "a\nb"
    with pytest.raises(StoreError, match="empty"):
        check_author("  ")
