"""``connectplan verify``: do the platform's connected accounts match a plan? (needs the ``stripe`` extra)

The key comes from ``STRIPE_API_KEY`` or ``--api-key-file``, never the command line, and is never
printed. ``stripe`` is imported only when the command runs (:mod:`connectplan.verify`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from connectplan.cli import workspace
from connectplan.commands.options import format_option

if TYPE_CHECKING:
    from collections.abc import Callable

#: accounts checked before the progress line appears on a terminal (a short check stays quiet)
PROGRESS_AFTER = 10


@click.command()
@click.argument("ref", metavar="REF")
@format_option("text", "json")
@click.option(
    "--fail-on",
    type=click.Choice(("drift", "never")),
    default="never",
    show_default=True,
    help="Exit 1 when any account drifts from the plan (for CI).",
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Check at most N accounts.")
@click.option("--account", "account_id", metavar="ID", help="Check only the connected account ID (acct_...).")
@click.option(
    "--api-key-file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Read the Stripe API key from FILE's first line; or set STRIPE_API_KEY. Never on the command line, "
    "where ps shows it. A restricted key that can read connected accounts is enough.",
)
@click.option(
    "--api-key",
    "key_on_argv",
    hidden=True,
    metavar="KEY",
    help="Refused: a key on the command line is visible to every user (ps); see --api-key-file.",
)
@click.option("--live", is_flag=True, help="Allow a live-mode key (sk_live_/rk_live_); test-mode keys need nothing.")
@click.pass_context
def verify(
    ctx: click.Context,
    ref: str,
    fmt: str,
    fail_on: str,
    limit: int | None,
    account_id: str | None,
    api_key_file: str | None,
    key_on_argv: str | None,
    live: bool,
) -> None:
    """Check that the platform's connected accounts match plan version REF (drift check).

    Lists the accounts through the official stripe package (Accounts v2 with their
    configurations, or v1 accounts with controller properties for a 2024 plan) and compares
    each with what the plan requires: dashboard, fees, losses and requirements collectors, the
    configurations and capabilities its charge type needs, and payout settings where it sets
    them. Prints the counts first, then each drifting account (field, the plan's value, the
    account's, and the option, step or rule that needs it), those it cannot judge, and those
    that match. Exit 1 with --fail-on drift when any account drifts; a refused key or permission
    exits 2, an unreachable or failing Stripe 3 (rate limits and dropped connections are retried).
    Needs the stripe extra: pip install 'connectplan[stripe]'.

    Example: STRIPE_API_KEY=sk_test_your_key connectplan verify acme-marketplace@1 --fail-on drift
    """
    from connectplan.errors import AppError
    from connectplan.output.verify import format_verify
    from connectplan.verify import api_key, make_client

    if key_on_argv is not None:  # every user of the machine can read a process's arguments
        raise AppError(
            "an API key on the command line is visible to every user (ps); "
            "set STRIPE_API_KEY or pass --api-key-file FILE"
        )
    key = api_key(key_file=api_key_file, live=live)
    ws = workspace(ctx)
    progress = _progress(limit) if sys.stderr.isatty() else None
    try:
        report = ws.verify(ref, client=make_client(key), limit=limit, account=account_id, progress=progress)
    finally:
        if progress is not None:
            progress(-1)
    click.echo(format_verify(report, fmt), nl=False)
    if fail_on == "drift" and report.drifted:
        ctx.exit(1)


def _progress(limit: int | None) -> Callable[[int], None]:
    """A progress line on standard error: a bar towards ``--limit``, else the count so far (Stripe's
    lists do not say how many accounts there are); called with -1 at the end, which clears it."""
    shown = [False]

    def show(done: int) -> None:
        if done < 0:  # finished: clear the line
            if shown[0]:
                click.echo("\r\x1b[K", nl=False, err=True)
            return
        if done >= PROGRESS_AFTER:
            shown[0] = True
            if limit:
                filled = 30 * done // limit
                bar = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{limit}"
            else:
                bar = f"{done} done"
            click.echo(f"\rchecking connected accounts: {bar}", nl=False, err=True)

    return show
