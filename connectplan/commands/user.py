"""``connectplan user add NAME``: a named user of the web configurator (``serve --users FILE``)."""

from __future__ import annotations

import click


@click.group()
def user() -> None:
    """Manage the web configurator's users file (serve --users FILE).

    Example: connectplan user add ada --users team-users
    """


@user.command("add")
@click.argument("name")
@click.option(
    "--users",
    "users_file",
    envvar="CONNECTPLAN_USERS_FILE",
    show_envvar=True,
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The users file (created, mode 0600, when missing).",
)
def add(name: str, users_file: str) -> None:
    """Add user NAME with a new random token and print the token once (only its scrypt hash is stored).

    Example: connectplan user add grace --users team-users
    """
    from connectplan.web.users import add_user

    token = add_user(users_file, name)
    click.echo(token)
    click.echo(f"connectplan: added {name} to {users_file}; give them this token, it is not shown again", err=True)
