"""What every suite receives (:class:`Config`) and returns (:class:`SuiteResult`)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.timing import Figure

__all__ = ["Config", "SuiteResult", "connectplan_argv"]


@dataclass
class Config:
    """Run settings shared by the suites.

    ``quick`` shrinks every size and repetition count so the whole suite runs in seconds (the
    smoke test and ``python -m bench --quick``); the figures are then meaningless but the code
    paths and the result structure are the same.
    """

    workdir: Path
    quick: bool = False
    sizes: tuple[int, ...] = (50, 500, 5000)
    log: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr, flush=True))
    #: the run's throwaway PostgreSQL cluster (``tests/pg.py``'s ``PgCluster``): given by the caller
    #: (the smoke test passes its session's), or started by :meth:`postgres` on first use
    cluster: Any = None
    #: a running Playwright ``Browser`` (Chromium) to use instead of launching one: Playwright's sync API
    #: runs one instance per thread, so the smoke test passes the one its session already holds
    browser: Any = None
    _owns_cluster: bool = field(default=False, repr=False)

    def postgres(self) -> Any:
        """The cluster the suites share (one start per run, not one per suite); raises ``RuntimeError``,
        ``OSError`` or ``ImportError`` with the reason when there is none."""
        if self.cluster is None:
            from tests.pg import PgCluster

            self.cluster = PgCluster()
            self._owns_cluster = True
        return self.cluster

    def close(self) -> None:
        """Stop a cluster this run started."""
        if self._owns_cluster and self.cluster is not None:
            self.cluster.stop()
        self.cluster, self._owns_cluster = None, False

    def runs(self, full: int, quick: int = 1) -> int:
        return quick if self.quick else full

    def warmup(self, full: int = 1) -> int:
        return 0 if self.quick else full

    def seconds(self, full: float, quick: float) -> float:
        """A load window (or think time) in seconds: ``quick`` in a quick run."""
        return quick if self.quick else full


@dataclass
class SuiteResult:
    """A suite's figures, any extra tables, and notes (including why something was skipped)."""

    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    seconds: float = 0.0
    #: when the suite ran (``python -m bench --update`` keeps older suites with their own date)
    measured: str = ""

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> SuiteResult:
        """The inverse of :meth:`to_dict` (``python -m bench --update`` keeps the suites it does not re-run)."""
        from bench.timing import Figure

        return cls(
            name=doc["name"],
            title=doc["title"],
            figures=[Figure.from_dict(f) for f in doc["figures"]],
            tables=dict(doc["tables"]),
            notes=list(doc["notes"]),
            skipped=doc["skipped"] or "",
            seconds=doc["seconds"],
            measured=doc.get("measured", ""),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "skipped": self.skipped or None,
            "seconds": self.seconds,
            "measured": self.measured,
            "figures": [f.to_dict() for f in self.figures],
            "tables": self.tables,
            "notes": self.notes,
        }


def connectplan_argv() -> list[str]:
    """How to start the ``connectplan`` command: the installed console script next to this
    Python when there is one (what users run), else ``python -m connectplan``."""
    script = Path(sys.executable).with_name("connectplan")
    return [str(script)] if script.exists() else [sys.executable, "-m", "connectplan"]
