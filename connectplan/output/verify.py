"""The report of ``connectplan verify``: summary counts first, then what drifts, what cannot be judged, what matches.

Account ids and values come from Stripe's answers: they are escaped for the terminal
(:func:`~connectplan.output.resolution.escape_controls`) and written as JSON values in the text,
so an odd value cannot pass for another line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from connectplan.engine.drift import DRIFT, MATCH, UNKNOWN
from connectplan.output.resolution import escape_controls, to_json

if TYPE_CHECKING:
    from connectplan.verify import VerifyReport

__all__ = ["FORMATS", "format_verify", "verify_text"]

FORMATS = ("text", "json")
_API_NAMES = {"v1": "Accounts v1, controller properties", "v2": "Accounts v2"}


def format_verify(report: VerifyReport, fmt: str) -> str:
    """The report as ``text`` or ``json`` (:func:`connectplan.output.documents.verify_document`)."""
    from connectplan.output.documents import verify_document

    return to_json(verify_document(report)) if fmt == "json" else verify_text(report)


def _value(value: Any) -> str:
    return escape_controls(json.dumps(value, ensure_ascii=False, sort_keys=True))


def verify_text(report: VerifyReport) -> str:
    """The plain-text report."""
    c = report.counts
    expected = report.expectations
    noun = "account" if c["accounts"] == 1 else "accounts"
    lines = [
        f"{escape_controls(report.ref)}: {c['accounts']} {noun} checked: "
        f"{c[MATCH]} match, {c[DRIFT]} drift, {c[UNKNOWN]} cannot judge",
        f"catalog {report.catalog} ({_API_NAMES.get(expected.api, expected.api)})",
        "",
        "The plan requires of every connected account:",
    ]
    for e in expected.expectations:
        what = "requested" if e.kind == "requested" else f"{'holds' if e.kind == 'includes' else '='} {_value(e.value)}"
        lines.append(f"  {e.field} {what}  ({', '.join(e.needed_by)})")
    if expected.ambiguous:
        lines += ["", "Not checked (the plan asks different values):"]
        for a in expected.ambiguous:
            asks = "; ".join(f"{_value(v)} ({', '.join(by)})" for v, by in a.values)
            lines.append(f"  {a.field}: {asks}")
    drift = [ch for ch in report.checks if ch.status == DRIFT]
    unknown = [ch for ch in report.checks if ch.status == UNKNOWN]
    match = [ch for ch in report.checks if ch.status == MATCH]
    if drift:
        lines += ["", "Drift:"]
        for ch in drift:
            lines.append(f"  {escape_controls(ch.account)}")
            for d in ch.differences:
                lines.append(
                    f"    {d.field}: plan {_value(d.expected)}, account {_value(d.actual)}  ({', '.join(d.needed_by)})"
                )
            lines += [f"    cannot judge {escape_controls(why)}" for why in ch.unjudged]
    if unknown:
        lines += ["", "Cannot judge:"]
        for ch in unknown:
            lines.append(f"  {escape_controls(ch.account)}")
            lines += [f"    {escape_controls(why)}" for why in ch.unjudged]
    if match:
        lines += ["", "Match:"]
        lines += [f"  {escape_controls(ch.account)}" for ch in match]
    return "\n".join(lines) + "\n"
