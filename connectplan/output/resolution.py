"""Turning resolutions into text, JSON and Markdown (deterministic bytes for the same input)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from engine import Alternative, Finding, Resolution, Term, format_expression

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from engine.expression import Expr

FORMATS = ("text", "json", "markdown")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_escape(text: str) -> str:
    """Escape text for Markdown so it renders literally (no emphasis, links, HTML or tables)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def md_code(text: str) -> str:
    """Inline code span that survives backticks and newlines in ``text``."""
    text = text.replace("\n", " ")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def to_json(document: Any) -> str:
    """Stable JSON: insertion-ordered keys, two-space indent, UTF-8 kept, trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def explain_condition(expr: Expr, selection: Mapping[str, str]) -> str:
    """Kconfig-style: each term followed by its value, ``dashboard.express [=y] and liability.stripe [=n]``."""
    return format_expression(expr, term=lambda t: f"{t} [={'y' if selection.get(t.prop) == t.option else 'n'}]")


def because_text(terms: Iterable[Term]) -> str:
    """The terms that made a condition true, ``always`` when there are none."""
    return ", ".join(str(t) for t in terms) or "always"


def finding_lines(
    finding: Finding, selection: Mapping[str, str], *, bullet: str = "  ", indent: str = "      "
) -> list[str]:
    """A finding as text: ``bullet`` + severity, rule and message, then its cause, alternative and source."""
    rule = finding.rule
    out = [f"{bullet}[{rule.severity}] {rule.id}: {rule.message}"]
    out.append(f"{indent}because: {explain_condition(rule.condition, selection)}")
    if rule.alternative:
        out.append(f"{indent}alternative: {rule.alternative}")
    if rule.source:
        out.append(f"{indent}source: {rule.source}")
    return out


def alternative_lines(alternatives: Iterable[Alternative]) -> list[str]:
    """Nearest alternatives as numbered text lines (empty when there are none)."""
    alternatives = list(alternatives)
    if not alternatives:
        return []
    out = ["Nearest alternatives with a better verdict:"]
    for i, alt in enumerate(alternatives, 1):
        changes = ", ".join(f"{c.prop}: {c.before} -> {c.after}" for c in alt.changes)
        out.append(f"  {i}. {changes}  => {alt.verdict}")
    return out


def resolution_text(res: Resolution, *, header: list[str] | None = None) -> str:
    cat = res.catalog
    sel = res.selection_dict
    out: list[str] = list(header or [])
    out.append(f"Catalog:  {cat.ref}  ({cat.title})")
    out.append(f"Verdict:  {res.verdict.upper()}")
    out.append("")
    out.append("Selection:")
    width = max((len(p) for p, _ in res.selection), default=0)
    for prop, opt in res.selection:
        out.append(f"  {prop.ljust(width)} = {opt}  ({cat.option_title(Term(prop, opt))})")
    out.append("")
    out.append(f"Findings ({len(res.findings)}):")
    if not res.findings:
        out.append("  none")
    for f in res.findings:
        out.extend(finding_lines(f, sel))
    if res.alternatives:
        out.append("")
        out.extend(alternative_lines(res.alternatives))
    out.append("")
    out.append(f"Integration steps ({len(res.steps)}):")
    for i, s in enumerate(res.steps, 1):
        core = " *" if s.step.core else ""
        out.append(f"  {i:>2}. [{s.step.phase}] {s.step.title}{core}")
        out.append(f"      id: {s.step.id}   why: {because_text(s.because)}")
        if s.step.url:
            out.append(f"      {s.step.url}")
    out.append("  (* = one of the guide's core steps)")
    out.append("")
    for heading, reverse in (("Money flows:", False), ("Reverse flows (refunds, disputes, recovery):", True)):
        flows = [f for f in res.flows if f.is_reverse is reverse]
        if reverse and not flows:
            continue
        if reverse:
            out.append("")
        out.append(heading)
        for flow in flows:
            out.append(
                f"  {cat.party_title(flow.from_party)} -> {cat.party_title(flow.to_party)}: {flow.what}  [{flow.kind}]"
            )
    out.append("")
    out.append("Responsibilities:")
    for h in res.responsibilities:
        note = f" ({h.assignment.note})" if h.assignment.note else ""
        out.append(f"  {h.responsibility.title}: {cat.party_title(h.assignment.party)}{note}")
    return "\n".join(out) + "\n"


def resolution_markdown(res: Resolution, *, title: str | None = None, level: int = 2) -> str:
    cat = res.catalog
    sel = res.selection_dict
    h = "#" * level
    out: list[str] = []
    out.append(f"{h} {md_escape(title or 'Stripe Connect integration plan')}")
    out.append("")
    out.append(f"Catalog: {md_code(cat.ref)}. Verdict: **{res.verdict}**.")
    out.append("")
    out.append(f"{h}# Decisions")
    out.append("")
    out.append("| Decision | Choice | Summary |")
    out.append("|---|---|---|")
    for prop, opt in res.selection:
        p = cat.property_index[prop]
        o = p.option(opt)
        title, summary = md_escape(o.title if o else opt), md_escape(o.summary if o else "")
        out.append(f"| {md_escape(p.title)} | {title} ({md_code(prop + '.' + opt)}) | {summary} |")
    out.append("")
    out.append(f"{h}# Findings")
    out.append("")
    if not res.findings:
        out.append("None.")
    for f in res.findings:
        line = f"- **{f.rule.severity}** {md_code(f.rule.id)}: {md_escape(f.rule.message)}"
        line += f" Because {md_code(explain_condition(f.rule.condition, sel))}."
        if f.rule.alternative:
            line += f" Alternative: {md_escape(f.rule.alternative)}."
        if f.rule.source:
            line += f" Source: {md_escape(f.rule.source)}."
        out.append(line)
    out.append("")
    out.append(f"{h}# Integration steps")
    out.append("")
    for i, s in enumerate(res.steps, 1):
        title = md_escape(s.step.title)
        if s.step.url:
            title = f"[{title}](<{s.step.url.replace('>', '%3E').replace(' ', '%20')}>)"
        out.append(f"{i}. {title} ({md_escape(s.step.phase)}; why: {md_escape(because_text(s.because))})")
    out.append("")
    out.append(f"{h}# Money flows")
    out.append("")
    for flow in res.flows:
        source, target = md_escape(cat.party_title(flow.from_party)), md_escape(cat.party_title(flow.to_party))
        out.append(f"- {source} → {target}: {md_escape(flow.what)}")
    out.append("")
    out.append(f"{h}# Responsibilities")
    out.append("")
    out.append("| Responsibility | Party | Note |")
    out.append("|---|---|---|")
    for hl in res.responsibilities:
        party = md_escape(cat.party_title(hl.assignment.party))
        out.append(f"| {md_escape(hl.responsibility.title)} | {party} | {md_escape(hl.assignment.note)} |")
    return "\n".join(out) + "\n"


def resolution_document(res: Resolution) -> dict[str, Any]:
    doc = res.to_dict()
    alternatives = res.alternatives
    if alternatives is not None:
        doc["alternatives"] = [a.to_dict() for a in alternatives]
    return doc


def format_resolution(res: Resolution, fmt: str) -> str:
    if fmt == "json":
        return to_json(resolution_document(res))
    if fmt == "markdown":
        return resolution_markdown(res)
    return resolution_text(res)
