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
@click.option("--force", is_flag=True, help="Overwrite files in the target that an earlier `doc` did not write.")
@catalog_option
@selection_options
@click.pass_context
def doc(
    ctx: click.Context,
    ref: str | None,
    output: str,
    fmt: str | None,
    force: bool,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
) -> None:
    """Write the design document of plan version REF (or of a --preset/--set selection).

    The document holds the decision table (each chosen option's summary and why), the verdict
    and findings with sources, the ordered steps with links, the version's metadata and its
    change from the previous version, and the money-flow, liability and steps diagrams.
    Re-running on the same version rewrites identical files. It never overwrites a file it did
    not write (a manifest, .connectplan-doc.json, records its files) unless --force is given.

    Example: connectplan doc acme-marketplace -o docs/acme/
    """
    written = workspace(ctx).doc(
        ref, output=output, format=fmt, catalog=catalog_ref, preset=preset, set=sets, force=force
    )
    for path in written:
        click.echo(f"wrote {path}")
