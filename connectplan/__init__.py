"""connectplan: plan, version, explain and draw Stripe Connect integrations.

The Python API is one facade, :func:`open_workspace`, and the records its methods return::

    from connectplan import open_workspace

    with open_workspace("sqlite:///plans.db") as ws:
        r = ws.resolve(preset="marketplace", set={"charge_type": "separate"})
        print(r.verdict, [s.id for s in r.steps])

See ``docs/api.md`` for every public name. Importing ``connectplan`` stays light (the CLI's
start-up depends on it): the names below load their modules on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # the facade
    "open_workspace": "connectplan.workspace",
    "Workspace": "connectplan.workspace",
    "PlanView": "connectplan.workspace",
    "Subject": "connectplan.workspace",
    "store_status": "connectplan.workspace",
    "upgrade_store": "connectplan.workspace",
    # store records
    "EditionInfo": "connectplan.records",
    "LogEntry": "connectplan.records",
    "PlanSummary": "connectplan.records",
    "VersionRecord": "connectplan.db.records",
    "PlanExport": "connectplan.exchange",
    "ExportedVersion": "connectplan.exchange",
    "ExportedCatalog": "connectplan.exchange",
    # engine records
    "Catalog": "connectplan.engine",
    "CatalogRef": "connectplan.engine",
    "Selection": "connectplan.engine",
    "Resolution": "connectplan.engine",
    "Finding": "connectplan.engine",
    "ActiveStep": "connectplan.engine",
    "Alternative": "connectplan.engine",
    "Propagation": "connectplan.engine.propagation",
    "LintReport": "connectplan.engine.lint",
    "CatalogDiff": "connectplan.engine.catalog_diff",
    "ResolutionDiff": "connectplan.engine.diff",
    "PlanUpgrade": "connectplan.engine.upgrade",
    # JSON documents
    "to_document": "connectplan.output.documents",
    # errors
    "USER_ERRORS": "connectplan.errors",
    "ConnectplanError": "connectplan.engine.errors",
    "AppError": "connectplan.errors",
    "VerdictRefusedError": "connectplan.errors",
    "SaveOptions": "connectplan.save_policy",
    "EngineError": "connectplan.engine",
    "CatalogError": "connectplan.engine",
    "SelectionError": "connectplan.engine",
    "StoreError": "connectplan.db.errors",
    "SchemaError": "connectplan.db.errors",
    "NotFoundError": "connectplan.db.errors",
    "ConflictError": "connectplan.db.errors",
    "EditionConflictError": "connectplan.db.errors",
    "RenderError": "connectplan.visualize.render",
}

__all__ = [
    "USER_ERRORS",
    "ActiveStep",
    "Alternative",
    "AppError",
    "Catalog",
    "CatalogDiff",
    "CatalogError",
    "CatalogRef",
    "ConflictError",
    "ConnectplanError",
    "EditionConflictError",
    "EditionInfo",
    "EngineError",
    "ExportedCatalog",
    "ExportedVersion",
    "Finding",
    "LintReport",
    "LogEntry",
    "NotFoundError",
    "PlanExport",
    "PlanSummary",
    "PlanUpgrade",
    "PlanView",
    "Propagation",
    "RenderError",
    "Resolution",
    "ResolutionDiff",
    "SaveOptions",
    "SchemaError",
    "Selection",
    "SelectionError",
    "StoreError",
    "Subject",
    "VerdictRefusedError",
    "VersionRecord",
    "Workspace",
    "__version__",
    "open_workspace",
    "store_status",
    "to_document",
    "upgrade_store",
]

if TYPE_CHECKING:
    from connectplan.db.errors import ConflictError, EditionConflictError, NotFoundError, SchemaError, StoreError
    from connectplan.db.records import VersionRecord
    from connectplan.engine import (
        ActiveStep,
        Alternative,
        Catalog,
        CatalogError,
        CatalogRef,
        EngineError,
        Finding,
        Resolution,
        Selection,
        SelectionError,
    )
    from connectplan.engine.catalog_diff import CatalogDiff
    from connectplan.engine.diff import ResolutionDiff
    from connectplan.engine.errors import ConnectplanError
    from connectplan.engine.lint import LintReport
    from connectplan.engine.propagation import Propagation
    from connectplan.engine.upgrade import PlanUpgrade
    from connectplan.errors import USER_ERRORS, AppError, VerdictRefusedError
    from connectplan.exchange import ExportedCatalog, ExportedVersion, PlanExport
    from connectplan.output.documents import to_document
    from connectplan.records import EditionInfo, LogEntry, PlanSummary
    from connectplan.save_policy import SaveOptions
    from connectplan.visualize.render import RenderError
    from connectplan.workspace import PlanView, Subject, Workspace, open_workspace, store_status, upgrade_store


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'connectplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
