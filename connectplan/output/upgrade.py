"""``plan upgrade``: the impact report of moving a plan to another catalog edition, as text and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectplan.output.documents import upgrade_report_document
from connectplan.output.plans import diff_sections, verdict_line
from connectplan.output.resolution import alternative_lines, choice_text, explain_condition, finding_lines, to_json

if TYPE_CHECKING:
    from connectplan.engine.upgrade import PlanUpgrade
    from connectplan.records import VersionRecord

__all__ = ["format_upgrade", "upgrade_document", "upgrade_text"]


def upgrade_document(report: PlanUpgrade, saved: VersionRecord | None) -> dict[str, Any]:
    """``plan upgrade --format json``: the report and the saved version's ref (null when nothing was saved)."""
    doc = upgrade_report_document(report)
    doc["saved"] = saved.ref if saved else None
    return doc


def format_upgrade(
    report: PlanUpgrade, saved: VersionRecord | None, fmt: str, *, dry_run: bool, refusal: str | None = None
) -> str:
    """``plan upgrade`` in ``fmt`` (text or json); ``refusal`` is why the save policy refused to save it."""
    if fmt == "json":
        return to_json(upgrade_document(report, saved))
    return upgrade_text(report, saved, dry_run=dry_run, refusal=refusal)


def upgrade_text(report: PlanUpgrade, saved: VersionRecord | None, *, dry_run: bool, refusal: str | None = None) -> str:
    """The text report of ``plan upgrade`` (what changes, and whether it was saved, with the saved verdict).

    ``refusal`` (the save policy's one line) ends the report of a save that was refused.
    """
    d = report.diff
    before, after = report.before, report.after
    source, target = before.catalog.ref, after.catalog.ref
    if source == target:  # another revision of the same edition: name both revisions
        source, target = before.catalog.revision_ref, after.catalog.revision_ref
    out = [f"Upgrade {d.from_ref} ({source}) -> {target}"]
    out.append(f"Selection: {', '.join(f'{p}={choice_text(o)}' for p, o in after.selection)}")
    for c in report.renamed_options:
        out.append(f"  renamed option: {c.prop}.{c.before} -> {c.after}")
    # the new edition's new decisions: filled with a default, or left open ("not decided yet")
    for default in report.chosen_defaults:
        because = f" ({default.because})" if default.because else ""
        out.append(f"  defaulted: {default.property}={choice_text(default.option)}{because}")
    for default in report.left_open:
        because = f" ({default.because})" if default.because else ""
        out.append(f"  left open: {default.property}, not decided yet{because}")
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
    # money flows and responsibilities exactly as plan diff lists them (one model of change)
    for heading, lines in diff_sections(d):
        if heading in ("Money flows", "Responsibilities") and lines:
            out.append(f"{heading}:")
            out.extend(f"  {mark} {line}" for mark, line in lines)
    if report.blocked:
        out.append("")
        out.append(f"In {after.catalog.ref} this selection is {after.verdict.upper()}:")
        for blocking in report.blocking_findings:
            out.extend(finding_lines(blocking, sel))
    if report.alternatives:
        out.append("")
        out.extend(alternative_lines(report.alternatives))
    out.append("")
    if saved is not None:
        out.append(f"Saved {saved.ref} on {saved.catalog_ref}.")
        line = verdict_line(saved).rstrip("\n")
        if line:
            out.append(line)
    elif dry_run:
        out.append("Dry run: nothing saved.")
    else:
        out.append(f"Not saved: {refusal.removeprefix('not saved: ')}" if refusal else "Not saved.")
    return "\n".join(out) + "\n"
