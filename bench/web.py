"""Issue 12, point 8: the web configurator against the same work done in-process.

One ``connectplan serve`` process on a fresh SQLite store (one uvicorn worker) answers every
request; the bench process is the client (``http.client``, one keep-alive connection per client
thread) and, for the baselines, does the same work in-process with its own Workspace.

``web-option-change``  one option change, ``GET /partials/workspace?...`` (what htmx sends: the
                       propagation, the resolution with alternatives and the rendered fragment,
                       over HTTP) vs ``ws.explore`` + ``ws.resolve`` (alternatives attached) on the
                       same selection in-process. The two alternate in one loop. Target 1.5x.
``web-diagram``        ``GET /diagrams/steps.svg?...`` vs ``dot -Tsvg`` on the same DOT file. Target 1.3x.
``web-concurrency``    20 client threads for 30 s, each an architect at a browser: an option
                       change, then a think time (uniform 0.5-1.5 s); p95 latency vs the median of
                       one client alone. No request may fail. Target 3x. A second, saturated run
                       (no think time) is reported without a target: with one worker on 2 CPUs a
                       closed loop of 20 clients queues ~20 requests behind each other by design.
``web-memory``         the worker's resident set (``/proc/PID/status`` VmRSS) after a warm-up of
                       500 option changes and after 10,000 more: growth at most 10 %.
"""

from __future__ import annotations

import http.client
import itertools
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench.suite import Config, SuiteResult, connectplan_argv
from bench.timing import Figure, Samples, interleave, percentile, time_once

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CATALOG = "stripe-connect@2024"
TARGET_CHANGE, TARGET_DIAGRAM, TARGET_P95, TARGET_MEMORY = 1.5, 1.3, 3.0, 1.10


