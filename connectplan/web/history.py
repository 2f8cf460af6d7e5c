"""The plan pages: the plan list, a plan's history, a version, the comparison page, and their helpers.

History is a review workflow: every write lands on a page that says what it did (:data:`DONE`,
``?done=...`` mapped to a fixed sentence built from the stored record, never from the request's
text), times read as "7 Dec 2026, 11:24 UTC" with the ISO time on hover (:func:`when`), upgrades
are offered only towards a newer edition or revision (:func:`upgrade_targets`), and ``/diff``
compares anything with anything (:func:`side_of`: a plan version, a preset or the configurator's
selection, each optionally carried over to another edition).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from markupsafe import Markup, escape

from connectplan.compare import Side
from connectplan.web.params import BadRequest, catalog_of, parse_selection, query_string
from connectplan.web.views import alternate, editions_bar, record_catalog_link, render, ws_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request
    from starlette.responses import Response

    from connectplan.records import EditionInfo, VersionRecord
    from connectplan.workspace import Workspace

__all__ = [
    "DONE",
    "ChangedChoice",
    "SelectionRow",
    "UpgradeDecision",
    "UpgradeTarget",
    "breakable",
    "changed_choices",
    "done_url",
    "flash",
    "page_diff",
    "page_plan_list",
    "page_plan_log",
    "page_version",
    "selection_rows",
    "side_of",
    "upgrade_decisions",
    "upgrade_targets",
    "version_url",
    "when",
]

#: ``?done=`` of the page a write redirects to, and the sentence it shows (filled from the stored record)
DONE = {
    "saved": "Saved {ref}: version 1 of the new plan {plan}.",
    "version": "Saved {ref}, changed from version {parent}.",
    "tagged": "Tagged {ref} as {tag}.",
    "forked": "Forked {origin} as the new plan {plan}: {ref}.",
    "upgraded": "Upgraded to {catalog}: saved as {ref}, changed from version {parent}.",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def version_url(ref: str) -> str:
    return "/versions/" + quote(ref, safe="@")


def done_url(ref: str, done: str, **extra: str) -> str:
    """The version page that confirms ``done`` (a key of :data:`DONE`).

    >>> done_url("acme@2", "tagged", tag="reviewed")
    '/versions/acme@2?done=tagged&tag=reviewed'
    """
    return version_url(ref) + "?" + urlencode({"done": done, **extra})


def flash(request: Request, record: VersionRecord) -> str | None:
    """The confirmation a version page shows after a write, or None. Only the tag name comes from the
    query, and only when the version really carries that tag."""
    done = request.query_params.get("done", "")
    if done not in DONE:
        return None
    tag = request.query_params.get("tag", "")
    if done == "tagged" and tag not in record.tags:
        return None
    return DONE[done].format(
        ref=record.ref,
        plan=record.plan,
        parent=record.parent or "",
        tag=f"“{tag}”",
        origin=record.forked_from or "another plan",
        catalog=record.catalog_ref,
    )


def when(value: str | None) -> Markup:
    """A stored UTC time as ``<time>``: readable text, the ISO time as ``datetime`` and on hover.

    >>> print(str(when("2026-12-07T11:24:03Z")).replace("> <", ">\\n<"))
    <time datetime="2026-12-07T11:24:03Z" title="2026-12-07T11:24:03Z"><span class="nw">7 Dec 2026,</span>
    <span class="nw">11:24 UTC</span></time>
    >>> str(when("not a time"))
    'not a time'
    """
    text = value or ""
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return Markup("{0}").format(text)
    return Markup(
        '<time datetime="{0}" title="{0}"><span class="nw">{1} {2} {3},</span> '
        '<span class="nw">{4:02d}:{5:02d} UTC</span></time>'
    ).format(text, t.day, MONTHS[t.month - 1], t.year, t.hour, t.minute)


def breakable(text: str) -> Markup:
    """An identifier that may wrap after its punctuation only (``<wbr>`` after ``.``, ``,`` and ``_``), never
    inside a word: ``liability.stripe`` wraps as ``liability.`` / ``stripe`` on a phone.

    >>> str(breakable("monetization.a_b,<c>"))
    'monetization.<wbr>a_<wbr>b,<wbr>&lt;c&gt;'
    """
    out = str(escape(text))
    for mark in (".", ",", "_"):
        out = out.replace(mark, mark + "<wbr>")
    return Markup(out)


# ---------------------------------------------------------------------------
# upgrades


@dataclass(frozen=True)
class UpgradeTarget:
    """An edition or revision a version can be upgraded to: the form's value and its words."""

    value: str
    label: str
    default: bool = False


