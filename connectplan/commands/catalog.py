"""``connectplan catalog ...`` and ``connectplan options``."""

from __future__ import annotations

import click

from connectplan.cli import LazyGroup
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

    Exit 0 when valid, 2 when not.

    Example: connectplan catalog validate my-catalog.yaml
    """
    from connectplan.catalog_files import load_catalog_file
    from engine import CatalogError

    try:
        cat = load_catalog_file(file)
    except CatalogError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(2) from None
    click.echo(
        f"{file}: ok: {cat.ref}: {len(cat.properties)} properties, {sum(len(p.options) for p in cat.properties)} options, "
        f"{len(cat.rules)} rules, {len(cat.steps)} steps, {len(cat.flows)} flows, "
        f"{len(cat.responsibilities)} responsibilities, {len(cat.presets)} presets"
    )


@catalog.command("show")
@click.argument("catalog_ref", required=False, metavar="[NAME[@EDITION]]")
@format_option("yaml", "json", default="yaml")
@click.pass_context
def show(ctx: click.Context, catalog_ref: str | None, fmt: str) -> None:
    """Print a stored catalog edition in the catalog file format.

    Example: connectplan catalog show stripe-connect@2024 --format json
    """
    from connectplan import app
    from connectplan.output.resolution import to_json
    from engine import catalog_to_dict

    doc = catalog_to_dict(app.get_catalog(catalog_ref, (ctx.obj or {}).get("db_url")))
    if fmt == "json":
        click.echo(to_json(doc), nl=False)
    else:
        import yaml

        click.echo(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), nl=False)


@click.command()
@catalog_option
@format_option("text", "json")
@click.pass_context
def options(ctx: click.Context, catalog_ref: str | None, fmt: str) -> None:
    """List the property and option ids of a catalog, with titles.

    Example: connectplan options --catalog stripe-connect@2025
    """
    from connectplan import app
    from connectplan.output.resolution import to_json

    cat = app.get_catalog(catalog_ref, (ctx.obj or {}).get("db_url"))
    if fmt == "json":
        doc = {
            "catalog": {"name": cat.name, "edition": cat.edition},
            "properties": [
                {"id": p.id, "title": p.title, "options": [{"id": o.id, "title": o.title} for o in p.options]}
                for p in cat.properties
            ],
        }
        click.echo(to_json(doc), nl=False)
        return
    click.echo(f"{cat.ref}: {cat.title}")
    for prop in cat.properties:
        click.echo(f"{prop.id}: {prop.title}")
        for opt in prop.options:
            click.echo(f"  {prop.id}.{opt.id}  {opt.title}")
