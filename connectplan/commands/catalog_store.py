"""``connectplan catalog import`` and ``catalog list``: catalog editions in the store."""

from __future__ import annotations

import click

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
    from connectplan.store import open_store

    catalog = load_catalog_file(file)
    info, created = open_store((ctx.find_root().obj or {}).get("db_url")).import_catalog(catalog)
    state = "imported" if created else "already stored (identical content, nothing changed)"
    click.echo(f"{info.ref}: {state}: {info.content_hash}")


@click.command("list")
@format_option("text", "json")
@click.pass_context
def list_catalogs(ctx: click.Context, fmt: str) -> None:
    """List the catalog editions in the store: name@edition, content hash, import time, title.

    Example: connectplan catalog list --format json
    """
    from connectplan.output.plans import format_catalog_list
    from connectplan.store import open_store

    editions = open_store((ctx.find_root().obj or {}).get("db_url")).list_catalogs()
    click.echo(format_catalog_list(editions, fmt), nl=False)
