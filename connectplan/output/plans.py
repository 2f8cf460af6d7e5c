"""Turning plan versions, logs, lists and diffs into text, JSON and Markdown (same input, same bytes)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypeVar

from connectplan.engine.diff import option_text
from connectplan.output.documents import (
    catalog_id,
    diff_document,
    edition_document,
    plan_summary_document,
    resolution_document,
    version_document,
)
from connectplan.output.resolution import (
    escape_controls,
    md_code,
    md_escape,
    resolution_markdown,
    resolution_text,
    to_json,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from connectplan.engine import Resolution
    from connectplan.engine.diff import FlowChange, ResolutionDiff
    from connectplan.records import EditionInfo, LogEntry, PlanSummary, VersionRecord

__all__ = [
    "catalog_import_line",
    "diff_entries",
    "diff_sections",
    "export_line",
    "format_catalog_list",
    "format_diff",
    "format_log",
    "format_plan_list",
    "format_plan_version",
    "imported_line",
    "log_document",
    "saved_line",
    "schema_upgrade_line",
    "tagged_line",
    "verdict_line",
]

F = TypeVar("F", bound="Callable[..., str]")


def _controls_escaped(func: F) -> F:
    """Text and Markdown results (the last argument is the format) show control characters escaped."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> str:
        out = func(*args)
        return out if args[-1] == "json" else escape_controls(out)

    return wrapper  # type: ignore[return-value]


def _tags(record: VersionRecord) -> str:
    return f"  [{', '.join(record.tags)}]" if record.tags else ""


@_controls_escaped
def format_plan_version(record: VersionRecord, res: Resolution, fmt: str) -> str:
    """``plan show``: the resolution in ``fmt`` plus the version's metadata (a ``plan`` key in JSON)."""
    if fmt == "json":
        return to_json({"plan": version_document(record), **resolution_document(res)})
    if fmt == "markdown":
        lines = [
            f"# Plan {md_escape(record.ref)}",
            "",
            f"- Version: {record.version}" + (f" (parent {record.parent})" if record.parent else ""),
            f"- Tags: {', '.join(md_code(t) for t in record.tags) if record.tags else 'none'}",
            f"- Author: {md_escape(record.author)}",
            f"- Saved: {record.created_at}",
            f"- Message: {md_escape(record.message)}",
        ]
        if record.forked_from:
            lines.append(f"- Forked from: {md_code(record.forked_from)}")
        if record.superseded_by is not None:
            lines.append(f"- Superseded: {_superseded(record)}")
        return "\n".join(lines) + "\n\n" + resolution_markdown(res)
    header = [
        f"Plan:     {record.ref}{_tags(record)}",
        f"Parent:   {record.parent if record.parent is not None else 'none'}"
        + (f"  (forked from {record.forked_from})" if record.forked_from else ""),
        f"Author:   {record.author}",
        f"Saved:    {record.created_at}",
        f"Message:  {_one_line(record.message)}",
    ]
    if record.superseded_by is not None:
        header.append(f"Stale:    {_superseded(record)}")
    return resolution_text(res, header=header)


