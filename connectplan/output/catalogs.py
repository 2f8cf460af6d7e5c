"""Catalog editions as text, JSON and YAML: options, presets, lint reports, edition diffs, show, validate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectplan.output.documents import catalog_diff_document, catalog_document, lint_document
from connectplan.output.resolution import _CONTROLS, escape_controls, to_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectplan.engine import Catalog, Resolution
    from connectplan.engine.catalog_diff import CatalogDiff
    from connectplan.engine.lint import LintReport

__all__ = [
    "catalog_summary",
    "diff_text",
    "format_catalog",
    "format_catalog_diff",
    "format_lint",
    "format_options",
    "format_presets",
    "lint_text",
    "options_document",
    "presets_document",
]


def catalog_summary(source: str, cat: Catalog) -> str:
    """``catalog validate``'s line for a valid file."""
    return (
        f"{source}: ok: {cat.ref}: {len(cat.properties)} properties, "
        f"{sum(len(p.options) for p in cat.properties)} options, "
        f"{len(cat.rules)} rules, {len(cat.steps)} steps, {len(cat.flows)} flows, "
        f"{len(cat.responsibilities)} responsibilities, {len(cat.presets)} presets\n"
    )


def format_catalog(cat: Catalog, fmt: str) -> str:
    """``catalog show``: the edition in the catalog file format, as YAML or JSON."""
    from connectplan.engine import catalog_to_dict

    doc = catalog_to_dict(cat)
    if fmt == "json":
        return to_json(doc)
    import yaml

    text = str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100))
    if _CONTROLS.search(text):  # YAML writes bidirectional overrides as they are: escape all but ASCII then
        text = str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=False, width=100))
    return text


def options_document(cat: Catalog) -> dict[str, Any]:
    """``options --format json``: properties in catalog order, each with its ``section`` (null when
    unset) and ``required``; each option with ``pending`` ("not decided yet") and ``exclusive``."""
    from connectplan.output.sections import property_fields

    return {
        "catalog": catalog_document(cat),
        "properties": [
            {
                "id": p.id,
                "title": p.title,
                **property_fields(p),
                "options": [
                    {"id": o.id, "title": o.title, "pending": o.pending, "exclusive": o.exclusive} for o in p.options
                ],
            }
            for p in cat.properties
        ],
    }


def format_options(cat: Catalog, fmt: str) -> str:
    """``options``: the property and option ids of an edition, with titles, grouped by section when it has them.

    A pending option is marked ``(not decided yet)``, an exclusive one ``(chosen alone)``; a
    multi-choice property says ``(one or more)``.
    """
    from connectplan.output.sections import section_groups, section_title

    if fmt == "json":
        return to_json(options_document(cat))
    out = [f"{cat.ref}: {cat.title}"]
    groups = section_groups(cat)
    for section, props in groups:
        if section or len(groups) > 1:
            out.append("")
            out.append(f"== {section_title(section)} ==")
        for prop in props:
            many = "  (one or more)" if prop.multi else ""
            out.append(f"{prop.id}: {prop.title}{many}")
            for opt in prop.options:
                marks = ("  (not decided yet)" if opt.pending else "") + (
                    "  (chosen alone)" if opt.exclusive and not opt.pending else ""
                )
                out.append(f"  {prop.id}.{opt.id}  {opt.title}{marks}")
    return escape_controls("\n".join(out) + "\n")  # catalog text cannot drive the terminal


def presets_document(catalog: Catalog, resolutions: Sequence[Resolution]) -> dict[str, Any]:
    """``presets --format json``."""
    return {
        "catalog": catalog_document(catalog),
        "presets": [
            {
                "id": p.id,
                "title": p.title,
                "examples": list(p.examples),
                "reasoning": p.reasoning,
                "selection": dict(p.selection),
                "verdict": res.verdict,
            }
            for p, res in zip(catalog.presets, resolutions, strict=True)
        ],
    }


def format_presets(catalog: Catalog, resolutions: Sequence[Resolution], fmt: str) -> str:
    """``presets``: each preset's selection, reasoning and verdict."""
    if fmt == "json":
        return to_json(presets_document(catalog, resolutions))
    lines = [f"Presets of {catalog.ref}  ({catalog.title})"]
    if not catalog.presets:
        lines.append("  none")
    width = max((len(p.id) for p in catalog.presets), default=0)
    for preset, res in zip(catalog.presets, resolutions, strict=True):
        examples = f" (e.g. {', '.join(preset.examples)})" if preset.examples else ""
        lines.append("")
        lines.append(f"  {preset.id.ljust(width)}  {res.verdict:<12}  {preset.title}{examples}")
        lines.append(f"  {' ' * width}  {' / '.join(_choice(o) for _, o in preset.selection)}")
        if preset.reasoning:
            lines.append(f"  {' ' * width}  {preset.reasoning}")
    lines.append("")
    lines.append(f"Selection order: {' / '.join(p.id for p in catalog.properties)}")
    return escape_controls("\n".join(lines) + "\n")


def _choice(value: Any) -> str:
    return "+".join(value) if isinstance(value, (tuple, list)) else str(value)


def format_lint(report: LintReport, fmt: str) -> str:
    """``catalog lint`` in ``fmt`` (text or json)."""
    return to_json(lint_document(report)) if fmt == "json" else lint_text(report)


def lint_text(report: LintReport) -> str:
    """The text form of a lint report."""
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
    return escape_controls("\n".join(out) + "\n")


def format_catalog_diff(result: CatalogDiff, fmt: str) -> str:
    """``catalog diff`` in ``fmt`` (text or json)."""
    return to_json(catalog_diff_document(result)) if fmt == "json" else diff_text(result)


def diff_text(result: CatalogDiff) -> str:
    """The text form of an edition diff."""
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
    return escape_controls("\n".join(out) + "\n")
