"""Loading a catalog document: validation into :class:`~engine.catalog.Catalog` records.

:func:`catalog_from_dict` turns the parsed document (plain dicts and lists, from YAML or JSON)
into immutable records and reports every problem it finds at once, each with a machine-readable
code, the path to the element and, when the caller passes a ``locate`` function, the line in the
file. Each element is read with :class:`engine.checker.Checker`, which collects the problems; the
records themselves, and the inverse :func:`~engine.catalog.catalog_to_dict`, are in :mod:`engine.catalog`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from connectplan.engine.catalog import (
    _DATE,
    _EDITION,
    _NAME,
    BASES,
    CHOICES,
    FLOW_KINDS,
    FORMAT,
    PHASES,
    SECTIONS,
    Assignment,
    Catalog,
    ChangelogEntry,
    Flow,
    Option,
    Party,
    Preset,
    Property,
    RenameDefault,
    Renames,
    Responsibility,
    Rule,
    Step,
)
from connectplan.engine.checker import Checker, join_path, kind_of
from connectplan.engine.errors import CatalogError, SelectionError
from connectplan.engine.severity import RULE_SEVERITIES

if TYPE_CHECKING:
    from connectplan.engine.expression import Choice

__all__ = ["catalog_from_dict"]


_TOP_REQUIRED = ("format", "name", "edition", "title", "properties", "rules", "steps")
_TOP_OPTIONAL = (
    "revision",
    "changelog",
    "description",
    "renames",
    "parties",
    "flows",
    "responsibilities",
    "presets",
)
_OPTION_OPTIONAL = ("pending", "exclusive", "summary", "best_for", "examples", "api", "docs")


def catalog_from_dict(
    data: Any,
    *,
    source: str = "<catalog>",
    locate: Callable[[str], int | None] | None = None,
) -> Catalog:
    """Validate a catalog document and build the :class:`Catalog`.

    Parameters
    ----------
    data:
        The parsed document (mappings, lists, strings, numbers, booleans).
    source:
        A name for messages, usually the file path.
    locate:
        Optional ``path -> line`` function (``"rules[3].condition"`` -> ``42``) so that problems
        carry line numbers.

    Raises
    ------
    CatalogError
        Listing every problem: unknown keys, wrong types, duplicate ids, unknown properties or
        options in conditions, unknown severities or phases, missing or cyclic prerequisites,
        incomplete presets, unknown parties.
    """
    ck = Checker(source, locate)
    top = ck.mapping(data, "", _TOP_REQUIRED, _TOP_OPTIONAL)
    if top is None:
        raise CatalogError(ck.problems, ck.more)
    fmt = top.get("format")
    if "format" in top and fmt != FORMAT:
        ck.problem("unsupported_format", "format", f"unsupported format {fmt!r} (expected {FORMAT!r})")
    name = ck.ident(top.get("name"), "name", _NAME)
    raw_edition = top.get("edition")
    if isinstance(raw_edition, (int, float)) and not isinstance(raw_edition, bool):
        # YAML reads 2025.10 as the number 2025.1: only a quoted string keeps what was written
        ck.problem("wrong_type", "edition", f"must be a quoted string (edition: '{raw_edition}'), found a number")
    elif raw_edition is not None and isinstance(raw_edition, str) and not raw_edition.strip():
        ck.problem("empty", "edition", "must not be empty")
    edition = ck.ident(raw_edition, "edition", _EDITION)
    title = ck.text(top.get("title"), "title", required=True)
    description = ck.text(top.get("description"), "description")
    revision = _read_revision(ck, top)
    changelog = _read_changelog(ck, top.get("changelog"), revision)

    parties = _read_parties(ck, top.get("parties"))
    properties = _read_properties(ck, top.get("properties"))
    props = {p.id: p for p in properties}
    party_ids = {p.id for p in parties}
    rules = _read_rules(ck, top.get("rules"), props)
    steps = _read_steps(ck, top.get("steps"), props)
    flows = _read_flows(ck, top.get("flows"), props, party_ids)
    responsibilities = _read_responsibilities(ck, top.get("responsibilities"), props, party_ids)
    presets = _read_presets(ck, top.get("presets"), props)
    renames = _read_renames(ck, top.get("renames"), props, {s.id for s in steps})

    if ck.problems:
        raise CatalogError(ck.problems, ck.more)
    return Catalog(
        name=name,
        edition=edition,
        title=title,
        description=description,
        properties=tuple(properties),
        rules=tuple(rules),
        steps=tuple(steps),
        parties=tuple(parties),
        flows=tuple(flows),
        responsibilities=tuple(responsibilities),
        presets=tuple(presets),
        renames=renames,
        revision=revision,
        changelog=tuple(changelog),
    )


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: Highest revision number (PostgreSQL's INTEGER, the store's column on both backends).
MAX_REVISION = 2**31 - 1


def _read_revision(ck: Checker, top: Mapping[str, Any]) -> int:
    value = top.get("revision", 1)
    if not _whole_number(value) or value < 1:
        ck.problem("wrong_type", "revision", f"expected a whole number of at least 1, found {value!r}")
        return 1
    if value > MAX_REVISION:
        ck.problem("wrong_type", "revision", f"expected a whole number from 1 to {MAX_REVISION}, found a larger one")
        return 1
    return int(value)


def _read_changelog(ck: Checker, value: Any, revision: int) -> list[ChangelogEntry]:
    out: list[ChangelogEntry] = []
    for i, item in enumerate(ck.items(value, "changelog")):
        path = f"changelog[{i}]"
        m = ck.mapping(item, path, ("revision", "date", "changes"), ())
        if m is None:
            continue
        rev = m.get("revision")
        if "revision" in m and not (_whole_number(rev) and isinstance(rev, int) and 1 <= rev <= revision):
            ck.problem(
                "wrong_type", join_path(path, "revision"), f"expected a revision from 1 to {revision}, found {rev!r}"
            )
            rev = 1
        date: Any = m.get("date")
        date_text = date.isoformat() if hasattr(date, "isoformat") else date  # YAML reads a bare date as one
        if "date" in m and not (isinstance(date_text, str) and _DATE.match(date_text) and _is_date(date_text)):
            ck.problem("wrong_type", join_path(path, "date"), f"expected a date YYYY-MM-DD, found {date!r}")
            date_text = ""
        changes = ck.texts(m.get("changes"), join_path(path, "changes"))
        if "changes" in m and not changes:
            ck.problem("empty", join_path(path, "changes"), "list at least one change")
        out.append(ChangelogEntry(rev if isinstance(rev, int) else 1, str(date_text or ""), changes))
    return out


def _is_date(text: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _read_parties(ck: Checker, value: Any) -> list[Party]:
    out: list[Party] = []
    ids: list[tuple[str, str]] = []
    for i, item in enumerate(ck.items(value, "parties")):
        path = f"parties[{i}]"
        m = ck.mapping(item, path, ("id", "title"), ("summary",))
        if m is None:
            continue
        pid = ck.ident(m.get("id"), join_path(path, "id"))
        ids.append((pid, path))
        out.append(
            Party(
                pid,
                ck.text(m.get("title"), join_path(path, "title"), required=True),
                ck.text(m.get("summary"), join_path(path, "summary")),
            )
        )
    ck.unique(ids, "party")
    return out


def _read_properties(ck: Checker, value: Any) -> list[Property]:
    out: list[Property] = []
    ids: list[tuple[str, str]] = []
    items = ck.items(value, "properties")
    if value is not None and isinstance(value, list) and not items:
        ck.problem("empty", "properties", "a catalog needs at least one property")
    for i, item in enumerate(items):
        path = f"properties[{i}]"
        m = ck.mapping(item, path, ("id", "title", "options"), ("question", "section", "choice", "min", "max"))
        if m is None:
            continue
        pid = ck.ident(m.get("id"), join_path(path, "id"))
        ids.append((pid, path))
        options: list[Option] = []
        opt_ids: list[tuple[str, str]] = []
        opt_items = ck.items(m.get("options"), join_path(path, "options"))
        if "options" in m and not opt_items:
            ck.problem("empty", join_path(path, "options"), "a property needs at least one option")
        for j, oitem in enumerate(opt_items):
            opath = f"{path}.options[{j}]"
            om = ck.mapping(oitem, opath, ("id", "title"), _OPTION_OPTIONAL)
            if om is None:
                continue
            oid = ck.ident(om.get("id"), join_path(opath, "id"))
            opt_ids.append((oid, opath))
            options.append(
                Option(
                    id=oid,
                    title=ck.text(om.get("title"), join_path(opath, "title"), required=True),
                    summary=ck.text(om.get("summary"), join_path(opath, "summary")),
                    best_for=ck.texts(om.get("best_for"), join_path(opath, "best_for")),
                    examples=ck.texts(om.get("examples"), join_path(opath, "examples")),
                    api=ck.api_settings(om.get("api"), join_path(opath, "api")),
                    docs=tuple(
                        ck.url(u, f"{join_path(opath, 'docs')}[{i}]")
                        for i, u in enumerate(ck.texts(om.get("docs"), join_path(opath, "docs")))
                    ),
                    pending=_flag(ck, om, opath, "pending"),
                    exclusive=_flag(ck, om, opath, "exclusive"),
                )
            )
        ck.unique(opt_ids, f"option (of property {pid!r})")
        choice, low, high = _read_choice(ck, m, path, len(options))
        _check_flags(ck, path, pid, options, choice, low)
        section = ck.text(m.get("section"), join_path(path, "section"))
        if "section" in m and section not in SECTIONS:
            ck.problem(
                "unknown_value",
                join_path(path, "section"),
                f"unknown section {section!r} (expected one of: {', '.join(SECTIONS)})",
            )
        out.append(
            Property(
                id=pid,
                title=ck.text(m.get("title"), join_path(path, "title"), required=True),
                question=ck.text(m.get("question"), join_path(path, "question")),
                options=tuple(options),
                choice=choice,
                min_options=low,
                max_options=high,
                section=section,
            )
        )
    ck.unique(ids, "property")
    return out


def _flag(ck: Checker, m: Mapping[str, Any], path: str, key: str) -> bool:
    value = m.get(key, False)
    if not isinstance(value, bool):
        ck.problem("wrong_type", join_path(path, key), f"expected true or false, found {kind_of(value)}")
        return False
    return value


def _check_flags(ck: Checker, path: str, pid: str, options: list[Option], choice: str, low: int) -> None:
    """At most one pending option; ``exclusive`` only in a multi-choice property (with ``min: 1``),
    where a pending option must also be exclusive."""
    pending = [o.id for o in options if o.pending]
    if len(pending) > 1:
        ck.problem(
            "bad_pending",
            path,
            f"property {pid!r} has {len(pending)} pending options ({', '.join(pending)}); keep pending: true on one",
        )
    for j, opt in enumerate(options):
        opath = f"{path}.options[{j}]"
        if opt.exclusive and choice != "many":
            ck.problem(
                "bad_exclusive",
                join_path(opath, "exclusive"),
                f"exclusive applies only to an option of a property with choice: many; remove it from {pid}.{opt.id}",
            )
        elif opt.exclusive and low > 1:
            ck.problem(
                "bad_exclusive",
                join_path(opath, "exclusive"),
                f"exclusive option {pid}.{opt.id} can never be chosen alone: property {pid!r} has min {low}",
            )
        if opt.pending and choice == "many" and not opt.exclusive:
            ck.problem(
                "bad_pending",
                join_path(opath, "pending"),
                f"pending option {pid}.{opt.id} of a multi-choice property must also be exclusive: true",
            )


def _read_choice(ck: Checker, m: Mapping[str, Any], path: str, count: int) -> tuple[str, int, int]:
    """``choice``, ``min`` and ``max`` of a property (``min``/``max`` only for ``choice: many``)."""
    choice = ck.text(m.get("choice"), join_path(path, "choice"), default="one")
    if choice not in CHOICES:
        ck.problem("unknown_value", join_path(path, "choice"), f"unknown choice {choice!r} (expected one or many)")
        return "one", 1, 1
    if choice == "one":
        for key in ("min", "max"):
            if key in m:
                ck.problem("bad_count", join_path(path, key), f"{key!r} applies only to a property with choice: many")
        return "one", 1, 1
    low, high = m.get("min", 1), m.get("max", count)
    for key, value in (("min", low), ("max", high)):
        if not _whole_number(value) or value < 1:
            ck.problem("bad_count", join_path(path, key), f"expected a whole number of at least 1, found {value!r}")
            return "many", 1, max(count, 1)
    if low > high or high > count:
        ck.problem(
            "bad_count",
            path,
            f"needs 1 <= min <= max <= number of options ({count}); found min {low}, max {high}",
        )
        return "many", 1, max(count, 1)
    return "many", int(low), int(high)


def _read_rules(ck: Checker, value: Any, props: Mapping[str, Property]) -> list[Rule]:
    out: list[Rule] = []
    ids: list[tuple[str, str]] = []
    for i, item in enumerate(ck.items(value, "rules")):
        path = f"rules[{i}]"
        m = ck.mapping(
            item, path, ("id", "condition", "severity", "message"), ("alternative", "source", "basis", "basis_note")
        )
        if m is None:
            continue
        rid = ck.ident(m.get("id"), join_path(path, "id"))
        ids.append((rid, path))
        severity = ck.text(m.get("severity"), join_path(path, "severity"))
        if "severity" in m and severity not in RULE_SEVERITIES:
            ck.problem(
                "unknown_value",
                join_path(path, "severity"),
                f"unknown severity {severity!r} (expected one of: {', '.join(RULE_SEVERITIES)})",
            )
        basis = ck.text(m.get("basis"), join_path(path, "basis"), default="stated")
        if basis not in BASES:
            ck.problem(
                "unknown_value",
                join_path(path, "basis"),
                f"unknown basis {basis!r} (expected one of: {', '.join(BASES)})",
            )
        out.append(
            Rule(
                id=rid,
                condition=ck.condition(m.get("condition"), join_path(path, "condition"), props),
                severity=severity,
                message=ck.text(m.get("message"), join_path(path, "message"), required=True),
                alternative=ck.text(m.get("alternative"), join_path(path, "alternative")),
                source=ck.url(m.get("source"), join_path(path, "source"), leading=True),
                basis=basis,
                basis_note=ck.text(m.get("basis_note"), join_path(path, "basis_note")),
            )
        )
    ck.unique(ids, "rule")
    return out


def _read_steps(ck: Checker, value: Any, props: Mapping[str, Property]) -> list[Step]:
    out: list[Step] = []
    ids: list[tuple[str, str]] = []
    paths: dict[str, str] = {}
    for i, item in enumerate(ck.items(value, "steps")):
        path = f"steps[{i}]"
        m = ck.mapping(
            item,
            path,
            ("id", "order", "phase", "condition", "title"),
            ("core", "prereqs", "body", "url", "title_source", "source", "basis", "basis_note", "api"),
        )
        if m is None:
            continue
        sid = ck.ident(m.get("id"), join_path(path, "id"))
        ids.append((sid, path))
        paths.setdefault(sid, path)
        order = m.get("order")
        if "order" in m and (not isinstance(order, int) or isinstance(order, bool)):
            ck.problem("wrong_type", join_path(path, "order"), f"expected a whole number, found {kind_of(order)}")
            order = 0
        phase = ck.text(m.get("phase"), join_path(path, "phase"))
        if "phase" in m and phase not in PHASES:
            ck.problem(
                "unknown_value",
                join_path(path, "phase"),
                f"unknown phase {phase!r} (expected one of: {', '.join(PHASES)})",
            )
        core = m.get("core", False)
        if not isinstance(core, bool):
            ck.problem("wrong_type", join_path(path, "core"), f"expected true or false, found {kind_of(core)}")
            core = False
        title_source = ck.text(m.get("title_source"), join_path(path, "title_source"))
        if title_source not in ("", "guide", "pattern"):
            ck.problem(
                "unknown_value",
                join_path(path, "title_source"),
                f"unknown title_source {title_source!r} (expected guide or pattern)",
            )
        prereqs = ck.texts(m.get("prereqs"), join_path(path, "prereqs"))
        step_basis = ck.text(m.get("basis"), join_path(path, "basis"))
        if step_basis and step_basis not in BASES:
            ck.problem(
                "unknown_value",
                join_path(path, "basis"),
                f"unknown basis {step_basis!r} (expected one of: {', '.join(BASES)})",
            )
        out.append(
            Step(
                id=sid,
                order=order if isinstance(order, int) else 0,
                phase=phase,
                core=core,
                condition=ck.condition(m.get("condition"), join_path(path, "condition"), props),
                prereqs=prereqs,
                title=ck.text(m.get("title"), join_path(path, "title"), required=True),
                body=ck.text(m.get("body"), join_path(path, "body")),
                url=ck.url(m.get("url"), join_path(path, "url")),
                title_source=title_source,
                source=ck.url(m.get("source"), join_path(path, "source"), leading=True),
                basis=step_basis,
                basis_note=ck.text(m.get("basis_note"), join_path(path, "basis_note")),
                api=ck.api_settings(m.get("api"), join_path(path, "api")),
            )
        )
    ck.unique(ids, "step")
    known = {s.id for s in out}
    for i, step in enumerate(out):
        for j, pre in enumerate(step.prereqs):
            if pre not in known:
                ck.problem(
                    "unknown_step",
                    f"{paths.get(step.id, f'steps[{i}]')}.prereqs[{j}]",
                    f"step {step.id!r} requires unknown step {pre!r}",
                )
            elif pre == step.id:
                ck.problem(
                    "self_prerequisite",
                    f"{paths.get(step.id, f'steps[{i}]')}.prereqs[{j}]",
                    f"step {step.id!r} requires itself",
                )
    cycle = _find_cycle({s.id: [p for p in s.prereqs if p in known and p != s.id] for s in out})
    if cycle:
        ck.problem(
            "prerequisite_cycle", f"{paths.get(cycle[0], 'steps')}.prereqs", "prerequisite cycle: " + " -> ".join(cycle)
        )
    return out


def _find_cycle(edges: Mapping[str, list[str]]) -> list[str] | None:
    """Return one cycle as ``[a, b, ..., a]`` (deterministic), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _read_flows(ck: Checker, value: Any, props: Mapping[str, Property], parties: set[str]) -> list[Flow]:
    out: list[Flow] = []
    ids: list[tuple[str, str]] = []
    for i, item in enumerate(ck.items(value, "flows")):
        path = f"flows[{i}]"
        m = ck.mapping(item, path, ("id", "from", "to", "what", "kind", "condition"), ("note",))
        if m is None:
            continue
        fid = ck.ident(m.get("id"), join_path(path, "id"))
        ids.append((fid, path))
        ends = []
        for key in ("from", "to"):
            party = ck.text(m.get(key), join_path(path, key))
            if key in m and party not in parties:
                ck.problem(
                    "unknown_party",
                    join_path(path, key),
                    f"unknown party {party!r} (parties: {', '.join(sorted(parties)) or 'none declared'})",
                )
            ends.append(party)
        kind = ck.text(m.get("kind"), join_path(path, "kind"))
        if "kind" in m and kind not in FLOW_KINDS:
            ck.problem(
                "unknown_value",
                join_path(path, "kind"),
                f"unknown flow kind {kind!r} (expected one of: {', '.join(FLOW_KINDS)})",
            )
        out.append(
            Flow(
                id=fid,
                from_party=ends[0],
                to_party=ends[1],
                what=ck.text(m.get("what"), join_path(path, "what"), required=True),
                kind=kind,
                condition=ck.condition(m.get("condition"), join_path(path, "condition"), props),
                note=ck.text(m.get("note"), join_path(path, "note")),
            )
        )
    ck.unique(ids, "flow")
    return out


