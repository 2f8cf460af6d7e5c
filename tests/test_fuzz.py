"""Fuzzing the edges (issue 10, point 10): hypothesis-generated input for the CLI.

Every case checks the same contract: no traceback and no "internal error", exit code 0, 1 or 2,
an error message of at most three lines, and nothing stored when the command failed. The
examples are derandomized (the same cases each run) and bounded so that the whole module runs in
well under a minute; ``FUZZ_EXAMPLES`` below is the figure docs/reliability.md quotes.
"""

from __future__ import annotations

import copy
import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectplan.catalog_files import builtin_catalog_files
from connectplan.cli import cli

#: examples per fuzzed command (x 6 commands)
FUZZ_EXAMPLES = 60

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PROPS = ["onboarding", "dashboard", "charge_type", "fee_payer", "liability", "nope", ""]
OPTIONS = ["hosted", "embedded", "api", "full", "express", "none", "direct", "destination", "separate", "platform"]
NASTY = st.sampled_from(
    [
        "",
        "\n",
        "\x00",
        "\x1b[2J",
        "\u202e",
        "²",
        "٣",
        "99999999999999999999",
        "2147483648",
        "-1",
        "0",
        "latest\n",
        "@",
        "@@",
        "=",
        ",",
        "\ud800",
        "a" * 300,
        "é",
        "..",
        "/",
        "%s",
        "{}",
    ]
)
TEXT = st.one_of(NASTY, st.text(max_size=40), st.text(alphabet="abc@=,.-_0123456789\n ", max_size=30))


def check(result, *, stored_before: int | None = None, count=None) -> None:
    """The contract every fuzzed invocation must keep."""
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output, result.exception)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr, result.stderr
    if result.exit_code == 2:
        assert 1 <= len(result.stderr.strip().splitlines()) <= 3, result.stderr
    if stored_before is not None and result.exit_code != 0:
        assert count() == stored_before, "a failed command stored something"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "plans.db"
    url = f"sqlite:///{path}"
    runner = CliRunner()
    for name, preset in (("acme", "marketplace"), ("saas-co", "saas")):
        result = runner.invoke(cli, ["--db", url, "plan", "new", name, "--preset", preset, "-m", "seed"])
        assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--db", url, "plan", "tag", "acme@1", "reviewed"])
    assert result.exit_code == 0, result.output

    def count(table: str = "plan_version") -> int:
        with sqlite3.connect(path) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    return url, path, count


@FUZZ
@given(
    st.lists(
        st.one_of(
            TEXT, st.builds(lambda p, o: f"{p}={o}", st.sampled_from(PROPS), st.one_of(st.sampled_from(OPTIONS), TEXT))
        ),
        min_size=1,
        max_size=4,
    )
)
def test_resolve_set(store, sets):
    url, _, _ = store
    args = ["--db", url, "resolve", "--catalog", "stripe-connect@2025"]
    for value in sets:
        args += ["--set", value]
    check(CliRunner().invoke(cli, args))


@FUZZ
@given(st.one_of(TEXT, st.builds(lambda n, s: f"{n}@{s}", st.sampled_from(["acme", "saas-co", "nope"]), TEXT)))
def test_plan_references(store, ref):
    url, _, _ = store
    check(CliRunner().invoke(cli, ["--db", url, "plan", "show", ref]))
    check(CliRunner().invoke(cli, ["--db", url, "plan", "diff", "acme@1", ref]))


@FUZZ
@given(name=TEXT, message=TEXT, author=TEXT, tag=TEXT)
def test_plan_names_messages_and_tags(store, name, message, author, tag):
    url, _, count = store
    before = count()
    result = CliRunner().invoke(
        cli, ["--db", url, "plan", "new", name, "--preset", "saas", "-m", message, "--author", author]
    )
    check(result, stored_before=before, count=count)
    before = count("plan_tag")
    result = CliRunner().invoke(cli, ["--db", url, "plan", "tag", "saas-co@1", tag])
    check(result, stored_before=before, count=lambda: count("plan_tag"))


