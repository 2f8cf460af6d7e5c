"""``connectplan plan upgrade``: move a saved plan to another catalog edition, with its impact."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from connectplan.commands.options import format_option

if TYPE_CHECKING:
    from db.repository import VersionRecord
    from engine.upgrade import PlanUpgrade


@click.command("upgrade")
@click.argument("ref")
@click.option("--to", "to_ref", required=True, metavar="NAME@EDITION", help="Catalog edition to move the plan to.")
@click.option("--dry-run", is_flag=True, help="Only print the impact; save nothing.")
@click.option("-m", "--message", metavar="MSG", help="Message of the new version (default: 'upgrade to NAME@EDITION').")
@click.option("--author", metavar="NAME", help="Author recorded with the version (default: $USER).")
@click.option(
    "--allow-blocked",
    is_flag=True,
    help="Save even when the carried-over selection is blocked (or out of scope) in the new edition.",
)
@format_option("text", "json")
@click.pass_context
def upgrade(
    ctx: click.Context,
    ref: str,
    to_ref: str,
    dry_run: bool,
    message: str | None,
    author: str | None,
    allow_blocked: bool,
    fmt: str,
) -> None:
    """Carry plan version REF over to another catalog edition and report the impact.

    The selection is mapped through the new edition's renames; the report shows the verdict
    before and after, and the findings and steps added and removed. Without --dry-run the
    result is saved as a new version pinned to the new edition. A selection that is blocked
    in the new edition is saved only with --allow-blocked (exit 1 otherwise); the report
    names the blocking rules and the nearest alternatives.

    Example: connectplan plan upgrade acme-saas --to stripe-connect@2025 --dry-run
    """
    from connectplan import app
    from connectplan.output.resolution import to_json

    report, saved = app.upgrade_plan(
        ref,
        to_ref,
        dry_run=dry_run,
        allow_blocked=allow_blocked,
        message=message,
        author=author,
        db_url=(ctx.find_root().obj or {}).get("db_url"),
    )
    refused = not dry_run and saved is None
    if fmt == "json":
        doc = report.to_dict()
        doc["saved"] = saved.ref if saved else None
        click.echo(to_json(doc), nl=False)
    else:
        click.echo(upgrade_text(report, saved, dry_run=dry_run), nl=False)
    if refused:
        click.echo(
            f"not saved: the selection is {report.after.verdict} in {report.after.catalog.ref}; "
            "pass --allow-blocked to save it anyway, or apply an alternative with `connectplan plan set`",
            err=True,
        )
        ctx.exit(1)


def upgrade_text(report: PlanUpgrade, saved: VersionRecord | None, *, dry_run: bool) -> str:
    from connectplan.output.resolution import alternative_lines, explain_condition, finding_lines

    d = report.diff
    before, after = report.before, report.after
    out = [f"Upgrade {d.from_ref} ({before.catalog.ref}) -> {after.catalog.ref}"]
    out.append(f"Selection: {', '.join(f'{p}={o}' for p, o in after.selection)}")
    for c in report.renamed_options:
        out.append(f"  renamed option: {c.prop}.{c.before} -> {c.after}")
    verdict = (
        f"{before.verdict} -> {after.verdict}" if before.verdict != after.verdict else f"{after.verdict} (unchanged)"
    )
    out.append(f"Verdict:   {verdict}")
    out.append("")
    out.append(f"Findings added ({len(d.findings_added)}):")
    sel = after.selection_dict
    by_rule = {f.rule.id: f for f in after.findings}
    for f in d.findings_added:
        out.append(f"  + [{f.severity}] {f.rule}: {f.message}")
        out.append(f"      because: {explain_condition(by_rule[f.rule].rule.condition, sel)}")
    out.append(f"Findings removed ({len(d.findings_removed)}):")
    out.extend(f"  - [{f.severity}] {f.rule}: {f.message}" for f in d.findings_removed)
    out.append("")
    out.append(f"Steps added ({len(d.steps_added)}):")
    out.extend(f"  + {s.position:>2}. {s.title}  ({s.id})" for s in d.steps_added)
    out.append(f"Steps removed ({len(d.steps_removed)}):")
    out.extend(f"  - {s.position:>2}. {s.title}  ({s.id})" for s in d.steps_removed)
    if report.renamed_steps:
        out.append(f"Steps renamed ({len(report.renamed_steps)}):")
        out.extend(f"  > {old} -> {new}" for old, new in report.renamed_steps)
    if d.steps_moved:
        out.append(f"Steps moved ({len(d.steps_moved)}):")
        out.extend(f"  ~ {m.title}  ({m.id}): {m.before} -> {m.after}" for m in d.steps_moved)
    if report.blocked:
        out.append("")
        out.append(f"In {after.catalog.ref} this selection is {after.verdict.upper()}:")
        for f in report.blocking_findings:
            out.extend(finding_lines(f, sel))
    if report.alternatives:
        out.append("")
        out.extend(alternative_lines(report.alternatives))
    out.append("")
    if saved is not None:
        out.append(f"Saved {saved.ref} on {saved.catalog_ref}.")
    elif dry_run:
        out.append("Dry run: nothing saved.")
    else:
        out.append("Not saved (see above); pass --allow-blocked to save it anyway.")
    return "\n".join(out) + "\n"
