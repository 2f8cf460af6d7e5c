"""``connectplan doc``: write a plan version's design document."""

from __future__ import annotations

import click

from connectplan.cli import workspace
from connectplan.commands.options import catalog_option, selection_options


@click.command()
@click.argument("ref", required=False, metavar="[REF]")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="DIR",
    help="Folder to write (created if needed); with --format html a folder or a FILE.html.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("markdown", "html")),
    default="markdown",
    show_default=True,
    help="markdown: README.md plus the diagrams as SVG files beside it; html: one self-contained page.",
)
@click.option(
    "--since",
    metavar="REF",
    help="Add what changed since plan version REF (e.g. the accepted one), with the change diagrams.",
)
@catalog_option
@selection_options
@click.pass_context
def doc(
    ctx: click.Context,
    ref: str | None,
    output: str,
    fmt: str,
    since: str | None,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
) -> None:
    """Write the design document (a decision record) of plan version REF, or of a --preset/--set selection.

    The record holds its status (a proposed/accepted/superseded tag), the context (the plan's
    decision log), the decision (each chosen option's summary and why), the considered options
    (the others, with the rule that excludes or penalises each), the consequences (findings,
    money flows, responsibilities, steps, diagrams) and the change from the previous version;
    --since REF adds what changed since that version. Re-running rewrites identical files.

    Example: connectplan doc acme-marketplace -o docs/acme/ --since acme-marketplace@accepted
    """
    written = workspace(ctx).doc(
        ref, output=output, format=fmt, catalog=catalog_ref, preset=preset, set=sets, since=since
    )
    for path in written:
        click.echo(f"wrote {path}")
