"""A cold configurator page does not delay concurrent ``/healthz`` (issue 20, acceptance): a ratio to an idle
``/healthz`` of the same server, measured in the same run, at most 3x.

A file of its own so that the suite's workers can run it apart from the browser tests (``LONGEST_FIRST`` in
tests/conftest.py sends those out first): a latency ratio taken while the other worker drives Chromium
measures the machine, not the server's event loop. The server helpers are tests/test_web_server.py's.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

from test_web_server import CAT, _get, serve_process
from webapp import new_store


def _machine_busy(seconds: float = 0.3) -> float:
    """How many CPUs' worth of time the whole machine spent busy over the next ``seconds`` (``/proc/stat``)."""
    import os

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(f) for f in stat.readline().split()[1:]]
        return sum(fields) - fields[3] - fields[4], sum(fields)  # busy, all (idle and iowait excluded from busy)

    busy0, all0 = sample()
    time.sleep(seconds)
    busy1, all1 = sample()
    cpus = os.cpu_count() or 1
    return cpus * (busy1 - busy0) / max(1, all1 - all0)


def _wait_for_a_quiet_machine(most: float = 1.2, patience: float = 60.0) -> None:
    """Wait (at most ``patience`` seconds) until the rest of the machine keeps at most ``most`` CPUs busy: the
    suite's other worker driving a browser keeps both CPUs of this machine busy for half a minute at a time,
    and a latency ratio taken then measures the machine, not the server's event loop."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline and _machine_busy() > most:
        time.sleep(0.5)


def _healthz_ratio_during_cold_pages(url: str, cwd: Any, patience: float) -> tuple[float, float, int]:
    """A new server: the median /healthz time while cold configurator pages compute, over the idle median.

    The idle samples are taken just before and just after each cold page, so both sides of the ratio see
    the same load from the rest of the machine, and the measurement starts once the rest of the machine is
    quiet enough, or ``patience`` seconds have passed (:func:`_wait_for_a_quiet_machine`)."""
    with serve_process(url, cwd) as (port, _log):
        _wait_for_a_quiet_machine(patience=patience)
        assert _get(port, f"/?catalog={CAT}")[0] == 200  # templates compiled; the other editions stay cold
        idle = [_get(port, "/healthz")[2] for _ in range(10)]
        during: list[float] = []
        for catalog in ("stripe-connect@2025", "stripe-connect@2026", "stripe-connect@2026-12"):
            idle += [_get(port, "/healthz")[2] for _ in range(10)]
            page: list[int] = []  # each a cold page: the catalog read from the store, then SAT work
            worker = threading.Thread(target=lambda c=catalog, p=page: p.append(_get(port, f"/?catalog={c}")[0]))
            worker.start()
            while worker.is_alive():
                status, _, took = _get(port, "/healthz")
                assert status == 200
                during.append(took)
            worker.join()
            assert page == [200]
            idle += [_get(port, "/healthz")[2] for _ in range(10)]
    return statistics.median(during) / statistics.median(idle), statistics.median(idle), len(during)


def test_a_cold_configurator_page_does_not_delay_concurrent_healthz(tmp_path):
    """Measured, not a fixed time: the ratio to an idle /healthz of the same server. With the page computed on
    the event loop it was ~47x; in the thread pool it is ~1.5-3x, more when other processes load the machine
    (the suite's other worker driving Chromium), so each measurement starts once the machine is quiet enough
    and it is taken up to five times (a blocked loop fails every time)."""
    url = new_store(tmp_path)
    attempts = []
    for attempt in range(5):  # a minute's patience for a quiet machine at first, then 15 s: 2 minutes at most
        attempts.append(_healthz_ratio_during_cold_pages(url, tmp_path, patience=60.0 if attempt == 0 else 15.0))
        if attempts[-1][0] <= 3.0:
            return
    raise AssertionError(f"/healthz was delayed by cold pages: (ratio, idle median, samples) {attempts}")
