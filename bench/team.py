"""Issue 20, point 7: the web configurator as a team server under load, on PostgreSQL with two workers.

``connectplan serve --workers 2`` on a throwaway PostgreSQL cluster (tests/pg.py: Unix socket only,
no TCP) answers clients on 127.0.0.1. Each client is an architect at a browser: it mixes option
changes (``GET /partials/workspace?...``, what htmx sends), page loads (``GET /?...``), diagram
requests (``GET /diagrams/steps.svg?...``) and saves (``POST /plans/NAME/versions``), half of them
to one plan every client shares and half to its own plan, with a think time (uniform 0.5-1.5 s)
between requests.

``team-concurrency-p95``  20 clients for 30 s: the p95 latency of every request vs the median of
                          one client alone running the same mix with no think time, in the same
                          run. Target 3x. No request may fail (a 409 conflict on the shared plan
                          is an answer, counted apart, not an error), and every acknowledged save
                          (303) must be stored, each plan's versions contiguous from 1, nothing
                          stored that was not acknowledged; any miss fails the target.

Then each worker's resident set over 10,000 option changes after 500 warm-up ones: growth at
most 10 % (a table and a note, as in ``bench/web.py``).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench.suite import Config, SuiteResult, connectplan_argv
from bench.timing import Figure, Samples, percentile
from bench.web import CATALOG, option_walk, query

if TYPE_CHECKING:
    from pathlib import Path

TARGET_P95, TARGET_MEMORY = 3.0, 1.10
SHARED = "team-shared"
KINDS = ("change", "page", "diagram", "save")
WEIGHTS = (50, 15, 15, 20)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class TeamServer:
    """``connectplan serve --port 0 --workers N`` on ``url``; the port read from uvicorn's start-up line."""

    def __init__(self, url: str, workdir: Path, workers: int = 2) -> None:
        self.log = (workdir / "team-serve.log").open("w+", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("CONNECTPLAN_WEB_SETTINGS", "CONNECTPLAN_TOKEN")}
        self.proc = subprocess.Popen(
            [*connectplan_argv(), "--db", url, "serve", "--port", "0", "--workers", str(workers)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 90
        self.port = 0
        while not self.port:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"connectplan serve did not start: {self.log.read()[-500:]}")
            time.sleep(0.1)
            self.log.seek(0)
            text = self.log.read()
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", text)
            ready = text.count("Application startup complete.") >= workers  # every worker listens
            self.port = int(found.group(1)) if found and ready else 0

    def workers(self) -> list[int]:
        """The worker processes' ids (uvicorn's "Started server process [PID]" lines)."""
        self.log.seek(0)
        return [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", self.log.read())]

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.log.close()


class TeamClient:
    """One browser tab: a keep-alive connection; GETs and form POSTs with the page's CSRF token."""

    def __init__(self, port: int, csrf: str = "") -> None:
        self.port = port
        self.csrf = csrf
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None, *, htmx: bool = False) -> tuple[int, bytes, str]:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if htmx:
            headers["HX-Request"] = "true"
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRF-Token"] = self.csrf
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, data, resp.getheader("location") or ""

    def close(self) -> None:
        self.conn.close()


def latest(client: TeamClient, plan: str) -> tuple[int, dict[str, str]]:
    """The plan's latest version number and its selection (``GET /api/plans/NAME@latest``)."""
    status, body, _ = client.request("GET", f"/api/plans/{plan}@latest")
    if status != 200:
        raise RuntimeError(f"GET /api/plans/{plan}@latest answered {status}: {body[:200]!r}")
    doc = json.loads(body)
    return int(doc["plan"]["version"]), {str(k): str(v) for k, v in doc["selection"].items()}


def save(client: TeamClient, plan: str, charge_options: list[str]) -> tuple[int, int | None]:
    """A change to ``plan`` made from its latest version: (status, the acknowledged version or None)."""
    base, selection = latest(client, plan)
    current = selection.get("charge_type", charge_options[0])
    new = charge_options[(charge_options.index(current) + 1) % len(charge_options)]
    form = urlencode(
        {**selection, "charge_type": new, "base": str(base), "message": f"load {time.time():.6f}", "allow_blocked": "1"}
    )
    status, body, location = client.request("POST", f"/plans/{plan}/versions", form)
    if status == 303:
        return status, int(location.split("?")[0].rsplit("@", 1)[1])
    if status == 409:
        return status, None
    raise RuntimeError(f"POST /plans/{plan}/versions answered {status}: {body[:200]!r}")


class Load:
    """What ``clients`` threads did for ``seconds``: latencies per kind, errors, conflicts, acknowledged saves."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors: list[str] = []
        self.conflicts = 0
        self.acknowledged: dict[str, list[int]] = {}
        self.lock = threading.Lock()

    @property
    def all(self) -> list[float]:
        return [x for k in KINDS for x in self.latencies[k]]


def run_load(
    port: int,
    csrf: str,
    walk: list[dict[str, str]],
    charge_options: list[str],
    *,
    clients: int,
    seconds: float,
    think: tuple[float, float] | None,
    first: int = 0,
) -> Load:
    load = Load()
    stop = time.monotonic() + seconds

    def user(number: int) -> None:
        rng = random.Random(number)
        client = TeamClient(port, csrf)
        own = f"team-{number}"
        steps = itertools.cycle(walk[number % len(walk) :] + walk[: number % len(walk)])
        try:
            while time.monotonic() < stop:
                kind = rng.choices(KINDS, WEIGHTS)[0]
                selection = next(steps)
                start = time.perf_counter()
                try:
                    if kind == "change":
                        status, body, _ = client.request("GET", f"/partials/workspace?{query(selection)}", htmx=True)
                    elif kind == "page":
                        status, body, _ = client.request("GET", f"/?{query(selection)}")
                    elif kind == "diagram":
                        status, body, _ = client.request("GET", f"/diagrams/steps.svg?{query(selection)}")
                    else:
                        plan = SHARED if rng.random() < 0.5 else own
                        status, version = save(client, plan, charge_options)
                        with load.lock:
                            if version is None:
                                load.conflicts += 1
                            else:
                                load.acknowledged.setdefault(plan, []).append(version)
                        body = b""
                    if status not in (200, 303, 409):
                        raise RuntimeError(f"{kind} answered {status}: {body[:200]!r}")
                except Exception as exc:  # counted, reported: the target is "no error"
                    with load.lock:
                        load.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                    client.close()
                    client = TeamClient(port, csrf)
                    continue
                elapsed = time.perf_counter() - start
                with load.lock:
                    load.latencies[kind].append(elapsed)
                if think:
                    time.sleep(rng.uniform(*think))
        finally:
            client.close()

    threads = [threading.Thread(target=user, args=(first + i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return load


def check_store(url: str, acknowledged: dict[str, list[int]]) -> list[str]:
    """What is wrong with the stored plans: an acknowledged save missing, versions not contiguous from 1,
    or a version stored that nobody was told about (every plan starts with version 1, made before the load)."""
    from connectplan.workspace import open_workspace

    problems: list[str] = []
    with open_workspace(url) as ws:
        for plan in sorted(set(acknowledged) | {SHARED}):
            stored = sorted(e.record.version for e in ws.log(plan))
            acked = sorted([1, *acknowledged.get(plan, [])])
            if stored != list(range(1, len(stored) + 1)):
                problems.append(f"{plan}: versions not contiguous: {stored}")
            if stored != acked:
                problems.append(f"{plan}: stored {stored} but acknowledged {acked}")
    return problems


def rss(pid: int) -> int:
    """A process's resident set in bytes (``/proc/PID/status`` VmRSS)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _memory(config: Config, result: SuiteResult, server: TeamServer, walk: list[dict[str, str]]) -> None:
    """Each worker's resident set after warm-up option changes and after 10,000 more (one keep-alive
    connection: they all go to one worker; the other is measured too). Growth at most 10 %."""
    if not sys.platform.startswith("linux"):
        result.notes.append("Worker memory not measured: it is read from /proc (Linux only).")
        return
    warm, changes = (5, 20) if config.quick else (500, 10_000)
    pids = server.workers()
    client = TeamClient(server.port)
    steps = itertools.cycle(walk)

    def change() -> None:
        status, body, _ = client.request("GET", f"/partials/workspace?{query(next(steps))}", htmx=True)
        if status != 200:
            raise RuntimeError(f"an option change answered {status}: {body[:200]!r}")

    for _ in range(warm):
        change()
    samples = [{pid: rss(pid) for pid in pids}]
    for i in range(changes):
        change()
        if (i + 1) % max(1, changes // 10) == 0:
            samples.append({pid: rss(pid) for pid in pids})
    client.close()
    growth = max(samples[-1][pid] / samples[0][pid] for pid in pids)
    met = growth <= TARGET_MEMORY
    step = max(1, changes // 10)
    result.tables["team: worker memory over option changes (--workers 2, PostgreSQL)"] = [
        {"after_changes": warm + i * step, **{f"worker_{n}_rss_mb": s[pid] / 2**20 for n, pid in enumerate(pids)}}
        for i, s in enumerate(samples)
    ]
    result.notes.append(
        f"Worker memory (--workers 2, PostgreSQL): {changes:,} option changes after {warm} warm-up ones on one "
        f"keep-alive connection; the larger growth of the two workers' resident sets is {growth:.3f}x "
        f"(target ≤ {TARGET_MEMORY:.2f}x: {'met' if met else 'NOT met'})."
    )


def run(config: Config) -> SuiteResult:
    result = SuiteResult("team", "The web configurator as a team server: PostgreSQL, two workers (issue 20, point 7)")
    try:
        import psycopg  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        cluster = config.postgres()
    except ImportError as exc:
        result.skipped = f"needs the web and postgresql extras and tests/pg.py ({exc})"
        return result
    except (RuntimeError, OSError) as exc:
        result.skipped = f"PostgreSQL could not be started: {exc}"
        return result
    _run(config, result, cluster)
    return result


def _run(config: Config, result: SuiteResult, cluster: Any) -> None:
    from connectplan.workspace import open_workspace

    clients = 3 if config.quick else 20
    seconds = config.seconds(30.0, 0.8)
    single_seconds = config.seconds(10.0, 0.5)
    think = (config.seconds(0.5, 0.05), config.seconds(1.5, 0.15))
    url = cluster.new_store()
    with open_workspace(url) as ws:
        catalog = ws.catalog(CATALOG)
        start: dict[str, Any] = dict(catalog.presets[0].selection)
        walk = list(itertools.islice(option_walk(catalog, start), 60))
        charge_options = list(next(p for p in catalog.properties if p.id == "charge_type").option_ids)
        for plan in [SHARED, *(f"team-{i}" for i in range(clients + 1))]:
            ws.new_plan(plan, catalog=CATALOG, set=start, message="before the load", allow_blocked=True)
    server = TeamServer(url, config.workdir, workers=2)
    try:
        probe = TeamClient(server.port)
        status, page, _ = probe.request("GET", f"/?{query(start)}")
        probe.close()
        found = _CSRF.search(page.decode("utf-8", "replace"))
        if status != 200 or not found:
            raise RuntimeError(f"the configurator page answered {status} without a CSRF token")
        csrf = found.group(1)
        warm = run_load(server.port, csrf, walk, charge_options, clients=2, seconds=single_seconds / 2, think=None)
        single = run_load(
            server.port, csrf, walk, charge_options, clients=1, seconds=single_seconds, think=None, first=clients
        )
        many = run_load(server.port, csrf, walk, charge_options, clients=clients, seconds=seconds, think=think)
        _memory(config, result, server, walk)
    finally:
        server.close()
    acknowledged: dict[str, list[int]] = {}
    for load in (warm, single, many):
        for plan, versions in load.acknowledged.items():
            acknowledged.setdefault(plan, []).extend(versions)
    problems = check_store(url, acknowledged)
    errors = single.errors + many.errors + warm.errors
    median = statistics.median(single.all)
    p95 = percentile(many.all, 95)
    failed = bool(errors or problems)
    saves = sum(len(v) for v in acknowledged.values())
    note = "; ".join(
        [f"{len(errors)} requests failed: {errors[:2]}"] * bool(errors)
        + [f"store inconsistent: {problems[:2]}"] * bool(problems)
    )
    result.figures.append(
        Figure(
            id="team-concurrency-p95",
            title=f"{clients} concurrent clients for {seconds:g} s, PostgreSQL, --workers 2 (option changes, pages, "
            f"diagrams, saves to a shared and to own plans; think {think[0]:g}-{think[1]:g} s): "
            "p95 latency vs one client's median",
            measured=Samples((p95,), 0),
            baseline=Samples(tuple(single.all), 0),
            measured_label=f"p95 of {len(many.all)} requests, {clients} clients",
            baseline_label=f"one client alone, same mix, no think time, {len(single.all)} requests",
            target=0.0 if failed else TARGET_P95,  # an error or a lost save fails the target
            note=note,
            extra={
                "errors": len(errors),
                "conflicts_409": warm.conflicts + single.conflicts + many.conflicts,
                "acknowledged_saves": saves,
                "store_consistent": not problems,
                "single_median_s": median,
                "p50_s": percentile(many.all, 50),
                "p99_s": percentile(many.all, 99),
            },
        )
    )
    rows = []
    for label, load in (
        ("one client, no think time", single),
        (f"{clients} clients, think {think[0]:g}-{think[1]:g} s", many),
    ):
        for kind in KINDS:
            values = load.latencies[kind]
            if values:
                rows.append(
                    {
                        "run": label,
                        "request": kind,
                        "requests": len(values),
                        "median_ms": 1e3 * statistics.median(values),
                        "p95_ms": 1e3 * percentile(values, 95),
                        "p95_vs_single_median": percentile(values, 95) / statistics.median(single.latencies[kind])
                        if single.latencies[kind]
                        else None,
                    }
                )
    result.tables["team: latency by request kind"] = rows
    verdict = (
        "matches every acknowledged save, versions contiguous" if not problems else f"does NOT match: {problems[:3]}"
    )
    result.notes.append(
        f"`connectplan serve --workers 2` on a throwaway PostgreSQL cluster (Unix socket), clients on 127.0.0.1 in "
        f"the bench process. {saves} acknowledged saves (303), {warm.conflicts + single.conflicts + many.conflicts} "
        f"conflicts (409, not acknowledged, not stored), {len(errors)} errors; the store "
        f"{verdict}."
        f" One client alone: its own p95 is {percentile(single.all, 95) / median:.1f}x its median (a mix of cached "
        "diagrams, option changes and saves), so the mixed ratio is also shown per request kind in the table."
        " Each save first reads the plan's latest version (GET /api/plans/NAME@latest); its latency includes that read."
    )