def option_walk(catalog: Any, start: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Selections that each differ from the previous one by one option (properties in turn, options cycling)."""
    selection = dict(start)
    for prop in itertools.cycle(catalog.properties):
        ids = prop.option_ids
        selection[prop.id] = ids[(ids.index(selection[prop.id]) + 1) % len(ids)]
        yield dict(selection)


def query(selection: dict[str, str], catalog: str = CATALOG) -> str:
    return urlencode([("catalog", catalog), *selection.items()])


class Server:
    """``connectplan serve --port 0`` on ``url``, its port read from uvicorn's start-up line."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.log = (workdir / "serve.log").open("w+", encoding="utf-8")
        env = dict(os.environ, CONNECTPLAN_DATABASE_URL=url)
        env.pop("CONNECTPLAN_WEB_SETTINGS", None)
        self.proc = subprocess.Popen(
            [*connectplan_argv(), "serve", "--port", "0"], stdout=self.log, stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + 60
        self.port = 0
        while not self.port:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"connectplan serve did not start: {self.log.read()[-500:]}")
            time.sleep(0.1)
            self.log.seek(0)
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", self.log.read())
            self.port = int(found.group(1)) if found else 0

    def connect(self) -> Client:
        return Client(self.port)

    def rss(self) -> int:
        """The worker's resident set in bytes."""
        for line in open(f"/proc/{self.proc.pid}/status", encoding="ascii"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Client:
    """One browser tab: a keep-alive connection that sends what htmx sends."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str, *, htmx: bool = False) -> bytes:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if htmx:
            headers["HX-Request"] = "true"
        self.conn.request("GET", path, headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {body[:200]!r}")
        return body

    def change(self, selection: dict[str, str], catalog: str = CATALOG) -> bytes:
        return self.get(f"/partials/workspace?{query(selection, catalog)}", htmx=True)

    def close(self) -> None:
        self.conn.close()


def _load(
    server: Server, walk: list[dict[str, str]], *, clients: int, seconds: float, think: tuple[float, float] | None
):
    """``clients`` threads for ``seconds``; latencies (s) and errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def user(seed: int) -> None:
        rng = random.Random(seed)
        client = server.connect()
        mine: list[float] = []
        try:
            for selection in itertools.cycle(walk[seed % len(walk) :] + walk[: seed % len(walk)]):
                if time.monotonic() >= stop:
                    break
                start = time.perf_counter()
                try:
                    client.change(selection)
                except Exception as exc:  # counted, reported: the target is "no error"
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    client.close()
                    client = server.connect()
                    continue
                mine.append(time.perf_counter() - start)
                if think:
                    time.sleep(rng.uniform(*think))
        finally:
            client.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def run(config: Config) -> SuiteResult:
    result = SuiteResult("web", "Web configurator vs the same work in-process (issue 12, point 8)")
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        result.skipped = f"the web extra is not installed ({exc}); pip install 'connectplan[web]'"
        return result
    if not sys.platform.startswith("linux"):
        result.skipped = "reads the worker's memory from /proc (Linux only)"
        return result
    from connectplan.workspace import open_workspace, upgrade_store

    url = f"sqlite:///{config.workdir / 'web.db'}"
    upgrade_store(url)
    server = Server(url, config.workdir)
    try:
        with open_workspace(url) as ws:
            catalog = ws.catalog(CATALOG)
            start: dict[str, Any] = dict(catalog.presets[0].selection)
            walk = list(itertools.islice(option_walk(catalog, start), 60))
            for ref in (CATALOG, "stripe-connect@2025"):
                cat = ws.catalog(ref)
                first: dict[str, Any] = dict(cat.presets[0].selection)
                steps = list(itertools.islice(option_walk(cat, first), 60))
                _option_change(config, result, server, ws, steps, ref)
            _diagram(config, result, server, ws, start)
        _concurrency(config, result, server, walk)
        _memory(config, result, server, walk)
    finally:
        server.close()
    result.notes.append(
        "One `connectplan serve` worker (uvicorn, SQLite store) in its own process; the client and the "
        "in-process baselines run in the bench process."
    )
    return result


def _option_change(
    config: Config, result: SuiteResult, server: Server, ws: Any, walk: list[dict[str, str]], catalog: str
) -> None:
    client = server.connect()
    steps = itertools.cycle(walk)
    pending: dict[str, dict[str, str]] = {}

    def web() -> None:
        client.change(pending["web"], catalog)

    def in_process() -> None:
        sel = pending["in-process"]
        ws.explore(catalog=catalog, set=sel)
        ws.resolve(catalog=catalog, set=sel)

    rounds = config.runs(len(walk) * 2, 4)
    web_seconds: list[float] = []
    base_seconds: list[float] = []
    for round_no in range(config.warmup(10) + rounds):
        sel = next(steps)
        pending.update({"web": sel, "in-process": sel})  # both contenders get the same selection
        order = ((web, web_seconds), (in_process, base_seconds))
        for fn, out in order if round_no % 2 == 0 else order[::-1]:
            elapsed = time_once(fn)
            if round_no >= config.warmup(10):
                out.append(elapsed)
    client.close()
    result.figures.append(
        Figure(
            id=f"web-option-change-{catalog.rsplit('@', 1)[1]}",
            title=f"{catalog}: one option change, the htmx partial over HTTP vs explore + resolve in-process",
            measured=Samples(tuple(web_seconds), config.warmup(10)),
            baseline=Samples(tuple(base_seconds), config.warmup(10)),
            measured_label="GET /partials/workspace (propagation, resolution, alternatives, HTML)",
            baseline_label="ws.explore + ws.resolve (alternatives attached)",
            target=TARGET_CHANGE,
            extra={
                "selections": len(walk),
                "with_alternatives": sum(1 for s in walk if ws.resolve(catalog=catalog, set=s).alternatives),
            },
        )
    )


def _diagram(config: Config, result: SuiteResult, server: Server, ws: Any, selection: dict[str, Any]) -> None:
    dot_binary = shutil.which("dot")
    if dot_binary is None:
        result.notes.append("web-diagram skipped: Graphviz 'dot' is not installed")
        return
    dot_file = config.workdir / "web-steps.dot"
    dot_file.write_bytes(ws.render("steps", catalog=CATALOG, set=selection, format="dot"))
    out = config.workdir / "web-steps.svg"
    client = server.connect()
    path = f"/diagrams/steps.svg?{query(selection)}"
    samples = interleave(
        {
            "web": lambda: client.get(path),
            "dot": lambda: subprocess.run([dot_binary, "-Tsvg", str(dot_file), "-o", str(out)], check=True),
        },
        config.runs(20, 2),
        warmup=config.warmup(2),
    )
    same = client.get(path) == out.read_bytes()
    client.close()
    result.figures.append(
        Figure(
            id="web-diagram",
            title=f"{CATALOG}: steps diagram response (SVG) vs dot -Tsvg on the same DOT",
            measured=samples["web"],
            baseline=samples["dot"],
            measured_label="GET /diagrams/steps.svg",
            baseline_label="dot -Tsvg FILE.dot",
            target=TARGET_DIAGRAM,
            note="" if same else "the two SVG documents differ",
            extra={"same_svg_bytes": same},
        )
    )


def _concurrency(config: Config, result: SuiteResult, server: Server, walk: list[dict[str, str]]) -> None:
    clients = 3 if config.quick else 20
    seconds = config.seconds(30.0, 0.6)
    think = (config.seconds(0.5, 0.05), config.seconds(1.5, 0.15))
    single, single_errors = _load(server, walk, clients=1, seconds=config.seconds(10.0, 0.3), think=None)
    many, errors = _load(server, walk, clients=clients, seconds=seconds, think=think)
    saturated, saturated_errors = _load(server, walk, clients=clients, seconds=config.seconds(10.0, 0.3), think=None)
    p95 = percentile(many, 95)
    note = "" if not (errors or single_errors) else f"{len(errors) + len(single_errors)} requests failed: {errors[:2]}"
    result.figures.append(
        Figure(
            id="web-concurrency-p95",
            title=f"{clients} concurrent clients for {seconds:g} s on SQLite (think time {think[0]:g}-{think[1]:g} s): "
            "p95 latency vs one client's median",
            measured=Samples((p95,), 0),
            baseline=Samples(tuple(single), 0),
            measured_label=f"p95 of {len(many)} option changes, {clients} clients",
            baseline_label=f"one client alone, {len(single)} option changes",
            target=TARGET_P95 if not (errors or single_errors) else 0.0,  # an error fails the target
            note=note,
            extra={
                "errors": len(errors) + len(single_errors),
                "p50_s": percentile(many, 50),
                "p99_s": percentile(many, 99),
            },
        )
    )
    result.tables["web: concurrent option changes"] = [
        {
            "run": "one client, no think time",
            "requests": len(single),
            "errors": len(single_errors),
            "median_ms": 1e3 * statistics.median(single),
            "p95_ms": 1e3 * percentile(single, 95),
        },
        {
            "run": f"{clients} clients, think {think[0]:g}-{think[1]:g} s",
            "requests": len(many),
            "errors": len(errors),
            "median_ms": 1e3 * statistics.median(many),
            "p95_ms": 1e3 * p95,
        },
        {
            "run": f"{clients} clients, no think time (saturated)",
            "requests": len(saturated),
            "errors": len(saturated_errors),
            "median_ms": 1e3 * statistics.median(saturated),
            "p95_ms": 1e3 * percentile(saturated, 95),
        },
    ]
    result.notes.append(
        f"Saturated closed loop ({clients} clients, no think time): p95 "
        f"{percentile(saturated, 95) / statistics.median(single):.1f}x one client's median; expected near the client "
        "count with one worker (requests queue behind each other), so it has no target."
    )


def _memory(config: Config, result: SuiteResult, server: Server, walk: list[dict[str, str]]) -> None:
    warm, changes = (5, 20) if config.quick else (500, 10_000)
    client = server.connect()
    steps = itertools.cycle(walk)
    for _ in range(warm):
        client.change(next(steps))
    before = server.rss()
    samples = [before]
    for i in range(changes):
        client.change(next(steps))
        if (i + 1) % max(1, changes // 10) == 0:
            samples.append(server.rss())
    client.close()
    after = samples[-1]
    growth = after / before
    met = growth <= TARGET_MEMORY
    result.tables["web: worker memory over option changes"] = [
        {"after_changes": warm + i * max(1, changes // 10), "rss_mb": rss / 2**20} for i, rss in enumerate(samples)
    ]
    result.notes.append(
        f"Worker memory: {before / 2**20:.1f} MB after {warm} warm-up option changes, {after / 2**20:.1f} MB after "
        f"{changes:,} more: {growth:.3f}x (target ≤ {TARGET_MEMORY:.2f}x: {'met' if met else 'NOT met'})."
    )
