"""``connectplan prompt``: a prompt for a coding assistant that implements a plan."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import catalog_option, selection_options


@click.command()
@click.argument("ref", required=False, metavar="[REF]")
@catalog_option
@selection_options
@click.pass_context
def prompt(
    ctx: click.Context, ref: str | None, catalog_ref: str | None, preset: str | None, sets: tuple[str, ...]
) -> None:
    """Print a prompt asking a coding assistant to implement plan version REF exactly.

    The prompt holds the selection with each option's API settings, the ordered steps with
    bodies and links, the findings to respect, the money flows and the responsibilities.
    A --preset/--set selection works too.

    Example: connectplan prompt acme-marketplace@reviewed
    """
    click.echo(workspace(ctx).prompt(ref, catalog=catalog_ref, preset=preset, set=sets), nl=False)
