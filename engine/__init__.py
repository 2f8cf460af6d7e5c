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
from engine.sat import Encoding, SatSolver, SolverFactory
from engine.propagation import OptionStatus, Propagation, PropertyStatus, Reason, propagate
from engine.alternatives import nearest_alternatives
from engine.lint import LintMessage, LintReport, VerdictSummary, lint_catalog
from engine.catalog_diff import CatalogDiff, diff_catalogs
from engine.upgrade import PlanUpgrade, UpgradeError, map_selection, plan_upgrade

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
