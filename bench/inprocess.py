"""Issue 6, point 3: in-process resolution of every complete selection of the Stripe editions.

For each edition, one *pass* resolves every complete selection (a fixed sample of
:data:`SAMPLE` for an edition with more) once with :func:`engine.resolve`;
a baseline pass does the same with :class:`bench.baseline.HandResolver`. Passes alternate in one
loop; the figure is the per-selection time (pass time / number of selections): median, min and
max over the passes, and the ratio of the medians. Before timing, every selection's verdict,
findings, steps (in order), flows and responsibility holders are compared between the two, so
the baseline provably does the same work.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from typing import TYPE_CHECKING

from bench.baseline import HandResolver
from bench.suite import Config, SuiteResult
from bench.timing import Figure, interleave
from connectplan.engine import Catalog, resolve

if TYPE_CHECKING:
    from connectplan.engine.catalog import Property
    from connectplan.engine.expression import Choice

TARGET = 3.0
#: explore of an empty selection against a bare SAT solver asking the same question
EXPLORE_TARGET = 2.0


def stripe_catalogs() -> list[Catalog]:
    """The built-in Stripe editions, read from the files shipped in the package."""
    from connectplan.catalog_files import builtin_catalog_files, load_catalog_file

    return [load_catalog_file(path) for path in builtin_catalog_files()]


#: Editions with more complete selections than this are measured on a fixed sample of them.
SAMPLE = 5000
#: the sample of a quick run (``--quick``): the code paths, not a figure
QUICK_SAMPLE = 150


def choices(prop: Property) -> list[Choice]:
    """Every decided choice of a property: its non-pending options, or for a multi-choice property
    every set of them within its bounds that keeps an exclusive option alone (declaration order)."""
    ids = [o.id for o in prop.options if not o.pending]
    if not prop.multi:
        return list(ids)
    exclusive = {o.id for o in prop.options if o.exclusive}
    found: list[Choice] = []
    for size in range(prop.min_options, min(prop.max_options, len(ids)) + 1):
        for combo in itertools.combinations(ids, size):
            if len(combo) > 1 and exclusive.intersection(combo):
                continue
            found.append(tuple(combo))
    return found


def all_selections(catalog: Catalog, limit: int = SAMPLE) -> list[dict[str, Choice]]:
    """Every complete, decided selection of ``catalog``, or (more than ``limit`` of them) a sample of
    ``limit`` drawn with a generator seeded by the catalog's reference, so every run measures the same."""
    ids = [p.id for p in catalog.properties]
    domains = [choices(p) for p in catalog.properties]
    if math.prod(len(d) for d in domains) <= limit:
        return [dict(zip(ids, combo, strict=True)) for combo in itertools.product(*domains)]
    rng = random.Random(f"{catalog.ref}.r{catalog.revision}")  # a str seed: independent of PYTHONHASHSEED
    return [dict(zip(ids, (rng.choice(d) for d in domains), strict=True)) for _ in range(limit)]


def _same_work(catalog: Catalog, hand: HandResolver, selections: list[dict[str, Choice]]) -> int:
    """Number of selections where the engine and the hand-written baseline disagree."""
    mismatches = 0
    for sel in selections:
        res = resolve(catalog, sel)
        mine = {
            "verdict": res.verdict,
            "findings": [f.rule.id for f in res.findings],
            "steps": [s.step.id for s in res.steps],
            "money_flows": [f.id for f in res.flows],
            "responsibilities": [(h.responsibility.id, h.assignment.party) for h in res.responsibilities],
        }
        mismatches += mine != hand.resolve(sel)
    return mismatches


def run(config: Config) -> SuiteResult:
    result = SuiteResult("resolution", "In-process resolution of every complete selection (issue 6, point 3)")
    for catalog in stripe_catalogs():
        # explore first, while the heap is small: the resolve pass below holds every selection and
        # resolution of the edition, and a collection triggered inside one timed call is not its cost
        explore = _explore_empty(catalog, config)
        limit = QUICK_SAMPLE if config.quick else SAMPLE
        selections = all_selections(catalog, limit)
        start = time.perf_counter()
        hand = HandResolver(catalog)
        compile_hand = time.perf_counter() - start
        mismatches = _same_work(catalog, hand, selections)  # also warms the engine's per-catalog caches

        def engine_pass(cat: Catalog = catalog, sels: list[dict[str, Choice]] = selections) -> None:
            for sel in sels:
                resolve(cat, sel)

        def hand_pass(h: HandResolver = hand, sels: list[dict[str, Choice]] = selections) -> None:
            for sel in sels:
                h.resolve(sel)

        samples = interleave({"engine": engine_pass, "hand": hand_pass}, config.runs(21, 2), warmup=config.warmup(2))
        n = len(selections)
        result.figures.append(
            Figure(
                id=f"resolve-per-selection-{catalog.edition}",
                title=f"{catalog.ref}: resolve one complete selection ({_counted(n, catalog, limit)} per pass)",
                measured=samples["engine"].scaled(n),
                baseline=samples["hand"].scaled(n),
                measured_label="engine.resolve",
                baseline_label="hand-written: compiled conditions + lexicographic topological sort",
                target=TARGET,
                note="" if mismatches == 0 else f"{mismatches} selections resolved differently by the baseline",
                extra={"selections": n, "mismatches": mismatches, "baseline_compile_s": compile_hand},
            )
        )
        result.figures.append(explore)
    return result


def _counted(n: int, catalog: Catalog, limit: int) -> str:
    every = n < limit or math.prod(len(choices(p)) for p in catalog.properties) == n
    return f"{n} selections" if every else f"a fixed sample of {n} selections"


def _explore_empty(catalog: Catalog, config: Config) -> Figure:
    """``explore`` with nothing chosen (every option's best reachable verdict) against the same
    question put to a bare incremental MiniSat over the same clauses (:func:`bench.baseline.bare_best_ranks`)."""
    from bench.baseline import BareClauses, bare_best_ranks
    from connectplan.engine import VERDICTS
    from connectplan.engine.propagation import propagate
    from connectplan.sat import make_solver

    bare = BareClauses(catalog)
    engine_ranks = {
        (p.id, o.id): VERDICTS.index(o.best_verdict)
        for p in propagate(catalog, {}, make_solver).properties
        for o in p.options
    }
    agree = engine_ranks == bare_best_ranks(bare, {})
    samples = interleave(
        {"engine": lambda: propagate(catalog, {}, make_solver), "bare": lambda: bare_best_ranks(bare, {})},
        config.runs(21, 2),
        warmup=config.warmup(2),
    )
    return Figure(
        id=f"explore-empty-{catalog.edition}",
        title=f"{catalog.ref}: explore an empty selection vs a bare SAT solver",
        measured=samples["engine"],
        baseline=samples["bare"],
        measured_label="engine.propagate (statuses, best verdicts and reasons)",
        baseline_label="bare MiniSat 2.2, same clauses, best verdict of every option",
        target=EXPLORE_TARGET,
        note="" if agree else "the bare solver judged some option differently",
        extra={"agree": agree, "clauses": len(bare.clauses)},
    )
