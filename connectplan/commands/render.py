"""``connectplan render``: draw a plan version or a what-if selection with Graphviz.

Also home of :func:`load_subject`, which ``doc`` and ``prompt`` share: a plan REF from the store,
or a selection given with ``--preset``/``--set``/``--catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from connectplan.commands.options import catalog_option, selection_options

if TYPE_CHECKING:
    from connectplan.output.design_doc import PlanInfo
    from db.repository import VersionRecord
    from engine import Resolution

KINDS = ("money-flow", "liability", "steps", "catalog")
FORMATS = ("svg", "png", "pdf", "dot")
BINARY_FORMATS = ("png", "pdf")


@dataclass(frozen=True)
class Subject:
    """What a command draws or writes about: a resolution and, for a plan version, its metadata."""

    res: Resolution
    info: PlanInfo | None = None
    previous: tuple[PlanInfo, Resolution] | None = None

    @property
    def label(self) -> str | None:
        return self.info.ref if self.info else None


def load_subject(
    ctx: click.Context,
    ref: str | None,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
    *,
    with_previous: bool = False,
) -> Subject | None:
    """Resolve the plan REF or the ``--preset``/``--set`` selection; None when neither is given."""
    from connectplan import app
    from connectplan.errors import AppError

    if ref and (preset or sets or catalog_ref):
        raise AppError("give either a plan REF or a selection (--preset/--set/--catalog), not both")
    if ref:
        return load_plan(ctx, ref, with_previous=with_previous)
    if preset or sets:
        return Subject(app.resolve_selection(catalog_ref, preset, sets, db_url_of(ctx)))
    return None


def db_url_of(ctx: click.Context) -> str | None:
    """The ``--db`` URL given to the top-level command, if any."""
    return (ctx.find_root().obj or {}).get("db_url")


def load_plan(ctx: click.Context, ref: str, *, with_previous: bool = False) -> Subject:
    """A plan version from the store: its resolution, metadata and (optionally) its parent version."""
    from connectplan import store

    db_url = db_url_of(ctx)
    record, res = store.load_plan(ref, db_url)
    previous = None
    if with_previous and record.parent is not None:
        parent, parent_res = store.load_plan(f"{record.plan}@{record.parent}", db_url)
        previous = (plan_info(parent), parent_res)
    return Subject(res, plan_info(record), previous)


def plan_info(record: VersionRecord) -> PlanInfo:
    """The design-document metadata of a stored plan version."""
    from connectplan.output.design_doc import PlanInfo

    return PlanInfo(
        name=record.plan,
        version=record.version,
        created_at=record.created_at,
        message=record.message,
        tags=tuple(record.tags),
        author=record.author,
    )


def require_subject(subject: Subject | None) -> Subject:
    from connectplan.errors import AppError

    if subject is None:
        raise AppError(
            "name a plan version (REF, e.g. acme-marketplace@2) or a selection "
            "(--preset NAME and/or --set PROPERTY=OPTION, optionally --catalog NAME@EDITION)"
        )
    return subject


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
@click.argument("kind", type=click.Choice(KINDS), metavar="KIND")
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
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
) -> None:
    """Draw a diagram: money-flow, liability, steps or catalog.

    Draws plan version REF (NAME, NAME@N, NAME@latest, NAME@TAG) or a what-if selection given
    with --preset/--set (and --catalog). `catalog` draws a catalog edition for its authors,
    highlighting a plan's or a selection's choices when one is given. With --against REF the
    diagram shows both versions: added, removed and unchanged nodes and edges.

    Example: connectplan render money-flow --preset saas --set liability=platform -o what-if.svg
    """
    from connectplan import app
    from connectplan.errors import AppError
    from connectplan.outfile import write_output
    from visualize import catalog_diagram, change_diagram, parse_include, resolution_diagram
    from visualize.render import check_format, render_bytes

    fmt = check_format(pick_format(output, fmt))
    try:
        include = parse_include(includes)
    except ValueError as exc:
        raise AppError(str(exc)) from None
    if include and kind != "money-flow":
        raise AppError("--include applies to money-flow diagrams only")
    options = {"include": include} if kind == "money-flow" else {}
    if kind == "catalog":
        if against:
            raise AppError(
                "--against draws money-flow, liability or steps changes; compare catalogs with `connectplan catalog diff`"
            )
        subject = load_subject(ctx, ref, catalog_ref, preset, sets)
        catalog = subject.res.catalog if subject else app.get_catalog(catalog_ref, db_url_of(ctx))
        dot = catalog_diagram(catalog, subject.res if subject else None)
    else:
        subject = require_subject(load_subject(ctx, ref, catalog_ref, preset, sets))
        if against:
            base = load_plan(ctx, against)
            dot = change_diagram(
                kind, base.res, subject.res, old_subject=base.label, new_subject=subject.label or "what-if", **options
            )
        else:
            dot = resolution_diagram(kind, subject.res, subject=subject.label, **options)
    data = render_bytes(dot, fmt)
    if output and output != "-":
        path = write_output(output, data)
        click.echo(f"wrote {path} ({fmt})")
    else:
        click.echo(data.decode("utf-8"), nl=False)