def _read_responsibilities(
    ck: Checker, value: Any, props: Mapping[str, Property], parties: set[str]
) -> list[Responsibility]:
    out: list[Responsibility] = []
    ids: list[tuple[str, str]] = []
    for i, item in enumerate(ck.items(value, "responsibilities")):
        path = f"responsibilities[{i}]"
        m = ck.mapping(item, path, ("id", "title", "assignments"), ())
        if m is None:
            continue
        rid = ck.ident(m.get("id"), join_path(path, "id"))
        ids.append((rid, path))
        assignments: list[Assignment] = []
        for j, aitem in enumerate(ck.items(m.get("assignments"), join_path(path, "assignments"))):
            apath = f"{path}.assignments[{j}]"
            am = ck.mapping(aitem, apath, ("party", "condition"), ("note",))
            if am is None:
                continue
            party = ck.text(am.get("party"), join_path(apath, "party"))
            if "party" in am and party not in parties:
                ck.problem(
                    "unknown_party",
                    join_path(apath, "party"),
                    f"unknown party {party!r} (parties: {', '.join(sorted(parties)) or 'none declared'})",
                )
            assignments.append(
                Assignment(
                    party,
                    ck.condition(am.get("condition"), join_path(apath, "condition"), props),
                    ck.text(am.get("note"), join_path(apath, "note")),
                )
            )
        out.append(
            Responsibility(rid, ck.text(m.get("title"), join_path(path, "title"), required=True), tuple(assignments))
        )
    ck.unique(ids, "responsibility")
    return out


