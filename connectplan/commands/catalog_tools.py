"""``connectplan catalog lint`` and ``connectplan catalog diff``."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import format_option


@click.command("lint")
@click.argument("target", required=False, metavar="[CATALOG|FILE]")
@format_option("text", "json")
@click.pass_context
def lint(ctx: click.Context, target: str | None, fmt: str) -> None:
    """Check a catalog edition or file for errors, dead parts, and count selections by verdict.

    Errors (prerequisite cycles, unknown references, unreachable prerequisites, anything the
    loader rejects) exit 1. Warnings (dead options, steps never active, rules that never or
    always fire, presets whose verdict is blocked) do not change the exit code. CATALOG is
    NAME[@EDITION] from the store (default: the newest stripe-connect edition).

    Example: connectplan catalog lint stripe-connect@2025
    """
    from connectplan.output.catalogs import format_lint

    report = workspace(ctx).lint(target)
    click.echo(format_lint(report, fmt), nl=False)
    if not report.ok:
        ctx.exit(1)


@click.command("diff")
@click.argument("old", metavar="A")
@click.argument("new", metavar="B")
@format_option("text", "json")
@click.pass_context
def diff(ctx: click.Context, old: str, new: str, fmt: str) -> None:
    """List what edition B adds, removes, renames and changes compared with edition A.

    A and B are NAME@EDITION from the store or catalog files. Sections: properties, options,
    rules, steps, flows, responsibilities, presets, parties.

    Example: connectplan catalog diff stripe-connect@2024 stripe-connect@2025
    """
    from connectplan.output.catalogs import format_catalog_diff

    click.echo(format_catalog_diff(workspace(ctx).diff_catalogs(old, new), fmt), nl=False)
