"""``connectplan plan upgrade``: move a saved plan to another catalog edition, with its impact."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import format_option


@click.command("upgrade")
@click.argument("ref")
@click.option(
    "--to",
    "to_ref",
    metavar="NAME@EDITION",
    help="Catalog edition (or NAME@EDITION.rN revision) to move the plan to "
    "(default: the newest revision of its edition when one corrects it, else the newest edition).",
)
@click.option("--dry-run", is_flag=True, help="Only print the impact; save nothing.")
@click.option("-m", "--message", metavar="MSG", help="Message of the new version (default: 'upgrade to NAME@EDITION').")
@click.option("--author", metavar="NAME", help="Author recorded with the version (default: $USER).")
@click.option(
    "--allow-blocked",
    is_flag=True,
    help="Save even when the carried-over selection is blocked (or out of scope) in the new edition.",
)
@format_option("text", "json")
@click.pass_context
def upgrade(
    ctx: click.Context,
    ref: str,
    to_ref: str | None,
    dry_run: bool,
    message: str | None,
    author: str | None,
    allow_blocked: bool,
    fmt: str,
) -> None:
    """Carry plan version REF over to another catalog edition and report the impact.

    The selection is mapped through the new edition's renames; the report shows the verdict
    before and after, and the findings and steps added and removed. Without --dry-run the
    result is saved as a new version pinned to the new edition. A selection that is blocked
    in the new edition is saved only with --allow-blocked (exit 1 otherwise); the report
    names the blocking rules and the nearest alternatives.

    Example: connectplan plan upgrade acme-saas --to stripe-connect@2025 --dry-run
    """
    from connectplan.output.upgrade import format_upgrade, not_saved_line

    report, saved = workspace(ctx).upgrade_plan(
        ref, to_ref, dry_run=dry_run, allow_blocked=allow_blocked, message=message, author=author
    )
    click.echo(format_upgrade(report, saved, fmt, dry_run=dry_run), nl=False)
    if not dry_run and saved is None:
        click.echo(not_saved_line(report), err=True)
        ctx.exit(1)
