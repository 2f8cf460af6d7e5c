"""``connectplan plan ...``: versioned plans in the store.

Each command makes one call on the command's workspace (the store named by the global
``--db`` option or ``$CONNECTPLAN_DATABASE_URL``) and formats the result with
:mod:`connectplan.output.plans`. Subcommands defined in other modules are registered in
:data:`PLAN_COMMANDS` and imported only when they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from connectplan.cli import LazyGroup, workspace
from connectplan.commands.options import (
    catalog_option,
    collect_save_options,
    format_option,
    save_policy_options,
    selection_options,
)

if TYPE_CHECKING:
    from connectplan.save_policy import SaveOptions

#: plan subcommands defined in other modules, imported on use
PLAN_COMMANDS: dict[str, tuple[str, str]] = {
    "upgrade": (
        "connectplan.commands.plan_upgrade:upgrade",
        "Move a plan to another catalog edition and report the impact.",
    ),
}


def _author_option(func):  # type: ignore[no-untyped-def]
    return click.option("--author", metavar="NAME", help="Author recorded with the version (default: $USER).")(func)


@click.group(cls=LazyGroup, lazy=PLAN_COMMANDS)
def plan() -> None:
    """Save, change, compare, tag, fork, export and import versioned plans.

    A plan is a named history of immutable versions; each version is a selection against
    one exact catalog edition. REF is NAME, NAME@N, NAME@latest or NAME@TAG.

    new, set, fork, import and upgrade print the verdict of the version they saved (and the
    change when it moved) and share one save policy: a blocked or out_of_scope version is
    saved only with --allow-blocked, --fail-on SEVERITY refuses a verdict at or above it,
    --require-decided refuses a version with open decisions; a refused save stores nothing
    and exits 1.

    Example: connectplan plan new acme-marketplace --preset marketplace -m "first cut"
    """


@plan.command("new")
@click.argument("name")
@catalog_option
@selection_options
@click.option("-m", "--message", metavar="MSG", help="What this version is about (default: 'new plan from preset P').")
@_author_option
@save_policy_options
@click.pass_context
@collect_save_options
def new(
    ctx: click.Context,
    name: str,
    catalog_ref: str | None,
    preset: str | None,
    sets: tuple[str, ...],
    options: SaveOptions,
) -> None:
    """Create plan NAME with version 1 from --preset and --set (the selection must be complete).

    Prints the saved version and its verdict. A blocked or out_of_scope design is saved only
    with --allow-blocked; --fail-on refuses a verdict at or above SEVERITY; --require-decided
    refuses a selection that leaves a decision open. A refused save stores nothing and exits 1.

    Example: connectplan plan new acme-marketplace --preset marketplace -m "first cut"
    """
    from connectplan.output.plans import saved_line, verdict_line

    record = workspace(ctx).new_plan(
        name,
        catalog=catalog_ref,
        preset=preset,
        set=sets,
        options=options,
    )
    click.echo(saved_line(record) + verdict_line(record), nl=False)


@plan.command("set")
@click.argument("name")
@click.option(
    "--set",
    "sets",
    multiple=True,
    required=True,
    metavar="PROPERTY=OPTION",
    help="Choose an option for a property; repeat for each property to change.",
)
@click.option("-m", "--message", metavar="MSG", required=True, help="Why this change (recorded with the version).")
@_author_option
@save_policy_options
@click.pass_context
@collect_save_options
def set_(
    ctx: click.Context,
    name: str,
    sets: tuple[str, ...],
    options: SaveOptions,
) -> None:
    """Save a new version of NAME: its latest selection with the --set changes applied.

    If someone else saves first, the change is re-applied on top when it touches other
    properties; otherwise it fails naming the property and the version that got in first.
    Prints the saved version and its verdict, with the change from the parent version when
    it moved. The save policy is plan new's (--allow-blocked, --fail-on; refused: exit 1).

    Example: connectplan plan set acme-marketplace --set charge_type=separate
    --set fee_mechanism=transfer_math -m "multi-seller carts"
    """
    from connectplan.output.plans import saved_line, verdict_line

    record = workspace(ctx).set_plan(name, sets, options=options)
    click.echo(saved_line(record) + verdict_line(record), nl=False)


@plan.command("show")
@click.argument("ref")
@format_option("text", "json", "markdown")
@click.pass_context
def show(ctx: click.Context, ref: str, fmt: str) -> None:
    """Print a plan version's resolution (as `resolve` does) with its metadata.

    REF is NAME, NAME@N, NAME@latest or NAME@TAG. JSON adds a "plan" key: name, version,
    parent, message, author, created_at, tags, forked_from.

    Example: connectplan plan show acme-marketplace@reviewed --format json
    """
    from connectplan.output.plans import format_plan_version

    view = workspace(ctx).plan(ref)
    click.echo(format_plan_version(view.record, view.resolution, fmt), nl=False)


@plan.command("log")
@click.argument("name")
@format_option("text", "json", "markdown")
@click.pass_context
def log(ctx: click.Context, name: str, fmt: str) -> None:
    """List the versions of plan NAME, newest first, with verdict, message and tags.

    Example: connectplan plan log acme-marketplace --format json
    """
    from connectplan.output.plans import format_log

    click.echo(format_log(name, workspace(ctx).log(name), fmt), nl=False)


@plan.command("list")
@click.option(
    "--stale", is_flag=True, help="Only plans pinned to an older edition than the newest stored one of their catalog."
)
@format_option("text", "json")
@click.pass_context
def list_(ctx: click.Context, stale: bool, fmt: str) -> None:
    """List every plan with its latest version, catalog edition and verdict.

    Example: connectplan plan list --stale
    """
    from connectplan.output.plans import format_plan_list

    click.echo(format_plan_list(workspace(ctx).plans(stale_only=stale), fmt), nl=False)


@plan.command("tag")
@click.argument("ref")
@click.argument("tag")
@click.option("--force", is_flag=True, help="Move the tag if it already names another version.")
@click.pass_context
def tag(ctx: click.Context, ref: str, tag: str, force: bool) -> None:
    """Name the version REF points at TAG, so NAME@TAG refers to it.

    Example: connectplan plan tag acme-marketplace@2 reviewed
    """
    from connectplan.output.plans import tagged_line

    record = workspace(ctx).tag(ref, tag, force=force)
    click.echo(tagged_line(record, tag), nl=False)


@plan.command("fork")
@click.argument("ref")
@click.argument("new_name", metavar="NEW")
@click.option(
    "-m", "--message", metavar="MSG", help="Message of the new plan's version 1 (default: 'forked from REF')."
)
@_author_option
@save_policy_options
@click.pass_context
@collect_save_options
def fork(
    ctx: click.Context,
    ref: str,
    new_name: str,
    options: SaveOptions,
) -> None:
    """Start plan NEW from the version REF points at (same selection and catalog edition).

    Prints the saved version and its verdict (the source's). The save policy is plan new's
    (--allow-blocked, --fail-on; refused: exit 1).

    Example: connectplan plan fork acme-marketplace acme-whitelabel
    """
    from connectplan.output.plans import saved_line, verdict_line

    record = workspace(ctx).fork(ref, new_name, options=options)
    click.echo(saved_line(record) + verdict_line(record), nl=False)


@plan.command("export")
@click.argument("ref")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of standard output.")
@click.pass_context
def export(ctx: click.Context, ref: str, output: str | None) -> None:
    """Write a plan's history (up to REF's version) as a self-contained JSON document.

    Example: connectplan plan export acme-marketplace -o acme.json
    """
    from connectplan.output.documents import export_document
    from connectplan.output.plans import export_line
    from connectplan.output.resolution import to_json

    text = to_json(export_document(workspace(ctx).export_plan(ref)))
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    from connectplan.outfile import write_output

    write_output(output, text.encode("utf-8"))  # atomic: a full disk leaves an existing export intact
    click.echo(export_line(ref, output), nl=False)


@plan.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as", "as_name", metavar="NAME", help="Store the plan under this name instead of the exported one.")
@save_policy_options
@click.pass_context
@collect_save_options
def import_(
    ctx: click.Context,
    file: str,
    as_name: str | None,
    options: SaveOptions,
) -> None:
    """Recreate a plan's history from a `plan export` file (its catalog editions must be in the store).

    Prints the plan imported and the verdict of its latest version. The save policy of plan
    new applies to every version: one blocked version (without --allow-blocked) or one at or
    above --fail-on refuses the whole import, which then stores nothing and exits 1.

    Example: connectplan plan import acme.json --as acme-copy
    """
    from connectplan.exchange import read_export_file
    from connectplan.output.plans import imported_line, verdict_line

    export = read_export_file(file)  # a malformed file is refused before the store is opened
    record = workspace(ctx).import_plan(export, as_name=as_name, options=options)
    click.echo(imported_line(record) + verdict_line(record), nl=False)


@plan.command("diff")
@click.argument("ref_a")
@click.argument("ref_b")
@format_option("text", "json", "markdown")
@click.pass_context
def diff(ctx: click.Context, ref_a: str, ref_b: str, fmt: str) -> None:
    """Compare two plan versions (of one plan or two): selection, edition, verdict, findings, steps, flows.

    Example: connectplan plan diff acme-marketplace@1 acme-marketplace@2 --format json
    """
    from connectplan.output.plans import format_diff

    click.echo(format_diff(workspace(ctx).diff(ref_a, ref_b), fmt), nl=False)