def _read_presets(ck: Checker, value: Any, props: Mapping[str, Property]) -> list[Preset]:
    out: list[Preset] = []
    ids: list[tuple[str, str]] = []
    for i, item in enumerate(ck.items(value, "presets")):
        path = f"presets[{i}]"
        m = ck.mapping(item, path, ("id", "title", "selection"), ("reasoning", "examples"))
        if m is None:
            continue
        pid = ck.ident(m.get("id"), join_path(path, "id"))
        ids.append((pid, path))
        sel = m.get("selection")
        pairs: list[tuple[str, Choice]] = []
        spath = join_path(path, "selection")
        if not isinstance(sel, Mapping):
            if "selection" in m:
                ck.problem("wrong_type", spath, f"expected a mapping of property to option, found {kind_of(sel)}")
        else:
            chosen: dict[str, Choice] = {}
            for key, opt in sel.items():
                prop = props.get(str(key))
                if prop is None:
                    ck.problem(
                        "unknown_property",
                        join_path(spath, str(key)),
                        f"unknown property {key!r} (properties: {', '.join(props)})",
                    )
                elif not prop.multi and (not isinstance(opt, str) or prop.option(opt) is None):
                    ck.problem(
                        "unknown_option",
                        join_path(spath, str(key)),
                        f"unknown option {opt!r} of property {key!r} (options: {', '.join(prop.option_ids)})",
                    )
                elif prop.multi and isinstance(opt, str):
                    ck.problem(
                        "bad_selection",
                        join_path(spath, str(key)),
                        f"multi-choice property {key!r} takes a list of options, e.g. [{prop.option_ids[0]}]",
                    )
                else:
                    try:
                        chosen[prop.id] = prop.choose(opt, where=f"preset {pid!r}")
                    except SelectionError as exc:
                        ck.problem(exc.code, join_path(spath, str(key)), str(exc))
            missing = [p for p in props if p not in sel]
            if missing:
                ck.problem("incomplete_preset", spath, f"preset {pid!r} leaves out {', '.join(missing)}")
            pairs = [(p, chosen[p]) for p in props if p in chosen]
        out.append(
            Preset(
                id=pid,
                title=ck.text(m.get("title"), join_path(path, "title"), required=True),
                selection=tuple(pairs),
                reasoning=ck.text(m.get("reasoning"), join_path(path, "reasoning")),
                examples=ck.texts(m.get("examples"), join_path(path, "examples")),
            )
        )
    ck.unique(ids, "preset")
    return out


