"""Every hostile input has a one-line answer (issue 18, point 9).

Each case: one line on stderr naming the problem and the fix, the documented exit code (2 for bad
input), no traceback, no ``internal error``, nothing stored or half-written, and no file touched
that the user did not name.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
import yaml
from conftest import tiny_doc

from connectplan.cli import cli

HUGE = "9" * 5000  # past Python's 4,300-digit limit for int() of a string


def _one_line(result, *needles: str, code: int = 2) -> str:
    assert result.exit_code == code, (result.output, result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'plans.db'}"


@pytest.fixture
def cp(runner, url):
    def run(*args: str):
        return runner.invoke(cli, ["--db", url, *args])

    assert run("plan", "new", "acme", "--preset", "saas", "-m", "first").exit_code == 0
    return run


def _counts(url: str) -> tuple[int, int]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        editions = conn.execute("SELECT count(*) FROM catalog_edition").fetchone()[0]
        versions = conn.execute("SELECT count(*) FROM plan_version").fetchone()[0]
    return editions, versions


# ---------------------------------------------------------------------------
# version numbers of 4,301+ digits; a revision past the store's INTEGER; a time before year 1 in UTC


def test_a_version_of_5000_digits(cp):
    line = _one_line(cp("plan", "show", f"acme@{HUGE}"), "version numbers stop at 2147483647")
    assert len(line) < 200


def test_a_version_of_5000_digits_on_the_web(cp, url):
    from webapp import client_for

    with client_for(url) as tc:
        # an input error, not a 500 (the status for an unknown version is point 3's, not this test's)
        assert tc.get(f"/versions/acme@{HUGE}").status_code in (400, 404)
        response = tc.get(f"/api/plans/acme@{HUGE}")
        assert response.status_code in (400, 404) and "stop at" in response.text


def _catalog_text(fmt: str, **overrides: object) -> str:
    doc = {**tiny_doc(), **overrides}
    return json.dumps(doc) if fmt == "json" else yaml.safe_dump(doc, sort_keys=False)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("command", ["validate", "import"])
def test_a_catalog_number_of_5000_digits(cp, url, tmp_path, fmt, command):
    f = tmp_path / f"big.{fmt}"
    f.write_text(_catalog_text(fmt, revision=7).replace("revision: 7", f"revision: {HUGE}").replace(": 7", f": {HUGE}"))
    before = _counts(url)
    _one_line(cp("catalog", command, str(f)), str(f), "more than 4,300 digits")
    assert _counts(url) == before


@pytest.mark.parametrize("command", ["validate", "import"])
def test_a_revision_past_the_store_integer(cp, url, tmp_path, command):
    f = tmp_path / "rev.json"
    f.write_text(_catalog_text("json", revision=10**20))
    before = _counts(url)
    _one_line(cp("catalog", command, str(f)), "revision", "from 1 to 2147483647")
    assert _counts(url) == before


def test_an_edition_of_5000_digits_is_sorted_without_int(cp, url, tmp_path):
    f = tmp_path / "edition.json"
    f.write_text(_catalog_text("json", edition=HUGE))
    result = cp("catalog", "import", str(f))
    assert result.exit_code == 0, result.output
    listed = cp("catalog", "list")
    assert listed.exit_code == 0 and listed.stdout.rstrip().splitlines()[-1].startswith("tiny@9999")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda doc: doc["versions"][0].update(created_at="0001-01-01T00:00:00+01:00"), "out of range"),
        (lambda doc: doc["plan"].update(created_at="9999-12-31T23:59:59-01:00"), "out of range"),
        (lambda doc: doc["versions"][0].update(parent="HUGE"), "more than 4,300 digits"),
    ],
    ids=["created_at-year-0", "created_at-year-10000", "5000-digit-number"],
)
def test_an_export_with_a_time_or_number_out_of_range(cp, url, tmp_path, change, needle):
    doc = json.loads(cp("plan", "export", "acme").stdout)
    change(doc)
    f = tmp_path / "e.json"
    f.write_text(json.dumps(doc).replace('"HUGE"', HUGE))
    before = _counts(url)
    _one_line(cp("plan", "import", str(f), "--as", "copy"), str(f), needle)
    assert _counts(url) == before
