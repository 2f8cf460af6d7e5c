"""Docs that run (issue 18, point 7).

Every ``connectplan …`` line in the shell blocks of README.md and docs/*.md, and the example that
ends each command's ``--help``, is executed against a throwaway store, in the order the page gives
them, after a short prelude that makes what the page takes for granted (a plan it names but does
not create, a catalog file it imports). A line must exit as documented (0, or the exit code listed
in :data:`EXPECTED_EXIT` with the reason), and print no traceback and no internal error.

PostgreSQL URLs in the docs (``postgresql+psycopg://user@host/db`` and the like) stand for the
team's store: they are replaced by a database of the throwaway cluster (tests/pg.py). Lines that
need a running server or a token are listed in :data:`SKIPPED` with the reason; they are still
parsed by the CLI (every option they use must exist). docs/cli.md, the reference generated from
``--help``, must equal what ``python -m connectplan.clidoc`` writes (sqlite-utils' test_docs.py
checks its CLI reference the same way).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from connectplan import clidoc
from connectplan.cli import cli

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_INFO = {"", "sh", "bash", "shell", "console"}
PG_URL = re.compile(r"postgresql\+psycopg://\S+")

#: commands whose documented lines are parsed but not run, with the reason (their callback is replaced for the test)
SKIPPED = {
    "serve": "starts the web server, which runs until it is stopped (and with --token needs a token); "
    "`connectplan serve` runs end to end as a subprocess in tests/test_web.py and tests/test_web_security.py "
    "(two workers on PostgreSQL), and in a browser in tests/test_browser.py",
    "verify": "talks to Stripe with an API key; every documented `connectplan verify` line (and the help example) "
    "runs against the local Stripe stand-in in tests/test_verify.py::test_documented_verify_lines_run",
}

#: lines whose documented exit code is not 0, with the reason
EXPECTED_EXIT = {
    "resolve --preset saas --set liability=platform --format markdown --fail-on blocked": (
        1,
        "the README's CI gate: platform liability blocks the SaaS preset, so --fail-on blocked exits 1",
    ),
}

#: commands run before a page's lines: what the page takes for granted without creating it
PRELUDES: dict[str, list[str]] = {
    "README.md": [
        "plan new acme-saas --catalog stripe-connect@2025.r1 --preset saas -m 'on a corrected revision'",
    ],
    "docs/diagrams.md": [
        "plan new acme-marketplace --preset marketplace -m 'first cut'",
        "plan tag acme-marketplace@1 accepted",
        "plan set acme-marketplace --set charge_type=separate --set fee_mechanism=transfer_math -m 'multi-seller'",
        "plan tag acme-marketplace@2 reviewed",
    ],
    "docs/blueprint.md": [
        "plan new acme-marketplace --preset marketplace -m 'first cut'",
        "plan set acme-marketplace --set charge_type=separate --set fee_mechanism=transfer_math -m 'multi-seller'",
    ],
    "docs/exploration.md": [
        "plan new acme-saas --catalog stripe-connect@2024 --preset saas -m 'on Accounts v1'",
    ],
}

#: the order the commands' help examples run in (a user's order: catalogs, decisions, plans, documents)
HELP_ORDER = [
    "catalog validate",
    "catalog",
    "catalog import",
    "catalog list",
    "catalog show",
    "catalog lint",
    "catalog diff",
    "options",
    "presets",
    "explore",
    "resolve",
    "",
    "render",
    "db current",
    "db",
    "db upgrade",
    "plan",
    "plan new",
    "plan set",
    "plan log",
    "plan diff",
    "plan tag",
    "plan show",
    "plan fork",
    "plan export",
    "plan import",
    "plan list",
    "plan upgrade",
    "prompt",
    "blueprint",
    "doc",
    "verify",
    "user",
    "user add",
    "serve",
]

#: commands run just before a help example: the state its example takes for granted
HELP_SETUP = {
    "plan upgrade": ["plan new acme-saas --catalog stripe-connect@2024 --preset saas -m 'on Accounts v1'"],
    "doc": ["plan tag acme-marketplace@1 accepted"],
}

#: a small catalog for the lines that validate, import and lint ``my-catalog*.yaml`` / ``my.yaml``
MY_CATALOG = """\
format: connectplan-catalog/1
name: my-catalog
edition: "2026"
title: My catalog
parties:
  - {id: platform, title: Platform}
  - {id: seller, title: Seller}
