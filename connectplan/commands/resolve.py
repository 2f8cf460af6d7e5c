"""``connectplan resolve``."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import (
    catalog_option,
    fail_on_option,
    format_option,
    require_decided_option,
    selection_options,
)


@click.command()
@catalog_option
@selection_options
@format_option("text", "json", "markdown")
@fail_on_option("Exit 1 when the verdict ranks at or above SEVERITY ({choices}).")
@require_decided_option(
    "Exit 1 (one line on stderr naming them) when the selection leaves decisions open ('not decided yet')."
)
@click.pass_context
def resolve(
    ctx: click.Context,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
    fmt: str,
    fail_on: str | None,
    require_decided: bool,
) -> None:
    """Resolve a complete selection: verdict, findings, ordered integration steps, money flows.

    Every property needs an option, from --preset or --set; a pending option ("not decided
    yet") is listed under open decisions with the best verdict each real option would reach.
    Exit 0 whatever the verdict, unless --fail-on or --require-decided is given (CI checks).

    Example: connectplan resolve --catalog stripe-connect@2024 --set onboarding=hosted
    --set dashboard=full --set charge_type=direct --set fee_payer=connected_account
    --set liability=stripe
    """
    from connectplan.engine import Severity
    from connectplan.output.resolution import format_resolution

    res = workspace(ctx).resolve(catalog=catalog_ref, preset=preset, set=sets)
    click.echo(format_resolution(res, fmt), nl=False)
    if require_decided and res.open_decisions:
        from connectplan.cli import CheckFailedError
        from connectplan.errors import undecided_text

        raise CheckFailedError("the selection " + undecided_text([d.property for d in res.open_decisions]))
    if fail_on and res.rank >= Severity.parse(fail_on):
        ctx.exit(1)
