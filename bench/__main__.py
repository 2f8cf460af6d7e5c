"""``python -m bench`` (what ``make bench`` runs): every suite, then ``RESULTS.md`` and ``results.json``.

Options: ``--quick`` (tiny sizes, one or two repetitions: checks the code paths in seconds),
``--out DIR`` (where the two result files go; default ``bench/`` for a full run and a new
temporary directory for a quick one, so a quick run never overwrites the committed results),
``--only SUITE`` (repeatable) and ``--sizes 50,500,5000``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import SUITES
from bench.report import machine, write
from bench.suite import Config, SuiteResult
from bench.timing import collecting


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="connectplan's benchmark suite (issue 6).")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one or two repetitions (a smoke run)")
    parser.add_argument("--out", type=Path, help="directory for RESULTS.md and results.json")
    parser.add_argument("--only", action="append", choices=list(SUITES), help="run only this suite (repeatable)")
    parser.add_argument("--sizes", help="comma-separated property counts for the scale and peer suites")
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --only and --out: re-run those suites, keep the others of the results in --out (each with its date)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, *, cluster: object = None, browser: object = None) -> int:
    """Run the suites; ``cluster`` is a running ``tests.pg.PgCluster`` to use (default: start one when
    a suite first needs PostgreSQL, and stop it at the end), ``browser`` a running Playwright Chromium
    (default: the browser suite launches its own)."""
    args = parse_args(argv)
    if args.update and not (args.only and args.out):
        raise SystemExit("python -m bench: --update needs --only SUITE and --out DIR (the results to update)")
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else ((8, 24) if args.quick else (50, 500, 5000))
    out = args.out or (
        Path(tempfile.mkdtemp(prefix="connectplan-bench-")) if args.quick else Path(__file__).resolve().parent
    )
    workdir = Path(tempfile.mkdtemp(prefix="connectplan-bench-work-"))
    config = Config(workdir=workdir, quick=args.quick, sizes=sizes, cluster=cluster, browser=browser)
    results: list[SuiteResult] = []
    start = time.perf_counter()
    try:
        with collecting(not args.quick):  # a quick run's figures mean nothing: no collection per call
            for name in args.only or list(SUITES):
                config.log(f"bench: {name}")
                suite_start = time.perf_counter()
                result = SUITES[name](config)
                result.seconds = time.perf_counter() - suite_start
                results.append(result)
                for fig in result.figures:
                    ratio = f"{fig.ratio:.2f}x" if fig.ratio is not None else "-"
                    verdict = (
                        ""
                        if fig.met is None
                        else (" (target met)" if fig.met else f" (target {fig.target:g}x NOT met)")
                    )
                    config.log(f"  {fig.id}: {ratio}{verdict}")
    finally:
        config.close()
        shutil.rmtree(workdir, ignore_errors=True)
    date = machine()["date"]
    for result in results:
        result.measured = date
    if args.update:
        results = _merged(out, results)
    json_path, md_path = write(out, results, quick=args.quick, seconds=time.perf_counter() - start)
    print(f"bench: wrote {md_path} and {json_path} in {time.perf_counter() - start:.0f} s")
    return 0


def _merged(out: Path, fresh: list[SuiteResult]) -> list[SuiteResult]:
    """The suites of ``out/results.json`` with those just run put in their place (``--update``)."""
    previous = json.loads((out / "results.json").read_text(encoding="utf-8"))
    by_name = {r.name: r for r in fresh}
    merged: list[SuiteResult] = []
    for doc in previous["suites"]:
        old = SuiteResult.from_dict(doc)
        old.measured = old.measured or previous["machine"]["date"]
        merged.append(by_name.pop(old.name, old))
    return merged + list(by_name.values())


if __name__ == "__main__":
    sys.exit(main())