properties:
  - id: payout
    title: Payout
    options:
      - {id: daily, title: Daily}
      - {id: weekly, title: Weekly}
rules:
  - {id: weekly_note, condition: payout.weekly, severity: info, message: Weekly payouts.}
steps:
  - {id: connect, order: 10, phase: accounts, condition: always, title: Connect the seller}
flows:
  - {id: payout, from: platform, to: seller, what: the payout, kind: payout, condition: always}
responsibilities:
  - id: support
    title: Support
    assignments: [{party: platform, condition: always}]
presets:
  - {id: daily, title: Daily payouts, selection: {payout: daily}}
"""
CATALOG_FILES = ("my-catalog@2026.yaml", "my-catalog.yaml", "my.yaml")


@dataclass(frozen=True)
class Line:
    """One documented command line: where it is, and its text (continuations joined, comment kept out)."""

    where: str
    text: str


def page_lines(page: Path) -> list[Line]:
    """The ``connectplan`` lines of a page's shell blocks (fenced with no info or sh/bash/console, or indented)."""
    name = page.relative_to(ROOT).as_posix()
    lines: list[Line] = []
    for token in MarkdownIt("commonmark").parse(page.read_text(encoding="utf-8")):
        if token.type == "fence" and token.info.strip() not in SHELL_INFO:
            continue
        if token.type not in ("fence", "code_block") or token.map is None:
            continue
        first = token.map[0] + (2 if token.type == "fence" else 1)  # 1-based number of the block's first line
        pending: list[str] = []
        start = first
        for offset, raw in enumerate(token.content.splitlines()):
            if not pending:
                start = first + offset
            pending.append(raw.rstrip().removesuffix("\\"))
            if raw.rstrip().endswith("\\"):
                continue
            text = " ".join(part.strip() for part in pending)
            pending = []
            if _is_connectplan(text):
                lines.append(Line(f"{name}:{start}", text))
    return lines


ENV_ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=.*")


def _is_connectplan(text: str) -> bool:
    words = shlex.split(text, comments=True)
    while words and ENV_ASSIGNMENT.fullmatch(words[0]):
        words.pop(0)
    return bool(words) and Path(words[0]).name == "connectplan"


def help_examples() -> list[tuple[str, str]]:
    """``(command path, example)`` for every command, in :data:`HELP_ORDER`; the root group's path is ``""``."""
    found = dict(_walk(cli, []))
    assert sorted(found) == sorted(HELP_ORDER), "every command's example has its place in HELP_ORDER"
    return [(path, found[path]) for path in HELP_ORDER]


def _walk(cmd: click.Command, path: list[str]) -> Iterator[tuple[str, str]]:
    paragraphs = [" ".join(p.split()) for p in (cmd.help or "").split("\n\n")]
    found = [p.removeprefix("Example:").strip() for p in paragraphs if p.startswith("Example:")]
    assert len(found) == 1, f"`connectplan {' '.join(path)} --help` ends with one example"
    assert paragraphs[-1].startswith("Example:"), f"`connectplan {' '.join(path)} --help` ends with its example"
    yield " ".join(path), found[0]
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd, info_name=path[-1] if path else "connectplan")
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None
            yield from _walk(sub, [*path, name])


