"""Timing primitives: repeated runs after a warm-up, interleaved with their baseline.

Every figure of the suite is a :class:`Figure`: the samples of the measured operation, the
samples of its baseline taken in the same run (alternating with it whenever the two can run in
the same loop), and the ratio of their medians. Absolute times on a shared 2-core machine
drift from one minute to the next; a ratio of two things measured side by side does not.

Only the standard library is used: ``time.perf_counter`` for in-process work, ``subprocess``
for cold starts, ``tracemalloc`` for peak Python heap.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import time
import tracemalloc
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

__all__ = [
    "Figure",
    "Samples",
    "collecting",
    "interleave",
    "peak_memory",
    "percentile",
    "repeat",
    "run_process",
    "time_once",
]


@dataclass(frozen=True)
class Samples:
    """Wall-clock seconds of the measured runs (warm-up runs are not kept)."""

    seconds: tuple[float, ...]
    warmup: int = 1

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def max(self) -> float:
        return max(self.seconds)

    def scaled(self, factor: float) -> Samples:
        """The same samples divided by ``factor`` (e.g. per item of a batch)."""
        return Samples(tuple(s / factor for s in self.seconds), self.warmup)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Samples:
        """The inverse of :meth:`to_dict` (``python -m bench --update`` reads a previous run)."""
        return cls(tuple(doc["seconds"]), doc["warmup"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "min_s": self.min,
            "max_s": self.max,
            "runs": len(self.seconds),
            "warmup": self.warmup,
            "seconds": list(self.seconds),
        }


@dataclass
class Figure:
    """One reported figure: a measurement, its same-run baseline and the target on their ratio.

    ``target`` is the largest acceptable ratio (``None``: reported, no target). ``met`` is
    ``None`` when there is no target or nothing to compare.
    """

    id: str
    title: str
    measured: Samples
    baseline: Samples | None = None
    measured_label: str = ""
    baseline_label: str = ""
    target: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline.median <= 0:
            return None
        return self.measured.median / self.baseline.median

    @property
    def met(self) -> bool | None:
        ratio = self.ratio
        if self.target is None or ratio is None:
            return None
        return ratio <= self.target

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Figure:
        """The inverse of :meth:`to_dict`."""
        return cls(
            id=doc["id"],
            title=doc["title"],
            measured=Samples.from_dict(doc["measured"]),
            baseline=Samples.from_dict(doc["baseline"]) if doc.get("baseline") else None,
            measured_label=doc["measured_label"],
            baseline_label=doc["baseline_label"],
            target=doc["target_max_ratio"],
            note=doc["note"],
            extra=dict(doc["extra"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "measured_label": self.measured_label,
            "measured": self.measured.to_dict(),
            "baseline_label": self.baseline_label,
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "ratio": self.ratio,
            "target_max_ratio": self.target,
            "met": self.met,
            "note": self.note,
            "extra": self.extra,
        }


#: whether :func:`time_once` collects garbage before each call; a quick run (``--quick``, whose figures
#: mean nothing) turns it off, because a full collection of a large heap (the test session's, when the
#: smoke test runs the suites in-process) costs more than the tiny calls it precedes
_COLLECT: ContextVar[bool] = ContextVar("collect_before_each_call", default=True)


@contextmanager
def collecting(enabled: bool) -> Iterator[None]:
    """Within the block, :func:`time_once` runs a garbage collection before each call only if ``enabled``."""
    token = _COLLECT.set(enabled)
    try:
        yield
    finally:
        _COLLECT.reset(token)


def time_once(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes (garbage collection is run before, not during, the call)."""
    if _COLLECT.get():
        gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def repeat(fn: Callable[[], Any], runs: int, *, warmup: int = 1) -> Samples:
    """Call ``fn`` ``warmup`` times unmeasured, then ``runs`` times measured."""
    for _ in range(warmup):
        fn()
    return Samples(tuple(time_once(fn) for _ in range(runs)), warmup)


def interleave(fns: Mapping[str, Callable[[], Any]], runs: int, *, warmup: int = 1) -> dict[str, Samples]:
    """Run every function once per round, in turn, for ``warmup`` + ``runs`` rounds.

    Alternating the measured operation and its baseline in one loop means a slow minute on
    the machine slows both, so their ratio stays meaningful. The order within a round flips
    every round, so neither always runs first.
    """
    names = list(fns)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(warmup + runs):
        order = names if round_no % 2 == 0 else names[::-1]
        for name in order:
            elapsed = time_once(fns[name])
            if round_no >= warmup:
                seconds[name].append(elapsed)
    return {name: Samples(tuple(values), warmup) for name, values in seconds.items()}


def run_process(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None
) -> Callable[[], None]:
    """A function that runs ``argv`` as a fresh process and fails loudly if it exits non-zero."""

    def call() -> None:
        proc = subprocess.run(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err[-1] if err else ''}")

    return call


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes of Python heap allocated while ``fn`` runs (``tracemalloc``; C allocations of
    extension modules such as a SAT solver are not counted)."""
    gc.collect()
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already:
            tracemalloc.stop()
    return max(0, peak - base)


def percentile(values: Sequence[float], q: int) -> float:
    """The ``q``-th percentile (1..99) of ``values``, by the inclusive method (one value: itself)."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]
