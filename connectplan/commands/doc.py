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
    metavar="DIR|FILE",
    help="Folder to write (created if needed), or a FILE.md / FILE.html (the suffix picks the format).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("markdown", "html")),
    help="markdown (default): README.md plus the diagrams as SVG files beside it; html: one self-contained page.",
)
@click.option(
    "--since",
    metavar="REF",
    help="Add what changed since plan version REF (e.g. the accepted one), with the change diagrams.",
)
@click.option("--force", is_flag=True, help="Overwrite files in the target that an earlier `doc` did not write.")
@catalog_option
@selection_options
@click.pass_context
def doc(
    ctx: click.Context,
    ref: str | None,
    output: str,
    fmt: str | None,
    since: str | None,
    force: bool,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
) -> None:
    """Write the design document (a decision record) of plan version REF, or of a --preset/--set selection.

    The record holds its status (a proposed/accepted/superseded tag), the context (the plan's
    decision log), the decision (each chosen option's summary and why), the considered options
    (the others, with the rule that excludes or penalises each), the consequences (findings,
    money flows, responsibilities, steps, diagrams) and the change from the previous version;
    --since REF adds what changed since that version. Re-running rewrites identical files; it
    never overwrites a file it did not write (a manifest, .connectplan-doc.json, records its
    files) unless --force is given.

    Example: connectplan doc acme-marketplace -o docs/acme/ --since acme-marketplace@accepted
    """
    written = workspace(ctx).doc(
        ref, output=output, format=fmt, catalog=catalog_ref, preset=preset, set=sets, since=since, force=force
    )
    for path in written:
        click.echo(f"wrote {path}")
