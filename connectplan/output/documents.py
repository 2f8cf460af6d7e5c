"""Every JSON document of the engine's and the store's records, built here and nowhere else.

The engine and the store return typed records (:class:`~connectplan.engine.Resolution`,
:class:`~connectplan.engine.diff.ResolutionDiff`, :class:`~connectplan.records.VersionRecord`, ...);
this module turns each into the plain ``dict`` its ``--format json`` (and the web's JSON twin)
prints, keys in contract order. :func:`to_document` picks the builder for any of them (the
Python API's one way to get a record's document). Nothing here writes JSON text:
:func:`connectplan.output.resolution.to_json` does, the same way for every document.

Each document names a catalog with its exact revision, ``{"name", "edition", "revision"}``
(resolutions, explorations, diffs and upgrades, plan listings, exports, blueprints, drift reports),
so no document drops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectplan.engine.compiled import compile_catalog
from connectplan.engine.expression import format_expression

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from connectplan.engine.blueprint import Blueprint, BlueprintRequest
    from connectplan.engine.catalog import Catalog
    from connectplan.engine.catalog_diff import CatalogDiff, SectionDiff
    from connectplan.engine.catalog_ref import CatalogRef
    from connectplan.engine.diff import FlowChange, ResolutionDiff
    from connectplan.engine.drift import AccountCheck, AccountExpectations
    from connectplan.engine.expression import Choice
    from connectplan.engine.lint import LintMessage, LintReport, VerdictSummary
    from connectplan.engine.propagation import OptionStatus, Propagation, PropertyStatus, Reason
    from connectplan.engine.resolution import Alternative, Change, OpenDecision, Resolution
    from connectplan.engine.upgrade import PlanUpgrade
    from connectplan.exchange import ExportedVersion, PlanExport
    from connectplan.records import EditionInfo, PlanSummary, VersionRecord
    from connectplan.verify import VerifyReport

__all__ = [
    "alternative_document",
    "blueprint_document",
    "catalog_diff_document",
    "catalog_document",
    "change_document",
    "choice_json",
    "diff_document",
    "edition_document",
    "export_document",
    "lint_document",
    "plan_summary_document",
    "propagation_document",
    "resolution_document",
    "selection_json",
    "to_document",
    "upgrade_report_document",
    "verify_document",
    "version_document",
]


# -- selections and catalogs -------------------------------------------------------------------------


def choice_json(value: Choice) -> str | list[str]:
    """A choice as it appears in JSON documents: an option id, or a list of them.

    >>> choice_json("direct"), choice_json(("fees", "saas"))
    ('direct', ['fees', 'saas'])
    """
    return value if isinstance(value, str) else list(value)


def selection_json(selection: Iterable[tuple[str, Choice]]) -> dict[str, str | list[str]]:
    """A selection as it appears in JSON documents (multi-choice values as lists)."""
    return {prop: choice_json(value) for prop, value in selection}


def catalog_id(name: str, edition: str | None, revision: int | None) -> dict[str, Any]:
    """How every document names a catalog: ``{"name", "edition", "revision"}``, the exact revision."""
    return {"name": name, "edition": edition, "revision": revision}


def catalog_document(catalog: Catalog | CatalogRef) -> dict[str, Any]:
    """The exact catalog a resolution, exploration or drift check used (as ``plan list`` and
    ``plan export`` name a version's catalog)."""
    return catalog_id(catalog.name, catalog.edition, catalog.revision)


# -- resolutions -------------------------------------------------------------------------------------


def change_document(change: Change) -> dict[str, Any]:
    return {"property": change.prop, "from": choice_json(change.before), "to": choice_json(change.after)}


def alternative_document(alt: Alternative) -> dict[str, Any]:
    return {
        "changes": [change_document(c) for c in alt.changes],
        "verdict": alt.verdict,
        "selection": selection_json(alt.selection),
        "nearest_preset": alt.preset,
        "preset_distance": alt.distance,
    }


def open_decision_document(decision: OpenDecision) -> dict[str, Any]:
    return {
        "property": decision.property,
        "question": decision.question,
        "section": decision.section or None,
        "options": [{"id": o, "best_verdict": v} for o, v in decision.options],
    }


def resolution_document(res: Resolution, *, alternatives: bool = True) -> dict[str, Any]:
    """``resolve --format json``: the resolution, keys in contract order.

    ``open_decisions`` (a list, ``[]`` when every property is decided) is present when the
    catalog has a pending option at all, so the documents of catalogs without one keep their
    keys; ``alternatives`` when the caller looked for them (and ``alternatives`` is true).
    """
    doc: dict[str, Any] = {
        "catalog": catalog_document(res.catalog),
        "selection": selection_json(res.selection),
        "verdict": res.verdict,
        "findings": [
            {
                "rule": f.rule.id,
                "severity": f.rule.severity,
                "message": f.rule.message,
                "alternative": f.rule.alternative or None,
                "source": f.rule.source or None,
                "because": [str(t) for t in f.because],
                "condition": format_expression(f.rule.condition),
            }
            for f in res.findings
        ],
        "steps": [
            {
                "id": s.step.id,
                "title": s.step.title,
                "phase": s.step.phase,
                "because": [str(t) for t in s.because],
                "core": s.step.core,
                "url": s.step.url or None,
            }
            for s in res.steps
        ],
        "money_flows": [
            {"id": f.id, "from": f.from_party, "to": f.to_party, "what": f.what, "kind": f.kind} for f in res.flows
        ],
        "responsibilities": [
            {
                "id": h.responsibility.id,
                "title": h.responsibility.title,
                "party": h.assignment.party,
                "note": h.assignment.note or None,
            }
            for h in res.responsibilities
        ],
    }
    if compile_catalog(res.catalog).pending:
        doc["open_decisions"] = [open_decision_document(d) for d in res.open_decisions]
    if alternatives and res.alternatives is not None:
        doc["alternatives"] = [alternative_document(a) for a in res.alternatives]
    return doc


# -- explorations ------------------------------------------------------------------------------------


def _reason_document(reason: Reason) -> dict[str, Any]:
    return {"rule": reason.rule, "rules": list(reason.rules), "because": [str(t) for t in reason.because]}


def _option_status_document(option: OptionStatus) -> dict[str, Any]:
    return {
        "id": option.id,
        "status": option.status,
        "best_verdict": option.best_verdict,
        "reason": _reason_document(option.reason) if option.reason else None,
    }


def _property_status_document(prop: PropertyStatus) -> dict[str, Any]:
    selected = None if prop.selected is None else choice_json(prop.selected)
    return {"id": prop.id, "selected": selected, "options": [_option_status_document(o) for o in prop.options]}


def propagation_document(result: Propagation) -> dict[str, Any]:
    """The propagation's own document (``explore --format json`` adds sections and open decisions:
    :func:`connectplan.output.exploration.exploration_document`)."""
    doc: dict[str, Any] = {
        "catalog": catalog_document(result.catalog),
        "selection": selection_json(result.selection),
        "properties": [_property_status_document(p) for p in result.properties],
    }
    if result.resolution is not None:
        doc["resolution"] = resolution_document(result.resolution, alternatives=False)
    return doc


# -- changes: plan diffs, upgrades, catalog diffs ----------------------------------------------------


def _json_value(value: object) -> Any:
    if isinstance(value, (tuple, list, frozenset, set)):
        return [str(v) for v in value]
    return value


def _flow_change_document(change: FlowChange) -> dict[str, Any]:
    f, before, after = change.flow, change.before, change.after
    return {
        "from": f.from_party,
        "to": f.to_party,
        "kind": f.kind,
        "ids": [before.id if before else None, after.id if after else None],
        "what": [before.what if before else None, after.what if after else None],
    }


def diff_document(diff: ResolutionDiff) -> dict[str, Any]:
    """``plan diff --format json`` (keys in contract order)."""

    def side(ref: str, cat: tuple[str, str], revision: int) -> dict[str, Any]:
        return {"ref": ref, "catalog": catalog_id(cat[0], cat[1], revision)}

    def finding(f: Any) -> dict[str, Any]:
        return {"rule": f.rule, "severity": f.severity, "message": f.message}

    def step(s: Any) -> dict[str, Any]:
        return {"id": s.id, "title": s.title, "phase": s.phase, "position": s.position}

    def pair(added: Sequence[Any], removed: Sequence[Any], item: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        return {"added": [item(x) for x in added], "removed": [item(x) for x in removed]}

    return {
        "from": side(diff.from_ref, diff.from_catalog, diff.from_revision),
        "to": side(diff.to_ref, diff.to_catalog, diff.to_revision),
        "selection": {prop: [_json_value(before), _json_value(after)] for prop, before, after in diff.selection},
        "renamed": {
            "options": [{"property": r.prop, "from": r.before, "to": r.after} for r in diff.options_renamed],
            "steps": [{"from": r.before_id, "to": r.after_id} for r in diff.steps_renamed],
        },
        "verdict": list(diff.verdict),
        "findings": pair(diff.findings_added, diff.findings_removed, finding),
        "steps": {
            **pair(diff.steps_added, diff.steps_removed, step),
            "moved": [{"id": m.id, "title": m.title, "from": m.before, "to": m.after} for m in diff.steps_moved],
            "renamed": [
                {"from": r.before_id, "to": r.after_id, "title": r.title, "position": [r.before, r.after]}
                for r in diff.steps_renamed
            ],
            "changed": [
                {"id": c.id, "title": [c.title_before, c.title_after], "position": c.position}
                for c in diff.steps_changed
            ],
        },
        "money_flows": {
            status: [_flow_change_document(c) for c in diff.flows if c.status == status]
            for status in ("added", "removed", "changed", "unchanged")
        },
        "responsibilities": {
            status: [
                {"id": r.id, "title": r.title, "from": list(r.before), "to": list(r.after)}
                for r in diff.responsibilities
                if r.status == status
            ]
            for status in ("added", "removed", "changed")
        },
        "identical": diff.identical,
    }


def upgrade_report_document(report: PlanUpgrade) -> dict[str, Any]:
    """The impact report of ``plan upgrade --format json``: ``from``, ``to``, ``selection``, ``verdict``,
    ``findings``, ``steps`` ... (``plan upgrade`` adds ``saved``:
    :func:`connectplan.output.upgrade.upgrade_document`)."""
    d = diff_document(report.diff)
    renamed_steps = [{"from": old, "to": new} for old, new in report.renamed_steps]
    doc: dict[str, Any] = {
        "from": d["from"],
        "to": d["to"],
        "selection": selection_json(report.after.selection),
        "renamed": {"options": [change_document(c) for c in report.renamed_options], "steps": renamed_steps},
        "verdict": d["verdict"],
        "findings": d["findings"],
        "steps": {**d["steps"], "renamed": renamed_steps},
        "money_flows": d["money_flows"],
        "responsibilities": d["responsibilities"],
        "blocked_by": [
            {"rule": f.rule.id, "severity": f.rule.severity, "because": [str(t) for t in f.because]}
            for f in report.blocking_findings
        ],
    }
    if report.after.catalog.renames.defaults:  # editions without defaults keep the document as it was
        left_open = set(report.left_open)
        doc["defaults"] = [
            {
                "property": default.property,
                "option": choice_json(default.option),
                "because": default.because,
                "open": default in left_open,  # a pending option: the decision is left open, not chosen
            }
            for default in report.defaults
        ]
    if report.alternatives is not None:
        doc["alternatives"] = [alternative_document(a) for a in report.alternatives]
    return doc


def _section_document(section: SectionDiff) -> dict[str, Any]:
    return {
        "added": list(section.added),
        "removed": list(section.removed),
        "renamed": [{"from": r.old, "to": r.new, "fields": list(r.fields)} for r in section.renamed],
        "changed": [{"id": c.id, "fields": list(c.fields)} for c in section.changed],
    }


def catalog_diff_document(diff: CatalogDiff) -> dict[str, Any]:
    """``catalog diff --format json``: ``from``, ``to``, one entry per section, ``identical``."""
    doc: dict[str, Any] = {"from": diff.from_ref, "to": diff.to_ref}
    for name, section in diff.sections:
        doc[name] = _section_document(section)
    doc["identical"] = diff.identical
    return doc


# -- lint ----------------------------------------------------------------------------------------------


def _lint_message_document(m: LintMessage) -> dict[str, str]:
    return {"level": m.level, "code": m.code, "subject": m.subject, "message": m.message}


def verdict_summary_document(summary: VerdictSummary) -> dict[str, Any]:
    return {
        "selections": summary.selections,
        "counted": summary.counted,
        "by_verdict": dict(summary.by_verdict) if summary.counted else None,
    }


def lint_document(report: LintReport) -> dict[str, Any]:
    """``catalog lint --format json``."""
    return {
        "source": report.source,
        "catalog": report.catalog,
        "ok": report.ok,
        "errors": [_lint_message_document(m) for m in report.errors],
        "warnings": [_lint_message_document(m) for m in report.warnings],
        "summary": verdict_summary_document(report.summary) if report.summary else None,
    }


# -- the store's records -------------------------------------------------------------------------------


def version_document(record: VersionRecord) -> dict[str, Any]:
    """The ``plan`` key of ``plan show --format json``."""
    return {
        "name": record.plan,
        "version": record.version,
        "parent": record.parent,
        "message": record.message,
        "author": record.author,
        "created_at": record.created_at,
        "tags": list(record.tags),
        "forked_from": record.forked_from,
        "catalog_revision": record.catalog_revision,
        "superseded_by": record.superseded_by,
    }


def edition_document(info: EditionInfo) -> dict[str, Any]:
    """One entry of ``catalog list --format json``."""
    return {
        "name": info.name,
        "edition": info.edition,
        "revision": info.revision,
        "title": info.title,
        "content_hash": info.content_hash,
        "imported_at": info.imported_at,
    }


def plan_summary_document(summary: PlanSummary) -> dict[str, Any]:
    """One entry of ``plan list --format json``."""
    latest = summary.latest
    return {
        "name": summary.name,
        "latest": latest.version,
        "versions": summary.versions,
        "catalog": catalog_id(latest.catalog_name, latest.catalog_edition, latest.catalog_revision),
        "verdict": summary.verdict,
        "updated_at": latest.created_at,
        "stale": summary.stale,
        "newest_edition": summary.newest_edition,
        "superseded_by": latest.superseded_by,
    }


def _exported_version_document(v: ExportedVersion) -> dict[str, Any]:
    from connectplan.exchange import format_time

    return {
        "version": v.version,
        "parent": v.parent,
        "created_at": format_time(v.created_at),
        "author": v.author,
        "message": v.message,
        "catalog": {
            "name": v.catalog.name,
            "edition": v.catalog.edition,
            "revision": v.catalog.revision,
            "content_hash": v.catalog.content_hash,
        },
        "selection": {p: list(o) if isinstance(o, tuple) else o for p, o in v.selection},
        "tags": list(v.tags),
    }


def export_document(export: PlanExport) -> dict[str, Any]:
    """The ``plan export`` document (key order fixed); :func:`connectplan.exchange.parse_export` reads it back."""
    from connectplan.exchange import EXPORT_FORMAT_VERSION, EXPORT_KIND, format_time

    return {
        "format": EXPORT_KIND,
        "format_version": EXPORT_FORMAT_VERSION,
        "plan": {
            "name": export.name,
            "created_at": format_time(export.created_at),
            "forked_from": export.forked_from,
        },
        "versions": [_exported_version_document(v) for v in export.versions],
    }


# -- blueprints and drift -----------------------------------------------------------------------------


def _request_document(r: BlueprintRequest, default_version: str) -> dict[str, Any]:
    return {
        "number": r.number,
        "method": r.method,
        "path": r.path,
        "api": r.api,
        "api_version": r.stripe_version or default_version,
        "stripe_account": r.stripe_account,
        "body": r.body(),
        "reason": {"steps": list(r.steps), "options": list(r.options), "texts": list(r.texts)},
    }


def blueprint_document(bp: Blueprint, default_version: str = "") -> dict[str, Any]:
    """The blueprint's requests by step; ``default_version`` is the API version of a request that needs
    none (``blueprint --format json`` adds the SDK: :func:`connectplan.output.blueprint.blueprint_document`)."""
    return {
        "plan": bp.subject,
        "catalog": catalog_document(bp.catalog),
        "selection": selection_json(bp.selection),
        "placeholders": list(bp.placeholders),
        "steps": [
            {
                "id": g.step.id,
                "title": g.step.title,
                "phase": g.step.phase,
                "because": [str(t) for t in g.because],
                "extends": list(g.extends),
                "requests": [_request_document(r, default_version) for r in g.requests],
            }
            for g in bp.groups
        ],
    }


def expectations_document(expected: AccountExpectations) -> dict[str, Any]:
    """What a plan requires of every connected account: ``api``, ``expectations``, ``ambiguous``."""
    return {
        "api": expected.api,
        "expectations": [
            {"field": e.field, "kind": e.kind, "value": e.shown, "needed_by": list(e.needed_by)}
            for e in expected.expectations
        ],
        "ambiguous": [
            {"field": a.field, "values": [{"value": v, "needed_by": list(by)} for v, by in a.values]}
            for a in expected.ambiguous
        ],
    }


def _account_check_document(check: AccountCheck) -> dict[str, Any]:
    return {
        "account": check.account,
        "status": check.status,
        "differences": [
            {"field": d.field, "plan": d.expected, "account": d.actual, "needed_by": list(d.needed_by)}
            for d in check.differences
        ],
        "cannot_judge": list(check.unjudged),
    }


def verify_document(report: VerifyReport) -> dict[str, Any]:
    """``verify --format json``: the plan, its catalog (the exact revision the plan is pinned to), the counts,
    the expectations and every account."""
    return {
        "plan": report.ref,
        "catalog": catalog_document(report.catalog),
        "summary": report.counts,
        **expectations_document(report.expectations),
        "accounts": [_account_check_document(c) for c in report.checks],
    }


# -- any record ------------------------------------------------------------------------------------------

#: (defining module, class name) -> the builder of its document
_BUILDERS: dict[tuple[str, str], Callable[[Any], dict[str, Any]]] = {
    ("connectplan.engine.resolution", "Resolution"): resolution_document,
    ("connectplan.engine.resolution", "Alternative"): alternative_document,
    ("connectplan.engine.resolution", "Change"): change_document,
    ("connectplan.engine.resolution", "OpenDecision"): open_decision_document,
    ("connectplan.engine.propagation", "Propagation"): propagation_document,
    ("connectplan.engine.diff", "ResolutionDiff"): diff_document,
    ("connectplan.engine.upgrade", "PlanUpgrade"): upgrade_report_document,
    ("connectplan.engine.catalog_diff", "CatalogDiff"): catalog_diff_document,
    ("connectplan.engine.lint", "LintReport"): lint_document,
    ("connectplan.engine.lint", "VerdictSummary"): verdict_summary_document,
    ("connectplan.db.records", "VersionRecord"): version_document,
    ("connectplan.records", "EditionInfo"): edition_document,
    ("connectplan.records", "PlanSummary"): plan_summary_document,
    ("connectplan.exchange", "PlanExport"): export_document,
    ("connectplan.exchange", "ExportedVersion"): _exported_version_document,
    ("connectplan.engine.blueprint", "Blueprint"): blueprint_document,
    ("connectplan.engine.drift", "AccountExpectations"): expectations_document,
    ("connectplan.verify", "VerifyReport"): verify_document,
}


def to_document(record: object) -> dict[str, Any]:
    """The JSON document of any record the Workspace returns, as its command's ``--format json``
    holds it (a :class:`~connectplan.engine.diff.ResolutionDiff` gives ``plan diff``'s, a
    :class:`~connectplan.exchange.PlanExport` the ``plan export`` file, ...).

    Raises ``TypeError`` for anything else.
    """
    cls = type(record)
    builder = _BUILDERS.get((cls.__module__, cls.__qualname__))
    if builder is None:
        raise TypeError(f"no JSON document for a {cls.__qualname__}")
    return builder(record)
