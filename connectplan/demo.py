"""The main job behind ``make demo``: runs real ``connectplan`` commands and shows their output.

Each step prints the command line it runs, then what the command printed, so the demo doubles
as a walkthrough. Files go to ``./demo-out/``; the store is ``./demo-out/connectplan.db``.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

OUT = Path("demo-out")


def run(*args: str, show: bool = True, check: bool = True) -> str:
    cmd = [sys.executable, "-m", "connectplan", *args]
    print(f"$ connectplan {shlex.join(args)}", flush=True)
    env = dict(os.environ, CONNECTPLAN_DATABASE_URL=f"sqlite:///{OUT / 'connectplan.db'}")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if show and proc.stdout:
        print(proc.stdout, end="" if proc.stdout.endswith("\n") else "\n")
    if proc.returncode != 0 and check:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"demo: `connectplan {shlex.join(args)}` exited {proc.returncode}")
    return proc.stdout


def presets_table() -> None:
    """Resolve every preset of every built-in edition; print verdicts and step counts."""
    from connectplan.app import builtin_catalogs

    print("== Every preset of every built-in catalog edition")
    for cat in builtin_catalogs():
        for preset in cat.presets:
            doc = json.loads(run("resolve", "--catalog", cat.ref, "--preset", preset.id, "--format", "json", show=False))
            core = sum(1 for s in doc["steps"] if s["core"])
            print(f"   {cat.ref:<22} {preset.id:<14} {doc['verdict']:<13} {len(doc['steps']):>2} steps ({core} core)")
    print()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    print("== The 2024 guide's own selection")
    run(
        "resolve", "--catalog", "stripe-connect@2024",
        "--set", "onboarding=hosted", "--set", "dashboard=full", "--set", "charge_type=direct",
        "--set", "fee_payer=connected_account", "--set", "liability=stripe",
    )
    presets_table()
    print(f"demo: done; files are in {OUT}/")


if __name__ == "__main__":
    main()
