"""connectplan's decision engine: catalogs, conditions, the dependency graph and resolution.

Pure domain code: it imports only the standard library and ``networkx`` (no SQL, no
subprocesses, no printing).
"""

from engine.catalog import (
    SEVERITIES,
    SEVERITY_RANK,
    VERDICT_RANK,
    VERDICTS,
    Assignment,
    Catalog,
    Flow,
    Option,
    Party,
    Preset,
    Property,
    Renames,
    Responsibility,
    Rule,
    Step,
    catalog_from_dict,
    catalog_to_dict,
    content_hash,
)
from engine.errors import CatalogError, EngineError, ExpressionSyntaxError, Problem, SelectionError
from engine.expression import Term, evaluate, format_expression, parse_expression, references
from engine.graph import NodeKey, build_graph, catalog_from_graph, step_order
from engine.resolution import (
    ActiveStep,
    Alternative,
    Change,
    Finding,
    Holder,
    Resolution,
    check_selection,
    minimal_cause,
    resolve,
    verdict_of,
)

# Exploration, lint, diffs and upgrades are imported on first use (PEP 562): resolving a
# selection, the hot path of every command, never pays for them.
_LAZY = {
    "Encoding": "engine.sat",
    "SatSolver": "engine.sat",
    "SolverFactory": "engine.sat",
    "OptionStatus": "engine.propagation",
    "Propagation": "engine.propagation",
    "PropertyStatus": "engine.propagation",
    "Reason": "engine.propagation",
    "propagate": "engine.propagation",
    "nearest_alternatives": "engine.alternatives",
    "LintMessage": "engine.lint",
    "LintReport": "engine.lint",
    "VerdictSummary": "engine.lint",
    "lint_catalog": "engine.lint",
    "CatalogDiff": "engine.catalog_diff",
    "diff_catalogs": "engine.catalog_diff",
    "PlanUpgrade": "engine.upgrade",
    "UpgradeError": "engine.upgrade",
    "map_selection": "engine.upgrade",
    "plan_upgrade": "engine.upgrade",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "SEVERITIES",
    "SEVERITY_RANK",
    "VERDICTS",
    "VERDICT_RANK",
    "ActiveStep",
    "Alternative",
    "Assignment",
    "Catalog",
    "CatalogDiff",
    "CatalogError",
    "Change",
    "Encoding",
    "EngineError",
    "ExpressionSyntaxError",
    "Finding",
    "Flow",
    "Holder",
    "LintMessage",
    "LintReport",
    "NodeKey",
    "Option",
    "OptionStatus",
    "Party",
    "PlanUpgrade",
    "Preset",
    "Problem",
    "Propagation",
    "Property",
    "PropertyStatus",
    "Reason",
    "Renames",
    "Resolution",
    "Responsibility",
    "Rule",
    "SatSolver",
    "SelectionError",
    "SolverFactory",
    "Step",
    "Term",
    "UpgradeError",
    "VerdictSummary",
    "build_graph",
    "catalog_from_dict",
    "catalog_from_graph",
    "catalog_to_dict",
    "check_selection",
    "content_hash",
    "diff_catalogs",
    "evaluate",
    "format_expression",
    "lint_catalog",
    "map_selection",
    "minimal_cause",
    "nearest_alternatives",
    "parse_expression",
    "plan_upgrade",
    "propagate",
    "references",
    "resolve",
    "step_order",
    "verdict_of",
]
