"""The command-line reference page, ``docs/cli.md``, generated from every command's ``--help``.

``python -m connectplan.clidoc`` rewrites it (run from the repository root, or pass the page's
path); ``tests/test_docs.py`` fails when the committed page differs from :func:`render`. The help
is rendered as an 80-column terminal shows it, whatever the terminal, so the page is the same on
every machine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["PAGE", "render"]

#: the page, relative to the repository root
PAGE = Path("docs") / "cli.md"
#: click's text width in an 80-column terminal (it keeps two columns free)
WIDTH = 78

_INTRO = """\
# Command-line reference

Every command's `--help`, as `connectplan` prints it. Each command ends its help with an example;
`tests/test_docs.py` runs every one of them (and every `connectplan` line of the README and of
these docs) against a throwaway store. This page is generated: edit the commands' help in
`connectplan/cli.py` and `connectplan/commands/`, then run `python -m connectplan.clidoc`
(the suite fails while the page is out of date).
"""


def _commands(cmd: click.Command, ctx: click.Context) -> Iterator[tuple[click.Command, click.Context]]:
    yield cmd, ctx
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _commands(sub, sub.make_context(name, [], parent=ctx, resilient_parsing=True))


def render() -> str:
    """The page: the root group's help, then every command's, depth first in alphabetical order."""
    from connectplan.cli import cli

    root = cli.make_context("connectplan", [], resilient_parsing=True, terminal_width=WIDTH, max_content_width=WIDTH)
    parts = [_INTRO]
    for cmd, ctx in _commands(cli, root):
        parts.append(f"## `{ctx.command_path}`\n\n```text\n{cmd.get_help(ctx).rstrip()}\n```\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write the page (``docs/cli.md``, or the path given); print whether it changed."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0].startswith("-"):  # --help, or a mistyped option: never taken for a path
        print("usage: python -m connectplan.clidoc [PAGE]  (default: docs/cli.md; rewrites it from --help)")
        return 0 if args[0] in ("-h", "--help") else 2
    path = Path(args[0]) if args else PAGE
    text = render()
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        print(f"{path} is up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
