"""Catalog lint: each check against brute force on random catalogs, plus hand-made broken catalogs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectplan.engine import Catalog, Severity, Term, catalog_from_dict
from connectplan.engine.expression import evaluate, holds
from connectplan.engine.lint import count_by_verdict, lint_catalog
from connectplan.output.documents import to_document
from connectplan.sat import make_solver
from tests.enumeration import count_verdicts, iter_selections, space_size, verdict_rank
from tests.random_catalogs import catalog_docs, conditions


def _codes(report, code):  # type: ignore[no-untyped-def]
    return sorted({m.subject for m in (*report.errors, *report.warnings) if m.code == code})


def test_stripe_2025_lint(cat2025: Catalog) -> None:
    report = lint_catalog(cat2025, make_solver)
    assert report.ok
    assert _codes(report, "dead_option") == ["charge_type.destination_obo", "charge_type.separate_obo"]
    assert report.summary is not None and report.summary.counted
    assert dict(report.summary.by_verdict) == count_verdicts(cat2025)
    assert report.summary.selections == 180


def test_stripe_2024_lint_is_clean(cat2024: Catalog) -> None:
    report = lint_catalog(cat2024, make_solver)
    # steps gain their basis with the corrected revisions (issue 11, point 5); nothing else is flagged.
    # every API setting of the current revisions is structured: no api_not_structured warning
    assert report.ok and {m.code for m in report.warnings} <= {"missing_basis"}
    assert report.summary is not None and sum(n for _, n in report.summary.by_verdict) == 108


def test_rules_and_steps_without_sources_are_flagged() -> None:
    doc = _doc()
    doc["rules"] = [
        {"id": "unsourced", "condition": "a.x", "severity": "caution", "message": "M"},
        {"id": "sourced", "condition": "a.y", "severity": "caution", "message": "M", "source": "https://x.test"},
    ]
    doc["steps"] = [
        {"id": "bare", "order": 1, "phase": "accounts", "condition": "always", "title": "Bare"},
        {
            "id": "sourced",
            "order": 2,
            "phase": "accounts",
            "condition": "always",
            "title": "Sourced",
            "url": "https://docs.stripe.com/connect",
            "basis": "stated",
        },
    ]
    del doc["properties"][0]["options"][1]["docs"]
    report = lint_catalog(catalog_from_dict(doc), make_solver)
    assert _codes(report, "missing_source") == ["a.y", "bare", "unsourced"]
    assert _codes(report, "missing_basis") == ["bare"]


def _doc(**extra):  # type: ignore[no-untyped-def]
    doc = {
        "format": "connectplan-catalog/1",
        "name": "l",
        "edition": "1",
        "title": "L",
        "properties": [
            {"id": "a", "title": "A", "options": [{"id": "x", "title": "x"}, {"id": "y", "title": "y"}]},
            {"id": "b", "title": "B", "options": [{"id": "x", "title": "x"}, {"id": "y", "title": "y"}]},
        ],
        "rules": [],
        "steps": [],
    }
    for prop in doc["properties"]:  # options say where their facts come from (missing_source otherwise)
        for opt in prop["options"]:
            opt["docs"] = ["https://docs.stripe.com/connect"]
    doc.update(extra)
    return doc


def test_unreachable_prerequisite_is_an_error() -> None:
    cat = catalog_from_dict(
        _doc(
            steps=[
                {"id": "first", "order": 1, "phase": "accounts", "condition": "a.x", "title": "F"},
                {
                    "id": "second",
                    "order": 2,
                    "phase": "accounts",
                    "condition": "a.y",
                    "prereqs": ["first"],
                    "title": "S",
                },
            ]
        )
    )
    report = lint_catalog(cat, make_solver)
    assert not report.ok
    assert _codes(report, "unreachable_prerequisite") == ["second"]


def test_warnings_for_dead_parts() -> None:
    cat = catalog_from_dict(
        _doc(
            rules=[
                {"id": "no_ax", "condition": "a.x", "severity": "blocked", "message": "m"},
                {"id": "never", "condition": "a.x and a.y", "severity": "caution", "message": "m"},
                {"id": "always_note", "condition": "b.x or b.y", "severity": "info", "message": "m"},
            ],
            steps=[{"id": "only_ax", "order": 1, "phase": "accounts", "condition": "a.x", "title": "S"}],
            presets=[{"id": "bad", "title": "Bad", "selection": {"a": "x", "b": "x"}}],
        )
    )
    report = lint_catalog(cat, make_solver)
    assert report.ok
    assert _codes(report, "dead_option") == ["a.x"]
    assert _codes(report, "rule_never_fires") == ["never"]
    assert _codes(report, "rule_always_fires") == ["always_note"]
    assert _codes(report, "step_never_active") == ["only_ax"]
    assert _codes(report, "preset_blocked") == ["bad"]


def test_summary_is_not_counted_past_the_limit() -> None:
    props = [
        {
            "id": f"p{i}",
            "title": "P",
            "options": [{"id": "x", "title": "x"}, {"id": "y", "title": "y"}, {"id": "z", "title": "z"}],
        }
        for i in range(12)
    ]
    chain = " or ".join(f"p{i}.x" for i in range(12))
    cat = catalog_from_dict(
        _doc(properties=props, rules=[{"id": "r", "condition": chain, "severity": "caution", "message": "m"}])
    )
    summary = count_by_verdict(cat, limit=1000)
    assert not summary.counted and summary.selections == 3**12
    assert to_document(summary)["by_verdict"] is None
    # independent groups multiply: 12 one-property rules count without enumerating 3**12
    split = catalog_from_dict(
        _doc(
            properties=props,
            rules=[{"id": f"r{i}", "condition": f"p{i}.x", "severity": "caution", "message": "m"} for i in range(12)],
        )
    )
    counted = count_by_verdict(split, limit=1000)
    assert counted.counted and dict(counted.by_verdict)["allowed"] == 2**12


@st.composite
def catalogs_with_steps(draw: st.DrawFn) -> Catalog:
    doc = draw(catalog_docs())
    terms = [f"{p['id']}.{o['id']}" for p in doc["properties"] for o in p["options"]]
    nsteps = draw(st.integers(0, 4))
    doc["steps"] = [
        {
            "id": f"s{i}",
            "order": i,
            "phase": "accounts",
            "title": "S",
            "condition": draw(st.one_of(st.just("always"), conditions(terms))),
            "prereqs": [f"s{j}" for j in range(i) if draw(st.booleans())],
        }
        for i in range(nsteps)
    ]
    return catalog_from_dict(doc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cat=catalogs_with_steps())
def test_lint_matches_brute_force(cat: Catalog) -> None:
    report = lint_catalog(cat, make_solver)
    sels = list(iter_selections(cat))
    ranks = [verdict_rank(cat, s) for s in sels]
    ok = [s for s, r in zip(sels, ranks, strict=True) if r < Severity.BLOCKED]
    dead = sorted(
        f"{p.id}.{o}" for p in cat.properties for o in p.option_ids if not any(holds(Term(p.id, o), s) for s in ok)
    )
    assert _codes(report, "dead_option") == dead
    never = sorted(r.id for r in cat.rules if not any(evaluate(r.condition, s) for s in sels))
    always = sorted(r.id for r in cat.rules if all(evaluate(r.condition, s) for s in sels))
    assert _codes(report, "rule_never_fires") == never
    assert _codes(report, "rule_always_fires") == sorted(set(always) - set(never))
    assert _codes(report, "step_never_active") == sorted(
        s.id for s in cat.steps if not any(evaluate(s.condition, x) for x in ok)
    )
    unreachable = sorted(
        {
            s.id
            for s in cat.steps
            if any(evaluate(s.condition, x) for x in sels)
            for pre in s.prereqs
            if not any(evaluate(s.condition, x) and evaluate(cat.step_index[pre].condition, x) for x in sels)
        }
    )
    assert _codes(report, "unreachable_prerequisite") == unreachable
    assert report.summary is not None and report.summary.selections == space_size(cat)
    assert report.summary.counted and dict(report.summary.by_verdict) == count_verdicts(cat)
