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


def run(*args: str, show: bool = True, check: bool = True, echo: bool = True) -> str:
    cmd = [sys.executable, "-m", "connectplan", *args]
    if echo:
        print(f"$ connectplan {shlex.join(args)}", flush=True)
    env = dict(os.environ, CONNECTPLAN_DATABASE_URL=f"sqlite:///{OUT / 'connectplan.db'}")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if show and proc.stdout:
        print(proc.stdout, end="" if proc.stdout.endswith("\n") else "\n")
    if proc.returncode != 0 and check:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"demo: `connectplan {shlex.join(args)}` exited {proc.returncode}")
    if proc.returncode != 0:  # an expected refusal (check=False): show it as a terminal would
        print(f"{proc.stderr.rstrip()}\n(exit {proc.returncode})")
    return proc.stdout


def presets_table() -> None:
    """Resolve every preset of every built-in edition; print verdicts and step counts."""
    from connectplan.catalog_files import builtin_catalogs

    print("== Every preset of every built-in catalog edition")
    print("   (each row: connectplan resolve --catalog CATALOG --preset PRESET --format json)")
    for cat in builtin_catalogs():
        for preset in cat.presets:
            doc = json.loads(
                run("resolve", "--catalog", cat.ref, "--preset", preset.id, "--format", "json", show=False, echo=False)
            )
            core = sum(1 for s in doc["steps"] if s["core"])
            print(f"   {cat.ref:<22} {preset.id:<14} {doc['verdict']:<13} {len(doc['steps']):>2} steps ({core} core)")
    print()


#: The plan the diagrams and the design document are drawn for (created here if the store lacks it).
DEMO_PLAN = "acme-marketplace"


def diagrams_and_doc(plan: str = DEMO_PLAN) -> None:
    """Draw the demo plan's diagrams and write its design document into ``demo-out/`` (issue 4)."""
    from connectplan.workspace import open_workspace

    print(f"== Diagrams, design document and LLM prompt for plan {plan}")
    with open_workspace(f"sqlite:///{OUT / 'connectplan.db'}") as ws:
        exists = any(summary.name == plan for summary in ws.plans())
    if not exists:
        run("plan", "new", plan, "--catalog", "stripe-connect@2025", "--preset", "marketplace", "-m", "first cut")
        run("plan", "set", plan, "--set", "charge_type=separate", "-m", "hold funds until delivery")
    with open_workspace(f"sqlite:///{OUT / 'connectplan.db'}") as ws:
        latest = ws.plan(f"{plan}@latest").record
    ref = latest.ref
    written: list[str] = []
    for kind in ("money-flow", "liability", "steps", "catalog"):
        target = OUT / f"{kind}.svg"
        run("render", kind, ref, "-o", str(target))
        written.append(str(target))
    target = OUT / "money-flow-reverse.svg"
    run("render", "money-flow", ref, "--include", "refunds,disputes", "-o", str(target))
    written.append(str(target))
    if latest.parent is not None:
        target = OUT / "money-flow-change.svg"
        run("render", "money-flow", ref, "--against", f"{plan}@{latest.parent}", "-o", str(target))
        written.append(str(target))
    target = OUT / "what-if.svg"
    run("render", "money-flow", "--preset", "saas", "--set", "liability=platform", "-o", str(target))
    written.append(str(target))
    run("doc", ref, "-o", str(OUT / "design-doc"))
    written.append(str(OUT / "design-doc" / "README.md"))
    run("doc", ref, "-o", str(OUT / "design-doc.html"), "--format", "html")
    written.append(str(OUT / "design-doc.html"))
    prompt = run("prompt", ref, show=False)
    (OUT / "prompt.txt").write_text(prompt, encoding="utf-8")
    written.append(str(OUT / "prompt.txt"))
    print("Diagrams and documents written:")
    for path in written:
        print(f"   {path}")
    print()


def api_blueprint(plan: str = DEMO_PLAN) -> None:
    """The demo plan's API blueprint (issue 21): its requests by step as text, and the Python module,
    curl script and JSON document written into ``demo-out/``."""
    ref = f"{plan}@latest"
    print(f"== API blueprint of {plan}: the requests it makes, by step, with their reasons")
    run("blueprint", ref)
    written = []
    for fmt, name in (
        ("python", f"{plan.replace('-', '_')}_blueprint.py"),
        ("curl", f"{plan}-blueprint.sh"),
        ("json", f"{plan}-blueprint.json"),
    ):
        run("blueprint", ref, "--format", fmt, "-o", str(OUT / name))
        written.append(str(OUT / name))
    print("Blueprint files written (the python module uses the official stripe package's StripeClient):")
    for path in written:
        print(f"   {path}")
    print()


def plan_history(plan: str = DEMO_PLAN) -> None:
    """Save a plan from a preset, save a second version with a change, print the log and the diff (issue 3)."""
    store = OUT / "connectplan.db"
    for leftover in (store, store.with_name(store.name + "-wal"), store.with_name(store.name + "-shm")):
        leftover.unlink(missing_ok=True)  # every run starts from a new store, so its output is the same
    print(f"== A versioned plan in the store ({store}, created on first use)")
    run(
        "plan",
        "new",
        plan,
        "--catalog",
        "stripe-connect@2025",
        "--preset",
        "marketplace",
        "-m",
        "first cut",
        "--author",
        "demo",
    )
    run("plan", "set", plan, "--set", "charge_type=separate", "-m", "hold funds until delivery", "--author", "demo")
    run("plan", "tag", f"{plan}@2", "reviewed")
    run("plan", "log", plan)
    run("plan", "diff", f"{plan}@1", f"{plan}@reviewed")
    run("plan", "export", plan, "-o", str(OUT / f"{plan}.json"))
    run("db", "current")
    print()


