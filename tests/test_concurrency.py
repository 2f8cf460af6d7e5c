"""Two processes saving versions of one plan at once never lose or duplicate a version (issue 3, point 7)."""

from __future__ import annotations

import multiprocessing

import pytest

SAVES = 50
#: each process toggles its own property between two options, so every save changes something
TOGGLES = {"fee_payer": ("connected_account", "platform"), "liability": ("stripe", "platform")}


def _saver(url: str, prop: str, barrier, results) -> None:
    from connectplan.db.errors import ConflictError
    from connectplan.workspace import open_workspace

    store = open_workspace(url)
    options = TOGGLES[prop]
    errors = []
    barrier.wait()
    for i in range(SAVES):
        try:
            store.set_plan("race", {prop: options[i % 2]}, message=f"{prop} {i}", author=prop, allow_blocked=True)
        except ConflictError as exc:  # the documented outcome when both touch one property; not expected here
            errors.append(str(exc))
    store.close()
    results.put((prop, errors))


@pytest.mark.slow
def test_two_processes_fifty_saves_each_end_with_101_versions(store_url):
    from connectplan.workspace import open_workspace

    store = open_workspace(store_url)
    store.new_plan("race", preset="marketplace", message="start")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [ctx.Process(target=_saver, args=(store_url, prop, barrier, results)) for prop in TOGGLES]
    for p in procs:
        p.start()
    # 50 saves take seconds; a crashed child fails the test after 3 minutes
    outcome = dict(results.get(timeout=180) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert outcome == {"fee_payer": [], "liability": []}

    log = store.log("race")
    numbers = [r.version for r, _ in log]
    assert sorted(numbers) == list(range(1, 2 * SAVES + 2))
    assert len(set(numbers)) == len(numbers)
    assert all(r.parent == r.version - 1 for r, _ in log if r.version > 1)
    messages = sorted(r.message for r, _ in log if r.version > 1)
    assert messages == sorted(f"{prop} {i}" for prop in TOGGLES for i in range(SAVES))
    # Each version re-applied its own change on top of the other process's latest one.
    for record, _ in log:
        if record.version > 1:
            prop, i = record.message.split()
            assert dict(record.selection)[prop] == TOGGLES[prop][int(i) % 2]
    latest = dict(log[0].record.selection)
    assert latest["fee_payer"] == TOGGLES["fee_payer"][(SAVES - 1) % 2]
    assert latest["liability"] == TOGGLES["liability"][(SAVES - 1) % 2]
    store.close()
