"""Design documents (Markdown or one self-contained HTML file) of a plan: decision records.

A design document is an architecture decision record in the manner of MADR and log4brains:
its **status** (a tag such as ``proposed``, ``accepted`` or ``superseded`` on the version), the
**context** (the plan's messages in order, with authors and dates: the decision log), the
**decision** (each chosen option with its reasoning from the catalog), the **considered
options** (for every property, the other options with their status and the rule and cause that
excludes or penalises them, and the nearest alternatives) and the **consequences** (findings,
money flows, responsibilities, steps and the diagrams). ``since`` adds what changed since
another version, with the change diagrams; every change comes from :mod:`engine.diff`.

A document is first laid out as a list of blocks (headings, paragraphs, tables, lists, images)
whose inline text is tagged as plain text, code, bold or a link. Two small writers turn the blocks
into Markdown or HTML, and they are the only places that escape: user and catalog text goes in
as data and always shows literally. Output is deterministic: the same plan version gives the same
bytes (no clock is read; the only date is the version's own ``created_at``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectplan.engine import Catalog, Resolution, Term
from connectplan.engine.diff import ResolutionDiff, diff_resolutions, severity_name
from connectplan.output.blocks import (
    A,
    B,
    Block,
    C,
    Inline,
    L,
    Span,
    T,
    data_uri,
    github_anchor,
    html_page,
    linkify,
    md_blocks,
)
from connectplan.output.design_blueprint import implementation_blocks
from connectplan.output.resolution import because_text, explain_condition, options_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from connectplan.engine.resolution import Finding

__all__ = [
    "DIAGRAMS",
    "DIAGRAM_OPTIONS",
    "DOC_FORMATS",
    "STATUS_TAGS",
    "HistoryItem",
    "PlanInfo",
    "considered_options",
    "decision_log",
    "design_blocks",
    "design_html",
    "design_markdown",
    "github_anchor",
    "record_status",
]

DOC_FORMATS = ("markdown", "html")
#: The diagrams of a design document: (kind, file name, title).
DIAGRAMS = (
    ("money-flow", "money-flow.svg", "Money flow"),
    ("money-flow", "money-flow-reverse.svg", "Money flow with refunds, disputes and recoveries"),
    ("liability", "liability.svg", "Liability and responsibilities"),
    ("steps", "steps.svg", "Integration steps"),
)
#: Builder options of a design document's diagram, by file name (the reverse flows: every refund, dispute and recovery).
DIAGRAM_OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {"money-flow-reverse.svg": {"include": ("all",)}}
#: The change diagrams of a "what changed since" section: (kind, file name, title).
CHANGE_DIAGRAMS = (
    ("money-flow", "change-money-flow.svg", "Money flow change"),
    ("liability", "change-liability.svg", "Liability and responsibilities change"),
    ("steps", "change-steps.svg", "Integration steps change"),
)
MARKDOWN_NAME = "README.md"
HTML_NAME = "index.html"
#: Tags that name a decision record's status, in lifecycle order (the last one present wins).
STATUS_TAGS = ("draft", "proposed", "accepted", "rejected", "deprecated", "superseded")
#: What each diagram shows, for the alt text of its image.
ALT_TEXT = {
    "money-flow": "who pays whom: each money flow between the parties, coloured by kind",
    "liability": (
        "how the parties stand towards each other: who is debited first, who covers a shortfall, "
        "who recovers from whom, who answers disputes, who pays Stripe and who serves the connected account"
    ),
    "steps": "the integration steps in order, in one frame per phase laid out in columns, with their prerequisites",
}


@dataclass(frozen=True)
class HistoryItem:
    """One version in a plan's decision log."""

    version: int
    created_at: str
    author: str
    message: str
    tags: tuple[str, ...] = ()
    verdict: str = ""
    catalog: str = ""


