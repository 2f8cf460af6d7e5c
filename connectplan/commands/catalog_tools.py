"""``connectplan catalog lint`` and ``connectplan catalog diff``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from connectplan.commands.options import format_option

if TYPE_CHECKING:
    from engine.catalog_diff import CatalogDiff
    from engine.lint import LintReport


@click.command("lint")
@click.argument("target", required=False, metavar="[CATALOG|FILE]")
@format_option("text", "json")
@click.pass_context
def lint(ctx: click.Context, target: str | None, fmt: str) -> None:
    """Check a catalog edition or file for errors, dead parts, and count selections by verdict.

    Errors (prerequisite cycles, unknown references, unreachable prerequisites, anything the
    loader rejects) exit 1. Warnings (dead options, steps never active, rules that never or
    always fire, presets whose verdict is blocked) do not change the exit code. CATALOG is
    NAME[@EDITION] from the store (default: the newest stripe-connect edition).

    Example: connectplan catalog lint stripe-connect@2025
    """
    from connectplan import app
    from connectplan.output.resolution import to_json

    report = app.lint(target, (ctx.find_root().obj or {}).get("db_url"))
    click.echo(to_json(report.to_dict()) if fmt == "json" else lint_text(report), nl=False)
    if not report.ok:
        ctx.exit(1)


def lint_text(report: LintReport) -> str:
    n_err, n_warn = len(report.errors), len(report.warnings)
    name = report.catalog or report.source
    out = [f"{name}: {n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}"]
    out.extend(str(m) for m in (*report.errors, *report.warnings))
    summary = report.summary
    if summary is not None:
        if summary.counted:
            counts = ", ".join(f"{v} {n}" for v, n in summary.by_verdict)
            out.append(f"summary: {summary.selections} complete selections: {counts}")
        else:
            out.append(f"summary: {summary.selections} complete selections (too many to count by verdict)")
    return "\n".join(out) + "\n"


@click.command("diff")
@click.argument("old", metavar="A")
@click.argument("new", metavar="B")
@format_option("text", "json")
@click.pass_context
def diff(ctx: click.Context, old: str, new: str, fmt: str) -> None:
    """List what edition B adds, removes, renames and changes compared with edition A.

    A and B are NAME@EDITION from the store or catalog files. Sections: properties, options,
    rules, steps, flows, responsibilities, presets, parties.

    Example: connectplan catalog diff stripe-connect@2024 stripe-connect@2025
    """
    from connectplan import app
    from connectplan.output.resolution import to_json

    result = app.diff_editions(old, new, (ctx.find_root().obj or {}).get("db_url"))
    click.echo(to_json(result.to_dict()) if fmt == "json" else diff_text(result), nl=False)


def diff_text(result: CatalogDiff) -> str:
    out = [f"{result.from_ref} -> {result.to_ref}"]
    if result.identical:
        out.append("no differences")
    for name, section in result.sections:
        if section.empty:
            continue
        out.append("")
        out.append(f"{name}:")
        out.extend(f"  + {i}" for i in section.added)
        out.extend(f"  - {i}" for i in section.removed)
        for r in section.renamed:
            also = f"  (also changed: {', '.join(r.fields)})" if r.fields else ""
            out.append(f"  > {r.old} renamed to {r.new}{also}")
        out.extend(f"  ~ {c.id}: {', '.join(c.fields)}" for c in section.changed)
    out.append("")
    out.append("(+ added, - removed, > renamed, ~ changed fields)")
    return "\n".join(out) + "\n"
