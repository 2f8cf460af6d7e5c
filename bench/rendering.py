"""Issue 6, point 5: building and rendering diagrams in-process versus Graphviz alone.

For a money-flow and a steps diagram of one resolution (the newest built-in edition's first
preset), the measured operation builds the ``graphviz.Digraph`` from the resolution
(``visualize.money_flow_diagram`` / ``visualize.steps_diagram``) and writes an SVG through
``visualize.render`` (which pipes the DOT text to ``dot``). The baseline runs
``dot -Tsvg FILE.dot -o FILE.svg`` directly on the same DOT text, written to a file beforehand.
The two alternate in one loop (with a third contender, building the DOT text alone, whose
median is reported to show how the overhead splits). Target: 1.2x.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import partial
from typing import TYPE_CHECKING, Any

from bench.suite import Config, SuiteResult
from bench.timing import Figure, interleave

if TYPE_CHECKING:
    from collections.abc import Callable

TARGET = 1.2


def _source(build: Any, res: Any) -> str:
    return str(build(res).source)


def run(config: Config) -> SuiteResult:
    result = SuiteResult("render", "Rendering diagrams in-process vs dot -Tsvg (issue 6, point 5)")
    dot_binary = shutil.which("dot")
    if dot_binary is None:
        result.skipped = "Graphviz 'dot' is not installed (make bench installs it)"
        return result
    try:
        from connectplan import visualize
        from connectplan.outfile import write_output
    except ImportError as exc:
        result.skipped = f"visualize is not available: {exc}"
        return result
    from bench.inprocess import stripe_catalogs
    from connectplan.engine import resolve

    version = subprocess.run([dot_binary, "-V"], capture_output=True, text=True, check=False).stderr.strip()
    result.notes.append(version)
    catalog = stripe_catalogs()[-1]
    preset = catalog.presets[0]
    res = resolve(catalog, dict(preset.selection))
    workdir = config.workdir / "render"
    workdir.mkdir(parents=True, exist_ok=True)
    builders: dict[str, Callable[[Any], Any]] = {
        "money-flow": visualize.money_flow_diagram,
        "steps": visualize.steps_diagram,
    }
    for kind, build in builders.items():
        dot_file = workdir / f"{kind}.dot"
        dot_file.write_text(build(res).source, encoding="utf-8")
        out_in_process = workdir / f"{kind}-in-process.svg"
        out_dot = workdir / f"{kind}-dot.svg"

        def in_process(b: Callable[[Any], Any] = build, out: Any = out_in_process) -> None:
            visualize.render(b(res), out, "svg", write=write_output)

        def plain_dot(src: Any = dot_file, out: Any = out_dot) -> None:
            subprocess.run([dot_binary, "-Tsvg", str(src), "-o", str(out)], check=True)

        samples = interleave(
            {"in-process": in_process, "dot": plain_dot, "build": partial(_source, build, res)},
            config.runs(15),
            warmup=config.warmup(2),
        )
        same = out_in_process.read_bytes() == out_dot.read_bytes()
        result.figures.append(
            Figure(
                id=f"render-{kind}",
                title=f"{kind} diagram of {catalog.ref} preset {preset.id}: build + render SVG in-process",
                measured=samples["in-process"],
                baseline=samples["dot"],
                measured_label=f"visualize.{build.__name__} + visualize.render(..., 'svg')",
                baseline_label="dot -Tsvg on the same DOT file",
                target=TARGET,
                note="" if same else "the two SVG files differ",
                extra={
                    "same_svg_bytes": same,
                    "dot_bytes": dot_file.stat().st_size,
                    "build_only_median_s": samples["build"].median,
                    "build_only_share_of_dot": samples["build"].median / samples["dot"].median,
                },
            )
        )
    return result
