"""Issue 6, point 2: cold start of the command line, each run a fresh process.

* ``connectplan resolve --preset P`` and ``connectplan plan show NAME`` against a SQLite store
  (created and migrated beforehand, so the runs measure the steady state a user sees), versus
  the floor ``python -c "import sqlalchemy.orm, networkx"`` set by issue 6 (the store's queries
  are plain SQL now and the command line no longer loads ``sqlalchemy.orm``, so against
  ``import sqlalchemy, networkx`` the ratios are about 0.15 higher). The three commands run in
  turn in one loop, so the floor's samples are shared by both figures. Target: 1.15x.
* ``connectplan --help`` versus ``python -c pass``. Target: 3x.

A table lists, for one run of each command under ``python -X importtime``, the packages it
imported and the time spent importing each (modules' own import time summed by top-level
package): the first place to look when a ratio is missed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.suite import Config, SuiteResult, connectplan_argv
from bench.timing import Figure, interleave, run_process

FLOOR = "import sqlalchemy.orm, networkx"
FLOOR_TARGET = 1.15
HELP_TARGET = 3.0
PLAN = "bench-cold-start"


def _has_command(name: str) -> bool:
    from connectplan.cli import COMMANDS

    return name in COMMANDS


def _preset() -> str:
    from connectplan.catalog_files import builtin_catalog_files, load_catalog_file

    newest = load_catalog_file(builtin_catalog_files()[-1])
    return newest.presets[0].id


def _check(argv: list[str], env: dict[str, str], cwd: str) -> None:
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")


def import_profile(python_args: list[str], env: dict[str, str], cwd: str, top: int = 12) -> list[dict[str, object]]:
    """Where one ``python -X importtime ARGS...`` run spends its import time: the modules' own
    ("self") import time summed by top-level package, largest first."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *python_args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    totals: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[0].split(":")[1].strip().isdigit():
            continue  # not an importtime line, or its header
        package = parts[2].strip().split(".")[0]
        totals[package] = totals.get(package, 0) + int(parts[0].split(":")[1])
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"package": name, "self_ms": round(us / 1000, 1)} for name, us in ranked]


def run(config: Config) -> SuiteResult:
    result = SuiteResult("cold_start", "Cold start of the command line (issue 6, point 2)")
    workdir = config.workdir / "cold-start"
    workdir.mkdir(parents=True, exist_ok=True)
    cwd = str(workdir)
    env = dict(os.environ, CONNECTPLAN_DATABASE_URL=f"sqlite:///{workdir / 'connectplan.db'}")
    cp = connectplan_argv()
    # An installed wheel ships compiled bytecode; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE (set on this workplace) would otherwise recompile the project's
    # modules at every start and measure the compiler, not connectplan.
    root = Path(__file__).resolve().parent.parent
    if not config.quick:  # a quick run checks the code paths, not the figures
        subprocess.run(
            [
                sys.executable,
                "-m",
                "compileall",
                "-q",
                *(str(root / pkg) for pkg in ("engine", "db", "connectplan", "visualize")),
            ],
            check=True,
            capture_output=True,
        )
    preset = _preset()
    resolve_argv = [*cp, "resolve", "--preset", preset]
    _check(resolve_argv, env, cwd)  # creates and migrates the store, imports the built-in catalogs
    commands = {"connectplan resolve": resolve_argv}
    if _has_command("plan"):
        _check([*cp, "plan", "new", PLAN, "--preset", preset, "-m", "cold start benchmark"], env, cwd)
        commands["connectplan plan show"] = [*cp, "plan", "show", PLAN]
    else:
        result.notes.append("`connectplan plan` is not available in this checkout: the plan show figure is left out.")
    runs = config.runs(7)
    fns = {label: run_process(argv, env=env, cwd=cwd) for label, argv in commands.items()}
    fns["floor"] = run_process([sys.executable, "-c", FLOOR], env=env, cwd=cwd)
    samples = interleave(fns, runs, warmup=config.warmup())
    for label in commands:
        slug = label.split(" ", 1)[1].replace(" ", "-")
        result.figures.append(
            Figure(
                id=f"cold-{slug}",
                title=f"`{label}` against a SQLite store, fresh process",
                measured=samples[label],
                baseline=samples["floor"],
                measured_label=" ".join(["connectplan", *commands[label][len(cp) :]]),
                baseline_label=f'python -c "{FLOOR}"',
                target=FLOOR_TARGET,
            )
        )

    help_samples = interleave(
        {
            "help": run_process([*cp, "--help"], env=env, cwd=cwd),
            "bare": run_process([sys.executable, "-c", "pass"], env=env, cwd=cwd),
        },
        config.runs(15),
        warmup=config.warmup(),
    )
    result.figures.append(
        Figure(
            id="cold-help",
            title="`connectplan --help`, fresh process",
            measured=help_samples["help"],
            baseline=help_samples["bare"],
            measured_label="connectplan --help",
            baseline_label="python -c pass",
            target=HELP_TARGET,
        )
    )

    profiled = [] if config.quick else [*commands.items(), ("floor", [sys.executable, "-c", FLOOR])]
    for label, argv in [*profiled, ("connectplan --help", [*cp, "--help"])]:
        python_args = argv[1:] if argv[0] == sys.executable else argv
        result.tables[f"imports: {label}"] = import_profile(python_args, env, cwd, top=30 if label == "floor" else 12)
    return result
