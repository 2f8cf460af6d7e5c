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
@catalog_option
@selection_options
@click.pass_context
def doc(
    ctx: click.Context,
    ref: str | None,
    output: str,
    fmt: str,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
) -> None:
    """Write the design document of plan version REF (or of a --preset/--set selection).

    The document holds the decision table (each chosen option's summary and why), the verdict
    and findings with sources, the ordered steps with links, the version's metadata and its
    change from the previous version, and the money-flow, liability and steps diagrams.
    Re-running on the same version rewrites identical files.

    Example: connectplan doc acme-marketplace -o docs/acme/
    """
    written = workspace(ctx).doc(ref, output=output, format=fmt, catalog=catalog_ref, preset=preset, set=sets)
    for path in written:
        click.echo(f"wrote {path}")