@dataclass(frozen=True)
class PlanInfo:
    """What a design document says about the plan version (all optional but the name).

    ``history`` is the decision log: the versions that led to this one, oldest first (this one last).
    """

    name: str
    version: int | None = None
    created_at: str = ""
    message: str = ""
    tags: tuple[str, ...] = ()
    author: str = ""
    history: tuple[HistoryItem, ...] = ()

    @property
    def ref(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def decision_log(record: Any, entries: Iterable[Any]) -> tuple[HistoryItem, ...]:
    """The versions that led to ``record`` (its parent chain within the plan), oldest first.

    ``record`` is a stored version (``.plan``, ``.version``, ``.parent``) and ``entries`` the
    plan's log (items with ``.record`` and ``.verdict``, any order).
    """
    by_version = {e.record.version: e for e in entries}
    chain: list[Any] = []
    version: int | None = record.version
    while version is not None and version in by_version and len(chain) <= len(by_version):
        entry = by_version[version]
        chain.append(entry)
        version = entry.record.parent
    return tuple(
        HistoryItem(
            version=e.record.version,
            created_at=e.record.created_at,
            author=e.record.author,
            message=e.record.message,
            tags=tuple(e.record.tags),
            verdict=e.verdict,
            catalog=e.record.catalog_ref,
        )
        for e in reversed(chain)
    )


def record_status(tags: Iterable[str]) -> str | None:
    """The decision record's status from a version's tags (``None`` when no tag names one).

    >>> record_status(["reviewed", "proposed"]), record_status(["proposed", "accepted"]), record_status(["v1"])
    ('proposed', 'accepted', None)
    """
    present = {t.lower() for t in tags}
    found = [s for s in STATUS_TAGS if s in present]
    return found[-1] if found else None


# ---------------------------------------------------------------------------
# content


def _option_label(catalog: Catalog, prop: str, opt: str) -> str:
    return catalog.option_title(Term(prop, opt))


def _change_blocks(diff: ResolutionDiff, previous: PlanInfo | None, old_cat: Catalog, new_cat: Catalog) -> list[Block]:
    out: list[Block] = []
    intro: list[Span] = [T("Compared with "), C(diff.from_ref)]
    if previous is not None and previous.created_at:
        intro.append(T(f" (created {previous.created_at})"))
    intro.append(T("."))
    out.append(Block("para", tuple(intro)))
    if diff.identical:
        out.append(Block("para", (T("No change: same catalog edition, selection and resolution."),)))
        return out
    items: list[tuple[Span, ...]] = []
    if diff.catalog_changed:
        items.append((T("Catalog: "), C("@".join(diff.from_catalog)), T(" → "), C("@".join(diff.to_catalog))))
    for prop, before, after in diff.selection:
        was, now = _option_text(before) or "none", _option_text(after) or "none"
        items.append((T("Decision "), C(prop), T(": "), C(was), T(" → "), C(now)))
    for renamed in diff.options_renamed:
        items.append(
            (
                T("Option renamed (same decision): "),
                C(renamed.prop),
                T(": "),
                C(renamed.before),
                T(" → "),
                C(renamed.after),
            )
        )
    if diff.verdict_changed:
        items.append((T("Verdict: "), B(diff.verdict[0]), T(" → "), B(diff.verdict[1])))
    for f in diff.findings_added:
        items.append((T("New finding "), C(f.rule), T(f" [{f.severity}]: {f.message}")))
    for f in diff.findings_removed:
        items.append((T("Finding gone "), C(f.rule), T(f" [{f.severity}]: {f.message}")))
    for s in diff.steps_added:
        items.append((T(f"Step added at {s.position}: {s.title} "), C(s.id)))
    for s in diff.steps_removed:
        items.append((T(f"Step removed (was {s.position}): {s.title} "), C(s.id)))
    for m in diff.steps_moved:
        items.append((T(f"Step moved {m.before} → {m.after}: {m.title} "), C(m.id)))
    for r in diff.steps_renamed:
        items.append((T(f"Step renamed: {r.title} "), C(r.before_id), T(" → "), C(r.after_id)))
    for c in diff.steps_changed:
        items.append((T(f"Step retitled: {c.title_before} → {c.title_after} "), C(c.id)))
    # flows are matched by movement (engine.diff); the same movement under another id is no change
    for fc in diff.flows:
        if fc.status == "unchanged":
            continue
        flow = fc.flow
        cat = old_cat if fc.status == "removed" else new_cat
        what = f"{fc.before.what} → {flow.what}" if fc.status == "changed" and fc.before else flow.what
        items.append(
            (
                T(
                    f"Money flow {fc.status}: {cat.party_title(flow.from_party)} → "
                    f"{cat.party_title(flow.to_party)} ({flow.kind}): {what}"
                ),
            )
        )
    for rc in diff.responsibilities:
        held_before = ", ".join(old_cat.party_title(p) for p in rc.before) or "nobody"
        held_after = ", ".join(new_cat.party_title(p) for p in rc.after) or "nobody"
        items.append((T(f"{rc.title}: {held_before} → {held_after}"),))
    out.append(Block("ulist", items=tuple(items)))
    return out


@dataclass(frozen=True)
class ConsideredOption:
    """Another option of a property than the chosen one, and what choosing it would do.

    ``status``: ``excluded`` (it makes the selection blocked or out of scope), ``penalised`` (it
    adds a caution or a sales-gated finding), ``possible`` (no finding worse than info), or
    ``not combinable`` (the catalog cannot resolve the selection with it).
    """

    prop: str
    option: str
    status: str
    verdict: str
    #: the findings it adds (rules that fire only with it), worst first
    adds: tuple[Finding, ...] = ()
    #: rule ids of the current findings it would clear
    clears: tuple[str, ...] = ()


def considered_options(res: Resolution) -> list[tuple[str, list[ConsideredOption]]]:
    """For every property, each other option with its status and the rules that exclude or penalise it.

    Each option is judged by resolving the selection with that one option swapped in.
    """
    from connectplan.engine import VERDICT_RANK, EngineError
    from connectplan.engine.resolution import resolve

    cat = res.catalog
    current = {f.rule.id for f in res.findings}
    current_order = tuple(dict.fromkeys(f.rule.id for f in res.findings))
    out: list[tuple[str, list[ConsideredOption]]] = []
    for prop_id, chosen in res.selection:
        prop = cat.property_index[prop_id]
        rows: list[ConsideredOption] = []
        taken = set(chosen) if isinstance(chosen, tuple) else {chosen}
        for opt in prop.option_ids:
            if opt in taken:
                continue
            value: Any = opt
            if isinstance(chosen, tuple):
                # an exclusive option (none, not decided yet) is chosen alone, and replaces one chosen alone
                alone = any(o.exclusive for o in prop.options if o.id in taken or o.id == opt)
                value = (opt,) if alone else tuple(sorted({*taken, opt}))
            try:
                other = resolve(cat, {**res.selection_dict, prop_id: value})
            except EngineError:
                rows.append(ConsideredOption(prop_id, opt, "not combinable", ""))
                continue
            adds = tuple(
                sorted(
                    (f for f in other.findings if f.rule.id not in current),
                    key=lambda f: -VERDICT_RANK[_verdict_of(f.rule.severity)],
                )
            )
            # in the current findings' order (worst first), never the set's: the same bytes in every process
            still = {f.rule.id for f in other.findings}
            clears = tuple(r for r in current_order if r not in still)
            worst = max((VERDICT_RANK[_verdict_of(f.rule.severity)] for f in adds), default=0)
            status = (
                "excluded"
                if worst >= VERDICT_RANK["blocked"]
                else "penalised"
                if worst >= VERDICT_RANK["caution"]
                else "possible"
            )
            rows.append(ConsideredOption(prop_id, opt, status, other.verdict, adds, clears))
        out.append((prop_id, rows))
    return out


def _verdict_of(severity: object) -> str:
    name = severity_name(severity)
    return "allowed" if name == "info" else name


def _option_text(value: object) -> str:
    from connectplan.engine.diff import option_text

    return option_text(value)


def _considered_blocks(res: Resolution) -> list[Block]:
    cat = res.catalog
    sel = res.selection_dict
    blocks: list[Block] = [
        Block(
            "para",
            (
                T("Each row is the selection with that one option swapped in: "),
                B("excluded"),
                T(" options make it blocked or out of scope, "),
                B("penalised"),
                T(" ones add a caution or sales-gated finding, "),
                B("possible"),
                T(" ones add nothing worse than information. The rule and its cause say why."),
            ),
        )
    ]
    from connectplan.output.sections import ordered_properties

    considered = dict(considered_options(res))
    for prop_id in [p.id for p in ordered_properties(cat) if p.id in considered]:
        rows = considered[prop_id]
        prop = cat.property_index[prop_id]
        chosen = sel[prop_id]
        blocks.append(Block("heading", (T(prop.title),), level=3))
        blocks.append(
            Block(
                "para",
                (T("Chosen: "), C(f"{prop_id}.{_option_text(chosen)}"), T(".")),
            )
        )
        if not rows:
            blocks.append(Block("para", (T("The catalog offers no other option."),)))
            continue
        table = []
        for row in rows:
            reasons: list[Span] = []
            for f in row.adds:
                if reasons:
                    reasons.append(T("; "))
                other_sel = {**sel, prop_id: row.option}
                reasons += [
                    C(f.rule.id),
                    T(f" [{severity_name(f.rule.severity)}]: {f.rule.message} Because: "),
                    C(explain_condition(f.rule.condition, other_sel)),
                ]
            if row.clears:
                reasons.append(T(("; " if reasons else "") + "would clear "))
                for i, rid in enumerate(row.clears):
                    reasons += ([T(", ")] if i else []) + [C(rid)]
            if not reasons:
                reasons = [T("no rule fires only with it")]
            table.append(
                (
                    (T(_option_label(cat, prop_id, row.option) + " "), C(f"{prop_id}.{row.option}")),
                    (B(row.status),),
                    (T(row.verdict),),
                    tuple(reasons),
                )
            )
        blocks.append(Block("table", header=("Option", "Status", "Verdict with it", "Why"), rows=tuple(table)))
    blocks.append(Block("heading", (T("Nearest alternatives"),), level=3))
    if res.alternatives:
        items = []
        for alt in res.alternatives:
            item: list[Span] = []
            for i, change in enumerate(alt.changes):
                item += ([T(", ")] if i else []) + [C(f"{change.prop}: {change.before} → {change.after}")]
            item.append(T(f" gives verdict {alt.verdict}"))
            if alt.preset:
                item.append(T(f" (nearest preset {alt.preset}, {alt.distance} away)"))
            items.append(tuple(item))
        blocks.append(Block("ulist", items=tuple(items)))
    elif res.alternatives is not None:
        blocks.append(Block("para", (T("No complete selection near this one has a better verdict."),)))
    else:
        note = (
            f"The verdict is {res.verdict}; alternatives are searched only for worse verdicts "
            "(blocked, out of scope, sales-gated)."
        )
        blocks.append(Block("para", (T(note),)))
    return blocks


def _decision_table(res: Resolution) -> Block:
    """One row per chosen option, grouped by section (a first column) when the catalog has sections."""
    from connectplan.output.sections import has_sections, ordered_properties, section_title

    cat = res.catalog
    sel = res.selection_dict
    sectioned = has_sections(cat)
    rows = []
    for p in ordered_properties(cat):
        if p.id not in sel:
            continue
        value = sel[p.id]
        # a multi-choice property gets one row per chosen option
        for opt in (value,) if isinstance(value, str) else value:
            o = p.option(opt)
            why = ("Best for: " + "; ".join(o.best_for)) if o and o.best_for else ""
            choice: Inline = (T(_option_label(cat, p.id, opt) + " "), C(f"{p.id}.{opt}"))
            if o is not None and o.pending:
                choice += (T(" "), B("not decided yet"), T(" (see "), A("Open questions", "open-questions"), T(")"))
            row: tuple[Inline, ...] = ((T(p.title),), choice, (T(o.summary if o else ""),), (T(why),))
            rows.append((((T(section_title(p.section)),), *row) if sectioned else row))
    header = ("Decision", "Choice", "Summary", "Why")
    return Block("table", header=("Section", *header) if sectioned else header, rows=tuple(rows))


def _open_question_blocks(res: Resolution) -> list[Block]:
    """The decisions the plan leaves open: each property's question and the best verdict each real option reaches."""
    cat = res.catalog
    if not res.open_decisions:
        return [Block("para", (T("None: every decision of this plan is made."),))]
    blocks = [
        Block(
            "para",
            (
                T(
                    f"{len(res.open_decisions)} decision{'s' * (len(res.open_decisions) != 1)} "
                    "not made yet. Each table gives the best verdict the plan would reach with that option "
                    "chosen and every other decision unchanged."
                ),
            ),
        )
    ]
    for d in res.open_decisions:
        prop = cat.property_index[d.property]
        blocks.append(Block("heading", (T(prop.title),), level=3))
        intro: list[Span] = [T("Question: " + d.question + " ")] if d.question else []
        intro += [T("Property "), C(d.property)]
        if d.section:
            intro += [T(", section " + d.section)]
        intro.append(T("."))
        blocks.append(Block("para", tuple(intro)))
        rows = tuple(
            ((T(_option_label(cat, d.property, option) + " "), C(f"{d.property}.{option}")), (B(verdict),))
            for option, verdict in d.options
        )
        blocks.append(Block("table", header=("Option", "Best verdict with it"), rows=rows))
    return blocks


def _option_api_blocks(res: Resolution) -> list[Block]:
    """The chosen options' API settings, each option with its settings nested under it (none: nothing)."""
    from connectplan.output.sections import ordered_properties

    cat = res.catalog
    sel = res.selection_dict
    items: list[Inline] = []
    children: list[tuple[Inline, ...]] = []
    for p in ordered_properties(cat):
        for opt in options_of(sel[p.id]) if p.id in sel else ():
            o = p.option(opt)
            if o is None or not o.api:
                continue
            items.append((T(_option_label(cat, p.id, opt) + " "), C(f"{p.id}.{opt}")))
            children.append(_api_items(o.api, prefix=""))
    if not items:
        return []
    return [
        Block("heading", (T("API settings of the chosen options"),), level=3),
        Block("ulist", items=tuple(items), children=tuple(children)),
    ]


def _api_items(settings: Iterable[Any], *, prefix: str = "API: ") -> tuple[Inline, ...]:
    """A step's API settings as nested list items: the text, and the request (method and path) as code."""
    items = []
    for setting in settings:
        item: list[Span] = [T(prefix + setting.text)]
        if setting.method and setting.path:
            item += [T(" — "), C(f"{setting.method} {setting.path}")]
        items.append(tuple(item))
    return tuple(items)


def _history_blocks(info: PlanInfo | None) -> list[Block]:
    if info is None:
        return [Block("para", (T("A what-if selection, not a saved plan: it has no decision log."),))]
    history = info.history or (HistoryItem(info.version or 0, info.created_at, info.author, info.message, info.tags),)
    items = []
    for h in history:
        item: list[Span] = [B(f"{info.name}@{h.version}"), T(f" · {h.created_at} · {h.author or 'unknown author'}")]
        if h.catalog:
            item += [T(" · "), C(h.catalog)]
        if h.verdict:
            item.append(T(f" · verdict {h.verdict}"))
        if h.tags:
            item.append(T(" · tags "))
            for i, tag in enumerate(h.tags):
                item += ([T(", ")] if i else []) + [C(tag)]
        item.append(T(": " + (h.message or "(no message)")))
        items.append(tuple(item))
    return [
        Block(
            "para",
            (T("The decision log: the plan's versions that led to this one, oldest first, with their messages."),),
        ),
        Block("olist", items=tuple(items)),
    ]


def design_blocks(
    res: Resolution,
    info: PlanInfo | None = None,
    *,
    previous: tuple[PlanInfo, Resolution] | None = None,
    images: Sequence[tuple[str, str]] = (),
    since: tuple[PlanInfo, Resolution] | None = None,
    change_images: Sequence[tuple[str, str]] = (),
) -> list[Block]:
    """The design document as blocks; ``images`` and ``change_images`` are (title, image reference) pairs."""
    cat = res.catalog
    sel = res.selection_dict
    title = (
        f"{info.ref}: Stripe Connect integration design"
        if info
        else "What-if selection: Stripe Connect integration design"
    )
    blocks: list[Block] = [Block("heading", (T(title),), level=1)]
    sections: list[Block] = []

    def section(name: str) -> None:
        sections.append(Block("heading", (T(name),), level=2))

    status = record_status(info.tags) if info else None
    section("Status")
    sections.append(
        Block(
            "para",
            (T("Status: "), B(status or ("draft" if info else "what-if")))
            + (() if status or not info else (T(" (no status tag such as proposed or accepted on this version)"),)),
        )
    )
    meta: list[tuple[Inline, ...]] = []
    if info is not None:
        meta.append(((T("Plan"),), (C(info.name),)))
        if info.version is not None:
            meta.append(((T("Version"),), (T(str(info.version)),)))
        if info.created_at:
            meta.append(((T("Created"),), (T(info.created_at),)))
        if info.author:
            meta.append(((T("Author"),), (T(info.author),)))
        if info.tags:
            meta.append(((T("Tags"),), tuple(s for tag in info.tags for s in (C(tag), T(" ")))[:-1]))
        if info.message:
            meta.append(((T("Message"),), (T(info.message),)))
    meta.append(((T("Catalog"),), (C(cat.ref), T(f" ({cat.title})"))))
    meta.append(((T("Verdict"),), (B(res.verdict),)))
    sections.append(Block("table", header=("Field", "Value"), rows=tuple(meta)))

    section("Context")
    sections.extend(_history_blocks(info))

    section("Decision")
    sections.append(_decision_table(res))
    sections.extend(_option_api_blocks(res))

    if any(not p.required for p in cat.properties):
        section("Open questions")
        sections.extend(_open_question_blocks(res))

    section("Considered options")
    sections.extend(_considered_blocks(res))

    section("Consequences")
    sections.append(Block("heading", (T("Verdict and findings"),), level=3))
    sections.append(
        Block(
            "para",
            (T("Verdict: "), B(res.verdict), T(f" (the highest severity among the {len(res.findings)} findings).")),
        )
    )
    if res.findings:
        items = []
        for f in res.findings:
            item: list[Span] = [
                B(severity_name(f.rule.severity)),
                T(" "),
                C(f.rule.id),
                T(": " + f.rule.message + " Because: "),
                C(explain_condition(f.rule.condition, sel)),
            ]
            if f.rule.alternative:
                item.append(T(". Alternative: " + f.rule.alternative))
            if f.rule.source:
                item.append(T(". Sources: "))
                item.extend(linkify(f.rule.source))
            items.append(tuple(item))
        sections.append(Block("ulist", items=tuple(items)))
    else:
        sections.append(Block("para", (T("No rule fires for this selection."),)))

    sections.append(Block("heading", (T("Money flows"),), level=3))
    flow_rows = tuple(
        (
            (T(cat.party_title(f.from_party)),),
            (T(cat.party_title(f.to_party)),),
            (T(f.what),),
            (C(f.kind),),
            (T(f.note),),
        )
        for f in res.flows
    )
    sections.append(Block("table", header=("From", "To", "What", "Kind", "Note"), rows=flow_rows))

    sections.append(Block("heading", (T("Responsibilities"),), level=3))
    resp_rows = tuple(
        ((T(h.responsibility.title),), (T(cat.party_title(h.assignment.party)),), (T(h.assignment.note),))
        for h in res.responsibilities
    )
    sections.append(Block("table", header=("Responsibility", "Held by", "Note"), rows=resp_rows))

    sections.append(Block("heading", (T("Integration steps"),), level=3))
    steps = []
    for s in res.steps:
        head: list[Span] = [L(s.step.title, s.step.url) if s.step.url else T(s.step.title)]
        head.append(T(f" ({s.step.phase}{', core step' if s.step.core else ''}; why: "))
        head.append(C(because_text(s.because)))
        head.append(T("; id "))
        head.append(C(s.step.id))
        head.append(T(")"))
        if s.step.body:
            head.append(T(" — " + s.step.body))
        steps.append(tuple(head))
    children = tuple(_api_items(s.step.api) for s in res.steps)
    sections.append(Block("olist", items=tuple(steps), children=children if any(children) else ()))

    section("Implementation")
    sections.extend(implementation_blocks(res, info.ref if info else None))

    if images:
        section("Diagrams")
        for caption, ref in images:
            sections.append(Block("heading", (T(caption),), level=3))
            sections.append(Block("image", (T(_alt(caption, info)),), image=ref))

    if since is not None:
        since_info, since_res = since
        section(f"What changed since {since_info.ref}")
        diff = diff_resolutions(since_res, res, from_ref=since_info.ref, to_ref=info.ref if info else "this selection")
        sections.extend(_change_blocks(diff, since_info, since_res.catalog, cat))
        for caption, ref in change_images:
            sections.append(Block("heading", (T(caption),), level=3))
            sections.append(
                Block("image", (T(f"{caption} from {since_info.ref}: added, removed and changed elements"),), image=ref)
            )

    if info is not None:
        section("Change from the previous version")
        if previous is None:
            sections.append(Block("para", (T("This is the first version of the plan."),)))
        else:
            prev_info, prev_res = previous
            diff = diff_resolutions(prev_res, res, from_ref=prev_info.ref, to_ref=info.ref)
            sections.extend(_change_blocks(diff, prev_info, prev_res.catalog, cat))

    toc = [
        (A(name, github_anchor(name)),)
        for name in ("".join(s.text for s in b.inline) for b in sections if b.kind == "heading" and b.level == 2)
    ]
    blocks.append(Block("heading", (T("Contents"),), level=2))
    blocks.append(Block("ulist", items=tuple(toc)))
    return blocks + sections


_KIND_BY_CAPTION = {title: kind for kind, _, title in DIAGRAMS}


def _alt(caption: str, info: PlanInfo | None) -> str:
    what = ALT_TEXT.get(_KIND_BY_CAPTION.get(caption, ""), "")
    subject = info.ref if info else "the selection"
    return f"{caption} diagram of {subject}" + (f": {what}" if what else "")


def design_markdown(
    res: Resolution,
    info: PlanInfo | None = None,
    *,
    previous: tuple[PlanInfo, Resolution] | None = None,
    images: Sequence[tuple[str, str]] = (),
    since: tuple[PlanInfo, Resolution] | None = None,
    change_images: Sequence[tuple[str, str]] = (),
) -> str:
    """The design document as GitHub-flavoured Markdown; images are (caption, relative file name) pairs.

    Images are linked relatively (the SVG files sit beside ``README.md``) with descriptive alt
    text, and a table of contents links to each section by the anchor GitHub gives it. Control
    characters in user and catalog text are shown escaped (``\\x1b``).
    """
    from connectplan.output.resolution import escape_controls

    return escape_controls(
        md_blocks(design_blocks(res, info, previous=previous, images=images, since=since, change_images=change_images))
    )


def design_html(
    res: Resolution,
    info: PlanInfo | None = None,
    *,
    previous: tuple[PlanInfo, Resolution] | None = None,
    images: Sequence[tuple[str, bytes]] = (),
    since: tuple[PlanInfo, Resolution] | None = None,
    change_images: Sequence[tuple[str, bytes]] = (),
) -> str:
    """The design document as one self-contained HTML page; images are (caption, SVG bytes) pairs.

    The page prints well: a print style sheet starts each figure on a new page, scales figures
    to the page and keeps tables and list items from splitting.
    """
    blocks = design_blocks(
        res,
        info,
        previous=previous,
        images=[(caption, data_uri(svg)) for caption, svg in images],
        since=since,
        change_images=[(caption, data_uri(svg)) for caption, svg in change_images],
    )
    return html_page(blocks)
