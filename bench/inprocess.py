"""Issue 6, point 3: in-process resolution of every complete selection of the Stripe editions.

For each edition, one *pass* resolves every complete selection (a fixed sample of
:data:`MAX_SELECTIONS` for an edition with more) once with :func:`engine.resolve`;
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

from bench.baseline import HandResolver
from bench.suite import Config, SuiteResult
from bench.timing import Figure, interleave
from engine import Catalog, resolve

TARGET = 3.0


def stripe_catalogs() -> list[Catalog]:
    """The built-in Stripe editions, read from the files shipped in the package."""
    from connectplan.catalog_files import builtin_catalog_files, load_catalog_file

    return [load_catalog_file(path) for path in builtin_catalog_files()]


#: Editions with more complete selections (one option per property) than this are measured on a
#: fixed sample of this many (stripe-connect@2026-12 has about 2 * 10**10).
MAX_SELECTIONS = 5000


def all_selections(catalog: Catalog) -> list[dict[str, str]]:
    """Every complete selection with one option per property, or a fixed sample when there are too many.

    The sample is deterministic (seeded by the catalog's ref) and draws each property's option
    uniformly among the decided ones (a pending "not decided yet" option would add the open-decision
    report, which a complete, decided selection never pays for), so the figure stays comparable from
    run to run.
    """
    ids = [p.id for p in catalog.properties]
    size = math.prod(len(p.option_ids) for p in catalog.properties)
    if size <= MAX_SELECTIONS:
        return [
            dict(zip(ids, combo, strict=True))
            for combo in itertools.product(*(p.option_ids for p in catalog.properties))
        ]
    rng = random.Random(catalog.ref)
    decided = [(p.id, [o.id for o in p.options if not o.pending]) for p in catalog.properties]
    return [{pid: rng.choice(options) for pid, options in decided} for _ in range(MAX_SELECTIONS)]


def _same_work(catalog: Catalog, hand: HandResolver, selections: list[dict[str, str]]) -> int:
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
        selections = all_selections(catalog)
        start = time.perf_counter()
        hand = HandResolver(catalog)
        compile_hand = time.perf_counter() - start
        mismatches = _same_work(catalog, hand, selections)  # also warms the engine's per-catalog caches

        def engine_pass(cat: Catalog = catalog, sels: list[dict[str, str]] = selections) -> None:
            for sel in sels:
                resolve(cat, sel)

        def hand_pass(h: HandResolver = hand, sels: list[dict[str, str]] = selections) -> None:
            for sel in sels:
                h.resolve(sel)

        samples = interleave({"engine": engine_pass, "hand": hand_pass}, config.runs(21, 2), warmup=config.warmup(2))
        n = len(selections)
        result.figures.append(
            Figure(
                id=f"resolve-per-selection-{catalog.edition}",
                title=f"{catalog.ref}: resolve one complete selection ({n} selections per pass"
                + (", a fixed sample)" if n == MAX_SELECTIONS else ")"),
                measured=samples["engine"].scaled(n),
                baseline=samples["hand"].scaled(n),
                measured_label="engine.resolve",
                baseline_label="hand-written: compiled conditions + lexicographic topological sort",
                target=TARGET,
                note="" if mismatches == 0 else f"{mismatches} selections resolved differently by the baseline",
                extra={"selections": n, "mismatches": mismatches, "baseline_compile_s": compile_hand},
            )
        )
    return result
