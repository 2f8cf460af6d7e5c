"""``connectplan render``: draw a plan version or a what-if selection with Graphviz."""

from __future__ import annotations

from pathlib import Path

import click

from connectplan.cli import workspace
from connectplan.commands.options import catalog_option, selection_options

FORMATS = ("svg", "png", "pdf", "dot")
BINARY_FORMATS = ("png", "pdf")


def pick_format(output: str | None, fmt: str | None) -> str:
    """The output format from ``--format`` and the ``-o`` file's suffix (they must agree)."""
    from connectplan.errors import AppError

    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    if output and output != "-":
        if fmt is None:
            if suffix not in FORMATS:
                raise AppError(f"cannot tell the format from {output!r}; add --format ({', '.join(FORMATS)})")
            return suffix
        if suffix in FORMATS and suffix != fmt:
            raise AppError(f"-o {output} ends in .{suffix} but --format is {fmt}; make them agree")
        return fmt
    fmt = fmt or "dot"
    if fmt in BINARY_FORMATS:
        raise AppError(f"{fmt} output is binary; write it to a file with -o FILE.{fmt}")
    return fmt


@click.command()
@click.argument("kind", metavar="KIND")
@click.argument("ref", required=False, metavar="[REF]")
@click.option(
    "-o", "--output", metavar="FILE", help="Write the diagram to FILE (default: standard output, DOT or SVG only)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="svg, png, pdf or dot (default: from the -o suffix; dot when printing).",
)
@click.option("--against", metavar="REF", help="Draw a change diagram from plan version REF to the one drawn.")
@click.option(
    "--include",
    "includes",
    multiple=True,
    metavar="LIST",
    help="money-flow only: add reverse flows, comma-separated: refunds, disputes, recoveries or all.",
)
@click.option(
    "--property",
    "prop",
    metavar="ID",
    help="catalog only: draw one property's options with the rules and steps that mention them (default: overview).",
)
@catalog_option
@selection_options
@click.pass_context
def render(
    ctx: click.Context,
    kind: str,
    ref: str | None,
    output: str | None,
    fmt: str | None,
    against: str | None,
    includes: tuple[str, ...],
    prop: str | None,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
) -> None:
    """Draw a diagram: KIND is money-flow, liability, steps or catalog.

    Draws plan version REF (NAME, NAME@N, NAME@latest, NAME@TAG) or a what-if selection given
    with --preset/--set (and --catalog). `catalog` draws a catalog edition for its authors (an
    overview, or one property with --property), highlighting a plan's or a selection's choices
    when one is given. With --against REF the diagram shows both versions: added, removed,
    changed and unchanged elements.

    Example: connectplan render money-flow --preset saas --set liability=platform -o what-if.svg
    """
    from connectplan.visualize.render import check_format

    chosen = check_format(pick_format(output, fmt))
    to_file = output is not None and output != "-"
    result = workspace(ctx).render(
        kind,
        ref,
        catalog=catalog_ref,
        preset=preset,
        set=sets,
        format=chosen,
        against=against,
        include=includes,
        path=output if to_file else None,
        property=prop,
    )
    if isinstance(result, Path):
        click.echo(f"wrote {result} ({chosen})")
    else:
        click.echo(result.decode("utf-8"), nl=False)
