"""connectplan's decision engine: catalogs, conditions, the dependency graph and resolution.

Pure domain code: it imports only the standard library and ``networkx`` (no SQL, no
subprocesses, no printing). This package re-exports the core that every command uses;
exploration, lint, diffs, upgrades and the SAT encoding are imported by their module path
(``from engine.propagation import propagate``), so resolving a selection never loads them.
"""

from connectplan.engine.catalog import (
    SECTIONS,
    ApiSetting,
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
    catalog_to_dict,
    content_hash,
)
from connectplan.engine.errors import CatalogError, EngineError, ExpressionSyntaxError, Problem, SelectionError
from connectplan.engine.expression import Term, evaluate, format_expression, parse_expression, references
from connectplan.engine.graph import NodeKey, build_graph, catalog_from_graph, step_order
from connectplan.engine.loading import catalog_from_dict
from connectplan.engine.resolution import (
    ActiveStep,
    Alternative,
    Change,
    Finding,
    Holder,
    OpenDecision,
    Resolution,
    minimal_cause,
    resolve,
    verdict_of,
)
from connectplan.engine.selection import build_selection, check_selection
from connectplan.engine.severity import RULE_SEVERITIES, VERDICT_RANK, VERDICTS, Severity

__all__ = [
    "RULE_SEVERITIES",
    "SECTIONS",
    "VERDICTS",
    "VERDICT_RANK",
    "ActiveStep",
    "Alternative",
    "ApiSetting",
    "Assignment",
    "Catalog",
    "CatalogError",
    "Change",
    "EngineError",
    "ExpressionSyntaxError",
    "Finding",
    "Flow",
    "Holder",
    "NodeKey",
    "OpenDecision",
    "Option",
    "Party",
    "Preset",
    "Problem",
    "Property",
    "Renames",
    "Resolution",
    "Responsibility",
    "Rule",
    "SelectionError",
    "Severity",
    "Step",
    "Term",
    "build_graph",
    "build_selection",
    "catalog_from_dict",
    "catalog_from_graph",
    "catalog_to_dict",
    "check_selection",
    "content_hash",
    "evaluate",
    "format_expression",
    "minimal_cause",
    "parse_expression",
    "references",
    "resolve",
    "step_order",
    "verdict_of",
]