def upgrade_targets(editions: list[EditionInfo], record: VersionRecord) -> list[UpgradeTarget]:
    """The newer editions and revisions of ``record``'s catalog, oldest first: its own edition's newest
    revision when a correction supersedes it, then each newer edition (at its newest revision). The
    default is the one ``plan upgrade`` picks without ``--to``: the correction, else the newest edition.
    ``editions`` is ``Workspace.catalogs()`` (sorted by name, edition, revision).
    """
    mine = [e for e in editions if e.name == record.catalog_name]
    order = [e.catalog_id for e in mine]
    here = order.index(record.catalog_id) if record.catalog_id in order else -1
    newest: dict[str, EditionInfo] = {}
    for info in mine[here + 1 :]:
        newest[info.edition] = info  # ascending: the last revision of each edition wins
    out = []
    for info in newest.values():
        if info.edition == record.catalog_edition:
            label = f"{info.ref}: revision {info.revision}, a correction of this edition"
        else:  # "Stripe Connect integration design (full decision set, Accounts v2)": what tells editions apart
            told = info.title.rpartition("(")[2].rstrip(")") if info.title.endswith(")") else info.title
            label = f"{info.ref}: {told}"
        out.append(UpgradeTarget(info.ref, label))
    if not out:
        return out
    pick = 0 if out[0].value == record.catalog_ref else len(out) - 1
    return [UpgradeTarget(t.value, t.label, i == pick) for i, t in enumerate(out)]


@dataclass(frozen=True)
class UpgradeDecision:
    """One decision an upgrade adds, fills, renames or drops, in words for the upgrade page."""

    title: str
    prop: str
    choice: str
    how: str
    because: str = ""
    open: bool = False


def upgrade_decisions(report: Any) -> list[UpgradeDecision]:
    """The decisions a :class:`~engine.upgrade.PlanUpgrade` changes: each property new in the target
    edition (chosen by the edition's default, left open, or carried over from a renamed option), each
    option renamed, and each property the target no longer asks; in the target's property order."""
    from connectplan.engine import Term
    from connectplan.output.resolution import options_of

    old, new = report.before.catalog, report.after.catalog
    sel = report.after.selection_dict
    defaults = {d.property: d for d in report.defaults}

    def titles(prop: str, value: Any, cat: Any = new) -> str:
        return ", ".join(cat.option_title(Term(prop, o)) for o in options_of(value))

    out = []
    for p in new.properties:
        d = defaults.get(p.id)
        if p.id in old.property_index and d is None:
            continue
        is_open = p.is_pending(sel[p.id])
        if d is not None:
            how = "new: left open (not decided yet)" if is_open else "new: chosen by the edition's default"
        else:
            how = "new: carried over from a renamed option"
        out.append(UpgradeDecision(p.title, p.id, titles(p.id, sel[p.id]), how, d.because if d else "", is_open))
    for c in report.renamed_options:
        prop = c.prop if c.prop in new.property_index else str(c.after).split(".", 1)[0]
        title = new.property_index[prop].title if prop in new.property_index else prop
        out.append(UpgradeDecision(title, prop, str(c.after), f"renamed: {c.before} is now {c.after}"))
    for p in old.properties:
        if p.id not in new.property_index:
            out.append(UpgradeDecision(p.title, p.id, titles(p.id, report.before.selection_dict[p.id], old), "dropped"))
    return out


# ---------------------------------------------------------------------------
# pages


def page_plan_list(request: Request) -> Response:
    plans = ws_of(request).plans(stale_only=request.query_params.get("stale") == "1")
    return render(request, "plans.html", {"plans": plans}, Link=alternate("/api/plans"))


def page_plan_log(request: Request) -> Response:
    ws = ws_of(request)
    name = request.path_params["name"]
    entries = ws.log(name)
    origin = entries[-1].record.forked_from if entries else None
    return render(request, "plan_log.html", {"name": name, "entries": entries, "origin": origin})


def page_version(request: Request) -> Response:
    ws = ws_of(request)
    ref = request.path_params["ref"]
    view = ws.plan(ref)
    record, res = view.record, view.resolution
    link = record_catalog_link(record)
    context = {
        "record": record,
        "resolution": res,
        "catalog": res.catalog,
        "selection_rows": selection_rows(res),
        "diagram_query": urlencode({"plan": record.ref}),
        "open_url": "/?" + query_string(link, dict(record.selection), plan=record.plan, base=record.version),
        "catalog_link": link,
        "plan": record.plan,
        "base": str(record.version),
        "flash": flash(request, record),
        "targets": upgrade_targets(ws.catalogs(), record),
        "previous": f"{record.plan}@{record.parent}" if record.parent else None,
    }
    return render(request, "version.html", context, Link=alternate(f"/api/plans/{quote(record.ref, safe='@')}"))


@dataclass(frozen=True)
class SelectionRow:
    """One decision of a saved version: its section heading (grouped catalogs), title, choice and state."""

    section: str
    title: str
    choice: str
    code: str
    open: bool


def selection_rows(res: Any) -> list[SelectionRow]:
    """A resolution's decisions in listing order (by section when the catalog has them)."""
    from connectplan.engine import Term
    from connectplan.output.resolution import choice_text, options_of
    from connectplan.output.sections import has_sections, ordered_properties, section_title

    cat = res.catalog
    sel = res.selection_dict
    titled = has_sections(cat)
    return [
        SelectionRow(
            section=section_title(p.section) if titled else "",
            title=p.title,
            choice=", ".join(cat.option_title(Term(p.id, o)) for o in options_of(sel[p.id])),
            code=f"{p.id}.{choice_text(sel[p.id])}",
            open=p.is_pending(sel[p.id]),
        )
        for p in ordered_properties(cat)
        if p.id in sel
    ]


