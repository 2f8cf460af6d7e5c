"""Issue 6, point 7: Kconfiglib side by side with connectplan on the same synthetic configuration.

For each size P, :mod:`bench.synth` writes the catalog as a JSON catalog file, the equivalent
Kconfig file and a ``.config`` that makes the witness selection. Both sides start from files:

* Kconfiglib: ``Kconfig(path)`` (parse), ``load_config(.config)``, then every symbol's
  ``str_value`` and every choice's ``selection`` (evaluate);
* connectplan: read and validate the catalog file (``parse_catalog_text``), then
  :func:`engine.resolve` of the witness selection (which builds the graph, compiles the
  conditions and orders the steps on first use).

The two run in turn in one loop. Before timing, the suite checks that both agree: the rules
Kconfig evaluates to ``y`` are the findings connectplan reports, and the step symbols that are
``y`` are its active steps.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bench.suite import Config, SuiteResult
from bench.synth import generate, kconfig_config, kconfig_text
from bench.timing import Figure, interleave, peak_memory
from connectplan.engine import Resolution, resolve

if TYPE_CHECKING:
    from pathlib import Path


def clear_engine_caches() -> None:
    """Forget what the engine memoises across catalogs (parsed conditions, minimal causes), so a
    repeated measurement pays what a fresh process pays, as Kconfiglib does."""
    import connectplan.engine.causes
    import connectplan.engine.expression

    for module in (connectplan.engine.expression, connectplan.engine.causes):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def _connectplan(catalog_path: Path, selection: dict[str, str]) -> Resolution:
    from connectplan.catalog_files import parse_catalog_text

    clear_engine_caches()
    catalog = parse_catalog_text(catalog_path.read_text(encoding="utf-8"), str(catalog_path))
    return resolve(catalog, selection)


def _kconfig(kconfig_path: Path, config_path: Path) -> dict[str, Any]:
    import kconfiglib

    kconf = kconfiglib.Kconfig(str(kconfig_path), warn=False)
    kconf.load_config(str(config_path))
    values = {sym.name: sym.str_value for sym in kconf.unique_defined_syms}
    choices = {choice.name: choice.selection.name if choice.selection else None for choice in kconf.unique_choices}
    return {"values": values, "choices": choices}


def _agree(res: Resolution, kc: dict[str, Any]) -> bool:
    values = kc["values"]
    fired = {name for name, v in values.items() if name.startswith("R") and v == "y"}
    active = {name for name, v in values.items() if name.startswith("S") and v == "y"}
    chosen = set(kc["choices"].values())
    return (
        fired == {f.rule.id.upper() for f in res.findings}
        and active == {s.step.id.upper() for s in res.steps}
        and chosen == {f"{p}_{o}".upper() for p, o in res.selection}
    )


def json_text(document: dict[str, Any]) -> str:
    """The catalog file the benchmark reads: compact JSON (with ``indent`` the largest exceeds the file limit)."""
    return json.dumps(document, separators=(",", ":"))


def run(config: Config) -> SuiteResult:
    result = SuiteResult(
        "peer", "Kconfiglib side by side: load and evaluate versus load and resolve (issue 6, point 7)"
    )
    try:
        import kconfiglib
    except ImportError:
        result.skipped = "kconfiglib is not installed (pip install -e '.[bench]')"
        return result
    result.notes.append(f"Kconfiglib {kconfiglib.VERSION[0]}.{kconfiglib.VERSION[1]}.{kconfiglib.VERSION[2]}")
    workdir = config.workdir / "peer"
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in config.sizes:
        synth = generate(size)
        catalog_path = workdir / f"synthetic-{size}.json"
        kconfig_path = workdir / f"Kconfig-{size}"
        config_path = workdir / f"config-{size}"
        # compact: the 5,000-property catalog is 3.8 MiB so, under the 4 MiB catalog file limit
        catalog_path.write_text(json_text(synth.document), encoding="utf-8")
        kconfig_path.write_text(kconfig_text(synth.document), encoding="utf-8")
        config_path.write_text(kconfig_config(synth.witness), encoding="utf-8")
        agree = _agree(_connectplan(catalog_path, synth.witness), _kconfig(kconfig_path, config_path))
        runs = config.runs(7 if size <= 500 else 2)

        def ours(path: Path = catalog_path, selection: dict[str, str] = synth.witness) -> Resolution:
            return _connectplan(path, selection)

        def theirs(kpath: Path = kconfig_path, cpath: Path = config_path) -> dict[str, Any]:
            return _kconfig(kpath, cpath)

        samples = interleave(
            {"connectplan": ours, "kconfig": theirs}, runs, warmup=config.warmup(1 if size <= 500 else 0)
        )
        memory = {"connectplan_peak_bytes": peak_memory(ours), "kconfiglib_peak_bytes": peak_memory(theirs)}
        figure = Figure(
            id=f"peer-kconfiglib-{size}",
            title=f"P={size}: load and resolve (connectplan) vs load and evaluate (Kconfiglib)",
            measured=samples["connectplan"],
            baseline=samples["kconfig"],
            measured_label="parse_catalog_text(JSON) + engine.resolve",
            baseline_label="kconfiglib.Kconfig + load_config + every symbol's value",
            note="" if agree else "connectplan and Kconfiglib DISAGREE on this configuration",
            extra={"agree": agree, **synth.counts, **memory},
        )
        result.figures.append(figure)
        rows.append(
            {
                "properties": size,
                "connectplan_median_s": figure.measured.median,
                "kconfiglib_median_s": figure.baseline.median if figure.baseline else None,
                "ratio": figure.ratio,
                "agree": agree,
                **memory,
            }
        )
    result.tables["kconfiglib"] = rows
    result.notes.append(
        "Ratio below 1: connectplan is faster. Without a warm-up at P=5000 both sides pay the "
        "same first-run costs; the files are read from the page cache."
    )
    return result
