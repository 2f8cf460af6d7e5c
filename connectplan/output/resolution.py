"""Turning resolutions into text, JSON and Markdown (deterministic bytes for the same input)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from connectplan.engine import Alternative, Finding, Resolution, Term, format_choice, format_expression
from connectplan.engine.expression import holds
from connectplan.output.documents import resolution_document

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from connectplan.engine.expression import Choice, Expr

FORMATS = ("text", "json", "markdown")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
# C0 controls but tab and newline, DEL, C1 controls, line/paragraph separators, bidirectional overrides
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINK = re.compile(r"https?://[^\s<>\"'`\\]+")


def escape_controls(text: str) -> str:
    r"""Show control characters as escapes, so user and catalog text cannot drive the terminal.

    Tab and newline stay; ESC, carriage return, DEL, C1 controls and bidirectional overrides do not:

    >>> escape_controls("red\x1b[31m alert\r\u202eok\tdone\n")
    'red\\x1b[31m alert\\x0d\\u202eok\tdone\n'
    """
    return _CONTROLS.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def is_link(url: str) -> bool:
    """True for an ``https://`` or ``http://`` URL, the only links any output emits."""
    return bool(_LINK.fullmatch(url))


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
    r"""Stable JSON: insertion-ordered keys, two-space indent, UTF-8 kept, trailing newline.

    Control characters and bidirectional overrides are written as ``\uXXXX`` escapes (json
    escapes only those below U+0020), so a JSON document printed to a terminal cannot drive it:

    >>> to_json({"t": "a\x9b\u202eb"})
    '{\n  "t": "a\\u009b\\u202eb"\n}\n'
    """
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    # outside strings JSON holds only ASCII punctuation, spaces and newlines: every match is in a string
    return _CONTROLS.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def options_of(value: Choice) -> tuple[str, ...]:
    """The option ids a selection holds for a property: one, or several for a multi-choice property."""
    return (value,) if isinstance(value, str) else tuple(value)


def choice_text(value: Choice) -> str:
    """A property's choice as text: the option id, or the ids joined with commas (:func:`engine.format_choice`)."""
    return format_choice(value)


def explain_condition(expr: Expr, selection: Mapping[str, Choice]) -> str:
    """Kconfig-style: each term followed by its value, ``dashboard.express [=y] and liability.stripe [=n]``."""
    return format_expression(expr, term=lambda t: f"{t} [={'y' if holds(t, selection) else 'n'}]")


def because_text(terms: Iterable[Term]) -> str:
    """The terms that made a condition true, ``always`` when there are none."""
    return ", ".join(str(t) for t in terms) or "always"


def finding_lines(
    finding: Finding, selection: Mapping[str, Choice], *, bullet: str = "  ", indent: str = "      "
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


#: the mark after a choice that leaves its property open
OPEN_MARK = "[not decided yet]"


def selection_lines(res: Resolution, *, indent: str = "  ") -> list[str]:
    """The selection, one property a line, grouped under section headings when the catalog has sections.

    A pending choice ("not decided yet") is marked :data:`OPEN_MARK`.
    """
    from connectplan.output.sections import section_groups, section_title

    cat = res.catalog
    sel = res.selection_dict
    groups = section_groups(cat, [cat.property_index[p] for p, _ in res.selection])
    width = max((len(p) for p, _ in res.selection), default=0)
    out: list[str] = []
    for section, props in groups:
        pad = indent
        if section or len(groups) > 1:
            out.append(f"{indent}{section_title(section)}:")
            pad = indent * 2
        for p in props:
            value = sel[p.id]
            titles = ", ".join(cat.option_title(Term(p.id, opt)) for opt in options_of(value))
            mark = f"  {OPEN_MARK}" if p.is_pending(value) else ""
            out.append(f"{pad}{p.id.ljust(width)} = {choice_text(value)}  ({titles}){mark}")
    return out


def open_decision_lines(res: Resolution) -> list[str]:
    """``Open decisions (N):`` and, per open property, its question and each real option's best verdict.

    Empty when the selection decides everything.
    """
    decisions = res.open_decisions
    if not decisions:
        return []
    cat = res.catalog
    out = [f"Open decisions ({len(decisions)}): not decided yet; the best verdict each option would reach:"]
    for d in decisions:
        prop = cat.property_index[d.property]
        section = f" [{d.section}]" if d.section else ""
        out.append(f"  {d.property}{section}: {prop.title}")
        if d.question:
            out.append(f"      {' '.join(d.question.split())}")
        width = max((len(o) for o, _ in d.options), default=0)
        for option, verdict in d.options:
            out.append(f"      {option.ljust(width)}  {verdict:<12}  {cat.option_title(Term(d.property, option))}")
    return out


def resolution_text(res: Resolution, *, header: list[str] | None = None) -> str:
    cat = res.catalog
    sel = res.selection_dict
    out: list[str] = list(header or [])
    out.append(f"Catalog:  {cat.ref}  ({cat.title})")
    out.append(f"Verdict:  {res.verdict.upper()}")
    out.append("")
    out.append("Selection:")
    out.extend(selection_lines(res))
    decisions = open_decision_lines(res)
    if decisions:
        out.append("")
        out.extend(decisions)
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
        if s.step.url and is_link(s.step.url):
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
    from connectplan.output.sections import has_sections, ordered_properties, section_title

    sectioned = has_sections(cat)
    out.append("| Section | Decision | Choice | Summary |" if sectioned else "| Decision | Choice | Summary |")
    out.append("|---|---|---|---|" if sectioned else "|---|---|---|")
    for p in ordered_properties(cat):
        if p.id not in sel:
            continue
        for opt in options_of(sel[p.id]):
            o = p.option(opt)
            title, summary = md_escape(o.title if o else opt), md_escape(o.summary if o else "")
            if o is not None and o.pending:
                title += " (**not decided yet**)"
            section = f"{md_escape(section_title(p.section))} | " if sectioned else ""
            out.append(f"| {section}{md_escape(p.title)} | {title} ({md_code(p.id + '.' + opt)}) | {summary} |")
    out.append("")
    if res.open_decisions:
        out.append(f"{h}# Open decisions")
        out.append("")
        for d in res.open_decisions:
            prop = cat.property_index[d.property]
            question = f": {md_escape(d.question)}" if d.question else ""
            best = ", ".join(f"{md_code(d.property + '.' + o)} {md_escape(v)}" for o, v in d.options)
            out.append(
                f"- **{md_escape(prop.title)}** ({md_code(d.property)}){question} Best verdict per option: {best}."
            )
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
        if s.step.url and is_link(s.step.url):
            title = f"[{title}](<{s.step.url}>)"
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


def format_resolution(res: Resolution, fmt: str) -> str:
    if fmt == "json":
        return to_json(resolution_document(res))
    if fmt == "markdown":
        return escape_controls(resolution_markdown(res))
    return escape_controls(resolution_text(res))
