"""``connectplan blueprint``: the API requests a plan needs, in step order."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import catalog_option, selection_options
from connectplan.output.blueprint import BLUEPRINT_FORMATS


@click.command()
@click.argument("ref", required=False, metavar="[REF]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(BLUEPRINT_FORMATS),
    default="text",
    show_default=True,
    help="text: the requests by step with their reasons; json: method, path, API version, Stripe-Account "
    "flag and body of each; python: a module using the stripe package's StripeClient; curl: a bash script.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of standard output.")
@catalog_option
@selection_options
@click.pass_context
def blueprint(
    ctx: click.Context,
    ref: str | None,
    fmt: str,
    output: str | None,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
) -> None:
    """Print the API blueprint of plan version REF, or of a --preset/--set selection.

    The blueprint lists the requests the integration makes, grouped by the plan's steps in their
    order, each with its reason (the steps and the chosen options that bring it in): the connected
    account with the plan's dashboard, responsibilities and configurations, onboarding, the
    charge for the charge type with its fees, payout settings, the event destination. Values
    only you know are placeholders ({{connected_account_id}}, {{amount}}); no id or key is
    invented. The bodies are checked against the stripe package's typed parameters in the tests;
    the python format passes mypy, the curl format reads the key from $STRIPE_API_KEY.

    Example: connectplan blueprint acme-marketplace@2 --format python -o acme_blueprint.py
    """
    from connectplan.output.blueprint import format_blueprint

    text = format_blueprint(workspace(ctx).blueprint(ref, catalog=catalog_ref, preset=preset, set=sets), fmt)
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    from connectplan.outfile import write_output

    write_output(output, text.encode("utf-8"))
    click.echo(f"wrote {click.format_filename(output)}")