def _mutate_json(doc, rnd: random.Random, value):
    """Replace, delete or retype one value somewhere in ``doc`` (in place)."""
    paths: list[tuple[object, object]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        items = (
            list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        )
        for key, child in items:
            paths.append((node, key))
            stack.append(child)
    parent, key = rnd.choice(paths)
    action = rnd.randrange(3)
    if action == 0 and isinstance(parent, dict):
        del parent[key]
    elif action == 1:
        # a copy: inserting the same object twice can nest it inside itself, and a cyclic document
        # would make this walk (not the code under test) run out of memory
        parent[key] = copy.deepcopy(value)
    else:
        parent[key] = [parent[key]] if rnd.random() < 0.5 else {"x": parent[key]}


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=5,
)


@pytest.fixture(scope="module")
def export_doc(store):
    url, _, _ = store
    result = CliRunner().invoke(cli, ["--db", url, "plan", "export", "acme"])
    assert result.exit_code == 0, result.output
    return result.stdout


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), value=JSON_VALUES, mutations=st.integers(1, 3))
def test_plan_import_of_mutated_exports(store, export_doc, tmp_path_factory, seed, value, mutations):
    url, _, count = store
    rnd = random.Random(seed)
    doc = json.loads(export_doc)
    for _ in range(mutations):
        _mutate_json(doc, rnd, value)
    f = tmp_path_factory.mktemp("imp") / "mutated.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    before = count()
    result = CliRunner().invoke(cli, ["--db", url, "plan", "import", str(f), "--as", f"imp-{seed}"])
    check(result, stored_before=before, count=count)


SHIPPED = [p.read_text(encoding="utf-8") for p in builtin_catalog_files()]


def _mutate_text(text: str, rnd: random.Random, insert: str) -> str:
    lines = text.splitlines(keepends=True)
    action = rnd.randrange(5)
    i = rnd.randrange(len(lines))
    if action == 0:
        del lines[i]
    elif action == 1:
        lines.insert(i, lines[rnd.randrange(len(lines))])
    elif action == 2:
        pos = rnd.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:pos] + insert + lines[i][pos:]
    elif action == 3:
        lines = lines[:i]
    else:
        lines[i] = lines[i].replace(":", insert, 1)
    return "".join(lines)


@FUZZ
@given(
    which=st.integers(0, len(SHIPPED) - 1),
    seed=st.integers(0, 2**32 - 1),
    insert=st.one_of(
        NASTY,
        st.sampled_from(["&a ", "*a", "[", "{", "- ", ": ", "!!python/object ", "\t", "'", '"']),
        st.text(max_size=8),
    ),
    mutations=st.integers(1, 3),
)
def test_catalog_files_mutated_from_the_shipped_ones(store, tmp_path_factory, which, seed, insert, mutations):
    url, _, count = store
    rnd = random.Random(seed)
    text = SHIPPED[which]
    for _ in range(mutations):
        text = _mutate_text(text, rnd, insert)
    text = text.replace("edition: '2025'", "edition: 'fuzz'").replace("edition: '2024'", "edition: 'fuzz'")
    f = tmp_path_factory.mktemp("cat") / "mutated.yaml"
    f.write_bytes(text.encode("utf-8", "surrogatepass"))
    validate = CliRunner().invoke(cli, ["catalog", "validate", str(f)])
    assert validate.exit_code in (0, 2) and "Traceback" not in validate.output, validate.output
    assert validate.exception is None or isinstance(validate.exception, SystemExit), repr(validate.exception)
    before = count("catalog_edition")
    result = CliRunner().invoke(cli, ["--db", url, "catalog", "import", str(f)])
    check(result, stored_before=before, count=lambda: count("catalog_edition"))
    assert (validate.exit_code == 0) == (result.exit_code == 0) or result.exit_code == 2, (
        validate.output,
        result.output,
    )


def test_the_store_is_intact_after_fuzzing(store):
    """Runs last in this module: the seeded plans are unchanged and the database is sound."""
    url, path, _ = store
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    result = CliRunner().invoke(cli, ["--db", url, "plan", "show", "acme@reviewed"])
    assert result.exit_code == 0, result.output
    assert Path(path).stat().st_size > 0
