"""connectplan's benchmark suite (issue 6): ``python -m bench`` / ``make bench``.

Every figure is a ratio to a baseline measured in the same run on the same machine (see
``docs/performance.md`` and :mod:`bench.timing`). The suites, in the order they run:

``resolution``  in-process resolution of every Stripe selection vs a hand-written resolver
``cold_start``  ``connectplan resolve`` / ``plan show`` / ``--help`` as fresh processes
``store``       plan store with 1, 1,000 and 10,000 versions; ORM vs raw insert; SQLite and PostgreSQL
``render``      money-flow and steps diagrams in-process vs ``dot -Tsvg``
``scale``       synthetic catalogs of 50, 500 and 5,000 properties: import, load, resolve,
                explore (vs a bare SAT solver), alternatives, lint, peak memory
``peer``        Kconfiglib on the equivalent Kconfig vs connectplan on the catalog
``web``         the web configurator (``connectplan serve``): an option change, a diagram, 20
                concurrent clients and a worker's memory, vs the same work in-process (issue 12)
``browser``     one option change in Chromium (Playwright), click to settled, vs the server's own time
                for the same request; the swapped fragment's size (issue 19, point 8)
``team``        ``connectplan serve --workers 2`` on PostgreSQL: 20 clients mixing option changes, pages,
                diagrams and saves; errors, stored saves, p95 vs one client (issue 20, point 7)

Benchmarks are not part of ``make test``; ``tests/test_bench_smoke.py`` runs them at tiny sizes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.suite import Config, SuiteResult

__all__ = ["SUITES"]

_MODULES = {
    "resolution": "bench.inprocess",
    "cold_start": "bench.coldstart",
    "store": "bench.storage",
    "render": "bench.rendering",
    "scale": "bench.scale",
    "peer": "bench.peer",
    "web": "bench.web",
    "browser": "bench.browser",
    "team": "bench.team",
}


def _runner(module: str) -> Callable[[Config], SuiteResult]:
    def run(config: Config) -> SuiteResult:
        return importlib.import_module(module).run(config)  # type: ignore[no-any-return]

    run.__name__ = module.rsplit(".", 1)[1]
    return run


#: suite name -> function running it (its module is imported on use)
SUITES: dict[str, Callable[[Config], SuiteResult]] = {name: _runner(module) for name, module in _MODULES.items()}