def _read_renames(ck: Checker, value: Any, props: Mapping[str, Property], steps: set[str]) -> Renames:
    if value is None:
        return Renames()
    m = ck.mapping(value, "renames", (), ("options", "steps", "defaults"))
    if m is None:
        return Renames()
    options: list[tuple[str, str]] = []
    for old, new in ck.pairs(m.get("options"), "renames.options", "prop.old to prop.new").items():
        path = f"renames.options.{old}"
        if not (isinstance(new, str) and "." in new and "." in str(old)):
            ck.problem("bad_rename", path, "option renames map 'property.old_option' to 'property.new_option'")
            continue
        prop_id, opt_id = new.split(".", 1)
        prop = props.get(prop_id)
        if prop is None or prop.option(opt_id) is None:
            ck.problem("bad_rename", path, f"rename target {new!r} is not an option of this edition")
        options.append((str(old), new))
    renamed_steps: list[tuple[str, str]] = []
    for old, new in ck.pairs(m.get("steps"), "renames.steps", "old step id to new step id").items():
        if new not in steps:
            ck.problem("bad_rename", f"renames.steps.{old}", f"rename target {new!r} is not a step of this edition")
        renamed_steps.append((str(old), str(new)))
    defaults = _read_defaults(ck, m.get("defaults"), props)
    return Renames(tuple(sorted(options)), tuple(sorted(renamed_steps)), tuple(defaults))


def _read_defaults(ck: Checker, value: Any, props: Mapping[str, Property]) -> list[RenameDefault]:
    out: list[RenameDefault] = []
    for i, item in enumerate(ck.items(value, "renames.defaults")):
        path = f"renames.defaults[{i}]"
        m = ck.mapping(item, path, ("property", "option", "because"), ("when",))
        if m is None:
            continue
        prop_id = ck.text(m.get("property"), join_path(path, "property"))
        prop = props.get(prop_id)
        if "property" in m and prop is None:
            ck.problem(
                "unknown_property",
                join_path(path, "property"),
                f"unknown property {prop_id!r} (properties: {', '.join(props)})",
            )
            continue
        if prop is None:
            continue
        option: Choice = ""
        if "option" in m:
            raw = m.get("option")
            if prop.multi and isinstance(raw, str):
                raw = [raw]
            try:
                option = prop.choose(raw, where="renames.defaults")
            except SelectionError as exc:
                ck.problem(exc.code, join_path(path, "option"), str(exc))
        when = ck.condition(m.get("when"), join_path(path, "when"), props) if "when" in m else None
        because = ck.text(m.get("because"), join_path(path, "because"), required=True)
        out.append(RenameDefault(prop.id, option, because, when))
    return out