def _superseded(record: VersionRecord) -> str:
    return (
        f"saved on revision {record.catalog_revision} of {record.catalog_ref}; revision {record.superseded_by} "
        f"corrects it (connectplan plan upgrade {record.plan})"
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def log_document(name: str, entries: Sequence[LogEntry]) -> dict[str, Any]:
    """``plan log --format json``: the versions newest first."""
    return {
        "plan": name,
        "versions": [
            {
                "version": rec.version,
                "parent": rec.parent,
                "created_at": rec.created_at,
                "author": rec.author,
                "catalog": catalog_id(rec.catalog_name, rec.catalog_edition, rec.catalog_revision),
                "verdict": verdict,
                "message": rec.message,
                "tags": list(rec.tags),
            }
            for rec, verdict in entries
        ],
    }


@_controls_escaped
def format_log(name: str, entries: Sequence[LogEntry], fmt: str) -> str:
    """``plan log``: one line per version, newest first."""
    if fmt == "json":
        return to_json(log_document(name, entries))
    if fmt == "markdown":
        out = [
            f"# History of {md_escape(name)}",
            "",
            "| Version | Saved | Author | Catalog | Verdict | Message | Tags |",
            "|---|---|---|---|---|---|---|",
        ]
        for rec, verdict in entries:
            tags = ", ".join(md_code(t) for t in rec.tags)
            out.append(
                f"| {rec.version} | {rec.created_at} | {md_escape(rec.author)} | {md_code(rec.catalog_ref)} | "
                f"{verdict} | {md_escape(rec.message)} | {tags} |"
            )
        return "\n".join(out) + "\n"
    width = max(len(e.record.ref) for e in entries)
    author_w = max(len(e.record.author) for e in entries)
    lines = [
        f"{rec.ref.ljust(width)}  {rec.created_at}  {rec.author.ljust(author_w)}  {rec.catalog_ref}  "
        f"{verdict.ljust(12)} {_one_line(rec.message)}{_tags(rec)}"
        for rec, verdict in entries
    ]
    return "\n".join(lines) + "\n"


@_controls_escaped
def format_plan_list(plans: Sequence[PlanSummary], fmt: str) -> str:
    """``plan list``: one line per plan with its latest version."""
    if fmt == "json":
        return to_json({"plans": [plan_summary_document(p) for p in plans]})
    if not plans:
        return "no plans\n"
    width = max(len(p.latest.ref) for p in plans)
    lines = []
    for p in plans:
        stale = ""
        if p.newest_edition != p.latest.catalog_edition:
            stale = f"  (stale: {p.latest.catalog_name}@{p.newest_edition} is newer)"
        elif p.latest.superseded_by is not None:
            stale = (
                f"  (stale: revision {p.latest.superseded_by} of {p.latest.catalog_ref} corrects it; "
                f"connectplan plan upgrade {p.name})"
            )
        lines.append(
            f"{p.latest.ref.ljust(width)}  {p.latest.catalog_ref}  {p.verdict.ljust(12)} "
            f"{p.versions} version{'s' if p.versions != 1 else ''}  {p.latest.created_at}{stale}"
        )
    return "\n".join(lines) + "\n"


def saved_line(record: VersionRecord) -> str:
    """The line ``plan new``, ``plan set`` and ``plan fork`` print for the version they saved."""
    if record.forked_from and record.version == 1:
        return f"saved {record.ref} (forked from {record.forked_from})\n"
    if record.parent is None:
        return f"saved {record.ref} ({record.catalog_ref})\n"
    return f"saved {record.ref} (parent {record.parent})\n"


def verdict_line(record: VersionRecord) -> str:
    """The verdict of a version a command saved, and how it moved from the version it was made from.

    Empty when the record carries no verdict (it was read, not saved).

    >>> from dataclasses import replace
    >>> from connectplan.records import VersionRecord
    >>> rec = VersionRecord("acme", 2, 1, "m", "me", "t", (), "c", "2026", "h", (), verdict="sales_gated")
    >>> verdict_line(replace(rec, parent_verdict="caution"))
    'verdict: caution → sales_gated\\n'
    >>> verdict_line(replace(rec, parent_verdict="sales_gated"))
    'verdict: sales_gated (unchanged)\\n'
    >>> verdict_line(replace(rec, version=1, parent=None, forked_from="shop@3"))
    'verdict: sales_gated (as shop@3)\\n'
    """
    if record.verdict is None:
        return ""
    if record.parent_verdict is None:
        if record.forked_from and record.version == 1:
            return f"verdict: {record.verdict} (as {record.forked_from})\n"
        return f"verdict: {record.verdict}\n"
    if record.parent_verdict == record.verdict:
        return f"verdict: {record.verdict} (unchanged)\n"
    return f"verdict: {record.parent_verdict} → {record.verdict}\n"


def tagged_line(record: VersionRecord, tag: str) -> str:
    """``plan tag``'s report line."""
    return f"tagged {record.ref} as {tag}\n"


def export_line(ref: str, output: str) -> str:
    """``plan export -o``'s report line."""
    return f"exported {ref} to {output}\n"


def imported_line(record: VersionRecord) -> str:
    """``plan import``'s report line."""
    return f"imported {record.plan} ({record.version} version{'s' if record.version != 1 else ''})\n"


def schema_upgrade_line(before: str | None, after: str) -> str:
    """``db upgrade``'s report line."""
    if before == after:
        return f"schema already at head {after}\n"
    return f"schema upgraded from {before or 'empty'} to {after} (head)\n"


def catalog_import_line(info: EditionInfo, created: bool) -> str:
    """``catalog import``'s report line."""
    state = "imported" if created else "already stored (identical content, nothing changed)"
    return f"{info.ref}: {state}: {info.content_hash}\n"


@_controls_escaped
def format_catalog_list(editions: Sequence[EditionInfo], fmt: str) -> str:
    """``catalog list``: one line per stored edition."""
    if fmt == "json":
        return to_json({"catalogs": [edition_document(e) for e in editions]})
    if not editions:
        return "no catalog editions\n"
    width = max(len(e.revision_ref) for e in editions)
    return (
        "\n".join(f"{e.revision_ref.ljust(width)}  {e.content_hash[:19]}  {e.imported_at}  {e.title}" for e in editions)
        + "\n"
    )


def _flow_text(c: FlowChange) -> str:
    f = c.flow
    text = f"{f.from_party} -> {f.to_party} ({f.kind}): "
    if c.status == "changed" and c.before is not None:
        text += f"{c.before.what} -> {f.what}"
    else:
        text += f.what
    if c.renamed and c.before is not None:
        text += f" [id {c.before.id} -> {f.id}]"
    elif c.status != "changed":
        text += f" [id {f.id}]"
    return text


def _holders(parties: Sequence[str]) -> str:
    return ", ".join(parties) or "nobody"


#: The mark of each status in ``plan diff``'s text (``~`` for a changed or moved entry).
MARKS = {"added": "+", "removed": "-", "changed": "~", "moved": "~", "renamed": ">", "unchanged": "="}
_MD_STATUS = {
    "added": "Added",
    "removed": "Removed",
    "changed": "Changed",
    "moved": "Moved",
    "renamed": "Renamed",
    "unchanged": "Unchanged",
}


def diff_entries(diff: ResolutionDiff) -> list[tuple[str, list[tuple[str, str]]]]:
    """``plan diff``'s sections as ``(heading, [(status, line)])``, in plain text, every section listed.

    ``status`` is added, removed, changed, renamed, moved or unchanged (unchanged lines are money
    flows kept under another flow id). Every view of a diff lists these same
    changes; all of them come from :func:`engine.diff.diff_resolutions`.
    """
    steps: list[tuple[str, str]] = [("added", f"{s.id}: {s.title} (at {s.position})") for s in diff.steps_added]
    steps += [("removed", f"{s.id}: {s.title} (was at {s.position})") for s in diff.steps_removed]
    steps += [
        ("renamed", f"{r.before_id} -> {r.after_id}: {r.title} (renamed; at {r.before} -> {r.after})")
        for r in diff.steps_renamed
    ]
    steps += [("changed", f"{c.id}: {c.title_before} -> {c.title_after} (title changed)") for c in diff.steps_changed]
    steps += [("moved", f"{m.id}: {m.title} (moved {m.before} -> {m.after})") for m in diff.steps_moved]
    flows = [
        (c.status, _flow_text(c) + (" (unchanged)" if c.status == "unchanged" else ""))
        for status in ("added", "removed", "changed", "unchanged")
        for c in diff.flows
        if c.status == status and (status != "unchanged" or c.renamed)
    ]
    resps: list[tuple[str, str]] = []
    for r in diff.responsibilities:
        if r.status == "added":
            resps.append(("added", f"{r.title}: now held by {_holders(r.after)}"))
        elif r.status == "removed":
            resps.append(("removed", f"{r.title}: no longer held by {_holders(r.before)}"))
        else:
            resps.append(("changed", f"{r.title}: {_holders(r.before)} -> {_holders(r.after)}"))
    return [
        (
            "Findings",
            [("added", f"[{f.severity}] {f.rule}: {f.message}") for f in diff.findings_added]
            + [("removed", f"[{f.severity}] {f.rule}: {f.message}") for f in diff.findings_removed],
        ),
        ("Integration steps", steps),
        ("Money flows", flows),
        ("Responsibilities", resps),
    ]


def diff_sections(diff: ResolutionDiff) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(mark, line)]) per section, as plain text (the web diff page's form): marks are
    ``+`` added, ``-`` removed, ``~`` changed or moved, ``>`` renamed, ``=`` unchanged (a money flow
    kept under another id). Built from :func:`diff_entries`, which also tells changed from moved.
    """
    return [(heading, [(MARKS[status], line) for status, line in lines]) for heading, lines in diff_entries(diff)]


@_controls_escaped
def format_diff(diff: ResolutionDiff, fmt: str) -> str:
    """``plan diff`` in text, JSON or Markdown; identical versions say so.

    Every line comes from :func:`engine.diff.diff_resolutions`, the model the change diagrams and
    ``plan upgrade`` use too.
    """
    if fmt == "json":
        return to_json(diff_document(diff))
    a_cat, b_cat = "@".join(diff.from_catalog), "@".join(diff.to_catalog)
    if fmt == "markdown":
        return _diff_markdown(diff, a_cat, b_cat)
    out = [f"{diff.from_ref} ({a_cat}) -> {diff.to_ref} ({b_cat})"]
    if diff.identical:
        out.append(
            f"identical: {diff.from_ref} and {diff.to_ref} have the same catalog edition, selection and resolution"
        )
        return "\n".join(out) + "\n"
    if diff.catalog_changed:
        out.append(f"Catalog: {a_cat} -> {b_cat}")
    if diff.selection or diff.options_renamed:
        out.append("Selection:")
        for prop, before, after in diff.selection:
            out.append(f"  {prop}: {option_text(before) or '(none)'} -> {option_text(after) or '(none)'}")
        for r in diff.options_renamed:
            out.append(f"  {r.prop}: {r.before} -> {r.after} (renamed option; same decision)")
    out.append(
        f"Verdict: {diff.verdict[0]} -> {diff.verdict[1]}"
        if diff.verdict_changed
        else f"Verdict: {diff.verdict[0]} (unchanged)"
    )
    for heading, lines in diff_entries(diff):
        if not lines:
            continue
        out.append(f"{heading}:")
        out.extend(f"  {MARKS[status]} {line}" for status, line in lines)
    return "\n".join(out) + "\n"


def _diff_markdown(diff: ResolutionDiff, a_cat: str, b_cat: str) -> str:
    out = [f"## Changes from {md_code(diff.from_ref)} to {md_code(diff.to_ref)}", ""]
    out.append(
        f"Catalog: {md_code(a_cat)} → {md_code(b_cat)}." if diff.catalog_changed else f"Catalog: {md_code(a_cat)}."
    )
    out.append("")
    if diff.identical:
        out.append("The two versions are identical (same catalog edition, selection and resolution).")
        return "\n".join(out) + "\n"
    if diff.selection or diff.options_renamed:
        out += ["| Decision | Before | After |", "|---|---|---|"]
        for prop, before, after in diff.selection:
            b, a = option_text(before), option_text(after)
            out.append(f"| {md_code(prop)} | {md_code(b) if b else '—'} | {md_code(a) if a else '—'} |")
        for r in diff.options_renamed:
            out.append(f"| {md_code(r.prop)} | {md_code(r.before)} | {md_code(r.after)} (renamed option) |")
        out.append("")
    if diff.verdict_changed:
        out.append(f"Verdict: **{diff.verdict[0]}** → **{diff.verdict[1]}**.")
    else:
        out.append(f"Verdict: **{diff.verdict[0]}** (unchanged).")
    out.append("")
    for heading, lines in diff_entries(diff):
        if not lines:
            continue
        out += [f"### {heading}", ""]
        out.extend(f"- {_MD_STATUS[status]}: {md_escape(line)}" for status, line in lines)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
