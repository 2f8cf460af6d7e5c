"""``connectplan db ...``: the store's schema (owned by Alembic's migrations)."""

from __future__ import annotations

import click


def _db_url(ctx: click.Context) -> str | None:
    return (ctx.find_root().obj or {}).get("db_url")


@click.group()
def db() -> None:
    """Create or upgrade the store's schema; show its revision.

    Example: connectplan --db postgresql+psycopg://user@host/plans db upgrade
    """


@db.command("upgrade")
@click.option(
    "--allow-foreign-tables",
    is_flag=True,
    help="Add connectplan's tables to a database that already holds other tables (refused by default).",
)
@click.pass_context
def upgrade(ctx: click.Context, allow_foreign_tables: bool) -> None:
    """Create the schema or upgrade it to this connectplan's head, then import the built-in catalogs.

    A store written by a newer connectplan (an unknown revision) is refused and left alone, and
    so is a database with other tables but no connectplan schema, unless --allow-foreign-tables.
    Concurrent upgrades of one store wait for each other (the second finds the schema at head).

    Example: connectplan --db postgresql+psycopg://user@host/plans db upgrade
    """
    from connectplan.output.plans import schema_upgrade_line
    from connectplan.workspace import upgrade_store

    before, after = upgrade_store(_db_url(ctx), allow_foreign_tables=allow_foreign_tables)
    click.echo(schema_upgrade_line(before, after), nl=False)


@db.command("current")
@click.pass_context
def current(ctx: click.Context) -> None:
    """Print the store's schema revision and whether it is current, behind or ahead of the code.

    Changes nothing (a missing SQLite file is not created).

    Example: connectplan db current
    """
    from connectplan.workspace import store_status

    click.echo(store_status(_db_url(ctx)).message)
