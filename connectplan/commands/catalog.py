"""``connectplan catalog ...`` and ``connectplan options``."""

from __future__ import annotations

import click

from connectplan.cli import LazyGroup, workspace
from connectplan.commands.options import catalog_option, format_option

#: catalog subcommands defined in other modules, imported on use
CATALOG_COMMANDS: dict[str, tuple[str, str]] = {
    "lint": (
        "connectplan.commands.catalog_tools:lint",
        "Check a catalog for errors and dead parts; count selections by verdict.",
    ),
    "diff": (
        "connectplan.commands.catalog_tools:diff",
        "List what one catalog edition adds, removes, renames and changes.",
    ),
    "import": (
        "connectplan.commands.catalog_store:import_catalog",
        "Add a catalog edition (YAML or JSON file) to the store.",
    ),
    "list": ("connectplan.commands.catalog_store:list_catalogs", "List the catalog editions in the store."),
}


@click.group(cls=LazyGroup, lazy=CATALOG_COMMANDS)
def catalog() -> None:
    """Validate, show, list, import, lint and compare catalog editions."""


@catalog.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file: str) -> None:
    """Check a catalog file; print every problem as FILE:LINE: PATH: MESSAGE.

    Exit 0 when valid, 2 when not. The store is not opened.

    Example: connectplan catalog validate my-catalog.yaml
    """
    from connectplan.catalog_files import load_catalog_file
    from connectplan.engine import CatalogError
    from connectplan.output.catalogs import catalog_summary

    try:
        cat = load_catalog_file(file)
    except CatalogError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        if exc.more:
            click.echo(
                f"{file}: ... and {exc.more} more problems (only the first {len(exc.problems)} are shown)", err=True
            )
        raise SystemExit(2) from None
    click.echo(catalog_summary(file, cat), nl=False)


@catalog.command("show")
@click.argument("catalog_ref", required=False, metavar="[NAME[@EDITION]]")
@format_option("yaml", "json", default="yaml")
@click.pass_context
def show(ctx: click.Context, catalog_ref: str | None, fmt: str) -> None:
    """Print a stored catalog edition in the catalog file format.

    Example: connectplan catalog show stripe-connect@2024 --format json
    """
    from connectplan.output.catalogs import format_catalog

    click.echo(format_catalog(workspace(ctx).catalog(catalog_ref), fmt), nl=False)


@click.command()
@catalog_option
@format_option("text", "json")
@click.pass_context
def options(ctx: click.Context, catalog_ref: str | None, fmt: str) -> None:
    """List the property and option ids of a catalog, with titles.

    Example: connectplan options --catalog stripe-connect@2025
    """
    from connectplan.output.catalogs import format_options

    click.echo(format_options(workspace(ctx).catalog(catalog_ref), fmt), nl=False)
