"""``connectplan catalog import`` and ``catalog list``: catalog editions in the store."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import format_option


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def import_catalog(ctx: click.Context, file: str) -> None:
    """Add the catalog edition in FILE (YAML or JSON) to the store.

    Editions are immutable: importing identical content again changes nothing; different
    content under an existing name@edition is refused (both content hashes are named).

    Example: connectplan catalog import my-catalog@2026.yaml
    """
    from connectplan.catalog_files import load_catalog_file
    from connectplan.output.plans import catalog_import_line

    catalog = load_catalog_file(file)  # a bad file is refused before the store is opened
    info, created = workspace(ctx).import_catalog(catalog)
    click.echo(catalog_import_line(info, created), nl=False)


@click.command("list")
@format_option("text", "json")
@click.pass_context
def list_catalogs(ctx: click.Context, fmt: str) -> None:
    """List the catalog editions in the store: name@edition, content hash, import time, title.

    Example: connectplan catalog list --format json
    """
    from connectplan.output.plans import format_catalog_list

    click.echo(format_catalog_list(workspace(ctx).catalogs(), fmt), nl=False)