def exploration_and_upgrade(plan: str = "acme-embedded") -> None:
    """Explore a partial selection, show a blocked selection's alternatives, lint and diff the
    editions, and upgrade a 2024 plan to 2025 with its impact report (issue 5)."""
    print("== What does choosing the Express Dashboard leave open? (2025)")
    run("explore", "--catalog", "stripe-connect@2025", "--set", "dashboard=express")
    print("== A blocked selection and its nearest alternatives (2025)")
    run(
        "resolve",
        "--catalog",
        "stripe-connect@2025",
        "--set",
        "onboarding=embedded",
        "--set",
        "dashboard=express",
        "--set",
        "charge_type=direct",
        "--set",
        "fee_payer=connected_account",
        "--set",
        "liability=stripe",
    )
    print("== Presets, lint and the edition diff")
    run("presets", "--catalog", "stripe-connect@2025")
    run("catalog", "lint", "stripe-connect@2025")
    run("catalog", "diff", "stripe-connect@2024", "stripe-connect@2025")
    print("== Upgrading a 2024 plan (no dashboard, platform pricing, Stripe liability) to 2025")
    run(
        "plan",
        "new",
        plan,
        "--catalog",
        "stripe-connect@2024",
        "--preset",
        "embedded_saas",
        "--set",
        "fee_payer=platform",
        "-m",
        "fully embedded SaaS",
        "--author",
        "demo",
    )
    run("plan", "upgrade", plan, "--to", "stripe-connect@2025", "--dry-run")
    run(
        "plan",
        "upgrade",
        plan,
        "--to",
        "stripe-connect@2025",
        "--allow-blocked",
        "-m",
        "move to Accounts v2",
        "--author",
        "demo",
    )
    run(
        "plan",
        "set",
        plan,
        "--set",
        "liability=platform",
        "-m",
        "take the nearest allowed alternative",
        "--author",
        "demo",
    )
    run("plan", "diff", f"{plan}@1", f"{plan}@3")
    print()


def edition_2026(plan: str = "acme-2025") -> None:
    """The 2026 edition: a multi-choice selection, its exploration, and a 2025 plan upgraded to it (issue 11)."""
    print("== 2026: a platform that charges application fees and a SaaS subscription (multi-choice)")
    run(
        "resolve",
        "--catalog",
        "stripe-connect@2026",
        *("--set", "business_model=platform", "--set", "onboarding=embedded", "--set", "dashboard=express"),
        *("--set", "charge_type=direct", "--set", "fee_payer=platform", "--set", "liability=stripe"),
        *("--set", "monetization=application_fees,saas_subscriptions"),
    )
    print("== 2026: what does a product markup leave open?")
    run("explore", "--catalog", "stripe-connect@2026", "--set", "monetization=product_markup")
    print("== The 2025 -> 2026 edition diff, and a 2025 plan upgraded to 2026")
    run("catalog", "diff", "stripe-connect@2025", "stripe-connect@2026")
    run("plan", "new", plan, "--catalog", "stripe-connect@2025", "--preset", "saas", "-m", "2025 design")
    run("plan", "list", "--stale")
    run("plan", "upgrade", plan, "--to", "stripe-connect@2026", "--dry-run")
    run("plan", "upgrade", plan, "--to", "stripe-connect@2026", "-m", "move to the 2026 guide")
    print()


def edition_2026_12(plan: str = "acme-2025", marketplace: str = "acme-cross-border") -> None:
    """The full decision set (issue 17): a cross-border marketplace with one decision left open, its
    design document, and the 2026 plan of :func:`edition_2026` upgraded onto the new edition."""
    print("== 2026-12 (the default edition): a marketplace paying sellers in other countries")
    run("resolve", "--preset", "cross_border_marketplace")
    print("== Saving it with Instant Payouts not decided yet: the plan lists the open decision")
    run(
        "plan",
        "new",
        marketplace,
        "--preset",
        "cross_border_marketplace",
        "--set",
        "instant_payouts=undecided",
        "-m",
        "sellers abroad; Instant Payouts still open",
        "--author",
        "demo",
    )
    run("resolve", "--preset", "cross_border_marketplace", "--set", "instant_payouts=undecided", "--format", "markdown")
    print("== A CI gate refuses a plan with open decisions (exit 1)")
    run(
        "resolve",
        "--preset",
        "cross_border_marketplace",
        "--set",
        "instant_payouts=undecided",
        "--require-decided",
        show=False,
        check=False,
    )
    run("doc", f"{marketplace}@1", "-o", str(OUT / "cross-border-doc"))
    print("== The 2026 -> 2026-12 edition diff, and the 2026 plan upgraded: each new decision defaulted or left open")
    run("catalog", "diff", "stripe-connect@2026", "stripe-connect@2026-12")
    run("plan", "upgrade", plan, "--to", "stripe-connect@2026-12", "--dry-run")
    run("plan", "upgrade", plan, "--to", "stripe-connect@2026-12", "-m", "the full decision set", "--author", "demo")
    print()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    print("== The 2024 guide's own selection")
    run(
        "resolve",
        "--catalog",
        "stripe-connect@2024",
        "--set",
        "onboarding=hosted",
        "--set",
        "dashboard=full",
        "--set",
        "charge_type=direct",
        "--set",
        "fee_payer=connected_account",
        "--set",
        "liability=stripe",
    )
    presets_table()
    plan_history()
    exploration_and_upgrade()
    edition_2026()
    edition_2026_12()
    diagrams_and_doc()
    api_blueprint()
    print(f"demo: done; files are in {OUT}/")


if __name__ == "__main__":
    main()