class Session:
    """Runs documented lines in one working directory, on its default store ``./connectplan.db``."""

    def __init__(self, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pg_url = pg_url
        self.runner = CliRunner()
        self.failures: list[str] = []
        self.parsed_only: list[str] = []
        root = cli.make_context("connectplan", [], resilient_parsing=True)
        for name in SKIPPED:
            command = cli.get_command(root, name)
            assert command is not None
            monkeypatch.setattr(command, "callback", self._parsed_only)

    def _parsed_only(self, *_args: object, **_kwargs: object) -> None:
        self.parsed_only.append(click.get_current_context().command_path)

    def run(self, line: Line) -> None:
        for argv, env in _commands(line.text.replace("$CONNECTPLAN_TOKEN", "a-token")):
            argv = [PG_URL.sub(self.pg_url, a) for a in argv]
            env = {k: PG_URL.sub(self.pg_url, v) for k, v in env.items()}
            shown = " ".join(argv)
            result = self.runner.invoke(
                cli, argv, env={"CONNECTPLAN_DATABASE_URL": None, **env}, prog_name="connectplan"
            )
            expected = EXPECTED_EXIT.get(shown, (0, ""))[0]
            output = result.output  # standard output and error, interleaved
            if result.exit_code != expected or "Traceback" in output or "internal error" in output:
                detail = output.strip()[-800:] or repr(result.exception)
                self.failures.append(
                    f"{line.where}: `connectplan {shown}` exited {result.exit_code} (documented: {expected}):\n{detail}"
                )

    def check(self) -> None:
        assert self.failures == [], "documented commands that do not run:\n\n" + "\n\n".join(self.failures)


def _commands(text: str) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The commands of a line (``a && b``), each as its arguments after ``connectplan`` and its ``VAR=value`` env."""
    words = shlex.split(text, comments=True)
    command: list[str] = []
    for word in [*words, "&&"]:
        if word != "&&":
            command.append(word)
            continue
        env: dict[str, str] = {}
        while command and ENV_ASSIGNMENT.fullmatch(command[0]):
            key, _, value = command.pop(0).partition("=")
            env[key] = value
        assert command and Path(command[0]).name == "connectplan", f"not a connectplan command: {text}"
        yield command[1:], env
        command = []


@pytest.fixture(scope="module")
def team_store(pg_cluster) -> str:
    """The PostgreSQL database the docs' placeholder URLs stand for, at schema head."""
    return pg_cluster.new_store()


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, team_store: str) -> Session:
    """A fresh working directory (its default store made on first use) holding the docs' catalog files."""
    monkeypatch.chdir(tmp_path)
    for name in CATALOG_FILES:
        (tmp_path / name).write_text(MY_CATALOG, encoding="utf-8")
    return Session(team_store, monkeypatch)


@pytest.mark.postgres
@pytest.mark.dot
@pytest.mark.parametrize("page", [p for p in PAGES if page_lines(p)], ids=lambda p: p.name)
def test_every_documented_command_runs(page: Path, session: Session) -> None:
    name = page.relative_to(ROOT).as_posix()
    for i, prelude in enumerate(PRELUDES.get(name, [])):
        session.run(Line(f"{name} (prelude {i + 1})", "connectplan " + prelude))
    for line in page_lines(page):
        session.run(line)
    session.check()
    skipped = [line for line in page_lines(page) if set(SKIPPED) & set(shlex.split(line.text, comments=True))]
    assert len(session.parsed_only) == len(skipped)  # parsed by the CLI, every option known, not run


@pytest.mark.postgres
@pytest.mark.dot
def test_every_commands_help_example_runs(session: Session) -> None:
    done: set[str] = set()
    for path, example in help_examples():
        for i, setup in enumerate(HELP_SETUP.get(path, [])):
            session.run(Line(f"before the example of `{path}` ({i + 1})", "connectplan " + setup))
        if example not in done:  # `plan --help` and `plan new --help` share theirs
            session.run(Line(f"`{' '.join(['connectplan', *path.split()])} --help`", example))
            done.add(example)
    session.check()


def test_the_pages_hold_the_commands_the_test_runs() -> None:
    """The extraction finds the README's blocks, continuation lines, ``&&`` and ``VAR=value`` prefixes."""
    readme = {line.text for line in page_lines(ROOT / "README.md")}
    assert (
        "connectplan presets                                             # archetypes with their reasoning and verdict"
        in readme
    )
    assert any(
        t.startswith("connectplan resolve --catalog stripe-connect@2026 --set business_model=platform --set")
        for t in readme
    )
    assert any("&& connectplan plan import" in t for t in readme)
    assert any(t.startswith("CONNECTPLAN_DATABASE_URL=") for t in readme)
    assert not any(t.startswith("make ") for t in readme)
    assert {p.name for p in PAGES if page_lines(p)} >= {
        "README.md",
        "diagrams.md",
        "exploration.md",
        "store.md",
        "web.md",
    }


def test_the_cli_reference_is_current() -> None:
    """docs/cli.md is generated from every command's --help; regenerate it with `python -m connectplan.clidoc`."""
    current = (ROOT / clidoc.PAGE).read_text(encoding="utf-8")
    assert current == clidoc.render(), "docs/cli.md is out of date: run `python -m connectplan.clidoc`"


def test_the_cli_reference_covers_every_command() -> None:
    page = clidoc.render()
    for path, _example in help_examples():
        assert f"\n## `{' '.join(['connectplan', *path.split()])}`\n" in page