# ---------------------------------------------------------------------------
# comparing

#: the query parameters of one side of ``/diff`` (``a`` or ``b``): a version, a preset, a configurator query,
#: the edition a preset is resolved on, and the edition the side is carried over to
SIDE_PARAMS = ("", "_preset", "_catalog", "_query", "_on")


def side_of(request: Request, x: str) -> Side | None:
    """Side ``x`` (``a`` or ``b``) of ``/diff``, or None when none of its parameters is given.

    ``x=REF`` a plan version; ``x_preset=ID`` (on ``x_catalog``, default the newest edition) a preset;
    ``x_query=`` a configurator query (its ``catalog=`` and choices); ``x_on=EDITION`` carries the side
    over to another edition of its catalog.
    """
    q = request.query_params
    given = {p: q.get(x + p, "").strip() for p in SIDE_PARAMS}
    if not any(given.values()):
        return None
    on = given["_on"] or None
    if given[""]:
        return Side(ref=given[""], on=on)
    if given["_preset"]:  # on the edition named (``_catalog``, else ``_on``), the newest without either
        if not given["_catalog"]:
            return Side(preset=given["_preset"], catalog=on)
        return Side(preset=given["_preset"], catalog=given["_catalog"], on=on)
    if given["_query"]:
        pairs = parse_qsl(given["_query"], keep_blank_values=True)
        catalog = ws_of(request).catalog(catalog_of(pairs))
        sel = parse_selection(pairs, catalog)
        return Side(catalog=catalog.revision_ref, preset=sel.preset, set=dict(sel.mapping), on=on)
    raise BadRequest(f"name side {x}: a plan version ({x}=NAME@N), a preset ({x}_preset=ID) or a selection", x)


def compare_form(ws: Workspace) -> dict[str, Any]:
    """What the compare form offers: the editions, the presets (by id, newest edition's titles first) and the plans."""
    editions = editions_bar(ws)
    presets: dict[str, str] = {}
    for info in reversed(editions):
        for p in ws.catalog(info.ref).presets:
            presets.setdefault(p.id, p.title)
    return {
        "editions": editions,
        "preset_choices": sorted(presets.items(), key=lambda kv: kv[1]),
        "plan_refs": [p.latest.ref for p in ws.plans()],
    }


def page_diff(request: Request) -> Response:
    """``/diff``: the compare form, and the comparison of its two sides when both are given."""
    ws = ws_of(request)
    a, b = side_of(request, "a"), side_of(request, "b")
    context: dict[str, Any] = {"form": compare_form(ws), "asked": dict(request.query_params)}
    if a is None and b is None and not request.query_params:
        return render(request, "diff.html", {**context, "comparison": None})
    if a is None or b is None:
        missing = "a" if a is None else "b"
        raise BadRequest(f"missing parameter {missing!r}; e.g. /diff?a=acme@1&b=acme@2", missing)
    from connectplan.output.plans import diff_sections

    comparison = ws.compare(a, b)
    versions = a.kind == b.kind == "version" and not (a.on or b.on)
    context.update(
        comparison=comparison,
        diff=comparison.diff,
        sections=diff_sections(comparison.diff),
        changed=changed_choices(comparison),
        diagram_query=urlencode({"plan": b.ref, "against": a.ref}) if versions else None,
        swap_url="/diff?" + urlencode(_swapped(request.query_params)),
    )
    response = render(request, "diff.html", context)
    if versions:
        response.headers["Link"] = alternate("/api/diff?" + urlencode({"a": a.ref, "b": b.ref}))
    return response


def _swapped(params: Mapping[str, str]) -> list[tuple[str, str]]:
    swap = {"a": "b", "b": "a"}
    out = []
    for key, value in params.items():
        side, rest = key[:1], key[1:]
        if side in swap and rest in SIDE_PARAMS:
            out.append((swap[side] + rest, value))
    return sorted(out)


@dataclass(frozen=True)
class ChangedChoice:
    """One decision two sides answer differently: its title and id, and each side's choice in words."""

    title: str
    prop: str
    before: str
    after: str


def changed_choices(comparison: Any) -> list[ChangedChoice]:
    """The diff's changed decisions with titles: the property's from the newer side's catalog (the older
    one's for a dropped property), each option's from its own side's catalog; "—" where a side has none."""
    from connectplan.engine import Term
    from connectplan.output.resolution import options_of

    before_cat, after_cat = comparison.before.catalog, comparison.after.catalog

    def words(cat: Any, prop: str, value: Any) -> str:
        if value is None or prop not in cat.property_index:
            return "—"
        return ", ".join(cat.option_title(Term(prop, o)) for o in options_of(value))

    out = []
    for prop, before, after in comparison.diff.selection:
        owner = after_cat.property_index.get(prop) or before_cat.property_index.get(prop)
        title = owner.title if owner is not None else prop
        out.append(ChangedChoice(title, prop, words(before_cat, prop, before), words(after_cat, prop, after)))
    return out
