"""``connectplan presets``: the business archetypes of a catalog edition with their verdicts."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import catalog_option, format_option


@click.command()
@catalog_option
@format_option("text", "json")
@click.pass_context
def presets(ctx: click.Context, catalog_ref: str | None, fmt: str) -> None:
    """List a catalog's presets: selection, one-line reasoning and the verdict it resolves to.

    Use one with --preset on resolve, explore or plan new (later --set values override it).

    Example: connectplan presets --catalog stripe-connect@2025
    """
    from connectplan.output.catalogs import format_presets

    catalog, resolutions = workspace(ctx).presets(catalog_ref)
    click.echo(format_presets(catalog, resolutions, fmt), nl=False)
