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
from engine.resolution import ActiveStep, Finding, Holder, Resolution, check_selection, minimal_cause, resolve, verdict_of

__all__ = [
    "SEVERITIES",
    "SEVERITY_RANK",
    "VERDICTS",
    "VERDICT_RANK",
    "ActiveStep",
    "Assignment",
    "Catalog",
    "CatalogError",
    "EngineError",
    "ExpressionSyntaxError",
    "Finding",
    "Flow",
    "Holder",
    "NodeKey",
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
    "Step",
    "Term",
    "build_graph",
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
