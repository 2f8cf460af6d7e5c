"""``connectplan explore``: what a partial selection still allows, and why."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import catalog_option, format_option, selection_options


@click.command()
@catalog_option
@selection_options
@format_option("text", "json")
@click.pass_context
def explore(ctx: click.Context, catalog_ref: str | None, preset: str | None, sets: tuple[str, ...], fmt: str) -> None:
    """Show, for every property, which options a partial selection leaves open.

    Each option is judged given the other properties' choices: excluded (every completion
    is blocked or out of scope; the rule and the smallest set of chosen terms are named),
    forced (the only option left) or open, with the best verdict still reachable. A complete
    selection is also resolved.

    Example: connectplan explore --catalog stripe-connect@2025 --set dashboard=express
    """
    from connectplan.output.exploration import format_exploration

    result = workspace(ctx).explore(catalog=catalog_ref, preset=preset, set=sets)
    click.echo(format_exploration(result, fmt), nl=False)
