"""``connectplan plan upgrade``: move a saved plan to another catalog edition, with its impact."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import (
    allow_blocked_option,
    fail_on_option,
    format_option,
    require_decided_option,
)


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
@allow_blocked_option
@fail_on_option(
    "Save nothing and exit 1 when the carried-over verdict ranks at or above SEVERITY ({choices}); "
    "with --dry-run, only exit 1."
)
@require_decided_option(
    "Save nothing and exit 1 when the carried-over selection leaves a decision open "
    "(a new property defaulted to 'not decided yet'); with --dry-run, only exit 1."
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
    fail_on: str | None,
    require_decided: bool,
    fmt: str,
) -> None:
    """Carry plan version REF over to another catalog edition and report the impact.

    The selection is mapped through the new edition's renames; the report shows the verdict
    before and after, and the findings and steps added and removed. Without --dry-run the
    result is saved as a new version pinned to the new edition, and the report ends with the
    saved verdict (`verdict: BEFORE → AFTER` when it moved). The save policy of `plan new`
    applies: a selection
    that is blocked (or out of scope) in the new edition is saved only with --allow-blocked, and
    --fail-on refuses a verdict at or above SEVERITY (--require-decided: a selection left with
    open decisions); a refused upgrade stores nothing, prints
    the report (naming the blocking rules and the nearest alternatives) and one line on stderr,
    and exits 1. A dry run never saves, and exits 1 only for --fail-on.

    Example: connectplan plan upgrade acme-saas --to stripe-connect@2025 --dry-run
    """
    from connectplan.engine import Severity
    from connectplan.errors import VerdictRefusedError
    from connectplan.output.upgrade import format_upgrade

    try:
        report, saved = workspace(ctx).upgrade_plan(
            ref,
            to_ref,
            dry_run=dry_run,
            allow_blocked=allow_blocked,
            fail_on=fail_on,
            require_decided=require_decided,
            message=message,
            author=author,
        )
    except VerdictRefusedError as exc:
        if exc.report is None:
            raise
        click.echo(format_upgrade(exc.report, None, fmt, dry_run=False, refusal=str(exc)), nl=False)
        raise  # the one line on stderr, exit 1 (connectplan.cli.to_input_error)
    click.echo(format_upgrade(report, saved, fmt, dry_run=dry_run), nl=False)
    if dry_run and require_decided and report.after.open_decisions:
        from connectplan.cli import CheckFailedError
        from connectplan.errors import undecided_text

        opened = [d.property for d in report.after.open_decisions]
        raise CheckFailedError(f"{report.diff.from_ref} on {report.after.catalog.ref} " + undecided_text(opened))
    if dry_run and fail_on and report.after.rank >= Severity.parse(fail_on):
        ctx.exit(1)
